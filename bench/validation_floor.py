"""The floor for goal 1 of issue 14: the generic template's checks as plain DuckDB SQL.

What the engine itself costs for the work ``sources.ingest`` does to a generic-template
CSV: read it (``read_csv``), normalise the codes (SEX, AGE, UNIT words), read the number,
resolve the area and the period, name the first row rule broken, find the duplicates,
check the relations (orderings, breakdowns) and the year-over-year plausibility, and
insert the staged rows and the quarantined rows into the warehouse's tables. No
messages in three languages, no ROW_JSON, no location texts: the pipeline's extra work
is what the ratio measures.

Simplifications, all in the floor's favour: periods are years only (the synthetic file
has nothing else), numbers are digits with an optional decimal comma or point, and the
area names are resolved once per distinct value by the same resolver the pipeline uses.

Used by ``bench/bench_validation.py``; ``floor(con, csv_path, ...)`` returns seconds by step.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from sources.catalogue import MeasureEntry, SourceEntry
from sources.parsers.generic_table import SEX_WORDS, UNIT_WORDS


def floor(
    con: duckdb.DuckDBPyConnection,
    csv_path: Path,
    *,
    entry: SourceEntry,
    measures: dict[str, MeasureEntry],
    resolve_area: Callable[[str], str | None],
    this_year: int,
    earliest: int,
    staging: str,
    quarantine: str,
) -> dict[str, float]:
    """Read, check and stage ``csv_path`` in SQL on ``con``; seconds per step."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    con.execute(f"""CREATE OR REPLACE TEMP TABLE raw_rows AS
        SELECT *, row_number() OVER () + 1 AS LOC_ROW
        FROM read_csv('{csv_path}', delim=';', header=true, all_varchar=true)""")
    seconds["read_csv"] = time.perf_counter() - start

    start = time.perf_counter()
    areas = con.execute("SELECT DISTINCT REF_AREA FROM raw_rows").fetchall()
    con.register("area_codes", pd.DataFrame([(a, resolve_area(a)) for (a,) in areas], columns=["RAW", "CODE"]))
    con.register("sex_words", pd.DataFrame(list(SEX_WORDS.items()), columns=["WORD", "CODE"]))
    con.register("unit_words", pd.DataFrame(list(UNIT_WORDS.items()), columns=["WORD", "CODE"]))
    con.register(
        "measure_info",
        pd.DataFrame(
            [(c, measures[c].kind, measures[c].unit) for c in entry.measures if c in measures],
            columns=["M_CODE", "M_KIND", "M_UNIT"],
        ),
    )
    con.execute(f"""CREATE OR REPLACE TEMP TABLE checked AS
        WITH norm AS (
            SELECT r.*, upper(r.MEASURE) AS M, a.CODE AS AREA_CODE,
                   CASE WHEN regexp_full_match(r.TIME_PERIOD, '\\d{{4}}') THEN r.TIME_PERIOD END AS PERIOD,
                   TRY_CAST(replace(trim(r.OBS_VALUE), ',', '.') AS DOUBLE) AS V,
                   coalesce(s.CODE, CASE WHEN coalesce(r.SEXO, '') = '' THEN '_T' END) AS SEX_CODE,
                   CASE WHEN coalesce(r.EDAD, '') = '' THEN '_T'
                        WHEN regexp_full_match(upper(trim(r.EDAD)), '_T|Y_LT\\d+|Y_GE\\d+|Y\\d+T\\d+')
                        THEN upper(trim(r.EDAD)) END AS AGE_CODE,
                   coalesce(u.CODE, upper(trim(r.UNIT_MEASURE))) AS UNIT,
                   coalesce(r.DISAGGREGATION, '') AS DISAGG
            FROM raw_rows r
            LEFT JOIN area_codes a ON a.RAW = r.REF_AREA
            LEFT JOIN sex_words s ON s.WORD = lower(trim(r.SEXO))
            LEFT JOIN unit_words u ON u.WORD = lower(trim(r.UNIT_MEASURE))
        ), ruled AS (
            SELECT n.*, m.M_UNIT, CASE
                WHEN n.V IS NULL OR n.SEX_CODE IS NULL OR n.AGE_CODE IS NULL THEN 'parse_error'
                WHEN m.M_KIND IS NULL THEN 'measure_unknown'
                WHEN n.AREA_CODE IS NULL THEN 'area_unresolved'
                WHEN n.PERIOD IS NULL THEN 'period_invalid'
                WHEN n.PERIOD::INT > {this_year} OR n.PERIOD::INT < {earliest} THEN 'period_out_of_range'
                WHEN m.M_UNIT <> '' AND n.UNIT NOT IN ('', m.M_UNIT) THEN 'unit_mismatch'
                WHEN m.M_KIND = 'count' AND n.V < 0 THEN 'count_negative'
                WHEN m.M_KIND = 'count' AND n.V <> floor(n.V) THEN 'count_not_whole'
                WHEN m.M_KIND = 'percent' AND NOT n.V BETWEEN 0 AND 100 THEN 'percent_out_of_range'
                WHEN m.M_KIND IN ('rate', 'duration') AND n.V < 0 THEN 'rate_negative'
            END AS RULE
            FROM norm n LEFT JOIN measure_info m ON m.M_CODE = n.M
        )
        SELECT *, CASE WHEN RULE IS NULL AND row_number() OVER (
                      PARTITION BY RULE IS NULL, M, AREA_CODE, PERIOD, SEX_CODE, AGE_CODE, DISAGG
                      ORDER BY LOC_ROW) > 1 THEN 'duplicate_key' ELSE RULE END AS FIRST_RULE
        FROM ruled""")
    seconds["row rules"] = time.perf_counter() - start

    start = time.perf_counter()
    key = "a.AREA_CODE = b.AREA_CODE AND a.PERIOD = b.PERIOD AND a.SEX_CODE = b.SEX_CODE AND a.AGE_CODE = b.AGE_CODE"
    ok = "(SELECT * FROM checked WHERE FIRST_RULE IS NULL)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE relation_errors AS
        SELECT a.LOC_ROW, 'relation_order' AS RULE FROM {ok} a JOIN {ok} b
          ON {key} AND a.DISAGG = b.DISAGG
         AND ((a.M = 'PROSECUTIONS' AND b.M = 'INVESTIGATIONS_OPENED')
           OR (a.M = 'CONVICTIONS' AND b.M IN ('INVESTIGATIONS_OPENED', 'PROSECUTIONS')))
        WHERE a.V > b.V
        UNION ALL
        SELECT a.LOC_ROW, 'breakdown_exceeds_total' FROM {ok} a JOIN {ok} b
          ON a.M = b.M AND a.AREA_CODE = b.AREA_CODE AND a.PERIOD = b.PERIOD AND a.AGE_CODE = b.AGE_CODE
         AND a.DISAGG = b.DISAGG AND a.SEX_CODE NOT IN ('_T', '') AND b.SEX_CODE = '_T' WHERE a.V > b.V
        UNION ALL
        SELECT a.LOC_ROW, 'breakdown_exceeds_total' FROM {ok} a JOIN {ok} b
          ON a.M = b.M AND a.AREA_CODE = b.AREA_CODE AND a.PERIOD = b.PERIOD AND a.SEX_CODE = b.SEX_CODE
         AND a.DISAGG = b.DISAGG AND a.AGE_CODE NOT IN ('_T', '') AND b.AGE_CODE = '_T' WHERE a.V > b.V
        UNION ALL
        SELECT a.LOC_ROW, 'breakdown_exceeds_total' FROM {ok} a JOIN {ok} b
          ON a.M = b.M AND {key} AND a.DISAGG <> '' AND b.DISAGG = '' WHERE a.V > b.V""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE yoy_warnings AS
        SELECT a.LOC_ROW FROM {ok} a JOIN {ok} b
          ON a.M = b.M AND a.AREA_CODE = b.AREA_CODE AND a.SEX_CODE = b.SEX_CODE AND a.AGE_CODE = b.AGE_CODE
         AND a.DISAGG = b.DISAGG AND a.PERIOD::INT = b.PERIOD::INT + 1
        WHERE greatest(a.V, 20) / greatest(b.V, 20) NOT BETWEEN 0.1 AND 10""")
    seconds["relations + plausibility"] = time.perf_counter() - start

    start = time.perf_counter()
    con.execute(f"""INSERT INTO {staging} BY NAME
        SELECT '{entry.id}' AS SOURCE_ID, M AS MEASURE, AREA_CODE AS REF_AREA, PERIOD AS TIME_PERIOD,
               PERIOD::INT AS REF_YEAR, V AS OBS_VALUE, CASE WHEN UNIT = '' THEN M_UNIT ELSE UNIT END AS UNIT_MEASURE,
               'A' AS OBS_STATUS, SEX_CODE AS SEX, AGE_CODE AS AGE, DISAGG AS DISAGGREGATION, '' AS NATURE,
               REF_AREA AS AREA_RAW, TIME_PERIOD AS TIME_PERIOD_RAW, OBS_VALUE AS VALUE_RAW,
               'floor' AS FILE_ID, NULL AS LOC_PAGE, NULL AS LOC_LINE, '' AS LOC_SHEET, LOC_ROW, '' AS WARNINGS
        FROM checked WHERE FIRST_RULE IS NULL AND LOC_ROW NOT IN (SELECT LOC_ROW FROM relation_errors)""")
    con.execute(f"""INSERT INTO {quarantine} BY NAME
        SELECT '{entry.id}' AS SOURCE_ID, 'floor' AS FILE_ID, '' AS LOC_SHEET, LOC_ROW,
               'OBS_VALUE' AS COLUMN_NAME, coalesce(FIRST_RULE, e.RULE) AS RULE, coalesce(OBS_VALUE, '') AS VALUE,
               coalesce(FIRST_RULE, e.RULE) AS MESSAGE, '{{}}' AS ROW_JSON
        FROM checked LEFT JOIN (SELECT DISTINCT ON (LOC_ROW) * FROM relation_errors) e USING (LOC_ROW)
        WHERE FIRST_RULE IS NOT NULL OR e.RULE IS NOT NULL""")
    seconds["insert staged + quarantine"] = time.perf_counter() - start
    return seconds
