"""The ``clac`` application and what every command shares: the Typer app, the consoles,
``fail`` (one clear message and an exit status, never a traceback), the catalogue lookups
and the exportable marts.

:mod:`pipelines.cli` and every module of :mod:`pipelines.commands` register their commands
on :data:`app`; this module imports neither, so the commands never import the entry point.
"""

from __future__ import annotations

import os

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="CLAC indicators observatory: ingest, validate, compute and publish.",
)
console = Console()
err = Console(stderr=True)


@app.callback()
def _global_options(
    actor: str = typer.Option(
        "", "--actor", envvar="CLAC_ACTOR", help="Who is acting, for the audit trail (default: the OS user)."
    ),
) -> None:
    """CLAC indicators observatory: ingest, validate, compute and publish."""
    if actor:
        os.environ["CLAC_ACTOR"] = actor


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Error:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


def _catalogue():
    from sources.catalogue import CatalogueError, load_catalogue

    try:
        return load_catalogue()
    except CatalogueError as exc:
        fail(f"the source catalogue is invalid: {exc}. Fix that file in sources/catalogue/.")


def _entry(source_id: str):
    catalogue = _catalogue()
    if source_id not in catalogue:
        fail(
            f"unknown source id '{source_id}'. Known sources: {', '.join(catalogue)}. "
            "Run 'clac sources' to list them, or add a catalogue file in sources/catalogue/."
        )
    return catalogue[source_id]


EXPORTS = {
    "observations": "marts.observations",
    "indicators": "marts.indicator_values",
    "progress": "marts.indicator_progress",
    "quarantine": "staging.quarantine",
    "files": "marts.files",
    "areas": "marts.areas",
    "sources": "marts.sources",
    "revisions": "marts.revisions",
}
