"""``clac validate PATH --source SOURCE_ID``: submitter feedback, without touching the warehouse.

Also registers the data-quality marts for ``clac export`` (dq-coverage, dq-freshness,
dq-history, warnings).
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.commands.base import EXPORTS, app, err, fail
from warehouse import tables as wh

EXPORTS["dq-coverage"] = "marts.dq_coverage"
EXPORTS["dq-freshness"] = "marts.dq_freshness"
EXPORTS["dq-history"] = "marts.dq_validation_history"
EXPORTS["warnings"] = "staging.warnings"


@app.command()
def validate(
    path: Path = typer.Argument(..., help="The file to check."),
    source: str = typer.Option(..., "--source", help="The source id the file is for (see 'clac sources')."),
    lang: str = typer.Option("es", "--lang", help="Language of the report: es (default), en or pt."),
    out: Path = typer.Option(
        None, "--out", help="Folder for the HTML and CSV report (default: $CLAC_HOME/validation)."
    ),
) -> None:
    """Check a file as ingestion would and report every problem; the warehouse is not changed.

    Exit status 0 when the file has no errors (warnings allowed), 1 when it has errors.
    """
    from sources.catalogue import CatalogueError, load_catalogue, observation_sources
    from sources.feedback.report import text_lines, validate_file, write_csv, write_html
    from sources.validation import messages as msg

    try:
        lang = msg.check_lang(lang)
    except ValueError:
        fail(f"unknown language '{lang}': use es, en or pt.")
    try:
        catalogue = load_catalogue()
    except CatalogueError as exc:
        fail(f"the source catalogue is invalid: {exc}. Fix that file in sources/catalogue/.")
    if source not in catalogue:
        problem, hint = msg.problem_text("unknown_source", lang, source=source, known=", ".join(catalogue))
        fail(f"{problem} {msg.load_messages()['locations']['what_to_do'][lang]} {hint}")
    if source not in observation_sources(catalogue) and catalogue[source].parser != "wg_workbook":
        fail(
            f"'{source}' is not an observation source (format {catalogue[source].format}); "
            "'clac validate' checks files of observation sources and quarterly report workbooks: "
            f"{', '.join(observation_sources(catalogue))}, wg_quarterly_report."
        )
    if not path.is_file():
        fail(
            f"{path}: "
            + {"es": "no existe ese archivo.", "en": "no such file.", "pt": "esse arquivo não existe."}[lang]
        )

    report = validate_file(path, catalogue[source], lang=lang, warehouse=wh.warehouse_path())
    for line in text_lines(report):
        typer.echo(line)
    folder = out or (wh.clac_home() / "validation")
    written = [write_html(report, folder), write_csv(report, folder)]
    typer.echo(f"{msg.label('written', lang)}: " + ", ".join(str(p) for p in written))
    _audit(report)
    if report.exit_code:
        summary = report.file_problem or (
            f"{report.file_name}: {len(report.errors)} {msg.label('errors', lang).lower()}, "
            f"{len(report.warnings)} {msg.label('warnings', lang).lower()}."
        )
        err.print(f"Error: {summary}", markup=False, highlight=False)
        raise typer.Exit(1)


def _audit(report) -> None:
    """Record the validation in the audit trail: hashes and counts only, never values."""
    try:
        from governance import audit

        rules: dict[str, int] = {}
        for p in report.problems:
            rules[p.rule] = rules.get(p.rule, 0) + 1
        audit.append(
            "validation",
            {
                "source_id": report.source_id,
                "sha256": report.sha256,
                "rows_read": report.rows_read,
                "rows_would_stage": report.rows_staged,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "rules": rules,
                "file_refused": bool(report.file_problem),
            },
        )
    except Exception as exc:  # the report stands even if the trail cannot be written
        err.print(
            f"Warning: the validation could not be recorded in the audit trail ({exc}).", markup=False, highlight=False
        )
