"""Reconciliation checks over what the warehouse holds, per received file.

* conservation: every row a parser read is either staged (alone, or summed into the row of
  its area: see ``LOC_ALSO``) or quarantined, never lost;
* stated totals: where a document states its own total (NCMEC's table total and the
  rounded worldwide figure in its introduction), the extracted rows add up to it.

They read the warehouse only, so the Dagster checks and the tests share them.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from warehouse.tables import staging_table


def conservation_failures(con: duckdb.DuckDBPyConnection, source_id: str) -> list[dict[str, Any]]:
    """Files whose rows read differ from rows staged + rows quarantined (empty = all hold)."""
    rows = con.execute(
        f"""
        SELECT p.FILE_ID, f.ORIGINAL_NAME, p.ROWS_READ,
               -- a staged row that sums several printed rows (LOC_ALSO) counts each of them
               (SELECT count(*) + coalesce(sum(json_array_length(s.LOC_ALSO)), 0)
                FROM {staging_table(source_id)} s WHERE s.FILE_ID = p.FILE_ID) AS staged,
               (SELECT count(*) FROM staging.quarantine q WHERE q.FILE_ID = p.FILE_ID) AS quarantined
        FROM raw.parses p JOIN raw.files f USING (FILE_ID)
        WHERE p.SOURCE_ID = ?
        ORDER BY f.ORIGINAL_NAME
    """,
        [source_id],
    ).fetchall()
    return [
        {"file_id": fid, "file": name, "rows_read": read, "rows_staged": staged, "rows_quarantined": quarantined}
        for fid, name, read, staged, quarantined in rows
        if read != staged + quarantined
    ]


def text_figure_agrees(total: float, stated: float, unit: float) -> bool:
    """Whether a figure stated in prose ("16.9 million") agrees with an exact total.

    Publishers round or truncate: NCMEC's 2019 text says 16.9 million for 16,987,361.
    Either reading is accepted; anything further off is a disagreement.
    """
    rounded = abs(total - stated) <= unit / 2
    truncated = stated <= total < stated + unit
    return rounded or truncated


def states_total(entry: Any) -> bool:
    """Whether a source's documents state their own total (checked per file)."""
    return bool(entry.parser_options.get("reconcile_stated_total")) or entry.parser == "ncmec_pdf"


def total_problems(facts: dict[str, Any], rows_sum: float) -> list[str]:
    """Why one file's rows do not add up to the totals it states (empty: they do)."""
    table_total = facts.get("stated_total_table")
    text_value = facts.get("stated_total_text_value")
    precision = facts.get("stated_total_text_precision")
    problems = []
    if table_total is None:
        problems.append("the document's total row was not found")
    elif rows_sum != table_total:
        problems.append(f"rows add up to {rows_sum:,.0f}, the table states {table_total:,}")
    if text_value is not None and precision and not text_figure_agrees(rows_sum, text_value, precision):
        problems.append(f"rows add up to {rows_sum:,.0f}, the text states {facts.get('stated_total_text')}")
    return problems


def stated_total_failures(con: duckdb.DuckDBPyConnection, source_id: str) -> dict[str, Any]:
    """Compare each current file's row sum with the totals the document states.

    Returns ``{"checked": n, "details": [...], "failures": [...]}``; a file that states no
    total is a failure too (the check exists because this kind of document always does).
    """
    rows = con.execute(
        f"""
        SELECT p.FILE_ID, f.ORIGINAL_NAME, p.FACTS,
               coalesce((SELECT sum(OBS_VALUE) FROM {staging_table(source_id)} s WHERE s.FILE_ID = p.FILE_ID), 0),
               coalesce((SELECT sum(TRY_CAST(ROW_JSON->>'OBS_VALUE' AS DOUBLE)) FROM staging.quarantine q
                         WHERE q.FILE_ID = p.FILE_ID), 0)
        FROM raw.parses p JOIN raw.files f USING (FILE_ID)
        WHERE p.SOURCE_ID = ? AND p.SUPERSEDED_BY IS NULL
        ORDER BY f.ORIGINAL_NAME
    """,
        [source_id],
    ).fetchall()
    details, failures = [], []
    for file_id, name, facts_json, staged_sum, quarantined_sum in rows:
        facts = json.loads(facts_json) if isinstance(facts_json, str) else (facts_json or {})
        rows_sum = staged_sum + quarantined_sum
        table_total = facts.get("stated_total_table")
        detail = {
            "file": name,
            "file_id": file_id,
            "rows_sum": rows_sum,
            "stated_total_table": table_total,
            "stated_total_text": facts.get("stated_total_text"),
        }
        problems = total_problems(facts, rows_sum)
        details.append(detail)
        if problems:
            failures.append({**detail, "problems": problems})
    return {"checked": len(rows), "details": details, "failures": failures}
