"""Export marts to CSV or Parquet, safely.

* The observations mart is written with exactly its published columns
  (:data:`warehouse.tables.OBSERVATION_COLUMNS`).
* Text cells beginning with ``=``, ``+``, ``-`` or ``@`` (and tab / carriage return) are
  prefixed with an apostrophe in CSV output, so no spreadsheet program evaluates them as
  formulas (CSV/formula injection). Numeric columns are untouched.
* Files are written to a temporary name and renamed, so a reader never sees half a file.
* RED rows are left out (by the row's SHARING level, or its source's): RED never leaves
  the warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import tables as wh
from warehouse.revisions import REVISION_COLUMNS
from warehouse.tables import OBSERVATION_COLUMNS

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

INDICATOR_COLUMNS = [
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
    "SYNTHETIC",
]

COLUMNS_BY_TABLE = {
    "marts.observations": OBSERVATION_COLUMNS,
    "marts.indicator_values": INDICATOR_COLUMNS,
    "marts.revisions": REVISION_COLUMNS,
}


def _formula_cells(values: pd.Series) -> pd.Series | None:
    """Which cells of a column are text a spreadsheet would read as a formula (None: none are).

    Tested on the column's distinct values (a column repeats a few codes over many rows); a
    column whose cells cannot be hashed is tested cell by cell."""
    try:
        distinct = values.unique()
    except TypeError:
        try:  # non-text cells (numbers, None) give NA, counted as no formula
            formula = values.str.startswith(FORMULA_PREFIXES, na=False).astype(bool)
        except AttributeError:  # a column with no text cell at all
            return None
        return formula if formula.any() else None
    formulas = [value for value in distinct if isinstance(value, str) and value.startswith(FORMULA_PREFIXES)]
    return values.isin(formulas) if formulas else None


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as spreadsheet formulas."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        formula = _formula_cells(values)
        if formula is not None:
            safe[column] = values.where(~formula, "'" + values[formula].astype(str))
    return safe


def write_frame(frame: pd.DataFrame, out: Path, fmt: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if fmt == "csv":
        neutralise_formulas(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    elif fmt == "parquet":
        frame.to_parquet(tmp, index=False)
    else:
        raise ValueError(f"unknown export format '{fmt}' (csv or parquet)")
    tmp.replace(out)


def without_red(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without RED rows: by its SHARING column, else by its SOURCE_ID's level."""
    if "SHARING" in frame.columns:
        return frame[frame["SHARING"].fillna("RED") != "RED"]
    if "SOURCE_ID" in frame.columns:
        red = (
            {s for (s,) in con.execute("SELECT SOURCE_ID FROM marts.sources WHERE SHARING = 'RED'").fetchall()}
            if wh.table_exists(con, "marts", "sources")
            else set()
        )
        return frame[~frame["SOURCE_ID"].isin(red)]
    return frame


def export_table(con: duckdb.DuckDBPyConnection, table: str, out: Path, fmt: str) -> int:
    """Write ``table`` to ``out``; RED rows never leave the warehouse, not even in an export."""
    columns = COLUMNS_BY_TABLE.get(table)
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    frame = without_red(con, con.execute(f"SELECT {select} FROM {table}").df())
    write_frame(frame, out, fmt)
    return len(frame)
