"""Small helpers for Dagster materialisation metadata."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def preview(frame: pd.DataFrame, rows: int = 8) -> dg.MetadataValue:
    """The first rows of a frame as a Markdown table for the Dagster UI."""
    head = frame.head(rows).astype(str)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(v.replace("|", "/") for v in row) + " |" for row in head.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join(lines))
