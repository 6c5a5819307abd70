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


def table_metadata(con, table: str) -> dict[str, dg.MetadataValue]:
    """The standard Dagster metadata of a warehouse table (``schema.name``): ``dagster/table_name``,
    ``dagster/row_count`` and ``dagster/column_schema`` (from DuckDB's catalogue)."""
    schema, name = table.split(".")
    columns = con.execute(
        """SELECT column_name, data_type, is_nullable FROM information_schema.columns
                             WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [schema, name],
    ).fetchall()
    rows = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0]
    return {
        "dagster/table_name": dg.MetadataValue.text(f"warehouse.{table}"),
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/column_schema": dg.MetadataValue.table_schema(
            dg.TableSchema(
                columns=[
                    dg.TableColumn(column, data_type, constraints=dg.TableColumnConstraints(nullable=nullable == "YES"))
                    for column, data_type, nullable in columns
                ]
            )
        ),
    }
