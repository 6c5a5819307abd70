"""The ``clac`` command: build, ingest, list sources, export.

Every failure a user can cause (a bad file, an unknown source, a missing warehouse) is
printed as one clear message with what to do, and a non-zero exit status; never a
traceback.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import traceback
from enum import Enum
from pathlib import Path

import click
import typer
from rich.table import Table

from pipelines.commands.base import EXPORTS, _catalogue, _entry, app, console, err, fail
from warehouse import tables as wh


def _run_build(force: bool = False, audience: str = "public") -> None:
    from pipelines.runner import BuildBusy, run_job

    try:
        outcome = run_job("build", force=force, audience=audience)
    except BuildBusy as exc:
        fail(str(exc), code=75)
    if not outcome.success:
        lines = "\n  - ".join(outcome.failures) or "see the run in the Dagster UI"
        fail(
            f"the build failed (Dagster run {outcome.run_id}); the last good warehouse and outputs "
            f"are unchanged.\n  - {lines}"
        )
    _print_summary(outcome, audience)


def _print_summary(outcome, audience: str) -> None:
    with wh.connect(read_only=True) as con:
        per_source = con.execute("""
            SELECT s.SOURCE_ID, s.SHARING, s.SYNTHETIC,
                   count(DISTINCT f.FILE_ID) FILTER (WHERE f.SUPERSEDED_BY IS NULL) AS files,
                   coalesce(sum(f.ROWS_READ) FILTER (WHERE f.SUPERSEDED_BY IS NULL), 0),
                   coalesce(sum(f.ROWS_STAGED) FILTER (WHERE f.SUPERSEDED_BY IS NULL), 0),
                   coalesce(sum(f.ROWS_QUARANTINED) FILTER (WHERE f.SUPERSEDED_BY IS NULL), 0)
            FROM marts.sources s LEFT JOIN marts.files f USING (SOURCE_ID)
            GROUP BY ALL ORDER BY 1
        """).fetchall()
        observations = con.execute("SELECT count(*) FROM marts.observations").fetchone()[0]
    if outcome.up_to_date:
        title = f"clac build: up to date, nothing changed since the last build ({outcome.seconds:.1f} s)"
    else:
        title = f"clac build: done in {outcome.seconds:.1f} s (Dagster run {outcome.run_id[:8]})"
    table = Table(title=title)
    for column in ("source", "sharing", "files", "rows read", "staged", "quarantined"):
        table.add_column(column, justify="left" if column in ("source", "sharing") else "right")
    for source_id, sharing, synthetic, files, read, staged, quarantined in per_source:
        label = source_id + (" (SYNTHETIC)" if synthetic else "")
        table.add_row(label, sharing, str(files), f"{read:,}", f"{staged:,}", f"{quarantined:,}")
    console.print(table)
    console.print(f"Observations in the mart: {observations:,}")
    if outcome.staged_only is not None:
        changed = ", ".join(sorted(outcome.staged_only)) or "none"
        console.print(
            f"Only what changed was rebuilt: the sources with new inbox files ({changed}), what depends on "
            "them and on the date, and the outputs. 'clac build --force' rebuilds everything."
        )
    console.print(f"Warehouse: {wh.warehouse_path()}")
    from pipelines.runner import audience_dir

    console.print(
        f"Outputs for the {audience} audience: {audience_dir(audience)}"
        + (f" (new release {outcome.release.name})" if outcome.release else "")
    )
    console.print("Quarantined rows: SELECT * FROM staging.quarantine (or 'clac export quarantine')")


class Audience(str, Enum):
    public = "public"
    members = "members"
    secretariat = "secretariat"


@app.command()
def build(
    force: bool = typer.Option(False, "--force", help="Run even if no input changed."),
    audience: Audience = typer.Option(
        Audience.public,
        "--audience",
        help="Whose outputs to write: public (CLEAR, approved), members (CLEAR+GREEN), "
        "secretariat (up to AMBER, exact values).",
    ),
) -> None:
    """Materialise the whole asset graph on the bundled data and the inbox, then print a summary."""
    _run_build(force, audience.value)


@app.command()
def ingest(
    path: Path = typer.Argument(..., help="The file to ingest."),
    source: str = typer.Option(..., "--source", help="The source id (see 'clac sources')."),
) -> None:
    """Ingest one file for a source, then rebuild what depends on it."""
    entry = _entry(source)
    if not path.is_file():
        fail(f"{path}: no such file. Give the path of the file to ingest.")
    from sources.feedback.report import validate_file
    from sources.ingest import _keep_rejected, file_sha256

    # refuse a file before anything is written, by the checks of 'clac validate' (the same
    # functions ingestion runs: reader limits, row rules, stated totals, plausibility)
    report = validate_file(path, entry, lang="en", warehouse=wh.warehouse_path())
    if report.file_problem:
        from governance.audit_events import record_rejection

        _keep_rejected(path, report.sha256, entry, report.file_problem)
        record_rejection(path, entry.id, report.sha256, report.file_problem)
        fail(
            f"{report.file_problem}\nThe file was not ingested; the warehouse is unchanged. "
            f"A copy and the reason are kept in {wh.clac_home() / 'rejected'}."
        )
    inbox = wh.inbox_dir() / entry.id
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / path.name
    if target.exists() and file_sha256(target) != file_sha256(path):
        target = inbox / f"{file_sha256(path)[:8]}-{path.name}"
    shutil.copyfile(path, target)
    _run_build()


@app.command()
def sources() -> None:
    """The source catalogue, with the last ingestion of each source."""
    catalogue = _catalogue()
    last: dict[str, tuple] = {}
    if wh.warehouse_path().exists():
        with wh.connect(read_only=True) as con:
            if wh.table_exists(con, "marts", "files"):
                for sid, received, files, rows in con.execute(
                    "SELECT SOURCE_ID, max(RECEIVED_AT), count(*), sum(ROWS_STAGED) FROM marts.files GROUP BY 1"
                ).fetchall():
                    last[sid] = (received, files, rows)
    table = Table(title="Source catalogue (sources/catalogue/)")
    for column in ("id", "publisher", "type", "format", "frequency", "sharing", "last received", "files", "rows"):
        table.add_column(column)
    for entry in catalogue.values():
        received, files, rows = last.get(entry.id, (None, 0, 0))
        table.add_row(
            entry.id + (" (SYNTHETIC)" if entry.synthetic else ""),
            entry.publisher,
            entry.publisher_type,
            entry.format,
            entry.update_frequency,
            entry.sharing.value,
            received.strftime("%Y-%m-%d %H:%M") if received else "never",
            str(files),
            f"{rows or 0:,}",
        )
    console.print(table)


class ExportFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


@app.command()
def export(
    what: str = typer.Argument(..., help="What to export: " + ", ".join(EXPORTS)),
    format: ExportFormat = typer.Option(ExportFormat.csv, "--format", help="csv or parquet"),
    out: Path = typer.Option(..., "--out", help="The file to write."),
) -> None:
    """Export a mart as CSV or Parquet, with its published column names.

    Exports read the warehouse itself: exact values up to AMBER, for the Secretariat's own
    use (RED rows never leave the warehouse). What an audience may see is in
    build/<audience>/ (clac build).
    """
    from warehouse.exports import export_table

    if what not in EXPORTS:
        fail(f"cannot export '{what}'. Choose one of: {', '.join(EXPORTS)}.")
    if not wh.warehouse_path().exists():
        fail(f"no warehouse at {wh.warehouse_path()}. Run 'clac build' first.")
    with wh.connect(read_only=True) as con:
        if not wh.table_exists(con, *EXPORTS[what].split(".")):
            fail(f"the warehouse has no {EXPORTS[what]} yet. Run 'clac build' first.")
        rows = export_table(con, EXPORTS[what], out, format.value)
    from governance.audit_events import record_export

    record_export(what, out, format.value, rows)
    console.print(f"Wrote {rows:,} rows to {out}")


def main() -> None:
    """Entry point: run the app; an unexpected error is logged, never shown as a traceback."""
    try:
        _main()
    finally:
        # The objects the command made are left out of the garbage collection Python runs at
        # exit, which otherwise walks them all once more: about 1 s after a build (issue 14,
        # docs/benchmarks.md). Reference counting still frees them; every warehouse connection
        # and output file is closed by its ``with`` block before this point.
        gc.freeze()


def _main() -> None:
    os.umask(0o077)  # the warehouse, raw files and outputs are readable by their owner only
    try:
        code = app(standalone_mode=False)  # click returns the exit code of typer.Exit here
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        err.print("Interrupted; the last good warehouse is unchanged.")
        sys.exit(130)
    except Exception as exc:  # a bug, not a user error: keep the details in a log file
        log = wh.clac_home() / "logs" / "clac-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err.print(
            f"[bold red]Error:[/bold red] an unexpected problem stopped clac "
            f"({type(exc).__name__}: {exc}). The last good warehouse is unchanged. "
            f"Details for the maintainers: {log}",
            highlight=False,
        )
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _register_command_modules() -> None:
    """Import every module of pipelines.commands so that their commands register."""
    import importlib
    import pkgutil

    from pipelines import commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"pipelines.commands.{module.name}")


_register_command_modules()
