"""``clac template``: the quarterly report workbook of a working group; exports of its marts.

    clac template --working-group hotlines --quarter 2026-Q3 --lang pt --out relatorio.xlsx

Filled workbooks come back through ``clac ingest PATH --source wg_quarterly_report``
(domain code in :mod:`sources.quarterly`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.commands.base import EXPORTS, app, console, fail

EXPORTS["reporting-status"] = "marts.reporting_status"
EXPORTS["legislative-tracker"] = "marts.legislative_tracker"
EXPORTS["legislative-tracker-history"] = "marts.legislative_tracker_history"
EXPORTS["capability-tracker"] = "marts.capability_tracker"
EXPORTS["capability-tracker-history"] = "marts.capability_tracker_history"
EXPORTS["wg-activities"] = "marts.wg_activities"
EXPORTS["wg-policies"] = "marts.wg_policies"
EXPORTS["wg-legislative-advances"] = "marts.wg_legislative_advances"
EXPORTS["wg-quarter-summary"] = "marts.wg_quarter_summary"


@app.command()
def template(
    working_group: str = typer.Option(
        ..., "--working-group", help="Working group id (sources/codelists/working_groups.yaml)."
    ),
    quarter: str = typer.Option(..., "--quarter", help="The quarter reported, e.g. 2026-Q3."),
    lang: str = typer.Option("es", "--lang", help="Language of the workbook: es (default), en or pt."),
    out: Path = typer.Option(..., "--out", help="The .xlsx file to write (or a folder)."),
) -> None:
    """Write the quarterly report workbook of a working group for one quarter."""
    from sources.quarterly.template import TemplateError, parse_quarter, write_template

    try:
        path = write_template(out, working_group, quarter, lang)
    except TemplateError as exc:
        fail(str(exc))
    q = parse_quarter(quarter)
    console.print(
        f"Wrote the quarterly report template of '{working_group}' for {q} ({lang}), due {q.due()}, "
        f"to {path}. Send it back filled with: clac ingest {path.name} --source wg_quarterly_report",
        highlight=False,
    )
