"""The warehouse: one DuckDB file, layered raw -> staging -> marts, and its raw file store.

Every package reads and writes the warehouse through this module, so table names and
DDL live in one place.

Locations (environment variables, with defaults inside the project):

* ``CLAC_HOME``: the project's working area, default ``<project>/var``;
* ``CLAC_WAREHOUSE``: the DuckDB file, default ``$CLAC_HOME/warehouse.duckdb``;
* the raw store, ``<warehouse folder>/raw/<sha256[:2]>/<sha256>``: every received file,
  byte for byte, content-addressed;
* the inbox, ``$CLAC_HOME/inbox/<source_id>/``: files dropped there are ingested by the
  Dagster sensor;
* published outputs, ``CLAC_OUTPUTS`` (default ``<project>/build``): site, report, downloads.

DuckDB allows one writing process per file: open connections briefly (``connect`` is a
context manager) and let the Dagster ``duckdb_writer`` pool serialise writers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[1]

SCHEMAS = ("raw", "staging", "marts", "quality")

#: Columns of every staging table (one per source) and of the observations mart.
STAGED_COLUMNS: dict[str, str] = {
    "SOURCE_ID": "VARCHAR NOT NULL",
    "MEASURE": "VARCHAR NOT NULL",
    "REF_AREA": "VARCHAR NOT NULL",
    "TIME_PERIOD": "VARCHAR NOT NULL",
    "REF_YEAR": "INTEGER NOT NULL",
    "OBS_VALUE": "DOUBLE",
    "UNIT_MEASURE": "VARCHAR NOT NULL",
    "OBS_STATUS": "VARCHAR NOT NULL",
    # SCHEMA.md (owned by helper "unodc"): published text of a non-number cell, SDMX CL_CONF_STATUS.
    # Values that exist without a number (SCHEMA decision): OBS_VALUE is NULL only when
    # CONF_STATUS != 'F' (withheld at source, OBS_TEXT holds the published text, e.g. "<5")
    # or OBS_STATUS is a "missing" code of SDMX CL_OBS_STATUS (M, O, L, Q)
    "OBS_TEXT": "VARCHAR",
    "CONF_STATUS": "VARCHAR NOT NULL DEFAULT 'F'",
    "SEX": "VARCHAR NOT NULL",
    "AGE": "VARCHAR NOT NULL",
    "DISAGGREGATION": "VARCHAR NOT NULL",
    "NATURE": "VARCHAR NOT NULL",
    "AREA_RAW": "VARCHAR NOT NULL",
    "TIME_PERIOD_RAW": "VARCHAR NOT NULL",
    "VALUE_RAW": "VARCHAR NOT NULL",
    "FILE_ID": "VARCHAR NOT NULL",
    "LOC_PAGE": "INTEGER",
    "LOC_LINE": "INTEGER",
    "LOC_SHEET": "VARCHAR NOT NULL",
    "LOC_ROW": "INTEGER",
    "WARNINGS": "VARCHAR NOT NULL",
    "COMMENT_OBS": "VARCHAR NOT NULL DEFAULT ''",
    # other rows summed into this one (one area under two labels): JSON list of
    # {area_raw, value_raw, page, line, sheet, row}; NULL for an ordinary row
    "LOC_ALSO": "VARCHAR",
}

#: The central mart's columns, in published order (SDMX-style names).
OBSERVATION_COLUMNS: list[str] = [
    "SOURCE_ID",
    "MEASURE",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "OBS_STATUS",
    "SHARING",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "NATURE",
    "SYNTHETIC",
    "FILE_ID",
    "FILE_NAME",
    "FILE_SHA256",
    "LOC_PAGE",
    "LOC_LINE",
    "LOC_SHEET",
    "LOC_ROW",
    "OBS_TEXT",
    "CONF_STATUS",
    "COMMENT_OBS",
    "LOC_ALSO",
]

#: Unique key of an observation.
OBSERVATION_KEY: list[str] = [
    "SOURCE_ID",
    "MEASURE",
    "REF_AREA",
    "TIME_PERIOD",
    "SEX",
    "AGE",
    "DISAGGREGATION",
]

DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS quality;

-- every received file, byte for byte in the raw store; never deleted
CREATE TABLE IF NOT EXISTS raw.files (
    FILE_ID VARCHAR PRIMARY KEY,         -- first 16 hex digits of the sha256
    SHA256 VARCHAR NOT NULL UNIQUE,
    SIZE_BYTES BIGINT NOT NULL,
    ORIGINAL_NAME VARCHAR NOT NULL,
    SOURCE_ID VARCHAR NOT NULL,
    RECEIVED_AT TIMESTAMP NOT NULL,
    CATALOGUE_VERSION VARCHAR NOT NULL,
    STORED_PATH VARCHAR NOT NULL,        -- relative to the warehouse folder
    RECEIVED_VIA VARCHAR NOT NULL        -- bundled | inbox | cli
);

-- one row per parse of a file: what was read, staged and quarantined, and what the
-- document states about itself (e.g. a stated total), as JSON
CREATE TABLE IF NOT EXISTS raw.parses (
    FILE_ID VARCHAR PRIMARY KEY,
    SOURCE_ID VARCHAR NOT NULL,
    PARSER VARCHAR NOT NULL,
    PARSED_AT TIMESTAMP NOT NULL,
    SLOT_KEY VARCHAR NOT NULL,           -- what the file covers; a newer file with the same slot supersedes it
    ROWS_READ BIGINT NOT NULL,
    ROWS_STAGED BIGINT NOT NULL,
    ROWS_QUARANTINED BIGINT NOT NULL,
    FACTS JSON NOT NULL,
    SUPERSEDED_BY VARCHAR                -- FILE_ID of the file that replaced it, NULL if current
);

-- approvals: a source's data for a period, as it was when approved (DATA_SHA256 of its
-- observations); if the data change afterwards the approval no longer applies
CREATE TABLE IF NOT EXISTS raw.approvals (
    SOURCE_ID VARCHAR NOT NULL,
    TIME_PERIOD VARCHAR NOT NULL,
    DATA_SHA256 VARCHAR NOT NULL,
    ROWS BIGINT NOT NULL,
    ACTOR VARCHAR NOT NULL,
    APPROVED_AT TIMESTAMP NOT NULL
);

-- rows that failed an error rule, with everything a person needs to fix them
CREATE TABLE IF NOT EXISTS staging.quarantine (
    SOURCE_ID VARCHAR NOT NULL,
    FILE_ID VARCHAR NOT NULL,
    LOC_PAGE INTEGER,
    LOC_LINE INTEGER,
    LOC_SHEET VARCHAR NOT NULL,
    LOC_ROW INTEGER,
    COLUMN_NAME VARCHAR NOT NULL,
    RULE VARCHAR NOT NULL,
    VALUE VARCHAR NOT NULL,
    MESSAGE VARCHAR NOT NULL,            -- in English; DETAIL re-renders it in es/en/pt
    ROW_JSON JSON NOT NULL,
    DETAIL JSON                          -- value, column, detail code and parameters of the message
);
ALTER TABLE staging.quarantine ADD COLUMN IF NOT EXISTS DETAIL JSON;

-- warnings on staged rows (the row is staged, its WARNINGS column names the rule): the
-- message with both values shown, e.g. a year-over-year change beyond the plausible factor
CREATE TABLE IF NOT EXISTS staging.warnings (
    SOURCE_ID VARCHAR NOT NULL,
    FILE_ID VARCHAR NOT NULL,
    LOC_PAGE INTEGER,
    LOC_LINE INTEGER,
    LOC_SHEET VARCHAR NOT NULL,
    LOC_ROW INTEGER,
    COLUMN_NAME VARCHAR NOT NULL,
    RULE VARCHAR NOT NULL,
    VALUE VARCHAR NOT NULL,
    MESSAGE VARCHAR NOT NULL,
    DETAIL JSON
);
"""


def clac_home() -> Path:
    return Path(os.environ.get("CLAC_HOME", PROJECT_ROOT / "var")).resolve()


def cache_root() -> Path:
    """Where builds keep what they can reuse (printed PDFs, SDMX files): ``CLAC_CACHE_DIR``,
    default ``$CLAC_HOME/cache``. Never part of a published edition."""
    return Path(os.environ.get("CLAC_CACHE_DIR") or clac_home() / "cache").resolve()


def warehouse_path() -> Path:
    default = clac_home() / "warehouse.duckdb"
    return Path(os.environ.get("CLAC_WAREHOUSE", default)).resolve()


def raw_store_dir(db_path: Path | None = None) -> Path:
    return (db_path or warehouse_path()).parent / "raw"


def output_dir() -> Path:
    """Where published outputs (site, report, downloads) are written: ``CLAC_OUTPUTS``,
    default ``<project>/build``. During ``clac build`` it points at a working folder that
    replaces the live one only when the whole run succeeded."""
    return Path(os.environ.get("CLAC_OUTPUTS", PROJECT_ROOT / "build")).resolve()


def inbox_dir() -> Path:
    return clac_home() / "inbox"


def staging_table(source_id: str) -> str:
    return f'staging."{source_id}"'


@contextmanager
def connect(db_path: Path | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection; the schema is created on first write."""
    path = db_path or warehouse_path()
    if read_only and not path.exists():
        raise FileNotFoundError(f"No warehouse at {path}. Run 'clac build' first (or set CLAC_WAREHOUSE).")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(DDL)
        yield con
    finally:
        con.close()


def ensure_staging_table(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    cols = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in STAGED_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {staging_table(source_id)} (\n    {cols}\n)")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])
