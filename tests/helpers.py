"""Small helpers shared by the parser tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def data_lines(path: Path) -> int:
    """Count non-empty lines after the header, independently of any CSV reader."""
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip()) - 1


def row_at(result, loc_row: int) -> pd.Series:
    """The one parsed row at a file row number (header = row 1)."""
    match = result.rows[result.rows["LOC_ROW"] == loc_row]
    assert len(match) == 1
    return match.iloc[0]
