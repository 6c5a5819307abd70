"""The annual report: HTML, then PDF printed by headless Chromium (charts stay vector).

    clac report --year 2023 --lang es --out DIR
    -> DIR/annual-report-2023-es.html, DIR/annual-report-2023-es.pdf, DIR/assets/

Contents: executive summary (status of the eight goals), one chapter per goal
(indicators, charts, progress, and the working groups' activities and policies when the
quarterly-report marts exist), legislative advances by country, reporting status, data
sources and coverage, and a methodology annex. Figures up to the report year only.

Narrative sections written by the Secretariat (foreword, meeting minutes) are Markdown
files in ``dashboards/narrative/<year>/<lang>/*.md`` (or ``--narrative DIR``, with the
same ``<year>/<lang>/`` layout), included in file-name order after the executive
summary when present. The first ``# heading`` of a file is its section title.

Determinism: the same warehouse, narrative files and code give a byte-identical HTML
file (no date other than the data's; sorted rows). The PDF is printed by Chromium,
which stamps the time into the file; :func:`normalise_pdf` then sets
``/CreationDate`` and ``/ModDate`` to the end of the report year and the document
``/ID`` to a hash of the content, in place (same lengths, so the cross-reference table
stays valid), which makes the PDF reproducible as long as Chromium renders the same way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

from dashboards import charts
from dashboards.data import LAC_AGGREGATES, SiteData, is_missing, load, most_restrictive
from dashboards.i18n import HTML_LANG, PLOTLY_LOCALES, Translator
from dashboards.pages import wg_title
from dashboards.site import (Builder, copy_assets, environment, goal_status, markdown_html,
                             regional_status, status_badge)

NARRATIVE_DIR = Path(__file__).resolve().parent / "narrative"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def narrative_sections(year: int, lang: str, base: Path | None = None) -> list[dict[str, str]]:
    folder = (base or NARRATIVE_DIR) / str(year) / lang
    sections = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            match = re.match(r"\s*#\s+(.+)\n", text)
            title = match.group(1).strip() if match else path.stem
            body = text[match.end():] if match else text
            sections.append({"id": "narrative-" + re.sub(r"[^a-z0-9]+", "-", path.stem.lower()),
                             "title": title, "html": _demote(markdown_html(body), 1)})
    return sections


def _demote(html_text: str, levels: int) -> str:
    """Headings of included Markdown one or more levels down (h1 -> h2 ...)."""
    def shift(match: re.Match) -> str:
        level = min(6, int(match.group(2)) + levels)
        return f"<{match.group(1)}h{level}"
    return re.sub(r"<(/?)h([1-6])", shift, html_text)


def _report_rows(builder: Builder, ind) -> Any:
    rows = builder.indicator_rows(ind)
    aggregates = rows[rows["REF_AREA"].isin(LAC_AGGREGATES)]
    return aggregates if len(aggregates) else rows


def report_context(data: SiteData, year: int, lang: str, out_dir: Path, narrative: Path | None) -> dict[str, Any]:
    t = Translator(lang)
    builder = Builder(data, out_dir)
    by_goal: dict[int, list] = {goal: [] for goal in range(1, 9)}
    for ind in data.registry.values():
        by_goal[ind.goal].append(ind)
    goals = []
    levels: list[str] = []
    synthetic = False
    for goal, indicators in by_goal.items():
        status, score, used = goal_status(data, indicators)
        levels += used
        items = []
        for ind in indicators:
            block = builder.figure_block(ind, _report_rows(builder, ind), lang, f"report-{year}-{ind.id}", "",
                                         height=330)
            block["csv"] = ""
            if block["rows"]:
                periods = [r["period"] for r in block["rows"]]
                block["description"] = t("chart_desc_report", name=block["name"], unit=block["unit"],
                                         areas=len({r["area"] for r in block["rows"]}), first=min(periods),
                                         last=max(periods))
            ind_status, ind_score, basis, used_ind = regional_status(data, ind.id)
            lac = [a for a in builder.assessment_rows(ind, lang, areas=list(LAC_AGGREGATES))]
            synthetic = synthetic or block["synthetic"]
            levels += [block["sharing"]] if block["sharing"] else []
            items.append({"id": ind.id, "name": getattr(ind.name, lang), "block": block,
                          "badge": status_badge(ind_status, t),
                          "score": t.number(ind_score, 2) if ind_score is not None else "",
                          "sharing": most_restrictive(used_ind) if used_ind else "",
                          "definition": getattr(ind.definition, lang), "assessments": lac,
                          "working_group": t.working_group(ind.working_group)})
        wg_tables = []
        for name, frame in data.wg_marts.items():
            if "GOAL" in frame.columns:
                part = frame[frame["GOAL"].astype(str) == str(goal)]
                if len(part):
                    wg_tables.append({"name": wg_title(name, t), "table": builder.generic_table(
                        part, lang, drop=("GOAL", "SOURCE_ID"), mart=name)})
                    levels += list(part["SHARING"])
        goals.append({"n": goal, "name": t.goal(goal), "badge": status_badge(status, t),
                      "score": t.number(score, 2) if score is not None else "",
                      "sharing": most_restrictive(used) if used else "", "indicators": items,
                      "wg_tables": wg_tables})
    legislative = data.marts.get("legislative_tracker")
    reporting = data.marts.get("reporting_status")
    from dashboards.pages import _reporting_matrix, _source_items

    if reporting is not None and "REF_YEAR" in reporting.columns:
        reporting = reporting[reporting["REF_YEAR"] == year]

    coverage = data.marts.get("dq_coverage")
    methodology = []
    try:
        from indicators.methodology import methodology_pages

        for ind_id, text in methodology_pages(data.registry, lang).items():
            methodology.append({"id": ind_id, "html": _demote(markdown_html(text), 2)})
    except Exception as exc:  # noqa: BLE001 - the annex says what is missing
        methodology.append({"id": "missing", "html": f"<p>{t('missing_mart', mart='indicators.methodology')} ({exc})</p>"})
    for frame in (legislative, reporting, coverage):
        if frame is not None and len(frame):
            levels += list(frame["SHARING"])
    sources = _source_items(data.sources, lang)
    synthetic = synthetic or any(s["synthetic"] for s in sources if s["id"] in _used_sources(data))
    return {
        "t": t, "lang": lang, "html_lang": HTML_LANG[lang], "year": year, "root": "",
        "plotly_locale": PLOTLY_LOCALES[lang], "goals": goals,
        "narrative": narrative_sections(year, lang, narrative),
        "legislative": {"notice": builder.mart_notice("legislative_tracker", legislative, t),
                        "table": builder.generic_table(legislative, lang, mart="legislative_tracker")},
        "reporting": {"notice": builder.mart_notice("reporting_status", reporting, t),
                      "matrix": _reporting_matrix(reporting, t, data.codelists)
                      if reporting is not None and len(reporting) else None,
                      "table": builder.generic_table(reporting, lang, mart="reporting_status")},
        "coverage": {"notice": builder.mart_notice("dq_coverage", coverage, t),
                     "table": builder.generic_table(coverage, lang, mart="dq_coverage")},
        "sources": sources, "methodology": methodology, "synthetic": synthetic,
        "page_sharing": most_restrictive(levels) if levels else "",
        "audience": t("audience_label", audience=t.get(f"audiences.{data.audience}", data.audience),
                      levels=", ".join(data.allowed_sharing)),
        "status_colours": charts.STATUS_COLOURS,
    }


def _used_sources(data: SiteData) -> set[str]:
    if data.values is None or not len(data.values):
        return set()
    return {s for ids in data.values["SOURCE_IDS"] for s in str(ids).split(",") if s}


def build_report_html(con, year: int, lang: str, out_dir: Path, *,
                      allowed_sharing=("CLEAR", "GREEN", "AMBER"), audience: str = "secretariat",
                      narrative: Path | None = None, data: SiteData | None = None) -> Path:
    """The report's HTML; ``data`` (from :func:`load` with ``max_year=year``) is read when not given."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = load(con, allowed_sharing=tuple(allowed_sharing), audience=audience, max_year=year)
    scratch = out_dir / ".report-scratch"
    context = report_context(data, year, lang, scratch, narrative)
    shutil.rmtree(scratch, ignore_errors=True)  # figure CSVs are not part of the report
    copy_assets(out_dir)
    text = environment().get_template("report.html").render(**context)
    path = out_dir / f"annual-report-{year}-{lang}.html"
    path.write_text(text, encoding="utf-8")
    return path


def print_pdf(html_path: Path, pdf_path: Path, year: int, *, timeout_ms: int = 120_000) -> Path:
    """Print the report with headless Chromium once every chart has rendered (SVG: vector)."""
    return print_pdfs([(html_path, pdf_path)], year, timeout_ms=timeout_ms)[0]


def print_pdfs(pairs: list[tuple[Path, Path]], year: int, *, timeout_ms: int = 120_000) -> list[Path]:
    """Print several reports (HTML path, PDF path) with one headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for html_path, pdf_path in pairs:
                page = browser.new_page(viewport={"width": 1100, "height": 1400})
                page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
                page.wait_for_function(
                    "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
                    ".every(d => d.getAttribute('data-rendered') === 'true')", timeout=timeout_ms)
                page.emulate_media(media="print")
                pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                               margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                               display_header_footer=True, header_template="<span></span>",
                               footer_template=('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                                '<span class="pageNumber"></span> / <span class="totalPages"></span>'
                                                '</div>'))
                page.close()
                pdf_path.write_bytes(normalise_pdf(pdf, year))
        finally:
            browser.close()
    return [pdf_path for _, pdf_path in pairs]


def normalise_pdf(pdf: bytes, year: int) -> bytes:
    """Dates from the data (end of ``year``) and a content-derived /ID, in place."""
    def date(match: re.Match) -> bytes:
        original = match.group(2)
        stamp = f"D:{year:04d}1231000000".encode()
        replacement = stamp + original[len(stamp):] if len(original) >= len(stamp) else original
        return match.group(1) + replacement + b")"

    out = re.sub(rb"(/(?:CreationDate|ModDate)\s*\()([^)]*)\)", date, pdf)
    id_pattern = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
    blanked = id_pattern.sub(lambda m: b"/ID [<" + b"0" * len(m.group(1)) + b"> <" + b"0" * len(m.group(2)) + b">]",
                             out)
    digest = hashlib.sha256(blanked).hexdigest().upper().encode()

    def new_id(match: re.Match) -> bytes:
        first, second = match.group(1), match.group(2)
        return (match.group(0)[:match.start(1) - match.start(0)] + (digest * 4)[:len(first)]
                + match.group(0)[match.end(1) - match.start(0):match.start(2) - match.start(0)]
                + (digest * 4)[:len(second)] + match.group(0)[match.end(2) - match.start(0):])

    return id_pattern.sub(new_id, out)


def report_year(con, allowed_sharing, override: str | None = None) -> int | None:
    """The year an edition's report covers: ``override`` (CLAC_REPORT_YEAR) when given, else
    the latest year with indicator figures at the edition's sharing levels (None: no figures)."""
    if override:
        if not override.isdigit() or not 1990 <= int(override) <= 2100:
            raise ValueError(f"CLAC_REPORT_YEAR={override!r} is not a plausible report year (1990-2100).")
        return int(override)
    from sources import warehouse as wh

    if not wh.table_exists(con, "marts", "indicator_values"):
        return None
    levels = list(allowed_sharing)
    marks = ", ".join("?" for _ in levels)
    year = con.execute(f"""SELECT max(TRY_CAST(substr(CAST(TIME_PERIOD AS VARCHAR), 1, 4) AS INTEGER))
                           FROM marts.indicator_values WHERE SHARING IN ({marks})""", levels).fetchone()[0]
    return None if year is None else int(year)


def build_reports(con, year: int, languages, out_dir: Path, *, allowed_sharing, audience: str,
                  pdf: bool = True) -> list[Path]:
    """The report in several languages from one read of the warehouse (HTML, then the PDFs
    printed by one Chromium); the files written, HTML and PDF of each language in turn."""
    data = load(con, allowed_sharing=tuple(allowed_sharing), audience=audience, max_year=year)
    pairs = [(build_report_html(con, year, lang, out_dir, allowed_sharing=allowed_sharing, audience=audience,
                                data=data), Path(out_dir) / f"annual-report-{year}-{lang}.pdf") for lang in languages]
    if pdf:
        print_pdfs(pairs, year)
    return [path for pair in pairs for path in (pair if pdf else pair[:1])]


def build_report(con, year: int, lang: str, out_dir: Path, *, allowed_sharing=("CLEAR", "GREEN", "AMBER"),
                 audience: str = "secretariat", narrative: Path | None = None, pdf: bool = True) -> tuple[Path, Path | None]:
    html_path = build_report_html(con, year, lang, out_dir, allowed_sharing=allowed_sharing, audience=audience,
                                  narrative=narrative)
    pdf_path = None
    if pdf:
        pdf_path = print_pdf(html_path, Path(out_dir) / f"annual-report-{year}-{lang}.pdf", year)
    return html_path, pdf_path


__all__ = ["build_report", "build_reports", "build_report_html", "print_pdfs", "report_year", "print_pdf", "normalise_pdf", "narrative_sections",
           "is_missing"]
