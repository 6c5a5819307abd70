"""What the site and the report read from the warehouse, for one audience.

:func:`load` reads every mart the publication uses into pandas frames, once, and keeps
only the rows whose ``SHARING`` level is among ``allowed_sharing``. A mart that is not
in the warehouse is ``None`` (the page says so); an empty mart is an empty frame.

Observations, indicator values and progress come from
:func:`governance.publication.published_tables`: for the public, approved data only; for
the public and members, disclosure control applied (a withheld value is NaN and its row
carries ``CONF_STATUS`` C or D; free rows F). The Secretariat sees exact values. When
the indicator registry cannot be read, the public and members editions publish no
indicator figures (disclosure control needs the registry).

Sharing of tables without a ``SHARING`` column
    a table with ``SOURCE_ID`` inherits its source's level (``marts.sources``);
    otherwise :data:`DEFAULT_SHARING` gives the level of the whole table (the working
    groups' reporting and tracker marts are GREEN, i.e. members and Secretariat; the
    data-quality marts CLEAR). A row whose level is unknown is never published.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from indicators.registry import WORLD_AREA
from warehouse import tables as wh

SHARING_ORDER = ("CLEAR", "GREEN", "AMBER", "RED")

#: Level of a whole table that has neither SHARING nor SOURCE_ID.
DEFAULT_SHARING = {
    "reporting_status": "GREEN",
    "legislative_tracker": "GREEN",
    "capability_tracker": "GREEN",
    "dq_coverage": "CLEAR",
    "dq_freshness": "CLEAR",
    "dq_validation_history": "CLEAR",
}
WG_DEFAULT_SHARING = "GREEN"
#: wg_* marts that are not report content (code lists; a per-quarter summary built after the site).
WG_EXCLUDED = {"wg_codelists", "wg_quarter_summary"}

#: Optional marts read by name (schema marts); the wg_* marts are discovered.
OPTIONAL_MARTS = (
    "reporting_status",
    "legislative_tracker",
    "capability_tracker",
    "dq_coverage",
    "dq_freshness",
    "dq_validation_history",
    "revision_summary",
)

#: Columns of marts.indicator_values the publication reads (an absent mart reads as empty).
VALUE_COLUMNS = [
    "INDICATOR",
    "GOAL",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "NUMERATOR",
    "DENOMINATOR",
    "UNIT_MEASURE",
    "OBS_STATUS",
    "SHARING",
    "COVERAGE",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "SOURCE_IDS",
    "AREA_KIND",
    "SYNTHETIC",
    "CONF_STATUS",
    "N_WITHHELD_AT_SOURCE",
    "OBS_TEXT",
]  # values withheld at source ("<5"): their text, how many

LAC_AGGREGATES = ("LAC", "LAC_CARIB", "LAC_CENTRAL", "LAC_SOUTH")
#: Areas drawn and listed as aggregates, never as countries: the region's and, for an indicator
#: of the whole world (``area_scope: world``), the world.
AGGREGATE_AREAS = (*LAC_AGGREGATES, WORLD_AREA)

#: Columns of marts.observations the publication reads (values, provenance, confidentiality).
OBSERVATION_COLUMNS = [
    "SOURCE_ID",
    "MEASURE",
    "REF_AREA",
    "TIME_PERIOD",
    "REF_YEAR",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "OBS_VALUE",
    "OBS_STATUS",
    "CONF_STATUS",
    "SHARING",
    "SYNTHETIC",
    "FILE_ID",
    "FILE_NAME",
    "FILE_SHA256",
    "LOC_PAGE",
    "LOC_LINE",
    "LOC_SHEET",
    "LOC_ROW",
    "OBS_TEXT",
]


def most_restrictive(levels) -> str:
    ranks = [SHARING_ORDER.index(level) if level in SHARING_ORDER else 3 for level in levels]
    return SHARING_ORDER[max(ranks)] if ranks else "CLEAR"


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas.NA are missing."""
    if value is None:
        return True
    if not pd.api.types.is_scalar(value):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass
class SiteData:
    allowed_sharing: tuple[str, ...]
    audience: str
    registry: dict[str, Any]
    sources: pd.DataFrame
    areas: pd.DataFrame
    lac_countries: pd.DataFrame
    files: pd.DataFrame
    values: pd.DataFrame | None
    progress: pd.DataFrame | None
    observations: pd.DataFrame
    quarantine: pd.DataFrame
    marts: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    wg_marts: dict[str, pd.DataFrame] = field(default_factory=dict)
    registry_error: str = ""
    #: Counts from 1 to this are withheld (disclosure control; shown in the explanation notes).
    threshold: int = 4
    codelists: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    # -------------------------------------------------------------- look-ups
    def area_name(self, code: str, lang: str) -> str:
        names = self._area_names.get(lang, {})
        return names.get(code, code)

    def __post_init__(self) -> None:
        self._area_names = (
            {
                lang: dict(
                    zip(self.areas["REF_AREA"], self.areas[f"NAME_{lang.upper()}"].fillna(self.areas["REF_AREA"]))
                )
                for lang in ("es", "en", "pt")
            }
            if len(self.areas)
            else {}
        )
        self.synthetic_sources = (
            set(self.sources.loc[self.sources["SYNTHETIC"].astype(bool), "SOURCE_ID"]) if len(self.sources) else set()
        )

    def _rows(self, frame: pd.DataFrame | None, column: str, key: str) -> pd.DataFrame:
        """The rows of ``frame`` whose ``column`` is ``key`` (grouped once per frame and column)."""
        if frame is None:
            return pd.DataFrame(columns=VALUE_COLUMNS)
        if not len(frame):
            return frame
        cache = self.__dict__.setdefault("_groups", {})
        if (id(frame), column) not in cache:
            cache[(id(frame), column)] = {k: g for k, g in frame.groupby(column, sort=False)}
        return cache[(id(frame), column)].get(key, frame.iloc[0:0])

    def indicator_values(self, indicator: str) -> pd.DataFrame:
        return self._rows(self.values, "INDICATOR", indicator)

    def measure_observations(self, measure: str) -> pd.DataFrame:
        return self._rows(self.observations, "MEASURE", measure)

    def area_progress(self, area: str) -> pd.DataFrame:
        return self._rows(self.progress, "REF_AREA", area)

    def sources_of(self, *source_ids: str) -> pd.DataFrame:
        """The rows of ``sources`` for these sources, in the table's order."""
        return self.sources[self.sources["SOURCE_ID"].isin(source_ids)]

    def files_of(self, *source_ids: str) -> pd.DataFrame:
        """The rows of ``files`` for these sources, in the table's order."""
        return self.files[self.files["SOURCE_ID"].isin(source_ids)]

    def table_state(self, name: str) -> str:
        """Whether the table ``name`` (``values``, ``progress`` or ``observations``) is
        "missing", "empty" or has "rows" (what a page's notice says)."""
        frame = getattr(self, name)
        return "missing" if frame is None else "empty" if not len(frame) else "rows"

    def area_values(self, area: str) -> pd.DataFrame:
        return self._rows(self.values, "REF_AREA", area)

    def area_observations(self, area: str) -> pd.DataFrame:
        return self._rows(self.observations, "REF_AREA", area)

    def indicator_progress(self, indicator: str, level: str = "indicator") -> pd.DataFrame:
        if self.progress is None:
            return pd.DataFrame()
        if not hasattr(self, "_progress_by_key"):
            frame = self.progress
            if "LEVEL" not in frame.columns:
                frame = frame.assign(LEVEL="indicator")
            self._progress_by_key = {k: g for k, g in frame.groupby(["INDICATOR", "LEVEL"], sort=False)}
        found = self._progress_by_key.get((indicator, level))
        return found if found is not None else self.progress.iloc[0:0]


def _filter_sharing(frame: pd.DataFrame, allowed: tuple[str, ...]) -> pd.DataFrame:
    return frame[frame["SHARING"].isin(allowed)].reset_index(drop=True)


def _read(con: duckdb.DuckDBPyConnection, schema: str, table: str, order: str = "") -> pd.DataFrame | None:
    if not wh.table_exists(con, schema, table):
        return None
    return con.execute(f'SELECT * FROM {schema}."{table}" {order}').df()


def _with_sharing(frame: pd.DataFrame, name: str, sources: pd.DataFrame, default: str) -> pd.DataFrame:
    """Give every row a SHARING level (see the module docstring)."""
    frame = frame.copy()
    if "SHARING" in frame.columns:
        frame["SHARING"] = frame["SHARING"].fillna("RED")
        return frame
    if "SOURCE_ID" in frame.columns and len(sources):
        levels = dict(zip(sources["SOURCE_ID"], sources["SHARING"]))
        frame["SHARING"] = frame["SOURCE_ID"].map(levels).fillna(default)
        return frame
    frame["SHARING"] = DEFAULT_SHARING.get(name, default)
    return frame


def _sort(frame: pd.DataFrame) -> pd.DataFrame:
    """A deterministic row order for tables of unknown shape: by every column, as text."""
    if not len(frame):
        return frame
    keys = frame.astype(str)
    order = keys.sort_values(list(keys.columns), kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in the order of ``keys`` (those present), missing values last, stable."""
    present = [k for k in keys if k in frame.columns]
    if not len(frame) or not present:
        return frame.reset_index(drop=True)
    return frame.sort_values(present, kind="mergesort", na_position="last").reset_index(drop=True)


#: The last audiences' published tables, by warehouse file state: the site and the report of
#: one run read the same (by then unchanging) warehouse, so disclosure control runs once.
_PUBLISHED_CACHE: dict[tuple, Any] = {}


def _warehouse_state(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The warehouse file's path, size and modification time, or None (in memory)."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    path = Path(rows[0][0]) if rows and rows[0][0] else None
    if path is None or not path.is_file():
        return None
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _published(
    con: duckdb.DuckDBPyConnection,
    audience: str,
    registry: dict[str, Any],
    registry_error: str,
    kept: Path | None = None,
):
    """The audience's observations, indicator values and progress (see the module docstring);
    ``kept``: a folder of kept disclosure-control results."""
    from governance.publication import published_tables
    from sources.catalogue import load_catalogue, load_measures

    state = _warehouse_state(con)
    key = (state, audience, registry_error) if state else None
    if key not in _PUBLISHED_CACHE:
        computed = published_tables(
            con, audience, catalogue=load_catalogue(), registry=registry, measures=load_measures(), kept=kept
        )
        if key is None:
            return _restricted(computed, audience, registry_error)
        if len(_PUBLISHED_CACHE) >= 3:
            _PUBLISHED_CACHE.clear()
        _PUBLISHED_CACHE[key] = computed
    cached = _PUBLISHED_CACHE[key]
    return _restricted(
        dataclasses.replace(
            cached,
            observations=cached.observations.copy(),
            indicator_values=cached.indicator_values.copy(),
            indicator_progress=cached.indicator_progress.copy(),
        ),
        audience,
        registry_error,
    )


def _restricted(published, audience: str, registry_error: str):
    """No indicator figures outside the Secretariat's edition while the registry is invalid."""
    if registry_error and audience != "secretariat":
        published.indicator_values = published.indicator_values.iloc[0:0]
        published.indicator_progress = published.indicator_progress.iloc[0:0]
    return published


def load(
    con: duckdb.DuckDBPyConnection,
    *,
    allowed_sharing=("CLEAR", "GREEN", "AMBER"),
    audience: str = "secretariat",
    max_year: int | None = None,
    kept_published: Path | None = None,
) -> SiteData:
    """Everything the publication reads, filtered to ``allowed_sharing``.

    ``max_year``: keep indicator values and observations up to that year (the report).
    ``kept_published``: a folder where disclosure control's results are kept by their inputs
    (:func:`governance.publication.controlled_tables`)."""
    allowed = tuple(level for level in SHARING_ORDER if level in set(allowed_sharing))
    registry: dict[str, Any] = {}
    registry_error = ""
    try:
        from indicators.registry import load_registry

        registry = load_registry()
    except Exception as exc:  # an invalid registry file must not take the site down
        registry_error = str(exc)

    sources_all = _read(con, "marts", "sources", "ORDER BY SOURCE_ID")
    if sources_all is None:
        sources_all = pd.DataFrame(columns=["SOURCE_ID", "SHARING", "SYNTHETIC"])
    sources = _filter_sharing(sources_all, allowed)
    areas = _read(con, "marts", "areas", "ORDER BY REF_AREA")
    if areas is None:
        areas = pd.DataFrame(
            columns=["REF_AREA", "NAME_ES", "NAME_EN", "NAME_PT", "AREA_KIND", "LAC_SUBREGION", "IS_LAC"]
        )
    lac_countries = areas[(areas["AREA_KIND"] == "country") & areas["IS_LAC"].astype(bool)].reset_index(drop=True)
    # the region's countries and aggregates, and the world for the indicators of area_scope world
    lac_codes = set(lac_countries["REF_AREA"]) | set(AGGREGATE_AREAS)

    files = _read(con, "marts", "files", "ORDER BY SOURCE_ID, ORIGINAL_NAME, FILE_ID")
    if files is None:
        files = pd.DataFrame(columns=["FILE_ID", "SOURCE_ID", "ORIGINAL_NAME", "SHA256", "SUPERSEDED_BY"])
    files = files[files["SOURCE_ID"].isin(set(sources["SOURCE_ID"]))]
    if "SUPERSEDED_BY" in files.columns:
        files = files[files["SUPERSEDED_BY"].isna()]
    files = files.reset_index(drop=True)

    published = _published(con, audience, registry, registry_error, kept_published)
    values = published.indicator_values if wh.table_exists(con, "marts", "indicator_values") else None
    if values is not None:
        values = _filter_sharing(
            _sorted(values, ["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]), allowed
        )
        values = values[values["REF_AREA"].isin(lac_codes)]
        if registry:
            values = values[values["INDICATOR"].isin(set(registry))]
        if max_year is not None:
            years = pd.to_numeric(values["TIME_PERIOD"].astype(str).str[:4], errors="coerce")
            values = values[years <= max_year]
        for column in ("SEX", "AGE", "DISAGGREGATION", "OBS_STATUS", "SOURCE_IDS", "UNIT_MEASURE"):
            if column in values.columns:
                values[column] = values[column].fillna("")
        if "SYNTHETIC" not in values.columns:
            synthetic = set(sources_all.loc[sources_all["SYNTHETIC"].astype(bool), "SOURCE_ID"])
            values["SYNTHETIC"] = values["SOURCE_IDS"].map(lambda ids: any(s in synthetic for s in str(ids).split(",")))
        values = values.reset_index(drop=True)

    progress = published.indicator_progress if wh.table_exists(con, "marts", "indicator_progress") else None
    if progress is not None:
        progress = _filter_sharing(
            _sorted(progress, ["INDICATOR", "REF_AREA", "LEVEL", "SEX", "AGE", "DISAGGREGATION"]), allowed
        )
        progress = progress[progress["REF_AREA"].isin(lac_codes)]
        if registry:
            progress = progress[progress["INDICATOR"].isin(set(registry))]
        for column in ("SEX", "AGE", "DISAGGREGATION", "NOTES", "CALCULATION"):
            if column in progress.columns:
                progress[column] = progress[column].fillna("")
        progress = progress.reset_index(drop=True)

    # Provenance: the observations behind the indicators (LAC only), with file and location.
    observations = pd.DataFrame()
    if wh.table_exists(con, "marts", "observations") and len(published.observations):
        observations = _sorted(
            published.observations[OBSERVATION_COLUMNS],
            ["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"],
        )
        observations = _filter_sharing(observations, allowed)
        if max_year is not None:
            observations = observations[observations["REF_YEAR"] <= max_year].reset_index(drop=True)

    quarantine = pd.DataFrame(columns=["SOURCE_ID", "RULE", "ROWS"])
    if wh.table_exists(con, "staging", "quarantine"):
        # Counts only: a quarantined row's values are never published.
        quarantine = con.execute("""
            SELECT SOURCE_ID, RULE, count(*) AS ROWS FROM staging.quarantine
            GROUP BY ALL ORDER BY SOURCE_ID, RULE
        """).df()
        quarantine = quarantine[quarantine["SOURCE_ID"].isin(set(sources["SOURCE_ID"]))].reset_index(drop=True)

    marts: dict[str, pd.DataFrame | None] = {}
    for name in OPTIONAL_MARTS:
        frame = _read(con, "marts", name)
        if frame is not None:
            frame = _filter_sharing(_with_sharing(frame, name, sources_all, "GREEN"), allowed)
            frame = _sort(frame)
        marts[name] = frame
    wg_marts: dict[str, pd.DataFrame] = {}
    for (table,) in con.execute("""SELECT table_name FROM information_schema.tables
                                   WHERE table_schema = 'marts' AND table_name LIKE 'wg\\_%' ESCAPE '\\'
                                   ORDER BY table_name""").fetchall():
        frame = _read(con, "marts", table)
        if frame is not None and table not in WG_EXCLUDED:
            wg_marts[table] = _sort(
                _filter_sharing(_with_sharing(frame, table, sources_all, WG_DEFAULT_SHARING), allowed)
            )

    codelists: dict[tuple[str, str], dict[str, str]] = {}
    if wh.table_exists(con, "marts", "wg_codelists"):
        for lst, code, es, en, pt in con.execute(
            "SELECT LIST, CODE, LABEL_ES, LABEL_EN, LABEL_PT FROM marts.wg_codelists ORDER BY 1, 2"
        ).fetchall():
            codelists[(str(lst), str(code))] = {"es": es, "en": en, "pt": pt}

    return SiteData(
        codelists=codelists,
        allowed_sharing=allowed,
        audience=audience,
        registry=registry,
        sources=sources,
        areas=areas,
        lac_countries=lac_countries,
        files=files,
        values=values,
        progress=progress,
        observations=observations,
        quarantine=quarantine,
        marts=marts,
        wg_marts=wg_marts,
        registry_error=registry_error,
        threshold=published.threshold,
    )
