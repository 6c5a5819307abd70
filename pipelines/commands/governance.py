"""``clac approve`` and ``clac release``: approval of data and immutable releases."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from governance import audit
from pipelines.commands.base import EXPORTS, _catalogue, _entry, app, console, fail
from warehouse import tables as wh

EXPORTS["approval-status"] = "marts.approval_status"

release_app = typer.Typer(help="Immutable, versioned releases of the published outputs.")
app.add_typer(release_app, name="release")


@app.command()
def approve(
    source_id: str = typer.Argument(..., help="The source id (see 'clac sources')."),
    period: str = typer.Option(..., "--period", help="The period to approve, e.g. 2023 or 2026-Q3."),
    actor: str = typer.Option(
        "", "--actor", help="Who approves (default: --actor given before the command, or the OS user)."
    ),
) -> None:
    """Approve a source's validated data for a period for public release."""
    from governance.approvals import ApprovalError, build_approval_status
    from governance.approvals import approve as record_approval
    from pipelines.runner import BuildBusy, build_lock, lock_wait_seconds

    entry = _entry(source_id)
    if actor:
        os.environ["CLAC_ACTOR"] = actor
    if not wh.warehouse_path().exists():
        fail(f"no warehouse at {wh.warehouse_path()}. Run 'clac build' first.")
    try:
        with build_lock(lock_wait_seconds()), wh.connect() as con:
            try:
                approved = record_approval(con, entry, period, audit.current_actor())
            except ApprovalError as exc:
                fail(str(exc))
            build_approval_status(con, _catalogue())
    except BuildBusy as exc:
        fail(str(exc), code=75)
    audit.append("approval", approved)
    console.print(
        f"Approved {source_id} {period}: {approved['rows']} observations "
        f"(data sha256 {approved['data_sha256'][:16]}…) by {audit.current_actor()}. "
        "Run 'clac build' to publish."
    )


@release_app.command("list")
def list_(audience: str = typer.Option("public", "--audience")) -> None:
    """The releases of an audience, oldest first."""
    import json

    from governance.releases import MANIFEST, list_releases

    table = Table(title=f"Releases for {audience}")
    for column in ("version", "files", "Dagster run"):
        table.add_column(column)
    for release in list_releases(audience):
        manifest = json.loads((release / MANIFEST).read_text())
        table.add_row(release.name, str(len(manifest["files"])), manifest.get("run_id", "")[:8])
    console.print(table)


@release_app.command("verify")
def verify(
    version: str = typer.Argument("", help="Version to verify (default: every release)."),
    audience: str = typer.Option("public", "--audience"),
) -> None:
    """Recompute release manifests; exit 1 naming every changed, missing or added file."""
    from governance.releases import list_releases, verify_release

    releases = [r for r in list_releases(audience) if not version or r.name == version]
    if not releases:
        fail(f"no release {version or ''} for audience '{audience}'. Run 'clac release list --audience {audience}'.")
    bad = {r.name: verify_release(r) for r in releases}
    bad = {name: problems for name, problems in bad.items() if problems}
    if bad:
        lines = "; ".join(f"{name}: {', '.join(problems[:5])}" for name, problems in bad.items())
        fail(f"release manifest mismatch: {lines}")
    console.print(f"{len(releases)} release(s) of '{audience}' verified: every file matches its manifest.")
