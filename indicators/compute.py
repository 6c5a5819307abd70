"""Indicator computation in DuckDB, regional aggregation and progress assessment.

Reads ``marts.observations``, ``marts.population`` and ``marts.areas`` (and
``marts.sources`` for the defaults of SQL numerators) and writes two marts:

``marts.indicator_values``
    one row per indicator, area, period and disaggregation: ``OBS_VALUE``,
    ``NUMERATOR``, ``DENOMINATOR``, ``UNIT_MEASURE``, ``OBS_STATUS``, ``SHARING``,
    ``COVERAGE`` (aggregates only), ``SEX``, ``AGE``, ``DISAGGREGATION``,
    ``SOURCE_IDS``, plus ``REF_YEAR``, ``AREA_KIND`` (``country``, ``lac_aggregate``, or
    ``world`` for the one series of an ``area_scope: world`` indicator), ``N_COUNTRIES``
    (aggregates) and ``SYNTHETIC``;
``marts.indicator_progress``
    one row per indicator, area and series (``LEVEL = 'series'``) with the
    assessment of :func:`indicators.progress.assess`, and one row per indicator and
    area (``LEVEL = 'indicator'``) combining its series with
    :func:`indicators.progress.combine`.

Country values
--------------
Countries only (``AREA_KIND = 'country'``; the world ``M49_001`` only, for an indicator with
``area_scope: world``), per period: value = numerator /
denominator x factor, or numerator x factor without a denominator. The numerator
(and a measure denominator) is selected as the registry describes
(:mod:`indicators.registry`). Population denominators are joined on the country and
the period's reference year (``REF_YEAR``); measure and SQL denominators on the
country, the period and the indicator's declared disaggregations. A row without a
denominator, or with a zero denominator, is not published.

* ``OBS_STATUS`` is inherited from the inputs: ``E`` if any input is ``E`` or the
  denominator is a projection (the under-18 population after 2019), else ``P`` if
  any is ``P``, else another non-normal code if any, else ``A``.
* ``SHARING`` is the most restrictive TLP level of the input rows (population is
  CLEAR); a missing or unknown level counts as RED.
* ``SOURCE_IDS``: the catalogue sources of the input rows, comma-separated.
* ``SYNTHETIC``: true if any input row comes from a SYNTHETIC source.

Regional aggregates (LAC, LAC_CARIB, LAC_CENTRAL, LAC_SOUTH)
------------------------------------------------------------
Over the region's countries (``IS_LAC``; ``LAC_SUBREGION`` for the sub-regions)
that have a country value for the period:

* ``ratio_of_sums``: sum of numerators / sum of denominators x factor. Never an
  average of country ratios. Countries without a denominator have no country value
  and are therefore out of the aggregate and of its coverage;
* ``sum`` (indicators without a denominator, counts): sum of the values;
* ``weighted_mean``: mean of the country values weighted by the basis population
  (countries without a known basis population are left out);
* ``none``: no aggregate.

``COVERAGE`` = basis population of the contributing countries / basis population
of the region, for the period's year; the basis is the denominator for per-capita
indicators (total or under-18 population) and the indicator's ``aggregation.basis``
(default total population) otherwise. Only countries with a known basis population
count, in both terms; ``COVERAGE`` is NULL when the region's population for that year is
not known (the World Bank series ends in 2024; nothing is imputed). An aggregate whose coverage is below the indicator's
``aggregation.min_coverage`` is not published.

Progress
--------
Annual periods only (``TIME_PERIOD`` is a year). Each series (the headline and one
per category of a declared disaggregation) of each area is assessed with the
indicator's direction, base year, target, limit and method. The indicator level of
an area combines its headline series or, when it has none, all its series.

Verdict rules: a ``kind: context`` indicator gets the status ``context`` and no score in
every area; a regional aggregate whose coverage in the base or the latest year is below
``regional_min_coverage`` of ``indicators/verdict_rules.yaml`` gets
``insufficient_coverage`` and no score (its figures are still published).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import duckdb
import pandas as pd

from indicators import progress
from indicators.registry import (
    DIMENSIONS,
    POPULATION_DENOMINATORS,
    WORLD_AREA,
    Indicator,
    IndicatorError,
    MeasureSpec,
    SqlSpec,
)
from sources.catalogue import read_yaml

SHARING_LEVELS = ("CLEAR", "GREEN", "AMBER", "RED")

#: Regional aggregates: code -> condition on marts.areas (alias a) selecting member countries.
REGIONS: dict[str, str] = {
    "LAC": "a.IS_LAC",
    "LAC_CARIB": "a.IS_LAC AND a.LAC_SUBREGION = 'LAC_CARIB'",
    "LAC_CENTRAL": "a.IS_LAC AND a.LAC_SUBREGION = 'LAC_CENTRAL'",
    "LAC_SOUTH": "a.IS_LAC AND a.LAC_SUBREGION = 'LAC_SOUTH'",
}

#: Published columns of marts.indicator_values, in order.
VALUE_COLUMNS: list[str] = [
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
    "REF_YEAR",
    "AREA_KIND",
    "N_COUNTRIES",
    "SYNTHETIC",
    "N_WITHHELD_AT_SOURCE",
    "OBS_TEXT",
]

#: Published columns of marts.indicator_progress, in order.
PROGRESS_COLUMNS: list[str] = [
    "INDICATOR",
    "GOAL",
    "REF_AREA",
    "AREA_KIND",
    "LEVEL",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "HEADLINE",
    "BASE_YEAR",
    "CURRENT_YEAR",
    "BASE_VALUE",
    "CURRENT_VALUE",
    "TARGET",
    "TARGET_YEAR",
    "METHOD",
    "DIRECTION",
    "STATUS",
    "SCORE",
    "PROGRESS_VALUE",
    "CALCULATION",
    "NOTES",
    "N_SERIES",
    "N_SCORED",
    "COVERAGE",
    "SHARING",
    "SYNTHETIC",
]

_TOTAL_VALUES = {"SEX": ("", "_T"), "AGE": ("", "_T"), "DISAGGREGATION": ("",)}
_SUMMED_LABEL = {"SEX": "_T", "AGE": "_T", "DISAGGREGATION": ""}

_SHARING_RANK_SQL = "CASE {col} WHEN 'CLEAR' THEN 0 WHEN 'GREEN' THEN 1 WHEN 'AMBER' THEN 2 ELSE 3 END"
_STATUS_SQL = """CASE
    WHEN list_contains({l}, 'E') THEN 'E'
    WHEN list_contains({l}, 'P') THEN 'P'
    WHEN len(list_filter({l}, lambda s: s NOT IN ('A', ''))) > 0
        THEN list_sort(list_filter({l}, lambda s: s NOT IN ('A', '')))[1]
    WHEN list_contains({l}, 'A') THEN 'A'
    ELSE '' END"""


def _lit(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _in(values: list[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def _scope_sql(ind: Indicator, alias: str) -> str:
    """The areas an indicator's selection keeps: countries, or the world only (``area_scope``)."""
    if ind.area_scope == "world":
        return f"{alias}.REF_AREA = {_lit(WORLD_AREA)}"
    return f"{alias}.AREA_KIND = 'country'"


def _error(ind: Indicator, field: str, problem: str) -> IndicatorError:
    return IndicatorError(Path(f"{ind.id}.yaml"), field, problem)


# --------------------------------------------------------------------------- selections
def _measure_sql(spec: MeasureSpec, ind: Indicator) -> str:
    """Grouped rows of one measure: one row per area, period and kept disaggregation."""
    sources = [spec.source] if spec.source else list(ind.sources)
    where = [
        f"o.MEASURE = {_lit(spec.measure)}",
        f"o.SOURCE_ID IN {_in(sources)}",
        _scope_sql(ind, "o"),
    ]
    for column, wanted in spec.filter.items():
        where.append(f"o.{column} IN {_in(wanted)}" if isinstance(wanted, list) else f"o.{column} = {_lit(wanted)}")
    for dim in DIMENSIONS:
        if dim not in spec.filter and dim not in ind.disaggregations:
            where.append(f"o.{dim} IN {_in(list(_TOTAL_VALUES[dim]))}")
    dims = [f"{_lit(_SUMMED_LABEL[d])} AS {d}" if d in spec.sum_over else f"o.{d} AS {d}" for d in DIMENSIONS]
    parts = ("count(DISTINCT (" + ", ".join(f"o.{d}" for d in spec.sum_over) + "))") if spec.sum_over else "1"
    return f"""
        SELECT o.REF_AREA, o.TIME_PERIOD, o.REF_YEAR, {", ".join(dims)},
               -- SCHEMA decision: an input withheld at source ("<5") makes the sum unknown, never 0
               CASE WHEN count(*) FILTER (WHERE o.OBS_VALUE IS NULL) = 0 THEN sum(o.OBS_VALUE) END AS VALUE,
               count(*) FILTER (WHERE o.OBS_VALUE IS NULL) AS N_WITHHELD,
               string_agg(DISTINCT o.OBS_TEXT, ', ' ORDER BY o.OBS_TEXT) AS OBS_TEXT,
               max({_SHARING_RANK_SQL.format(col="o.SHARING")}) AS SHARING_RANK,
               list(DISTINCT o.OBS_STATUS) AS STATUSES,
               list(DISTINCT o.SOURCE_ID) AS SOURCES,
               bool_or(coalesce(o.SYNTHETIC, false)) AS SYNTHETIC,
               count(*) AS N_ROWS, {parts} AS N_PARTS
        FROM _ind_obs o
        WHERE {" AND ".join(where)}
        GROUP BY ALL
    """


def _declared_defaults(con: duckdb.DuckDBPyConnection, ind: Indicator) -> tuple[int, bool]:
    """(sharing rank, synthetic) of the indicator's declared sources, from marts.sources."""
    try:
        rows = con.execute(
            f"SELECT SHARING, SYNTHETIC FROM marts.sources WHERE SOURCE_ID IN {_in(list(ind.sources))}"
        ).fetchall()
    except duckdb.Error:
        rows = []
    if len(rows) < len(ind.sources):
        return SHARING_LEVELS.index("RED"), any(bool(s) for _, s in rows)
    ranks = [SHARING_LEVELS.index(level) if level in SHARING_LEVELS else 3 for level, _ in rows]
    return max(ranks), any(bool(s) for _, s in rows)


def _sql_spec_sql(con: duckdb.DuckDBPyConnection, spec: SqlSpec, ind: Indicator, role: str) -> str:
    query = spec.sql.strip().rstrip(";")
    try:
        described = con.execute(f"SELECT * FROM ({query}) AS q LIMIT 0").description
    except duckdb.Error as exc:
        raise _error(ind, f"{role}.sql", f"the query fails: {exc}") from None
    columns = {d[0].upper(): d[0] for d in described}
    missing = [c for c in ("REF_AREA", "REF_YEAR", "VALUE") if c not in columns]
    if missing:
        raise _error(
            ind,
            f"{role}.sql",
            f"the query must return the columns REF_AREA, REF_YEAR, VALUE (missing: {', '.join(missing)})",
        )

    def col(name: str, default: str) -> str:
        return f'q."{columns[name]}"' if name in columns else default

    rank, synthetic = _declared_defaults(con, ind)
    sharing = f"max({_SHARING_RANK_SQL.format(col=col('SHARING', 'NULL'))})" if "SHARING" in columns else str(rank)
    sources = (
        f"list(DISTINCT CAST({col('SOURCE_ID', 'NULL')} AS VARCHAR))"
        if "SOURCE_ID" in columns
        else "[" + ", ".join(_lit(s) for s in ind.sources) + "]"
    )
    time_period = f'coalesce(CAST({col("TIME_PERIOD", "NULL")} AS VARCHAR), CAST(CAST(q."{columns["REF_YEAR"]}" AS INTEGER) AS VARCHAR))'
    dims = [f"coalesce(CAST({col(d, 'NULL')} AS VARCHAR), '') AS {d}" for d in DIMENSIONS]
    # a query may say per row whether its input is SYNTHETIC (e.g. the bundled example quarterly reports of a
    # source that is not synthetic as a whole); the declared sources' flag still applies
    synthetic_sql = (
        f"(bool_or(coalesce(CAST({col('SYNTHETIC', 'NULL')} AS BOOLEAN), false)) OR {'true' if synthetic else 'false'})"
        if "SYNTHETIC" in columns
        else ("true" if synthetic else "false")
    )
    return f"""
        SELECT CAST(q."{columns["REF_AREA"]}" AS VARCHAR) AS REF_AREA, {time_period} AS TIME_PERIOD,
               CAST(q."{columns["REF_YEAR"]}" AS INTEGER) AS REF_YEAR, {", ".join(dims)},
               sum(CAST(q."{columns["VALUE"]}" AS DOUBLE)) AS VALUE,
               {sharing} AS SHARING_RANK,
               list(DISTINCT coalesce(CAST({col("OBS_STATUS", "NULL")} AS VARCHAR), 'A')) AS STATUSES,
               {sources} AS SOURCES,
               {synthetic_sql} AS SYNTHETIC,
               count(*) AS N_ROWS, 1 AS N_PARTS
        FROM ({query}) AS q JOIN marts.areas a ON a.REF_AREA = CAST(q."{columns["REF_AREA"]}" AS VARCHAR)
        WHERE {_scope_sql(ind, "a")} AND q."{columns["VALUE"]}" IS NOT NULL
        GROUP BY ALL
    """


def _materialise(
    con: duckdb.DuckDBPyConnection, ind: Indicator, spec: MeasureSpec | SqlSpec, role: str, table: str
) -> None:
    """Select the rows of a numerator or denominator into a temp table; refuse duplicates."""
    sql = _measure_sql(spec, ind) if isinstance(spec, MeasureSpec) else _sql_spec_sql(con, spec, ind, role)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS N_WITHHELD BIGINT DEFAULT 0")
    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS OBS_TEXT VARCHAR")
    dup = con.execute(f"""SELECT REF_AREA, TIME_PERIOD, SEX, AGE, DISAGGREGATION, N_ROWS, SOURCES FROM {table}
                          WHERE N_ROWS > N_PARTS ORDER BY ALL LIMIT 3""").fetchall()
    if dup:
        where = "; ".join(
            f"{a} {t} SEX={s!r} AGE={g!r} DISAGGREGATION={d!r}: {n} rows from {', '.join(src)}"
            for a, t, s, g, d, n, src in dup
        )
        raise _error(
            ind,
            f"{role}",
            f"selects several rows for one area, period and disaggregation ({where}); "
            "narrow the filter or name a single source",
        )
    if isinstance(spec, MeasureSpec) and spec.sum_over:
        expected = math.prod(len(spec.filter[c]) for c in spec.sum_over)
        con.execute(f"DELETE FROM {table} WHERE N_PARTS < {expected}")


# --------------------------------------------------------------------------- country values
def _country_rows(con: duckdb.DuckDBPyConnection, ind: Indicator) -> None:
    """Insert the indicator's country rows into the temp table _ind_country."""
    _materialise(con, ind, ind.numerator, "numerator", "_ind_num")
    den = ind.denominator
    key = f"{_lit(ind.id)} AS INDICATOR, n.REF_AREA, n.TIME_PERIOD, n.REF_YEAR, n.SEX, n.AGE, n.DISAGGREGATION"
    factor = repr(float(ind.factor))
    if den == "none":
        con.execute(f"""
            INSERT INTO _ind_country
            SELECT {key}, n.VALUE AS NUM, NULL AS DEN, n.VALUE * {factor} AS VALUE,
                   n.SHARING_RANK, n.STATUSES, n.SOURCES, n.SYNTHETIC, n.N_WITHHELD, n.OBS_TEXT
            FROM _ind_num n
        """)
        return
    if den in POPULATION_DENOMINATORS:
        column, projection = (
            ("POPULATION", "false")
            if den == "population_total"
            else ("POPULATION_U18", "coalesce(p.U18_PROJECTION, false)")
        )
        con.execute(f"""
            INSERT INTO _ind_country
            SELECT {key}, n.VALUE AS NUM, CAST(p.{column} AS DOUBLE) AS DEN,
                   n.VALUE / CAST(p.{column} AS DOUBLE) * {factor} AS VALUE,
                   n.SHARING_RANK,
                   CASE WHEN {projection} THEN list_append(n.STATUSES, 'E') ELSE n.STATUSES END,
                   n.SOURCES, n.SYNTHETIC, n.N_WITHHELD, n.OBS_TEXT
            FROM _ind_num n JOIN marts.population p ON p.REF_AREA = n.REF_AREA AND p.YEAR = n.REF_YEAR
            WHERE p.{column} IS NOT NULL AND p.{column} > 0
        """)
        return
    _materialise(con, ind, den, "denominator", "_ind_den")
    on = ["d.REF_AREA = n.REF_AREA", "d.TIME_PERIOD = n.TIME_PERIOD"]
    on += [f"d.{dim} = n.{dim}" for dim in ind.disaggregations]
    dup = con.execute(f"""SELECT n.REF_AREA, n.TIME_PERIOD, count(*) FROM _ind_num n JOIN _ind_den d ON {" AND ".join(on)}
                          GROUP BY n.REF_AREA, n.TIME_PERIOD, n.SEX, n.AGE, n.DISAGGREGATION
                          HAVING count(*) > 1 LIMIT 3""").fetchall()
    if dup:
        raise _error(
            ind,
            "denominator",
            "several denominator rows match one numerator row "
            f"({'; '.join(f'{a} {t}' for a, t, _ in dup)}); filter the denominator "
            "to its total or declare the same disaggregations",
        )
    con.execute(f"""
        INSERT INTO _ind_country
        SELECT {key}, n.VALUE AS NUM, d.VALUE AS DEN, n.VALUE / d.VALUE * {factor} AS VALUE,
               greatest(n.SHARING_RANK, d.SHARING_RANK),
               list_concat(n.STATUSES, d.STATUSES), list_concat(n.SOURCES, d.SOURCES),
               n.SYNTHETIC OR d.SYNTHETIC, n.N_WITHHELD + d.N_WITHHELD,
               CASE WHEN n.OBS_TEXT = d.OBS_TEXT THEN n.OBS_TEXT ELSE nullif(concat_ws(', ', n.OBS_TEXT, d.OBS_TEXT), '') END
        FROM _ind_num n JOIN _ind_den d ON {" AND ".join(on)}
        WHERE (d.VALUE IS NOT NULL AND d.VALUE != 0) OR d.N_WITHHELD > 0
    """)


_COUNTRY_DDL = """
    CREATE OR REPLACE TEMP TABLE _ind_country (
        INDICATOR VARCHAR, REF_AREA VARCHAR, TIME_PERIOD VARCHAR, REF_YEAR INTEGER,
        SEX VARCHAR, AGE VARCHAR, DISAGGREGATION VARCHAR,
        NUM DOUBLE, DEN DOUBLE, VALUE DOUBLE,
        SHARING_RANK INTEGER, STATUSES VARCHAR[], SOURCES VARCHAR[], SYNTHETIC BOOLEAN,
        N_WITHHELD BIGINT, OBS_TEXT VARCHAR
    )
"""


def _params_frame(registry: Mapping[str, Indicator]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "INDICATOR": ind.id,
                "GOAL": ind.goal,
                "UNIT_MEASURE": ind.unit,
                "METHOD": ind.aggregation_method,
                "FACTOR": float(ind.factor),
                "BASIS": ind.coverage_basis,
                "MIN_COVERAGE": float(ind.aggregation.min_coverage if ind.aggregation else 0.0),
            }
            for ind in registry.values()
        ],
        columns=["INDICATOR", "GOAL", "UNIT_MEASURE", "METHOD", "FACTOR", "BASIS", "MIN_COVERAGE"],
    ).astype({"GOAL": "int64", "FACTOR": "float64", "MIN_COVERAGE": "float64"})


def _values_sql() -> str:
    """Country rows and regional aggregates, with the published columns."""
    members = "\nUNION ALL\n".join(
        f"SELECT {_lit(code)} AS REGION, a.REF_AREA FROM marts.areas a WHERE a.AREA_KIND = 'country' AND {cond}"
        for code, cond in REGIONS.items()
    )
    sharing = "list_extract(" + "[" + ", ".join(_lit(s) for s in SHARING_LEVELS) + "], {r} + 1)"
    return f"""
    WITH members AS ({members}),
    basis AS (
        SELECT REF_AREA, YEAR, 'population_total' AS BASIS, CAST(POPULATION AS DOUBLE) AS POP
        FROM marts.population WHERE POPULATION IS NOT NULL AND POPULATION > 0
        UNION ALL
        SELECT REF_AREA, YEAR, 'population_under18', CAST(POPULATION_U18 AS DOUBLE)
        FROM marts.population WHERE POPULATION_U18 IS NOT NULL AND POPULATION_U18 > 0
    ),
    region_pop AS (
        SELECT m.REGION, b.YEAR, b.BASIS, sum(b.POP) AS POP
        FROM members m JOIN basis b ON b.REF_AREA = m.REF_AREA GROUP BY ALL
    ),
    contributing AS (
        SELECT c.*, m.REGION, p.METHOD, p.FACTOR, p.BASIS, p.MIN_COVERAGE, b.POP AS BASIS_POP
        FROM _ind_country c
        JOIN _ind_params p ON p.INDICATOR = c.INDICATOR
        JOIN members m ON m.REF_AREA = c.REF_AREA
        LEFT JOIN basis b ON b.REF_AREA = c.REF_AREA AND b.YEAR = c.REF_YEAR AND b.BASIS = p.BASIS
        WHERE p.METHOD != 'none' AND (p.METHOD != 'weighted_mean' OR b.POP IS NOT NULL)
          AND c.VALUE IS NOT NULL
    ),
    withheld AS (  -- countries whose input was withheld at source: counted, never summed
        SELECT c.INDICATOR, m.REGION AS REF_AREA, c.TIME_PERIOD, c.SEX, c.AGE, c.DISAGGREGATION,
               count(*) AS N_WITHHELD
        FROM _ind_country c JOIN members m ON m.REF_AREA = c.REF_AREA
        WHERE c.VALUE IS NULL AND c.N_WITHHELD > 0 GROUP BY ALL
    ),
    agg AS (
        SELECT INDICATOR, REGION AS REF_AREA, TIME_PERIOD, REF_YEAR, SEX, AGE, DISAGGREGATION,
               METHOD, FACTOR, BASIS, MIN_COVERAGE,
               sum(NUM) AS NUM, sum(DEN) AS DEN, sum(VALUE * BASIS_POP) AS WSUM, sum(BASIS_POP) AS COVERED,
               count(*) AS N_COUNTRIES, max(SHARING_RANK) AS SHARING_RANK,
               flatten(list(STATUSES)) AS STATUSES, flatten(list(SOURCES)) AS SOURCES,
               bool_or(SYNTHETIC) AS SYNTHETIC
        FROM contributing GROUP BY ALL
    ),
    aggregates AS (
        SELECT g.INDICATOR, g.REF_AREA, g.TIME_PERIOD, g.REF_YEAR, g.SEX, g.AGE, g.DISAGGREGATION,
               CASE g.METHOD WHEN 'ratio_of_sums' THEN g.NUM / g.DEN * g.FACTOR
                             WHEN 'sum' THEN g.NUM * g.FACTOR
                             WHEN 'weighted_mean' THEN g.WSUM / g.COVERED END AS VALUE,
               CASE WHEN g.METHOD = 'weighted_mean' THEN NULL ELSE g.NUM END AS NUM,
               CASE WHEN g.METHOD = 'ratio_of_sums' THEN g.DEN END AS DEN,
               coalesce(g.COVERED, 0) / r.POP AS COVERAGE,
               g.N_COUNTRIES, g.SHARING_RANK, g.STATUSES, g.SOURCES, g.SYNTHETIC, g.MIN_COVERAGE,
               coalesce(w.N_WITHHELD, 0) AS N_WITHHELD
        FROM agg g LEFT JOIN region_pop r ON r.REGION = g.REF_AREA AND r.YEAR = g.REF_YEAR AND r.BASIS = g.BASIS
        LEFT JOIN withheld w ON w.INDICATOR = g.INDICATOR AND w.REF_AREA = g.REF_AREA AND w.TIME_PERIOD = g.TIME_PERIOD
             AND w.SEX = g.SEX AND w.AGE = g.AGE AND w.DISAGGREGATION = g.DISAGGREGATION
        WHERE g.METHOD != 'ratio_of_sums' OR g.DEN != 0
    ),
    all_rows AS (
        SELECT INDICATOR, REF_AREA, CASE WHEN REF_AREA = {_lit(WORLD_AREA)} THEN 'world' ELSE 'country' END AS AREA_KIND,
               TIME_PERIOD, REF_YEAR, SEX, AGE, DISAGGREGATION,
               VALUE, NUM, DEN, CAST(NULL AS DOUBLE) AS COVERAGE, CAST(NULL AS BIGINT) AS N_COUNTRIES,
               SHARING_RANK, STATUSES, SOURCES, SYNTHETIC, N_WITHHELD, OBS_TEXT
        FROM _ind_country
        UNION ALL
        SELECT INDICATOR, REF_AREA, 'lac_aggregate', TIME_PERIOD, REF_YEAR, SEX, AGE, DISAGGREGATION,
               VALUE, NUM, DEN, COVERAGE, N_COUNTRIES, SHARING_RANK, STATUSES, SOURCES, SYNTHETIC,
               N_WITHHELD, CAST(NULL AS VARCHAR)
        FROM aggregates
        WHERE MIN_COVERAGE <= 0 OR coalesce(COVERAGE, 0) >= MIN_COVERAGE
    )
    SELECT x.INDICATOR, p.GOAL, x.REF_AREA, x.TIME_PERIOD, x.VALUE AS OBS_VALUE, x.NUM AS NUMERATOR,
           x.DEN AS DENOMINATOR, p.UNIT_MEASURE, {_STATUS_SQL.format(l="x.STATUSES")} AS OBS_STATUS,
           {sharing.format(r="x.SHARING_RANK")} AS SHARING, x.COVERAGE, x.SEX, x.AGE, x.DISAGGREGATION,
           array_to_string(list_sort(list_distinct(x.SOURCES)), ',') AS SOURCE_IDS, x.REF_YEAR,
           x.AREA_KIND, x.N_COUNTRIES, x.SYNTHETIC,
           CAST(coalesce(x.N_WITHHELD, 0) AS BIGINT) AS N_WITHHELD_AT_SOURCE,
           CASE WHEN x.VALUE IS NULL THEN x.OBS_TEXT END AS OBS_TEXT
    FROM all_rows x JOIN _ind_params p ON p.INDICATOR = x.INDICATOR
    -- a country value withheld at source is kept, without a number, with its published text
    WHERE (x.VALUE IS NOT NULL AND isfinite(x.VALUE)) OR (x.AREA_KIND = 'country' AND x.N_WITHHELD > 0)
    ORDER BY x.INDICATOR, x.AREA_KIND, x.REF_AREA, x.TIME_PERIOD, x.SEX, x.AGE, x.DISAGGREGATION
    """


def compute_indicator_values(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> pd.DataFrame:
    """The indicator values (country rows and regional aggregates) as a frame, without writing a mart."""
    _prepare(con, registry)
    try:
        return con.execute(_values_sql()).df()
    finally:
        _cleanup(con)


def _prepare(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> None:
    con.execute(_COUNTRY_DDL)
    # the country observations of the measures the registry reads, ordered by measure so
    # that each indicator's selection reads only its own row groups
    measures = sorted({m for ind in registry.values() for m in ind.measures()}) or [""]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ind_obs AS
        SELECT o.SOURCE_ID, o.MEASURE, o.REF_AREA, o.TIME_PERIOD, o.REF_YEAR, o.OBS_VALUE, o.OBS_TEXT, o.OBS_STATUS,
               o.SHARING, o.SEX, o.AGE, o.DISAGGREGATION, o.NATURE, o.UNIT_MEASURE, o.SYNTHETIC, a.AREA_KIND
        FROM marts.observations o JOIN marts.areas a ON a.REF_AREA = o.REF_AREA
        WHERE (a.AREA_KIND = 'country' OR a.REF_AREA = {_lit(WORLD_AREA)})
          AND (o.OBS_VALUE IS NOT NULL OR o.CONF_STATUS != 'F')
          AND o.MEASURE IN {_in(measures)}
        ORDER BY o.MEASURE, o.SOURCE_ID
    """)
    for ind in registry.values():
        _country_rows(con, ind)
    params = _params_frame(registry)
    con.register("_ind_params_frame", params)
    con.execute("""CREATE OR REPLACE TEMP TABLE _ind_params AS
                   SELECT CAST(INDICATOR AS VARCHAR) AS INDICATOR, CAST(GOAL AS INTEGER) AS GOAL,
                          CAST(UNIT_MEASURE AS VARCHAR) AS UNIT_MEASURE, CAST(METHOD AS VARCHAR) AS METHOD,
                          CAST(FACTOR AS DOUBLE) AS FACTOR, CAST(BASIS AS VARCHAR) AS BASIS,
                          CAST(MIN_COVERAGE AS DOUBLE) AS MIN_COVERAGE
                   FROM _ind_params_frame""")
    con.unregister("_ind_params_frame")


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("_ind_country", "_ind_params", "_ind_num", "_ind_den", "_ind_obs"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def build_indicator_values(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> int:
    """(Re)build ``marts.indicator_values`` in one statement; returns its row count."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    _prepare(con, registry)
    try:
        con.execute(f"CREATE OR REPLACE TABLE marts.indicator_values AS {_values_sql()}")
    finally:
        _cleanup(con)
    return con.execute("SELECT count(*) FROM marts.indicator_values").fetchone()[0]


def indicators_without_values(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> list[str]:
    """Registered indicators that have no row in ``marts.indicator_values``."""
    present = {r[0] for r in con.execute("SELECT DISTINCT INDICATOR FROM marts.indicator_values").fetchall()}
    return [ind_id for ind_id in registry if ind_id not in present]


# --------------------------------------------------------------------------- progress
def _is_headline(ind: Indicator, sex: str, age: str, disaggregation: str) -> bool:
    values = {"SEX": sex, "AGE": age, "DISAGGREGATION": disaggregation}
    return all(values[dim] in _TOTAL_VALUES[dim] for dim in ind.disaggregations)


def _most_restrictive(levels) -> str:
    ranks = [SHARING_LEVELS.index(s) if s in SHARING_LEVELS else 3 for s in levels]
    return SHARING_LEVELS[max(ranks)] if ranks else "CLEAR"


def _none_if_nan(value):
    if value is None:
        return None
    try:
        return None if (isinstance(value, float) and math.isnan(value)) else value
    except TypeError:
        return value


def compute_indicator_progress(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> pd.DataFrame:
    """Assess every series of ``marts.indicator_values`` and combine them per indicator and area."""
    records = con.execute("""
        SELECT INDICATOR, REF_AREA, AREA_KIND, SEX, AGE, DISAGGREGATION, REF_YEAR, OBS_VALUE, SHARING,
               COVERAGE, SYNTHETIC
        FROM marts.indicator_values
        WHERE regexp_full_match(TIME_PERIOD, '[0-9]{4}') AND OBS_VALUE IS NOT NULL
        ORDER BY INDICATOR, REF_AREA, SEX, AGE, DISAGGREGATION, REF_YEAR
    """).fetchall()
    rows: list[dict] = []
    for (ind_id, area), area_records in groupby(records, key=itemgetter(0, 1)):
        ind = registry.get(ind_id)
        if ind is None:
            continue
        rows.extend(_assess_area(ind, area, list(area_records)))
    out = pd.DataFrame(rows, columns=PROGRESS_COLUMNS)
    return out.astype(
        {"GOAL": "int64", "HEADLINE": "bool", "SYNTHETIC": "bool", "N_SERIES": "int64", "N_SCORED": "int64"}
    )


def _assess_area(ind: Indicator, area: str, records: list[tuple]) -> list[dict]:
    """Series rows and the indicator row of one indicator in one area."""
    target = ind.target.value if ind.target else None
    target_year = ind.target.year if ind.target else 2030
    area_kind = records[0][2]
    rows: list[dict] = []
    results = []
    for (sex, age, dis), series in groupby(records, key=itemgetter(3, 4, 5)):
        series = list(series)
        obs = {int(r[6]): float(r[7]) for r in series}
        if len(obs) != len(series):
            raise _error(
                ind,
                "numerator",
                f"{area}: several values for one year in series SEX={sex!r} AGE={age!r} DISAGGREGATION={dis!r}",
            )
        # a context indicator may have no direction: its base and latest values are assessed
        # as for one, then its status is "context" (no score) in _withheld_status
        a = progress.assess(
            obs,
            direction=ind.direction or "increase",
            base_year=ind.base_year,
            target=target,
            target_year=target_year,
            limit=ind.limit,
            method=ind.progress_method,
        )
        headline = _is_headline(ind, sex, age, dis)
        coverage = next((_none_if_nan(r[9]) for r in series if r[6] == a.current_year), None)
        withheld = _withheld_status(ind, area_kind, a, {int(r[6]): _none_if_nan(r[9]) for r in series})
        if withheld:
            a = dataclasses.replace(a, status=withheld, score=None, progress_value=None)
        sharing = _most_restrictive(r[8] for r in series)
        synthetic = any(bool(r[10]) for r in series)
        rows.append(
            {
                "INDICATOR": ind.id,
                "GOAL": ind.goal,
                "REF_AREA": area,
                "AREA_KIND": area_kind,
                "LEVEL": "series",
                "SEX": sex,
                "AGE": age,
                "DISAGGREGATION": dis,
                "HEADLINE": headline,
                "BASE_YEAR": a.base_year,
                "CURRENT_YEAR": a.current_year,
                "BASE_VALUE": a.base_value,
                "CURRENT_VALUE": a.current_value,
                "TARGET": a.target,
                "TARGET_YEAR": a.target_year,
                "METHOD": a.method,
                "DIRECTION": ind.direction,
                "STATUS": a.status,
                "SCORE": a.score,
                "PROGRESS_VALUE": a.progress_value,
                "CALCULATION": a.calculation,
                "NOTES": ",".join(a.notes),
                "N_SERIES": 1,
                "N_SCORED": int(a.score is not None),
                "COVERAGE": coverage,
                "SHARING": sharing,
                "SYNTHETIC": synthetic,
            }
        )
        results.append((headline, a, sharing, synthetic, coverage))
    chosen = [r for r in results if r[0]] or results
    combined = progress.combine([a for _, a, *_ in chosen])
    single = chosen[0][1] if len(chosen) == 1 else None
    status = combined.status
    if single is not None and combined.n_scored == 0:
        status = single.status  # un_cr defines no score: a single series keeps its own status
    withheld = {a.status for _, a, *_ in chosen} & set(WITHHELD_STATUSES)
    if withheld and combined.n_scored == 0:
        status = "context" if "context" in withheld else "insufficient_coverage"
    has_headline = any(h for h, *_ in chosen)
    rows.append(
        {
            "INDICATOR": ind.id,
            "GOAL": ind.goal,
            "REF_AREA": area,
            "AREA_KIND": area_kind,
            "LEVEL": "indicator",
            "SEX": "",
            "AGE": "",
            "DISAGGREGATION": "",
            "HEADLINE": has_headline,
            "BASE_YEAR": single.base_year if single else None,
            "CURRENT_YEAR": single.current_year if single else None,
            "BASE_VALUE": single.base_value if single else None,
            "CURRENT_VALUE": single.current_value if single else None,
            "TARGET": target,
            "TARGET_YEAR": target_year,
            "METHOD": ind.progress_method,
            "DIRECTION": ind.direction,
            "STATUS": status,
            "SCORE": combined.score,
            "PROGRESS_VALUE": single.progress_value if single else None,
            "CALCULATION": "combined_headline" if has_headline else "combined_series",
            "NOTES": "",
            "N_SERIES": combined.n_series,
            "N_SCORED": combined.n_scored,
            "COVERAGE": chosen[0][4] if single else None,
            "SHARING": _most_restrictive([s for _, _, s, *_ in chosen]),
            "SYNTHETIC": any(syn for *_, syn, _ in chosen),
        }
    )
    return rows


#: Statuses given instead of a progress status by the verdict rules.
WITHHELD_STATUSES = ("context", "insufficient_coverage")
VERDICT_RULES_FILE = Path(__file__).resolve().parent / "verdict_rules.yaml"


@lru_cache(maxsize=4)
def regional_min_coverage(path: Path = VERDICT_RULES_FILE) -> float:
    """The share of the region's population an aggregate must cover (base and latest year)
    for a regional status (``indicators/verdict_rules.yaml``)."""
    data = read_yaml(path, IndicatorError)
    value = data.get("regional_min_coverage") if isinstance(data, dict) else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise IndicatorError(
            path, "regional_min_coverage", f"expected a share between 0 and 1 (e.g. 0.5), got {value!r}"
        )
    return float(value)


def _withheld_status(ind: Indicator, area_kind: str, a, coverage_by_year: dict[int, float | None]) -> str | None:
    """``context`` for a context indicator; ``insufficient_coverage`` for a regional aggregate
    whose coverage in the base or the latest year is below :func:`regional_min_coverage`."""
    if ind.kind == "context":
        return "context"
    if area_kind == "country" or a.status == "not_available":
        return None
    threshold = regional_min_coverage(VERDICT_RULES_FILE)
    for year in (a.base_year, a.current_year):
        cov = coverage_by_year.get(year)
        if cov is None or float(cov) < threshold:
            return "insufficient_coverage"
    return None


def build_indicator_progress(con: duckdb.DuckDBPyConnection, registry: Mapping[str, Indicator]) -> int:
    """(Re)build ``marts.indicator_progress`` from ``marts.indicator_values``; returns its row count."""
    frame = compute_indicator_progress(con, registry)
    con.register("_progress_frame", frame)
    try:
        con.execute("""
            CREATE OR REPLACE TABLE marts.indicator_progress AS
            SELECT CAST(INDICATOR AS VARCHAR) AS INDICATOR, CAST(GOAL AS INTEGER) AS GOAL,
                   CAST(REF_AREA AS VARCHAR) AS REF_AREA, CAST(AREA_KIND AS VARCHAR) AS AREA_KIND,
                   CAST(LEVEL AS VARCHAR) AS LEVEL, CAST(SEX AS VARCHAR) AS SEX, CAST(AGE AS VARCHAR) AS AGE,
                   CAST(DISAGGREGATION AS VARCHAR) AS DISAGGREGATION, CAST(HEADLINE AS BOOLEAN) AS HEADLINE, CAST(BASE_YEAR AS INTEGER) AS BASE_YEAR, CAST(CURRENT_YEAR AS INTEGER) AS CURRENT_YEAR,
                   CAST(BASE_VALUE AS DOUBLE) AS BASE_VALUE, CAST(CURRENT_VALUE AS DOUBLE) AS CURRENT_VALUE,
                   CAST(TARGET AS DOUBLE) AS TARGET, CAST(TARGET_YEAR AS INTEGER) AS TARGET_YEAR,
                   CAST(METHOD AS VARCHAR) AS METHOD, CAST(DIRECTION AS VARCHAR) AS DIRECTION,
                   CAST(STATUS AS VARCHAR) AS STATUS, CAST(SCORE AS DOUBLE) AS SCORE,
                   CAST(PROGRESS_VALUE AS DOUBLE) AS PROGRESS_VALUE, CAST(CALCULATION AS VARCHAR) AS CALCULATION,
                   CAST(NOTES AS VARCHAR) AS NOTES,
                   CAST(N_SERIES AS INTEGER) AS N_SERIES, CAST(N_SCORED AS INTEGER) AS N_SCORED,
                   CAST(COVERAGE AS DOUBLE) AS COVERAGE, CAST(SHARING AS VARCHAR) AS SHARING,
                   CAST(SYNTHETIC AS BOOLEAN) AS SYNTHETIC
            FROM _progress_frame
            ORDER BY INDICATOR, AREA_KIND, REF_AREA, LEVEL, SEX, AGE, DISAGGREGATION
        """)
    finally:
        con.unregister("_progress_frame")
    return con.execute("SELECT count(*) FROM marts.indicator_progress").fetchone()[0]
