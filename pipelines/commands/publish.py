"""``clac report`` (the annual report, HTML + PDF) and ``clac serve`` (preview the site)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

import typer

from pipelines.commands.base import app, console, fail
from warehouse import tables as wh

LANGS = ("es", "en", "pt")


def _audience_levels(audience: str) -> tuple[str, ...]:
    """The sharing levels an audience sees; an unknown audience ends the command with a message."""
    from governance.publication import AUDIENCES

    if audience not in AUDIENCES:
        fail(f"unknown audience '{audience}'. Choose one of: {', '.join(AUDIENCES)}.")
    return AUDIENCES[audience]


@app.command()
def report(
    year: int = typer.Option(..., "--year", help="The year the report covers (figures up to that year)."),
    lang: str = typer.Option("es", "--lang", help="Language: es, en or pt."),
    out: Path = typer.Option(None, "--out", help="Output folder (default: <outputs>/reports/AUDIENCE)."),
    narrative: Path = typer.Option(
        None, "--narrative", help="Folder with <year>/<lang>/*.md narrative sections (default: dashboards/narrative)."
    ),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Write the HTML only."),
    audience: str = typer.Option(
        "public",
        "--audience",
        help="public (CLEAR, approved data; the default), members (CLEAR, GREEN) or "
        "secretariat (up to AMBER, exact values).",
    ),
) -> None:
    """Write annual-report-YEAR-LANG.html and .pdf (PDF printed by headless Chromium)."""
    if lang not in LANGS:
        fail(f"unknown language '{lang}'. Choose one of: {', '.join(LANGS)}.")
    if not 1990 <= year <= 2100:
        fail(f"--year {year} is not a plausible report year (1990-2100).")
    if not wh.warehouse_path().exists():
        fail(f"no warehouse at {wh.warehouse_path()}. Run 'clac build' first.")
    if narrative is not None and not narrative.is_dir():
        fail(f"--narrative {narrative}: no such folder.")
    levels = _audience_levels(audience)
    # not the audience's build folder: that one is written by 'clac build' and released as a whole
    out = out or wh.output_dir() / "reports" / audience
    from dashboards.report import CHROMIUM, build_report, publication_date, site_address

    try:  # the settings the report reads, checked before anything is written
        site_address()
        publication_date()
    except ValueError as exc:
        fail(str(exc))
    if not no_pdf and not Path(CHROMIUM).exists():
        fail(
            f"{CHROMIUM} not found: the PDF is printed with Debian's chromium. Install it "
            "(apt-get install chromium) or use --no-pdf."
        )
    with wh.connect(read_only=True) as con:
        html_path, pdf_path = build_report(
            con, year, lang, out, narrative=narrative, pdf=not no_pdf, allowed_sharing=levels, audience=audience
        )
    try:
        from governance import audit
        from sources.ingest import file_sha256

        details = {
            "year": year,
            "lang": lang,
            "audience": audience,
            "html": html_path.name,
            "html_sha256": file_sha256(html_path),
        }
        if pdf_path is not None:
            details.update({"pdf": pdf_path.name, "pdf_sha256": file_sha256(pdf_path)})
        audit.append("report", details)
    except ImportError:  # the audit trail is optional for the report itself
        pass
    console.print(f"Wrote {html_path}")
    if pdf_path is not None:
        console.print(f"Wrote {pdf_path}")


@app.command()
def serve(
    port: int = typer.Option(8000, "--port", help="Port on 127.0.0.1."),
    audience: str = typer.Option(
        "public", "--audience", help="Whose site to serve: public (the default), members or secretariat."
    ),
    dir: Path = typer.Option(None, "--dir", help="Folder to serve instead of the audience's site."),
) -> None:
    """Preview a site on http://127.0.0.1:PORT/ (this machine only; Ctrl+C stops).

    Serves the public build (<outputs>/public/site) unless told otherwise."""
    from pipelines.runner import audience_dir

    _audience_levels(audience)
    folder = (dir or audience_dir(audience) / "site").resolve()
    if not (folder / "index.html").is_file():
        hint = f"'clac build --audience {audience}'" if dir is None else "'clac build'"
        fail(f"no site in {folder}. Run {hint} first, or give --dir.")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}). Try another --port.")
    console.print(
        f"Serving {folder} ({audience if dir is None else 'folder given'}) on "
        f"http://127.0.0.1:{port}/ (this machine only; Ctrl+C to stop)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; SDMX REST resources under sdmx/ (files without extension) with their
    SDMX media types, which sdmx1's Client needs to choose its reader."""

    def guess_type(self, path):
        from dashboards.sdmx.publish import media_type

        relative = (
            Path(path).resolve().relative_to(Path(self.directory).resolve()).as_posix()
            if Path(path).resolve().is_relative_to(Path(self.directory).resolve())
            else ""
        )
        return media_type(relative) or super().guess_type(path)

    def log_message(self, format, *args):  # noqa: A002 - keep the console readable
        pass
