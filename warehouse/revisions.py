"""Revision report between two releases of a source: what a newer file changed.

A file superseded by a newer file of the same slot (``raw.parses.SUPERSEDED_BY``, e.g. the
UN SDG Global Database's December 2023 file of a series replacing its October 2020 file)
is compared with its successor observation by observation, on the observation key
(``warehouse.tables.OBSERVATION_KEY``). Each row of ``marts.revisions`` is one of:

* ``revised``: the key is in both releases with another value (or another nature of data,
  e.g. a country figure replaced by a modelled estimate); ``CHANGE`` = new - old and
  ``CHANGE_PCT`` = 100 * change / old (NULL when old is 0);
* ``added``: the key is only in the newer release;
* ``withdrawn``: the key is only in the older release (it has no successor: the old value
  stays in history, in staging, and is no longer current).

Unchanged observations are not listed; ``UNCHANGED`` in :func:`revision_summary` counts them.
Both files' locations (row in each file) are kept, so every revision can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from warehouse.tables import OBSERVATION_KEY, ensure_staging_table, staging_table

#: Columns of marts.revisions, in published order.
REVISION_COLUMNS = [
    "SOURCE_ID",
    "REVISION",
    "MEASURE",
    "REF_AREA",
    "TIME_PERIOD",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "OLD_VALUE",
    "NEW_VALUE",
    "CHANGE",
    "CHANGE_PCT",
    "OLD_NATURE",
    "NEW_NATURE",
    "UNIT_MEASURE",
    "OLD_FILE_ID",
    "NEW_FILE_ID",
    "OLD_FILE_NAME",
    "NEW_FILE_NAME",
    "OLD_LOC_ROW",
    "NEW_LOC_ROW",
]

_KEY = [c for c in OBSERVATION_KEY if c != "SOURCE_ID"]


def _pairs_sql(source_id: str) -> str:
    """Old/new observation pairs of every (superseded file, successor) of one source."""
    table = staging_table(source_id)
    on = " AND ".join(f"o.{c} = n.{c}" for c in _KEY)
    key = ", ".join(f"coalesce(o.{c}, n.{c}) AS {c}" for c in _KEY)
    return f"""
        WITH pairs AS (
            SELECT p.FILE_ID AS OLD_FILE_ID, p.SUPERSEDED_BY AS NEW_FILE_ID
            FROM raw.parses p JOIN raw.parses q ON q.FILE_ID = p.SUPERSEDED_BY
            WHERE p.SOURCE_ID = '{source_id}' AND p.SUPERSEDED_BY IS NOT NULL
        ),
        o AS (SELECT s.*, pairs.NEW_FILE_ID AS PAIR_NEW, pairs.OLD_FILE_ID AS PAIR_OLD
              FROM {table} s JOIN pairs ON s.FILE_ID = pairs.OLD_FILE_ID),
        n AS (SELECT s.*, pairs.NEW_FILE_ID AS PAIR_NEW, pairs.OLD_FILE_ID AS PAIR_OLD
              FROM {table} s JOIN pairs ON s.FILE_ID = pairs.NEW_FILE_ID)
        SELECT '{source_id}' AS SOURCE_ID,
               CASE WHEN o.FILE_ID IS NULL THEN 'added' WHEN n.FILE_ID IS NULL THEN 'withdrawn'
                    WHEN o.OBS_VALUE IS NOT DISTINCT FROM n.OBS_VALUE AND o.NATURE = n.NATURE
                    THEN 'unchanged' ELSE 'revised' END AS REVISION,
               {key},
               o.OBS_VALUE AS OLD_VALUE, n.OBS_VALUE AS NEW_VALUE,
               n.OBS_VALUE - o.OBS_VALUE AS CHANGE,
               CASE WHEN o.OBS_VALUE <> 0 THEN 100 * (n.OBS_VALUE - o.OBS_VALUE) / abs(o.OBS_VALUE) END
                   AS CHANGE_PCT,
               o.NATURE AS OLD_NATURE, n.NATURE AS NEW_NATURE,
               coalesce(n.UNIT_MEASURE, o.UNIT_MEASURE) AS UNIT_MEASURE,
               coalesce(o.PAIR_OLD, n.PAIR_OLD) AS OLD_FILE_ID, coalesce(o.PAIR_NEW, n.PAIR_NEW) AS NEW_FILE_ID,
               o.LOC_ROW AS OLD_LOC_ROW, n.LOC_ROW AS NEW_LOC_ROW
        FROM o FULL OUTER JOIN n ON o.PAIR_NEW = n.PAIR_NEW AND {on}
    """


def build_revisions(con: duckdb.DuckDBPyConnection, catalogue: Mapping[str, Any]) -> int:
    """Replace ``marts.revisions`` and ``marts.revision_summary``; returns the revisions' row count."""
    selects = []
    for source_id in catalogue:
        ensure_staging_table(con, source_id)
        selects.append(f"SELECT * FROM ({_pairs_sql(source_id)})")
    union = "\nUNION ALL\n".join(selects)
    columns = ", ".join(
        f"r.{c}"
        if c not in ("OLD_FILE_NAME", "NEW_FILE_NAME")
        else f"{'fo' if c.startswith('OLD') else 'fn'}.ORIGINAL_NAME AS {c}"
        for c in REVISION_COLUMNS
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE all_pairs AS {union};
        CREATE OR REPLACE TABLE marts.revision_summary AS
        SELECT SOURCE_ID, MEASURE,
               count(*) FILTER (WHERE REVISION = 'revised') AS REVISED,
               count(*) FILTER (WHERE REVISION = 'added') AS ADDED,
               count(*) FILTER (WHERE REVISION = 'withdrawn') AS WITHDRAWN,
               count(*) FILTER (WHERE REVISION = 'unchanged') AS UNCHANGED,
               max(abs(CHANGE_PCT)) FILTER (WHERE REVISION = 'revised') AS MAX_ABS_CHANGE_PCT,
               median(abs(CHANGE_PCT)) FILTER (WHERE REVISION = 'revised') AS MEDIAN_ABS_CHANGE_PCT
        FROM all_pairs GROUP BY ALL ORDER BY SOURCE_ID, MEASURE;
        CREATE OR REPLACE TABLE marts.revisions AS
        SELECT {columns}
        FROM all_pairs r
        JOIN raw.files fo ON fo.FILE_ID = r.OLD_FILE_ID
        JOIN raw.files fn ON fn.FILE_ID = r.NEW_FILE_ID
        WHERE r.REVISION <> 'unchanged'
        ORDER BY r.SOURCE_ID, r.MEASURE, r.REF_AREA, r.TIME_PERIOD, r.SEX, r.AGE, r.DISAGGREGATION, r.REVISION;
        DROP TABLE all_pairs;
    """)
    return con.execute("SELECT count(*) FROM marts.revisions").fetchone()[0]
