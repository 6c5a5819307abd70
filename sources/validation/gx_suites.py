"""Great Expectations suites: the independent second line of validation per staged dataset.

One expectation suite per observation source (every catalogue entry whose format feeds the
observations mart, so a new source gets one automatically), **built from data**:

* the staging schema (:data:`warehouse.tables.STAGED_COLUMNS`) and the observation key;
* ``rules.yaml`` settings (earliest year) and today's year;
* the catalogue entry (its measures) and the measures code list ``measures.yaml`` (each
  measure's kind, giving the value ranges, and unit);
* the areas mart (``marts.areas``: every known REF_AREA code);
* ``relations.yaml`` (breakdowns never above their total, orderings such as
  INVESTIGATIONS_OPENED >= PROSECUTIONS >= CONVICTIONS);
* ``raw.parses`` (which files are current, and how many rows they staged).

The suite runs on the **current** rows of ``staging.<source_id>`` (rows of files that
were not superseded), with a few derived columns (the measure's kind and unit, the
fractional part of the value, the matching total of a breakdown, the bound an ordering
sets) so that every rule is a plain GX expectation.

The specs (:func:`suite_specs`) are plain dicts, testable without importing GX. GX itself
(``import great_expectations`` costs seconds) is imported lazily in :func:`run_suite`,
with an ephemeral, in-memory context, analytics and progress bars off: nothing is written
to disk.

A suite's result is a function of the rows, the specs, this code and the libraries: given a
folder to keep results in, :func:`validate_source` keys the result by the SHA-256 of all of
them (:mod:`warehouse.kept_files`) and, when a source's current rows and suite are unchanged
since a run that kept its result, gives that result again (``reused``) without running GX or
importing it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sources.catalogue import MeasureEntry, SourceEntry, load_measures
from sources.validation.relations import DIMS, Relations, load_relations
from sources.validation.row_rules import Rules, load_rules

CHECK_NAME = "gx_suite"
LOC_COLUMNS = ["FILE_ID", "LOC_PAGE", "LOC_LINE", "LOC_SHEET", "LOC_ROW"]
DERIVED_COLUMNS = [
    "MEASURE_KIND",
    "EXPECTED_UNIT",
    "VALUE_FRACTION",
    "HAS_LOCATION",
    "TOTAL_SEX",
    "TOTAL_AGE",
    "TOTAL_DISAGGREGATION",
    "ORDER_BOUND",
    "VALUE_EXPECTED",
]
SEX_CODES = ["", "_T", "F", "M", "_U", "_X", "_O"]  # _O other (SDMX CL_SEX; UNODC GLOTIP "Other")
OBS_STATUS_CODES = ["A", "B", "D", "E", "F", "G", "I", "K", "L", "M", "N", "O", "P", "Q", "S", "U", "V"]
PERIOD_REGEX = r"^\d{4}(-S[12]|-Q[1-4]|-(0[1-9]|1[0-2])|/\d{4}|/P\d+Y)?$"
AGE_REGEX = r"^(|_T|_U|_X|Y\d+T\d+|Y_LT\d+|Y_LE\d+|Y_GE\d+|M\d+T\d+|M_LT\d+)$"
DISAGGREGATION_REGEX = r"^$|^[^=|]+=[^|]+(\|[^=|]+=[^|]+)*$"


@dataclass
class SuiteResult:
    """What a suite run found: ``failures`` has one entry per failed expectation."""

    source_id: str
    success: bool
    evaluated: int
    rows: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    reused: bool = False  # the kept result of the same rows and suite (see validate_source)

    @property
    def failed_rows(self) -> int:
        return sum(f["unexpected_count"] for f in self.failures)


# --------------------------------------------------------------------------- the data


def current_rows(con, source_id: str) -> pd.DataFrame:
    """The staged rows of the source's current files (not superseded)."""
    from warehouse.tables import STAGED_COLUMNS, staging_table, table_exists

    if not table_exists(con, "staging", source_id):
        return pd.DataFrame(columns=list(STAGED_COLUMNS))
    return con.execute(f"""
        SELECT s.* FROM {staging_table(source_id)} s
        JOIN raw.parses p ON p.FILE_ID = s.FILE_ID AND p.SUPERSEDED_BY IS NULL
    """).df()


def derive_columns(
    frame: pd.DataFrame,
    entry: SourceEntry,
    *,
    measures: dict[str, MeasureEntry] | None = None,
    relations: Relations | None = None,
) -> pd.DataFrame:
    """Add :data:`DERIVED_COLUMNS` to a frame of staged rows (a copy)."""
    measures = measures or load_measures()
    relations = relations or load_relations()
    out = frame.copy()
    for col in ("LOC_PAGE", "LOC_LINE", "LOC_ROW"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["OBS_VALUE"] = pd.to_numeric(out["OBS_VALUE"], errors="coerce").astype("float64")
    kinds = {code: m.kind for code, m in measures.items()}
    units = {code: m.unit for code, m in measures.items()}
    out["MEASURE_KIND"] = out["MEASURE"].map(kinds).fillna("")
    expected_unit = out["MEASURE"].map(units).fillna("")
    out["EXPECTED_UNIT"] = expected_unit.where(expected_unit != "", out["UNIT_MEASURE"])
    out["VALUE_FRACTION"] = (out["OBS_VALUE"] - out["OBS_VALUE"].round()).abs()
    out["HAS_LOCATION"] = out["LOC_PAGE"].notna() | out["LOC_ROW"].notna()
    # SCHEMA decision: a value withheld at source or missing with a status has no number
    from sources.validation.row_rules import MISSING_OBS_STATUSES

    conf = out["CONF_STATUS"].fillna("F") if "CONF_STATUS" in out else pd.Series("F", index=out.index)
    without_number = (conf != "F") | out["OBS_STATUS"].isin(MISSING_OBS_STATUSES)
    out["VALUE_EXPECTED"] = np.where(without_number, "no", "yes") if len(out) else pd.Series(dtype=str)
    base = ["MEASURE", "REF_AREA", "TIME_PERIOD"]
    counted = out["MEASURE_KIND"].isin(relations.breakdown_kinds)
    for dim in DIMS:
        column = "TOTAL_DISAGGREGATION" if dim == "DISAGGREGATION" else f"TOTAL_{dim}"
        out[column] = float("nan")
        total_code = relations.breakdown_dims.get(dim)
        if total_code is None or out.empty:
            continue
        on = base + [d for d in DIMS if d != dim]
        totals = out.loc[counted & (out[dim] == total_code), on + ["OBS_VALUE"]].drop_duplicates(on)
        is_part = counted & (out[dim] != total_code) & (out[dim] != "")
        if totals.empty or not is_part.any():
            continue
        matched = out.loc[is_part, on].merge(totals, on=on, how="left")["OBS_VALUE"].to_numpy()
        out.loc[is_part, column] = matched
    out["ORDER_BOUND"] = float("nan")
    for ordering in relations.orderings:
        chain = [m for m in ordering["measures"] if m in entry.measures]
        for j, smaller in enumerate(chain[1:], start=1):
            is_small = out["MEASURE"] == smaller
            if not is_small.any():
                continue
            keys = ["REF_AREA", "TIME_PERIOD"] + DIMS
            larger = out[out["MEASURE"].isin(chain[:j])].groupby(keys, as_index=False)["OBS_VALUE"].min()
            if larger.empty:
                continue
            bound = out.loc[is_small, keys].merge(larger, on=keys, how="left")["OBS_VALUE"].to_numpy(dtype=float)
            current = out.loc[is_small, "ORDER_BOUND"].to_numpy(dtype=float)
            out.loc[is_small, "ORDER_BOUND"] = np.fmin(bound, current)  # the smallest bound, NaN = none
    return out


# --------------------------------------------------------------------------- the suite


def suite_specs(
    entry: SourceEntry,
    *,
    area_codes: list[str],
    current_files: list[str] | None = None,
    rows_staged: int | None = None,
    measures: dict[str, MeasureEntry] | None = None,
    rules: Rules | None = None,
    relations: Relations | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The expectations for one source, as data: ``{"expectation", "kwargs", "rule", "description"}``.

    ``kwargs`` are the GX expectation's arguments, except ``where`` (``{column: [values]}``),
    which becomes a GX row condition: the expectation applies to those rows only.
    """
    from warehouse.tables import OBSERVATION_KEY, STAGED_COLUMNS

    measures = measures or load_measures()
    rules = rules or load_rules()
    relations = relations or load_relations()
    this_year = (today or dt.date.today()).year
    kinds = {measures[m].kind for m in entry.measures if m in measures}

    def spec(expectation: str, rule: str, description: str, **kwargs: Any) -> dict[str, Any]:
        return {"expectation": expectation, "kwargs": kwargs, "rule": rule, "description": description}

    specs = [
        spec(
            "ExpectTableColumnsToMatchSet",
            "schema",
            "the staging table has exactly the staging columns",
            column_set=list(STAGED_COLUMNS) + DERIVED_COLUMNS,
            exact_match=True,
        ),
    ]
    for column in ("SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "REF_YEAR", "UNIT_MEASURE", "FILE_ID"):
        specs.append(
            spec(
                "ExpectColumnValuesToNotBeNull",
                "not_null",
                f"{column} is never missing (the observatory never imputes)",
                column=column,
            )
        )
    specs.append(
        spec(
            "ExpectColumnValuesToNotBeNull",
            "value_missing",
            "OBS_VALUE is never missing unless withheld at source or marked missing (never imputed)",
            column="OBS_VALUE",
            where={"VALUE_EXPECTED": ["yes"]},
        )
    )
    specs += [
        spec(
            "ExpectColumnValuesToBeInSet",
            "source_id",
            "every row belongs to this source",
            column="SOURCE_ID",
            value_set=[entry.id],
        ),
        spec(
            "ExpectColumnValuesToBeInSet",
            "measure_unknown",
            "MEASURE is one the catalogue entry declares (and the code list knows)",
            column="MEASURE",
            value_set=sorted(m for m in entry.measures if m in measures),
        ),
        spec(
            "ExpectColumnValuesToBeInSet",
            "area_unresolved",
            "REF_AREA is a code of the areas mart",
            column="REF_AREA",
            value_set=sorted(area_codes),
        ),
        spec(
            "ExpectColumnValuesToBeBetween",
            "period_out_of_range",
            f"REF_YEAR between {rules.settings['earliest_year']} and {this_year}",
            column="REF_YEAR",
            min_value=int(rules.settings["earliest_year"]),
            max_value=this_year,
        ),
        spec(
            "ExpectColumnValuesToMatchRegex",
            "period_invalid",
            "TIME_PERIOD is in canonical form",
            column="TIME_PERIOD",
            regex=PERIOD_REGEX,
        ),
        spec(
            "ExpectColumnPairValuesToBeEqual",
            "unit_mismatch",
            "UNIT_MEASURE is the measure's unit",
            column_A="UNIT_MEASURE",
            column_B="EXPECTED_UNIT",
        ),
        spec("ExpectColumnValuesToBeInSet", "code_list", "SEX is an SDMX sex code", column="SEX", value_set=SEX_CODES),
        spec(
            "ExpectColumnValuesToMatchRegex",
            "code_list",
            "AGE is an SDMX-style age code",
            column="AGE",
            regex=AGE_REGEX,
        ),
        spec(
            "ExpectColumnValuesToMatchRegex",
            "code_list",
            "DISAGGREGATION is Key=Value|Key=Value",
            column="DISAGGREGATION",
            regex=DISAGGREGATION_REGEX,
        ),
        spec(
            "ExpectColumnValuesToBeInSet",
            "code_list",
            "OBS_STATUS is an SDMX observation status",
            column="OBS_STATUS",
            value_set=OBS_STATUS_CODES,
        ),
        spec(
            "ExpectColumnValuesToBeInSet",
            "provenance",
            "every row has a location in its file",
            column="HAS_LOCATION",
            value_set=[True],
        ),
        spec(
            "ExpectCompoundColumnsToBeUnique",
            "duplicate_key",
            "one row per observation key",
            column_list=list(OBSERVATION_KEY),
        ),
    ]
    if current_files is not None:
        specs.append(
            spec(
                "ExpectColumnValuesToBeInSet",
                "provenance",
                "FILE_ID is a current file of this source",
                column="FILE_ID",
                value_set=sorted(current_files),
            )
        )
    if rows_staged is not None:
        specs.append(
            spec(
                "ExpectTableRowCountToEqual",
                "rows_conserved",
                "as many rows as raw.parses says the current files staged",
                value=int(rows_staged),
            )
        )
    if "count" in kinds:
        specs += [
            spec(
                "ExpectColumnValuesToBeBetween",
                "count_negative",
                "counts are not negative",
                column="OBS_VALUE",
                min_value=0,
                where={"MEASURE_KIND": ["count"]},
            ),
            spec(
                "ExpectColumnValuesToBeBetween",
                "count_not_whole",
                "counts are whole numbers",
                column="VALUE_FRACTION",
                min_value=0,
                max_value=1e-9,
                where={"MEASURE_KIND": ["count"]},
            ),
        ]
    if "percent" in kinds:
        specs.append(
            spec(
                "ExpectColumnValuesToBeBetween",
                "percent_out_of_range",
                "percentages lie in 0-100",
                column="OBS_VALUE",
                min_value=0,
                max_value=100,
                where={"MEASURE_KIND": ["percent"]},
            )
        )
    if kinds & {"rate", "duration"}:
        specs.append(
            spec(
                "ExpectColumnValuesToBeBetween",
                "rate_negative",
                "rates and durations are not negative",
                column="OBS_VALUE",
                min_value=0,
                where={"MEASURE_KIND": ["rate", "duration"]},
            )
        )
    if kinds & relations.breakdown_kinds:
        for dim in relations.breakdown_dims:
            column = "TOTAL_DISAGGREGATION" if dim == "DISAGGREGATION" else f"TOTAL_{dim}"
            specs.append(
                spec(
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    "breakdown_exceeds_total",
                    f"a {dim} breakdown does not exceed its total",
                    column_A=column,
                    column_B="OBS_VALUE",
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                )
            )
    if any(len([m for m in o["measures"] if m in entry.measures]) > 1 for o in relations.orderings):
        specs.append(
            spec(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "relation_order",
                "no measure exceeds one before it in its ordering (relations.yaml)",
                column_A="ORDER_BOUND",
                column_B="OBS_VALUE",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    return specs


def _quiet_gx():
    """Import GX with analytics, progress bars and chatty loggers off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    for name in ("great_expectations", "great_expectations.core", "great_expectations.expectations"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return gx


def _ephemeral_context(gx):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@lru_cache(maxsize=1)
def _shared_context():
    """One ephemeral GX context per process: creating one costs more than most suites."""
    return _ephemeral_context(_quiet_gx())


@lru_cache(maxsize=None)
def _batch_definition(source_id: str):
    """The whole-dataframe batch definition of a source in the shared context (made once)."""
    data_source = _shared_context().data_sources.add_pandas(name=f"staging_{source_id}")
    asset = data_source.add_dataframe_asset(name=source_id)
    return asset.add_batch_definition_whole_dataframe("current_rows")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def run_suite(frame: pd.DataFrame, specs: list[dict[str, Any]], *, source_id: str, examples: int = 5) -> SuiteResult:
    """Validate a frame (staged rows plus :data:`DERIVED_COLUMNS`) against the specs with GX.

    Two passes over the same batch and suite, so that a suite that passes (the usual case) costs
    about two thirds of one that reports: first GX's ``BOOLEAN_ONLY`` result format, which
    computes whether each expectation holds and nothing else; only when one does not, again with
    ``SUMMARY`` for the counts and example rows (their location columns) of the failures."""
    import time

    started = time.monotonic()
    frame = frame.copy()  # one block per dtype: GX copies and filters it per metric, twice as fast
    gx = _quiet_gx()
    batch_definition = _batch_definition(source_id)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    from great_expectations.expectations.row_conditions import Column

    expectations = []
    for item in specs:
        expectation_class = getattr(gx.expectations, item["expectation"])
        kwargs = dict(item["kwargs"])
        where = kwargs.pop("where", None)
        if where:  # {"column": [values]}: rows whose column is one of the values
            ((column, values),) = where.items()
            kwargs["row_condition"] = Column(column).is_in(list(values))
        expectations.append(
            expectation_class(**kwargs, meta={"rule": item["rule"], "description": item["description"]})
        )
    # given whole to the suite: add_expectation compares each new expectation with every one
    # before it (quadratic); the specs never repeat one (tests/test_quality_checks.py)
    suite = gx.ExpectationSuite(name=f"staging.{source_id}", expectations=expectations)
    result = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    if not result.success:
        index_columns = [c for c in LOC_COLUMNS if c in frame.columns]
        result = batch.validate(
            suite,
            result_format={
                "result_format": "SUMMARY",
                "partial_unexpected_count": examples,
                "unexpected_index_column_names": index_columns,
                "return_unexpected_index_query": False,
            },
        )
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        info = item.result or {}
        column = (
            config.kwargs.get("column")
            or config.kwargs.get("column_B")
            or ",".join(config.kwargs.get("column_list") or [])
        )
        found: list[Any] = []
        if info.get("partial_unexpected_index_list"):
            for entry in info["partial_unexpected_index_list"][:examples]:
                found.append({k: _plain(v) for k, v in entry.items() if _plain(v) not in (None, "")})
        elif info.get("partial_unexpected_list"):
            found = [_plain(v) for v in info["partial_unexpected_list"][:examples]]
        elif "observed_value" in info:
            found = [{"observed_value": _plain(info["observed_value"])}]
        exception = (item.exception_info or {}).get("exception_message") if hasattr(item, "exception_info") else None
        count = info.get("unexpected_count")
        failures.append(
            {
                "expectation": config.type,
                "rule": (config.meta or {}).get("rule", ""),
                "description": (config.meta or {}).get("description", ""),
                "column": column,
                "unexpected_count": int(count) if count is not None else (0 if exception is None else len(frame)),
                "examples": found,
                **({"error": exception} if exception else {}),
            }
        )
    return SuiteResult(
        source_id=source_id,
        success=bool(result.success),
        evaluated=len(result.results),
        rows=len(frame),
        failures=failures,
        seconds=time.monotonic() - started,
    )


def validate_source(con, entry: SourceEntry, *, today: dt.date | None = None, kept: Path | None = None) -> SuiteResult:
    """Build the source's suite from the warehouse open on ``con`` and run it on its current rows
    (``kept``: a folder of kept results, see the module's docstring)."""
    from warehouse.tables import table_exists

    rows = current_rows(con, entry.id)
    areas = (
        [r[0] for r in con.execute("SELECT REF_AREA FROM marts.areas").fetchall()]
        if table_exists(con, "marts", "areas")
        else sorted(set(rows["REF_AREA"]))
    )
    parses = con.execute(
        """SELECT FILE_ID, ROWS_STAGED FROM raw.parses
                            WHERE SOURCE_ID = ? AND SUPERSEDED_BY IS NULL""",
        [entry.id],
    ).fetchall()
    specs = suite_specs(
        entry,
        area_codes=areas,
        current_files=[p[0] for p in parses],
        rows_staged=sum(p[1] for p in parses),
        today=today,
    )
    frame = derive_columns(rows, entry)
    key = _result_key(frame, specs) if kept is not None else None
    if key is not None:
        reused = _kept_result(kept, key)
        if reused is not None:
            return reused
    result = run_suite(frame, specs, source_id=entry.id)
    if key is not None:
        _keep_result(kept, key, result)
    return result


#: Suite results kept: every source's current and previous rows, for three audiences' homes.
KEPT_RESULTS = 96
#: What a suite result is made by besides its rows and specs.
SUITE_CODE = ("sources/validation", "warehouse")


def _result_key(frame: pd.DataFrame, specs: list[dict[str, Any]]) -> str | None:
    from warehouse import kept_files

    return kept_files.value_key(kept_files.code_fingerprint(SUITE_CODE), specs, frame)


def _kept_result(folder: Path, key: str) -> SuiteResult | None:
    from warehouse import kept_files

    started = time.monotonic()
    files = kept_files.lookup(folder, key)
    if files is None or "result.json" not in files:
        return None
    result = SuiteResult(**json.loads(files["result.json"]))
    result.seconds, result.reused = time.monotonic() - started, True
    return result


def _keep_result(folder: Path, key: str, result: SuiteResult) -> None:
    """Keep ``result`` when it is plain JSON (reads back equal: no NumPy scalars, tuples, NaN)."""
    from warehouse import kept_files

    fields = asdict(result)
    try:
        text = json.dumps(fields, sort_keys=True)
    except (TypeError, ValueError):
        return
    if json.loads(text) != fields:
        return
    kept_files.store(folder, key, {"result.json": text.encode()}, keep=KEPT_RESULTS)


def validate_sources(
    con, entries: list[SourceEntry], *, today: dt.date | None = None, kept: Path | None = None
) -> list[SuiteResult]:
    """:func:`validate_source` for several sources in one process (one GX context for all)."""
    return [validate_source(con, entry, today=today, kept=kept) for entry in entries]
