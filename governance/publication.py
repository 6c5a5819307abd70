"""What each audience may see: sharing levels, approval and disclosure control.

Audiences (Traffic Light Protocol):

* ``public``: CLEAR only, approved data only, disclosure control applied;
* ``members``: CLEAR and GREEN, disclosure control applied;
* ``secretariat``: up to AMBER, exact values;
* RED never leaves the warehouse.

:func:`published_tables` returns the observations, indicator values and indicator
progress an audience's outputs are built from, each row with ``CONF_STATUS`` (F free,
C withheld small count, D withheld so that no C can be recovered). Withheld values are
NaN. Every table a site page, download, SDMX file or report shows comes from here.

Disclosure control covers every published relation between counts of a sensitive
measure (see :mod:`governance.disclosure`): within the observations, ``SEX=_T`` = F + M and
``AGE=_T`` = under 18 + 18 and over; within each indicator, a regional aggregate's
numerator (and denominator) = the sum over its reporting countries; and across tables, a
country's indicator numerator is the observation itself. The two problems are solved in
turn, each forcing what the other withheld, until neither withholds anything new.

Given a folder to keep results in (``kept``), the tables disclosure control gave for the same
inputs (observations, indicator values, registry, measures, areas, threshold) and the same code
and libraries are read from there instead of computed again (:func:`controlled_tables`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from governance.disclosure import FREE, additive_constraints, suppress
from sources.catalogue import MeasureEntry, SourceEntry
from warehouse import tables as wh

AUDIENCES: dict[str, tuple[str, ...]] = {
    "public": ("CLEAR",),
    "members": ("CLEAR", "GREEN"),
    "secretariat": ("CLEAR", "GREEN", "AMBER"),
}
DEFAULT_THRESHOLD = 4
#: The Secretariat's disclosure settings (``threshold``: counts 1..threshold are withheld).
DISCLOSURE_SETTINGS = Path(__file__).resolve().parent / "disclosure.yaml"

SEX_PARTS = {"_T": ["F", "M"]}
AGE_PARTS = {"_T": ["Y_LT18", "Y_GE18"]}
REGION_CODES = ("LAC", "LAC_CARIB", "LAC_CENTRAL", "LAC_SOUTH")


def disclosure_threshold(path: Path = DISCLOSURE_SETTINGS) -> int:
    """The configured threshold (``threshold:`` in ``governance/disclosure.yaml``; default 4)."""
    from sources.catalogue import CatalogueError, read_yaml

    if not path.is_file():
        return DEFAULT_THRESHOLD
    value = (read_yaml(path) or {}).get("threshold", DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogueError(
            path,
            "threshold",
            f"must be a whole number of at least 1 (counts from 1 to the threshold are withheld), got {value!r}",
        )
    return value


@dataclass
class Published:
    audience: str
    observations: pd.DataFrame
    indicator_values: pd.DataFrame
    indicator_progress: pd.DataFrame
    threshold: int = DEFAULT_THRESHOLD

    def withheld(self) -> int:
        return int((self.observations.CONF_STATUS != FREE).sum() + (self.indicator_values.CONF_STATUS != FREE).sum())


def _read(con: duckdb.DuckDBPyConnection, table: str, allowed: tuple[str, ...]) -> pd.DataFrame:
    if not wh.table_exists(con, *table.split(".")):
        return pd.DataFrame()
    marks = ", ".join("?" for _ in allowed)
    return con.execute(f"SELECT * FROM {table} WHERE SHARING IN ({marks})", list(allowed)).df()


def _approved_pairs(con: duckdb.DuckDBPyConnection, catalogue: Mapping[str, SourceEntry]) -> set[tuple[str, str]]:
    from governance.approvals import approval_status

    status = approval_status(con, dict(catalogue))
    return set(zip(status.SOURCE_ID[status.STATUS == "approved"], status.TIME_PERIOD[status.STATUS == "approved"]))


def _sensitive_sides(indicator, measures: Mapping[str, MeasureEntry]) -> dict[str, str]:
    """{"NUMERATOR": measure, "DENOMINATOR": measure} for the sides that count a sensitive measure."""
    sides = {}
    for column, spec in (("NUMERATOR", indicator.numerator), ("DENOMINATOR", indicator.denominator)):
        measure = getattr(spec, "measure", None)
        if measure and measures.get(measure) is not None and measures[measure].sensitive:
            sides[column] = measure
    return sides


def _region_hierarchy(areas: pd.DataFrame) -> dict[str, list[str]]:
    lac = areas[areas.IS_LAC.astype(bool)]
    hierarchy = {"LAC": list(lac.REF_AREA)}
    for code in REGION_CODES[1:]:
        hierarchy[code] = list(lac.REF_AREA[lac.LAC_SUBREGION == code])
    return hierarchy


def _cell_key(measure: str, area: str, period: str) -> tuple[str, str, str]:
    return (measure, area, str(period))


#: SDMX CL_CONF_STATUS 'A': primary confidentiality due to small counts, set by the publisher
#: itself (UNODC's "<5"); such a value has no number anywhere in the observatory.
WITHHELD_AT_SOURCE = "A"


def withheld_at_source(frame: pd.DataFrame) -> pd.Series:
    """Rows withheld by their publisher: CONF_STATUS 'A' (observations) or, for indicator
    values, a country value whose inputs were withheld at source (``N_WITHHELD_AT_SOURCE``
    and no number)."""
    mask = pd.Series(False, index=frame.index)
    if "CONF_STATUS" in frame:
        mask |= frame["CONF_STATUS"].fillna(FREE) == WITHHELD_AT_SOURCE
    if "N_WITHHELD_AT_SOURCE" in frame and "OBS_VALUE" in frame:
        mask |= (frame["N_WITHHELD_AT_SOURCE"].fillna(0) > 0) & frame["OBS_VALUE"].isna()
    return mask


def apply_disclosure_control(
    observations: pd.DataFrame,
    indicator_values: pd.DataFrame,
    *,
    registry: Mapping,
    measures: Mapping[str, MeasureEntry],
    areas: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Withhold small counts of sensitive measures and whatever would reveal them."""
    obs = observations.copy()
    ind = indicator_values.copy()
    at_source_obs, at_source_ind = withheld_at_source(obs), withheld_at_source(ind)
    obs["CONF_STATUS"] = FREE
    ind["CONF_STATUS"] = FREE
    if obs.empty and ind.empty:
        return obs, ind
    sensitive_measures = {code for code, m in measures.items() if m.sensitive}
    obs_sensitive = obs.MEASURE.isin(sensitive_measures) if not obs.empty else pd.Series(dtype=bool)
    hierarchy = _region_hierarchy(areas)
    sides_by_indicator = {i: _sensitive_sides(ind_def, measures) for i, ind_def in registry.items()}
    forced_cells: set[tuple[str, str, str]] = set()
    # The additive constraints depend on the rows only, not on what is withheld: made once.
    obs_part = obs[obs_sensitive].copy() if not obs.empty and obs_sensitive.any() else None
    if obs_part is not None:
        obs_constraints = additive_constraints(
            obs_part,
            dimension="SEX",
            hierarchy=SEX_PARTS,
            by=["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "AGE", "DISAGGREGATION"],
        ) + additive_constraints(
            obs_part,
            dimension="AGE",
            hierarchy=AGE_PARTS,
            by=["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "SEX", "DISAGGREGATION"],
        )
    ind_constraints: dict[str, list] = {}

    for _ in range(10):  # fixpoint: each round can only withhold more
        before = len(forced_cells)
        if obs_part is not None:
            part, constraints = obs_part, obs_constraints
            forced = pd.Series(
                [_cell_key(m, a, p) in forced_cells for m, a, p in zip(part.MEASURE, part.REF_AREA, part.TIME_PERIOD)],
                index=part.index,
            )
            done = suppress(
                part,
                value="OBS_VALUE",
                sensitive=pd.Series(True, index=part.index),
                constraints=constraints,
                threshold=threshold,
                forced=forced,
            )
            obs.loc[done.index, "CONF_STATUS"] = done.CONF_STATUS
            hidden = done[done.CONF_STATUS != FREE]
            forced_cells |= {_cell_key(m, a, p) for m, a, p in zip(hidden.MEASURE, hidden.REF_AREA, hidden.TIME_PERIOD)}
        for indicator_id, sides in sides_by_indicator.items():
            if not sides or ind.empty:
                continue
            part = ind[ind.INDICATOR == indicator_id]
            if part.empty:
                continue
            if indicator_id not in ind_constraints:
                ind_constraints[indicator_id] = additive_constraints(
                    part, dimension="REF_AREA", hierarchy=hierarchy, by=["TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
                )
            constraints = ind_constraints[indicator_id]
            for column, measure in sides.items():
                forced = pd.Series(
                    [
                        _cell_key(measure, a, p) in forced_cells or s != FREE
                        for a, p, s in zip(part.REF_AREA, part.TIME_PERIOD, ind.loc[part.index, "CONF_STATUS"])
                    ],
                    index=part.index,
                )
                done = suppress(
                    part,
                    value=column,
                    sensitive=pd.Series(True, index=part.index),
                    constraints=constraints,
                    threshold=threshold,
                    forced=forced,
                )
                ind.loc[done.index, "CONF_STATUS"] = np.where(
                    ind.loc[done.index, "CONF_STATUS"] != FREE, ind.loc[done.index, "CONF_STATUS"], done.CONF_STATUS
                )
                hidden = done[done.CONF_STATUS != FREE]
                for other_measure in sides.values():
                    forced_cells |= {
                        _cell_key(other_measure, a, p) for a, p in zip(hidden.REF_AREA, hidden.TIME_PERIOD)
                    }
        # the same count published by another indicator on the same measure
        for indicator_id, sides in sides_by_indicator.items():
            if not sides or ind.empty:
                continue
            rows = ind.INDICATOR == indicator_id
            hit = [
                any(_cell_key(m, a, p) in forced_cells for m in sides.values())
                for a, p in zip(ind.REF_AREA[rows], ind.TIME_PERIOD[rows])
            ]
            newly = ind.index[rows][np.array(hit, dtype=bool) & (ind.CONF_STATUS[rows] == FREE).to_numpy()]
            ind.loc[newly, "CONF_STATUS"] = "D"
        if len(forced_cells) == before:
            break

    obs.loc[obs.CONF_STATUS != FREE, "OBS_VALUE"] = np.nan
    # SCHEMA decision: a value the publisher withheld ('A', e.g. "<5") keeps its code as it is
    obs.loc[at_source_obs, "CONF_STATUS"] = WITHHELD_AT_SOURCE
    ind.loc[at_source_ind, "CONF_STATUS"] = WITHHELD_AT_SOURCE
    hidden = ind.CONF_STATUS != FREE
    for column in ("OBS_VALUE", "NUMERATOR", "DENOMINATOR"):
        if column in ind:
            ind.loc[hidden, column] = np.nan
    return obs, ind


def _protect_progress(progress: pd.DataFrame, indicator_values: pd.DataFrame) -> pd.DataFrame:
    """A series with any withheld value publishes its status only, not the figures behind it."""
    progress = progress.copy()
    if progress.empty or indicator_values.empty:
        return progress
    withheld = indicator_values[indicator_values.CONF_STATUS != FREE]
    keys = set(zip(withheld.INDICATOR, withheld.REF_AREA))
    mask = pd.Series([(i, a) in keys for i, a in zip(progress.INDICATOR, progress.REF_AREA)], index=progress.index)
    for column in ("BASE_VALUE", "CURRENT_VALUE", "PROGRESS_VALUE", "SCORE"):
        if column in progress:
            progress.loc[mask, column] = np.nan
    progress["CONF_STATUS"] = np.where(mask, "D", FREE)
    return progress


#: Disclosure-control results kept: the two controlled audiences, for the current and the
#: previous data, and the reports' editions cut at their year.
KEPT_CONTROLLED = 8
#: What disclosure control is made by besides its inputs: the code of these folders.
CONTROL_CODE = ("governance", "indicators", "sources", "warehouse")
_CONTROLLED_FILES = ("observations.parquet", "indicator_values.parquet")


def controlled_tables(
    obs: pd.DataFrame,
    ind: pd.DataFrame,
    *,
    registry: Mapping,
    measures: Mapping[str, MeasureEntry],
    areas: pd.DataFrame,
    threshold: int,
    kept: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`apply_disclosure_control`; with a folder ``kept``, its result for the same inputs,
    code and libraries is read from there when kept before (:mod:`warehouse.kept_files`, Parquet
    files), and a new result is kept there when its files read back exactly (same cells, types
    and missing values, by :func:`warehouse.kept_files.value_digest`)."""
    from warehouse import kept_files

    key = (
        kept_files.value_key(kept_files.code_fingerprint(CONTROL_CODE), obs, ind, registry, measures, areas, threshold)
        if kept is not None
        else None
    )
    files = kept_files.lookup(kept, key) if key else None
    if files is not None and set(_CONTROLLED_FILES) <= set(files):
        try:
            obs_kept, ind_kept = (pd.read_parquet(io.BytesIO(files[name])) for name in _CONTROLLED_FILES)
            return obs_kept, ind_kept
        except (OSError, ValueError):  # unreadable: computed again below
            pass
    obs, ind = apply_disclosure_control(
        obs, ind, registry=registry, measures=measures, areas=areas, threshold=threshold
    )
    if key:
        payloads = [_parquet_exactly(frame) for frame in (obs, ind)]
        if all(payload is not None for payload in payloads):
            kept_files.store(kept, key, dict(zip(_CONTROLLED_FILES, payloads)), keep=KEPT_CONTROLLED)
    return obs, ind


def _parquet_exactly(frame: pd.DataFrame) -> bytes | None:
    """``frame`` as Parquet bytes when they read back as the same frame (by digest); else None."""
    from warehouse import kept_files

    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer)
        back = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    except (ValueError, TypeError, ImportError):
        return None
    digest = kept_files.value_key("", frame)
    return buffer.getvalue() if digest is not None and digest == kept_files.value_key("", back) else None


def published_tables(
    con: duckdb.DuckDBPyConnection,
    audience: str,
    *,
    catalogue: Mapping[str, SourceEntry],
    registry: Mapping,
    measures: Mapping[str, MeasureEntry],
    threshold: int | None = None,
    kept: Path | None = None,
) -> Published:
    """The audience's tables; ``threshold`` defaults to :func:`disclosure_threshold`; ``kept``:
    a folder of kept disclosure-control results (:func:`controlled_tables`)."""
    threshold = disclosure_threshold() if threshold is None else threshold
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience '{audience}' (one of {', '.join(AUDIENCES)})")
    allowed = AUDIENCES[audience]
    obs = _read(con, "marts.observations", allowed)
    ind = _read(con, "marts.indicator_values", allowed)
    prog = _read(con, "marts.indicator_progress", allowed)
    if audience == "public":
        approved = _approved_pairs(con, catalogue)
        if not obs.empty:
            obs = obs[[(s, p) in approved for s, p in zip(obs.SOURCE_ID, obs.TIME_PERIOD)]]
        if not ind.empty:
            keep = [
                all((s, p) in approved for s in str(ids).split(",") if s)
                for ids, p in zip(ind.SOURCE_IDS, ind.TIME_PERIOD)
            ]
            ind = ind[keep]
    if audience == "secretariat":  # exact values; what the publisher withheld stays withheld ('A')
        obs = obs.assign(CONF_STATUS=np.where(withheld_at_source(obs), WITHHELD_AT_SOURCE, FREE))
        ind = ind.assign(CONF_STATUS=np.where(withheld_at_source(ind), WITHHELD_AT_SOURCE, FREE))
        prog = prog.assign(CONF_STATUS=FREE)
    else:
        areas = con.execute("SELECT REF_AREA, IS_LAC, LAC_SUBREGION FROM marts.areas").df()
        obs, ind = controlled_tables(
            obs.reset_index(drop=True),
            ind.reset_index(drop=True),
            registry=registry,
            measures=measures,
            areas=areas,
            threshold=threshold,
            kept=kept,
        )
        prog = _protect_progress(prog, ind)
    return Published(
        audience, obs.reset_index(drop=True), ind.reset_index(drop=True), prog.reset_index(drop=True), threshold
    )
