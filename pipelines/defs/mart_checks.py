"""Blocking SQL checks on the central marts: the observations and the indicator values.

Cheap (one query each, in DuckDB): the key is unique, the columns every reader relies on are
never empty and, for observations, every current file's staged rows are all in the mart
(conservation). Blocking: a failure stops the run before the site and ``outputs/commit``,
so the live warehouse and outputs stay as they were.
"""

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from sources.catalogue import load_catalogue, observation_sources
from sources.validation.row_rules import MISSING_OBS_STATUSES
from warehouse.tables import OBSERVATION_KEY

OBSERVATIONS = dg.AssetKey(["marts", "observations"])
INDICATOR_VALUES = dg.AssetKey(["marts", "indicator_values"])

OBSERVATION_REQUIRED = [
    "SOURCE_ID",
    "MEASURE",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "SHARING",
    "FILE_ID",
    "FILE_SHA256",
]
INDICATOR_KEY = ["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
INDICATOR_REQUIRED = ["INDICATOR", "GOAL", "REF_AREA", "TIME_PERIOD", "OBS_VALUE", "SHARING"]

#: A value may be empty where the observation exists without a number: withheld by its
#: publisher (CONF_STATUS other than 'F', the text such as "<5" in OBS_TEXT) or missing with
#: an SDMX missing status; an indicator value built on such an input says so.
_MISSING = ", ".join(f"'{code}'" for code in sorted(MISSING_OBS_STATUSES))
EMPTY_ALLOWED = {
    "marts.observations": {"OBS_VALUE": f"CONF_STATUS <> 'F' OR OBS_STATUS IN ({_MISSING})"},
    "marts.indicator_values": {"OBS_VALUE": "OBS_TEXT IS NOT NULL OR coalesce(N_WITHHELD_AT_SOURCE, 0) > 0"},
}


def _duplicate_keys(con, table: str, key: list[str]) -> list[dict]:
    columns = ", ".join(key)
    rows = con.execute(f"""SELECT {columns}, count(*) AS N FROM {table} GROUP BY ALL HAVING count(*) > 1
                           ORDER BY N DESC LIMIT 5""").fetchall()
    return [dict(zip([*key, "rows"], map(str, row))) for row in rows]


def _empty_columns(con, table: str, columns: list[str]) -> dict[str, int]:
    allowed = EMPTY_ALLOWED.get(table, {})
    conditions = [f"{c} IS NULL" + (f" AND NOT ({allowed[c]})" if c in allowed else "") for c in columns]
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in conditions) + f" FROM {table}"
    ).fetchone()
    return {column: int(n) for column, n in zip(columns, counts) if n}


def _result(duplicates: list[dict], empty: dict[str, int], **extra) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not duplicates and not empty,
        metadata={
            "duplicate_keys": dg.MetadataValue.json(duplicates),
            "empty_values": dg.MetadataValue.json(empty),
            **extra,
        },
    )


@dg.asset_check(
    asset=OBSERVATIONS,
    name="key_unique_and_complete",
    blocking=True,
    description="One row per observation key ("
    + ", ".join(OBSERVATION_KEY)
    + "); no empty "
    + ", ".join(OBSERVATION_REQUIRED)
    + ".",
)
def observations_key_unique_and_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        return _result(
            _duplicate_keys(con, "marts.observations", OBSERVATION_KEY),
            _empty_columns(con, "marts.observations", OBSERVATION_REQUIRED),
        )


@dg.asset_check(
    asset=OBSERVATIONS,
    name="rows_conserved",
    blocking=True,
    description="Every current (not superseded) file of an observation source has exactly its "
    "staged rows (raw.parses.ROWS_STAGED) in the mart.",
)
def observations_rows_conserved(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    sources = list(observation_sources(load_catalogue()))
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            """
            WITH counted AS (SELECT FILE_ID, count(*) AS N FROM marts.observations GROUP BY 1)
            SELECT p.SOURCE_ID, p.FILE_ID, p.ROWS_STAGED, coalesce(c.N, 0)
            FROM raw.parses p LEFT JOIN counted c USING (FILE_ID)
            WHERE p.SUPERSEDED_BY IS NULL AND list_contains(?, p.SOURCE_ID) AND p.ROWS_STAGED <> coalesce(c.N, 0)
            ORDER BY 1, 2""",
            [sources],
        ).fetchall()
    failures = [{"source": s, "file": f, "staged": int(staged), "in_mart": int(n)} for s, f, staged, n in rows]
    return dg.AssetCheckResult(passed=not failures, metadata={"failures": dg.MetadataValue.json(failures)})


@dg.asset_check(
    asset=INDICATOR_VALUES,
    name="key_unique_and_complete",
    blocking=True,
    description="One value per indicator, area, period and disaggregation ("
    + ", ".join(INDICATOR_KEY)
    + "); no empty "
    + ", ".join(INDICATOR_REQUIRED)
    + ".",
)
def indicator_values_key_unique_and_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        return _result(
            _duplicate_keys(con, "marts.indicator_values", INDICATOR_KEY),
            _empty_columns(con, "marts.indicator_values", INDICATOR_REQUIRED),
        )
