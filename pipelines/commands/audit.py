"""``clac audit log`` and ``clac audit verify``: read and check the hash-chained audit trail."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from governance import audit
from pipelines.commands.base import app, console, fail

audit_app = typer.Typer(help="The audit trail: every ingestion, quarantine, validation, approval, build, export.")
app.add_typer(audit_app, name="audit")


@audit_app.command("log")
def log(
    last: int = typer.Option(50, "--last", help="How many of the latest entries to show (0 = all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON lines."),
) -> None:
    """Show the audit trail, newest last, with the chain's latest hash."""
    entries = audit.read()
    shown = entries[-last:] if last else entries
    if as_json:
        for entry in shown:
            console.print_json(json.dumps(entry, ensure_ascii=False))
        return
    table = Table(title=f"Audit trail {audit.log_path()} ({len(entries)} entries)")
    for column in ("seq", "time (UTC)", "actor", "action", "details"):
        table.add_column(column, overflow="fold")
    for entry in shown:
        details = json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)
        table.add_row(
            str(entry["seq"]),
            entry["time"][:19],
            entry["actor"],
            entry["action"],
            details if len(details) < 300 else details[:297] + "...",
        )
    console.print(table)
    if entries:
        console.print(f"Latest hash: {entries[-1]['hash']} (keep a copy elsewhere to detect a rewritten log)")


@audit_app.command("verify")
def verify() -> None:
    """Recompute the chain; exit 0 when intact, 1 naming the first bad entry."""
    result = audit.verify()
    if not result.ok:
        fail(
            f"the audit trail {audit.log_path()} is NOT intact: line {result.first_bad_line}: {result.problem}. "
            f"{result.entries} entries before it are intact."
        )
    console.print(f"Audit trail intact: {result.entries} entries, latest hash {result.last_hash}")
