"""The marts: what analysts, indicators and dashboards read.

* ``marts.observations``: the long table of current observations (rows of superseded
  files are left out; they stay in staging as history), SDMX-style columns plus
  provenance (file id, name, sha256 and the location in the file);
* ``marts.sources``, ``marts.measures``, ``marts.areas``: the dimension tables;
* ``marts.files``: every received file with its parse record and supersession.

Each build function replaces its table in one statement, so a mart is never half-built. The
catalogue entries and measures come from the caller (``sources.catalogue``): the warehouse
imports no other stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from warehouse.tables import OBSERVATION_COLUMNS, ensure_staging_table, staging_table


def build_sources(con: duckdb.DuckDBPyConnection, catalogue: Mapping[str, Any]) -> int:
    rows = []
    for entry in catalogue.values():
        rows.append(
            {
                "SOURCE_ID": entry.id,
                "TITLE_ES": entry.title.es,
                "TITLE_EN": entry.title.en,
                "TITLE_PT": entry.title.pt,
                "DESCRIPTION_ES": entry.description.es,
                "DESCRIPTION_EN": entry.description.en,
                "DESCRIPTION_PT": entry.description.pt,
                "PUBLISHER": entry.publisher,
                "PUBLISHER_TYPE": entry.publisher_type,
                "LICENCE": entry.licence,
                "URL": entry.url,
                "RETRIEVED_FROM": entry.retrieved_from,
                "FORMAT": entry.format,
                "PARSER": entry.parser,
                "UPDATE_FREQUENCY": entry.update_frequency,
                "SHARING": entry.sharing.value,
                "LANGUAGES": ",".join(entry.languages),
                "SYNTHETIC": entry.synthetic,
            }
        )
    frame = pd.DataFrame(rows)
    con.register("sources_frame", frame)
    con.execute("CREATE OR REPLACE TABLE marts.sources AS SELECT * FROM sources_frame ORDER BY SOURCE_ID")
    con.unregister("sources_frame")
    return len(frame)


def build_measures(con: duckdb.DuckDBPyConnection, measures: Mapping[str, Any]) -> int:
    frame = pd.DataFrame(
        [
            {
                "MEASURE": code,
                "KIND": m.kind,
                "UNIT_MEASURE": m.unit,
                "SENSITIVE": m.sensitive,
                "SDG_INDICATOR": m.sdg_indicator or "",
                "NAME_ES": m.name.es,
                "NAME_EN": m.name.en,
                "NAME_PT": m.name.pt,
            }
            for code, m in measures.items()
        ]
    )
    con.register("measures_frame", frame)
    con.execute("CREATE OR REPLACE TABLE marts.measures AS SELECT * FROM measures_frame ORDER BY MEASURE")
    con.unregister("measures_frame")
    return len(frame)


def build_areas(con: duckdb.DuckDBPyConnection, areas: pd.DataFrame) -> int:
    con.register("areas_frame", areas)
    con.execute("CREATE OR REPLACE TABLE marts.areas AS SELECT * FROM areas_frame ORDER BY REF_AREA")
    con.unregister("areas_frame")
    return len(areas)


def build_observations(con: duckdb.DuckDBPyConnection, catalogue: Mapping[str, Any]) -> int:
    """Union the staging tables of current (not superseded) files, with provenance."""
    selects = []
    for source_id in catalogue:
        ensure_staging_table(con, source_id)
        selects.append(f"SELECT * FROM {staging_table(source_id)}")
    union = "\nUNION ALL BY NAME\n".join(selects)
    columns = ", ".join(
        f"o.{c}"
        if c not in ("SHARING", "SYNTHETIC", "FILE_NAME", "FILE_SHA256")
        else {
            "SHARING": "s.SHARING",
            "SYNTHETIC": "s.SYNTHETIC",
            "FILE_NAME": "f.ORIGINAL_NAME AS FILE_NAME",
            "FILE_SHA256": "f.SHA256 AS FILE_SHA256",
        }[c]
        for c in OBSERVATION_COLUMNS
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE marts.observations AS
        WITH o AS ({union})
        SELECT {columns}, o.REF_YEAR
        FROM o
        JOIN raw.parses p ON p.FILE_ID = o.FILE_ID AND p.SUPERSEDED_BY IS NULL
        JOIN raw.files f ON f.FILE_ID = o.FILE_ID
        JOIN marts.sources s ON s.SOURCE_ID = o.SOURCE_ID
        ORDER BY o.SOURCE_ID, o.MEASURE, o.REF_AREA, o.TIME_PERIOD, o.SEX, o.AGE, o.DISAGGREGATION
    """)
    return con.execute("SELECT count(*) FROM marts.observations").fetchone()[0]


def build_files(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("""
        CREATE OR REPLACE TABLE marts.files AS
        SELECT f.FILE_ID, f.SOURCE_ID, f.ORIGINAL_NAME, f.SHA256, f.SIZE_BYTES, f.RECEIVED_AT,
               f.RECEIVED_VIA, f.CATALOGUE_VERSION, p.PARSER, p.SLOT_KEY, p.ROWS_READ,
               p.ROWS_STAGED, p.ROWS_QUARANTINED, p.SUPERSEDED_BY, p.FACTS
        FROM raw.files f LEFT JOIN raw.parses p USING (FILE_ID)
        ORDER BY f.SOURCE_ID, f.RECEIVED_AT, f.ORIGINAL_NAME
    """)
    return con.execute("SELECT count(*) FROM marts.files").fetchone()[0]
