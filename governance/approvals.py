"""Approval of data for publication: validated -> approved.

A source's data for a period is *validated* once it is in the live warehouse (a build
only swaps in a warehouse whose every blocking check passed; data that failed stay out:
that is *draft*). ``clac approve SOURCE_ID --period P --actor NAME`` records an approval
with the sha256 of those observations as they are; if they change afterwards (a
corrected file), the approval no longer applies until someone approves again.

Public outputs use approved data only. Sources whose publisher has already released the
data publicly (catalogue ``approval: publisher_release``, e.g. NCMEC's published PDFs or
the UN SDG database) count as approved on ingestion: the Secretariat does not approve
what is already public.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pandas as pd

from sources.catalogue import SourceEntry


class ApprovalError(Exception):
    """Nothing to approve, or an unknown source or period, with what to do."""


def data_sha256(con: duckdb.DuckDBPyConnection, source_id: str, period: str) -> tuple[str, int]:
    """sha256 over the source's current observations for the period, in a fixed order."""
    rows = con.execute(
        """
        SELECT MEASURE, REF_AREA, TIME_PERIOD, SEX, AGE, DISAGGREGATION, OBS_VALUE, UNIT_MEASURE, OBS_STATUS, FILE_ID
        FROM marts.observations WHERE SOURCE_ID = ? AND TIME_PERIOD = ?
        ORDER BY ALL
    """,
        [source_id, period],
    ).fetchall()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest(), len(rows)


def approve(con: duckdb.DuckDBPyConnection, entry: SourceEntry, period: str, actor: str) -> dict:
    digest, rows = data_sha256(con, entry.id, period)
    if rows == 0:
        periods = [
            p
            for (p,) in con.execute(
                "SELECT DISTINCT TIME_PERIOD FROM marts.observations WHERE SOURCE_ID = ? ORDER BY 1", [entry.id]
            ).fetchall()
        ]
        raise ApprovalError(
            f"source '{entry.id}' has no validated data for period '{period}'. "
            f"Periods with data: {', '.join(periods) or 'none'}. Ingest and build first, then approve."
        )
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    con.execute("INSERT INTO raw.approvals VALUES (?, ?, ?, ?, ?, ?)", [entry.id, period, digest, rows, actor, now])
    return {"source_id": entry.id, "period": period, "rows": rows, "data_sha256": digest}


def approval_status(con: duckdb.DuckDBPyConnection, catalogue: dict[str, SourceEntry]) -> pd.DataFrame:
    """Per source and period: validated or approved (and by whom, when)."""
    periods = con.execute("SELECT DISTINCT SOURCE_ID, TIME_PERIOD FROM marts.observations ORDER BY 1, 2").fetchall()
    latest = {
        (s, p): (h, a, t)
        for s, p, h, a, t in con.execute("""
        SELECT SOURCE_ID, TIME_PERIOD, arg_max(DATA_SHA256, APPROVED_AT), arg_max(ACTOR, APPROVED_AT), max(APPROVED_AT)
        FROM raw.approvals GROUP BY 1, 2""").fetchall()
    }
    records = []
    for source_id, period in periods:
        entry = catalogue.get(source_id)
        status, actor, when = "validated", "", None
        if entry is not None and entry.approval == "publisher_release":
            status, actor = "approved", "publisher release"
        elif (source_id, period) in latest:
            recorded, actor, when = latest[(source_id, period)]
            status = "approved" if recorded == data_sha256(con, source_id, period)[0] else "validated"
            if status == "validated":
                actor, when = "", None  # data changed since: the old approval no longer applies
        records.append(
            {"SOURCE_ID": source_id, "TIME_PERIOD": period, "STATUS": status, "APPROVED_BY": actor, "APPROVED_AT": when}
        )
    return pd.DataFrame.from_records(
        records, columns=["SOURCE_ID", "TIME_PERIOD", "STATUS", "APPROVED_BY", "APPROVED_AT"]
    )


def build_approval_status(con: duckdb.DuckDBPyConnection, catalogue: dict[str, SourceEntry]) -> int:
    """(Re)write ``marts.approval_status`` from the current observations and approvals; its row count."""
    status = approval_status(con, catalogue)
    con.register("approval_status_frame", status)
    try:
        con.execute("CREATE OR REPLACE TABLE marts.approval_status AS SELECT * FROM approval_status_frame")
    finally:
        con.unregister("approval_status_frame")
    return len(status)
