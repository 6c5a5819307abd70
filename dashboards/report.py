"""The annual report: HTML, then PDF printed by headless Chromium (charts stay vector).

    clac report --year 2023 --lang es --out DIR
    -> DIR/annual-report-2023-es.html, DIR/annual-report-2023-es.pdf, DIR/assets/

Contents: a cover (edition, year, date of publication: ``CLAC_PUBLICATION_DATE``, else
``SOURCE_DATE_EPOCH``, else today), the contents list with the page each chapter starts
on, an executive summary written from the data (each goal's status, and each indicator's
regional figure with its change since the year before, linked to the indicator), the
Secretariat's texts, one chapter per goal (progress indicators with their regional status
and coverage, context indicators apart with none, the working groups' activities when the
edition holds them), the reporting status, the sources, and a one-page methodology annex
that points to the site's methodology pages. Figures up to the report year only.

Narrative sections written by the Secretariat (foreword, meeting minutes) are Markdown
files in ``dashboards/narrative/<year>/<lang>/*.md`` (or ``--narrative DIR``, with the
same ``<year>/<lang>/`` layout), included in file-name order after the executive
summary when present. The first ``# heading`` of a file is its section title.

Narrative files that mark themselves SYNTHETIC (the shipped example) are left out of the
public edition, which then says that no narrative was supplied.

Determinism: the same warehouse, narrative files, publication date and code give a
byte-identical HTML file (sorted rows). The PDF is printed by Chromium (tagged, with the
document language and a bookmark per heading), which stamps the time into the file;
:func:`normalise_pdf` then sets ``/CreationDate`` and ``/ModDate`` to the end of the report
year and the document ``/ID`` to a hash of the content, in place (same lengths, so the
cross-reference table stays valid).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date

from dashboards import charts, site_cache
from dashboards.data import LAC_AGGREGATES, SiteData, is_missing, load, most_restrictive
from dashboards.i18n import HTML_LANG, PLOTLY_LOCALES, Translator, format_percent
from dashboards.pages import wg_title
from dashboards.precision import decimals, rounded
from dashboards.site import (
    Builder,
    copy_assets,
    coverage_threshold,
    environment,
    markdown_html,
    regional_status,
    status_badge,
)
from indicators.progress import STATUSES, status_from_score
from indicators.registry import by_goal

BABEL_LOCALES = {"es": "es", "en": "en_GB", "pt": "pt_BR"}

NARRATIVE_DIR = Path(__file__).resolve().parent / "narrative"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: How an invented example text marks itself (the Secretariat's real texts do not).
SYNTHETIC_MARK = re.compile(r"\bSYNTH?[EÉ]TI[CK]|\bSINT[EÉ]TIC", re.IGNORECASE)


def narrative_sections(year: int, lang: str, base: Path | None = None) -> list[dict[str, str]]:
    folder = (base or NARRATIVE_DIR) / str(year) / lang
    sections = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            match = re.match(r"\s*#\s+(.+)\n", text)
            title = match.group(1).strip() if match else path.stem
            body = text[match.end() :] if match else text
            sections.append(
                {
                    "id": "narrative-" + re.sub(r"[^a-z0-9]+", "-", path.stem.lower()),
                    "title": title,
                    "html": _demote(markdown_html(body), 1),
                    "synthetic": bool(SYNTHETIC_MARK.search(text)),
                }
            )
    return sections


def _demote(html_text: str, levels: int) -> str:
    """Headings of included Markdown one or more levels down (h1 -> h2 ...)."""

    def shift(match: re.Match) -> str:
        level = min(6, int(match.group(2)) + levels)
        return f"<{match.group(1)}h{level}"

    return re.sub(r"<(/?)h([1-6])", shift, html_text)


REPORT_WORDS_FILE = Path(__file__).resolve().parent / "translations" / "report.yaml"
HEADLINE_VALUES = ("", "_T")


@lru_cache(maxsize=1)
def _report_words() -> dict[str, Any]:
    return yaml.safe_load(REPORT_WORDS_FILE.read_text(encoding="utf-8"))


class ReportWords:
    """The report's own words (``dashboards/translations/report.yaml``) in one language."""

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, key: str, **kwargs: Any) -> str:
        entry: Any = _report_words()
        for part in key.split("."):
            entry = entry[part]
        return str(entry[self.lang]).format(**kwargs)


def site_address(override: str | None = None) -> str:
    """Where the public site is published (``CLAC_SITE_URL``, e.g. ``https://observatorio.example``),
    without a trailing slash; empty when not set. The report's links to the site's pages point
    there; without it they are relative to the edition's folder, which a PDF cannot keep."""
    address = (override if override is not None else os.environ.get("CLAC_SITE_URL", "")).strip().rstrip("/")
    if address and not re.match(r"https?://[^\s/]+", address):
        raise ValueError(f"CLAC_SITE_URL={address!r} is not a web address; write it as https://host/path.")
    return address


def publication_date(override: str | None = None) -> date:
    """The date printed on the cover: ``CLAC_PUBLICATION_DATE`` (YYYY-MM-DD), else
    ``SOURCE_DATE_EPOCH`` (reproducible builds), else today."""
    override = override if override is not None else os.environ.get("CLAC_PUBLICATION_DATE", "")
    if override:
        try:
            return date.fromisoformat(override)
        except ValueError:
            raise ValueError(
                f"CLAC_PUBLICATION_DATE={override!r} is not a date; write it as YYYY-MM-DD (e.g. 2024-03-31)."
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return date.today()


def _report_rows(builder: Builder, ind) -> Any:
    rows = builder.indicator_rows(ind)
    aggregates = rows[rows["REF_AREA"].isin(LAC_AGGREGATES)]
    return aggregates if len(aggregates) else rows


def _headline(frame):
    keep = (
        frame["SEX"].fillna("").isin(HEADLINE_VALUES)
        & frame["AGE"].fillna("").isin(HEADLINE_VALUES)
        & frame["DISAGGREGATION"].fillna("").isin(HEADLINE_VALUES)
    )
    return frame[keep]


def region_status(data: SiteData, ind) -> tuple[str, float | None, list[str]]:
    """(status, score, sharing levels) of an indicator for the region, as the site gives it
    (:func:`dashboards.site.regional_status`: the regional aggregate's own assessment only);
    context indicators have none."""
    if ind.kind == "context":
        return "context", None, []
    status, score, _, levels = regional_status(data, ind.id)
    return status, score, levels


def regional_figures(data: SiteData, ind, year: int) -> dict[str, Any] | None:
    """The regional headline value of ``year`` (or the latest year before it), the year
    before for comparison, and its coverage; the world's, for an indicator of the whole world."""
    from indicators.registry import WORLD_AREA

    rows = data.indicator_values(ind.id)
    if not len(rows):
        return None
    area = WORLD_AREA if ind.area_scope == "world" else "LAC"
    rows = _headline(rows[(rows["REF_AREA"] == area) & rows["TIME_PERIOD"].astype(str).str.fullmatch(r"\d{4}")])
    rows = rows[~rows["OBS_VALUE"].isna()]
    if "CONF_STATUS" in rows.columns:
        rows = rows[~rows["CONF_STATUS"].fillna("").isin(("C", "D"))]
    by_year = {int(r.TIME_PERIOD): r for r in rows.itertuples(index=False) if int(r.TIME_PERIOD) <= year}
    if not by_year:
        return None
    latest = max(by_year)
    row = by_year[latest]
    previous = by_year.get(latest - 1)
    return {
        "year": latest,
        "value": float(row.OBS_VALUE),
        "coverage": None if is_missing(row.COVERAGE) else float(row.COVERAGE),
        "previous": None if previous is None else float(previous.OBS_VALUE),
        "synthetic": bool(row.SYNTHETIC),
    }


def key_figure(ind, figures: dict[str, Any], t: Translator, w: ReportWords) -> str:
    """One sentence: the regional value, and its change since the year before."""

    def shown(value: float) -> str:  # the site's precision rule for the unit (dashboards.precision)
        return t.number(rounded(value, ind.unit), decimals(value, ind.unit))

    fields = {
        "name": getattr(ind.name, t.lang),
        "value": shown(figures["value"]),
        "unit": t.unit(ind.unit),
        "year": figures["year"],
    }
    previous = figures["previous"]
    count = "_count" if ind.unit == "NUMBER" else ""  # "3.107.857 (número)" says nothing more
    if previous is None:
        return w(f"key_figure{count}_only", **fields)
    if previous == 0 or round(figures["value"], 6) == round(previous, 6):
        change = w("change_none") if figures["value"] == previous else ""
    else:
        pct = (figures["value"] - previous) / abs(previous) * 100
        change = w("change_up" if pct > 0 else "change_down", pct=t.number(abs(pct), 1))
    if not change:
        return w(f"key_figure{count}_only", **fields)
    return w(
        "key_figure_count" if count else "key_figure_change",
        previous=shown(previous),
        previous_year=figures["year"] - 1,
        change=change,
        **fields,
    )


def _percent(share: float, lang: str) -> str:
    return format_percent(share, lang)


def report_context(
    data: SiteData, year: int, lang: str, out_dir: Path, narrative: Path | None, published: date | None = None
) -> dict[str, Any]:
    t = Translator(lang)
    w = ReportWords(lang)
    threshold = coverage_threshold(lang)
    builder = Builder(data, out_dir)
    goals = []
    levels: list[str] = []
    synthetic = False
    key_figures = []
    status_counts: dict[str, int] = {}
    for goal, indicators in by_goal(data.registry).items():
        items = {"progress": [], "context": []}
        scores = []
        for ind in indicators:
            block = builder.figure_block(
                ind, _report_rows(builder, ind), lang, f"report-{year}-{ind.id}", "", height=300
            )
            block["csv"] = ""
            if block["rows"]:
                periods = [r["period"] for r in block["rows"]]
                block["description"] = t(
                    "chart_desc_report",
                    name=block["name"],
                    unit=block["unit"],
                    areas=len({r["area"] for r in block["rows"]}),
                    first=min(periods),
                    last=max(periods),
                )
            status, score, used = region_status(data, ind)
            figures = regional_figures(data, ind, year)
            synthetic = synthetic or block["synthetic"]
            levels += used + ([block["sharing"]] if block["sharing"] else [])
            coverage = ""
            if figures and figures["coverage"] is not None:
                coverage = w("coverage_line", year=figures["year"], coverage=_percent(figures["coverage"], lang))
            if ind.kind == "progress":
                status_counts[status] = status_counts.get(status, 0) + 1
                if score is not None:
                    scores.append((score, status))
            if figures:
                key_figures.append({"goal": goal, "id": ind.id, "text": key_figure(ind, figures, t, w)})
            items[ind.kind].append(
                {
                    "id": ind.id,
                    "name": getattr(ind.name, lang),
                    "block": block,
                    "badge": status_badge(status, t),
                    "status": status,
                    "score": t.number(score, 2) if score is not None else "",
                    "sharing": most_restrictive(used) if used else "",
                    "definition": getattr(ind.definition, lang),
                    "coverage": coverage,
                    "coverage_note": w("coverage_too_low", threshold=threshold)
                    if status == "insufficient_coverage"
                    else "",
                    "no_region": w("no_regional_figure") if figures is None else "",
                    "assessments": [
                        dict(a, badge=status_badge(status, t)) if status == "insufficient_coverage" else a
                        for a in builder.assessment_rows(ind, lang, areas=["LAC"])
                    ]
                    if ind.kind == "progress"
                    else [],
                    "working_group": t.working_group(ind.working_group),
                }
            )
        wg_tables = []
        for name, frame in data.wg_marts.items():
            if "GOAL" in frame.columns:
                part = frame[frame["GOAL"].astype(str) == str(goal)]
                if len(part):
                    wg_tables.append(
                        {
                            "name": wg_title(name, t),
                            "table": builder.generic_table(part, lang, drop=("GOAL", "SOURCE_ID"), mart=name),
                        }
                    )
                    levels += list(part["SHARING"])
        goal_score = sum(s for s, _ in scores) / len(scores) if scores else None
        goal_code = (
            "not_available"
            if goal_score is None
            else status_from_score(goal_score, target_achieved=all(st == "target_achieved" for _, st in scores))
        )
        goals.append(
            {
                "n": goal,
                "name": t.goal(goal),
                "badge": status_badge(goal_code, t),
                "score": t.number(goal_score, 2) if goal_score is not None else "",
                "progress": items["progress"],
                "context": items["context"],
                "wg_tables": wg_tables,
            }
        )
    reporting = data.marts.get("reporting_status")
    from dashboards.pages import _reporting_matrix, _source_items

    if reporting is not None and "REF_YEAR" in reporting.columns:
        reporting = reporting[reporting["REF_YEAR"] == year]
    if reporting is not None and len(reporting):
        levels += list(reporting["SHARING"])
    sources = [s for s in _source_items(data.sources, lang) if s["id"] in _used_sources(data)]
    synthetic = synthetic or any(s["synthetic"] for s in sources)
    sections = narrative_sections(year, lang, narrative)
    if data.audience == "public":
        sections = [n for n in sections if not n["synthetic"]]
    n_context = sum(len(g["context"]) for g in goals)
    counts = ", ".join(
        f"{t.status(code)}: {n}"
        for code, n in sorted(status_counts.items(), key=lambda kv: list(STATUSES).index(kv[0]))
    )
    published = published or publication_date()
    return {
        "t": t,
        "w": w,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "year": year,
        "root": "",
        "plotly_locale": PLOTLY_LOCALES[lang],
        "goals": goals,
        "narrative": sections,
        "edition": w("edition", edition=w(f"editions.{data.audience}")),
        "published": w("published", date=format_date(published, "long", locale=BABEL_LOCALES[lang])),
        "summary_lead": w("summary_lead", year=year, n_progress=len(data.registry) - n_context, n_context=n_context),
        "status_counts": w("status_counts", counts=counts) if counts else "",
        "key_figures": key_figures,
        "goal_note": w("goal_status_note", threshold=threshold),
        "reporting": {
            "matrix": _reporting_matrix(reporting, t, data.codelists)
            if reporting is not None and len(reporting)
            else None
        },
        "sources": sources,
        "synthetic": synthetic,
        "threshold": threshold,
        "methodology_href": f"{site_address() or '../site'}/{lang}/methodology/index.html",
        "page_sharing": most_restrictive(levels) if levels else "",
        "status_colours": charts.STATUS_COLOURS,
        "toc": {},
        "chapters": _chapters(t, w, goals, reporting_shown=reporting is not None and len(reporting) > 0),
    }


def _chapters(t: Translator, w: ReportWords, goals: list[dict], *, reporting_shown: bool) -> list[tuple[str, str]]:
    """(anchor, heading) of every chapter, in order: the contents list and the bookmarks."""
    out = [("summary", t("executive_summary")), ("secretariat", w("from_secretariat"))]
    out += [(f"goal-{g['n']}", t("chapter_goal", n=g["n"], name=g["name"])) for g in goals]
    if reporting_shown:
        out.append(("reporting", t("reporting_status")))
    return out + [("sources", t("sources")), ("methodology", w("annex_title"))]


def _used_sources(data: SiteData) -> set[str]:
    if data.values is None or not len(data.values):
        return set()
    return {s for ids in data.values["SOURCE_IDS"] for s in str(ids).split(",") if s}


def build_report_html(
    con,
    year: int,
    lang: str,
    out_dir: Path,
    *,
    allowed_sharing=("CLEAR", "GREEN", "AMBER"),
    audience: str = "secretariat",
    narrative: Path | None = None,
    data: SiteData | None = None,
    toc: dict[str, int] | None = None,
) -> Path:
    """The report's HTML; ``data`` (from :func:`load` with ``max_year=year``) is read when not given;
    ``toc``: the page of each chapter (from a first print), for the contents list."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = load(con, allowed_sharing=tuple(allowed_sharing), audience=audience, max_year=year)
    scratch = out_dir / ".report-scratch"
    context = report_context(data, year, lang, scratch, narrative)
    shutil.rmtree(scratch, ignore_errors=True)  # figure CSVs are not part of the report
    copy_assets(out_dir)
    path = out_dir / f"annual-report-{year}-{lang}.html"
    _write_html(context, path, toc)
    return path


def _write_html(context: dict[str, Any], path: Path, toc: dict[str, int] | None) -> None:
    context = dict(context, toc={k: str(v) for k, v in (toc or {}).items()})
    path.write_text(environment().get_template("report.html").render(**context), encoding="utf-8")


def print_pdf(html_path: Path, pdf_path: Path, year: int, *, timeout_ms: int = 120_000) -> Path:
    """Print the report with headless Chromium once every chart has rendered (SVG: vector)."""
    return print_pdfs([(html_path, pdf_path)], year, timeout_ms=timeout_ms)[0]


def print_pdfs(
    pairs: list[tuple[Path, Path]],
    year: int,
    *,
    chapters: list[list[tuple[str, str]]] | None = None,
    timeout_ms: int = 120_000,
) -> list[dict[str, int]]:
    """Print several reports (HTML path, PDF path) with one headless Chromium, the pages in
    parallel. With ``chapters`` (anchor, heading of each report's chapters) each page is printed
    twice: the first print tells on which page each chapter starts, the contents list of the
    open page is filled in, and the second print is kept. Returns each report's chapter pages.

    A page printed before exactly as it is now (same HTML, assets, browser and settings:
    :mod:`dashboards.print_cache`) is not printed again: its PDF and chapter pages are reused."""
    import asyncio

    from dashboards import print_cache

    chapters = chapters or [[] for _ in pairs]
    browser = print_cache.browser_version(CHROMIUM)
    printing_code = Path(__file__).read_text(encoding="utf-8")  # how a page is printed and normalised
    keys = [
        print_cache.print_key(
            html.read_bytes(),
            html.parent / "assets",
            browser=browser,
            settings=repr((sorted(_PDF_OPTIONS.items()), CHROMIUM_ARGS, year, chaps)) + printing_code,
        )
        for (html, _), chaps in zip(pairs, chapters)
    ]
    results = [print_cache.lookup(key) for key in keys]
    todo = [i for i, found in enumerate(results) if found is None]
    if todo:
        printed = asyncio.run(_print_all([pairs[i][0] for i in todo], year, [chapters[i] for i in todo], timeout_ms))
        for i, (pdf, toc) in zip(todo, printed):
            print_cache.store(keys[i], pdf, toc)
            results[i] = (pdf, toc)
    for (_, pdf_path), (pdf, _) in zip(pairs, results):
        pdf_path.write_bytes(pdf)
    return [toc for _, toc in results]


async def _print_all(pages: list[Path], year: int, chapters, timeout_ms: int) -> list[tuple[bytes, dict[str, int]]]:
    """Each page printed (PDF bytes with dates and /ID from the data) with its chapter pages."""
    import asyncio

    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = await asyncio.gather(
                *(_print_one(browser, html, chaps, timeout_ms) for html, chaps in zip(pages, chapters))
            )
        finally:
            await browser.close()
    return [(normalise_pdf(pdf, year), toc) for pdf, toc in results]


_PDF_OPTIONS = dict(
    format="A4",
    print_background=True,
    prefer_css_page_size=True,
    tagged=True,
    outline=True,
    margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
    display_header_footer=True,
    header_template="<span></span>",
    footer_template=(
        '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
        '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
    ),
)


#: Before printing: a link to a page of the edition's folder (relative in the HTML, so the
#: folder can be moved) would become a ``file://`` address of the machine that printed it, which
#: no reader of the PDF can open. It is printed as its words followed by the page's place in
#: the edition; links inside the report and to web addresses stay links.
_UNLINK_LOCAL_PAGES = """() => {
  for (const a of Array.from(document.querySelectorAll('a[href]'))) {
    const href = a.getAttribute('href');
    if (href.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
    const span = document.createElement('span');
    span.className = a.className;
    span.textContent = `${a.textContent} (${href.replace(/^(\\.\\.\\/)+/, '')})`;
    a.replaceWith(span);
  }
}"""


async def _print_one(
    browser, html_path: Path, chapters: list[tuple[str, str]], timeout_ms: int
) -> tuple[bytes, dict[str, int]]:
    page = await browser.new_page(viewport={"width": 1100, "height": 1400})
    try:
        await page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        await page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
            ".every(d => d.getAttribute('data-rendered') === 'true')",
            timeout=timeout_ms,
        )
        await page.evaluate(_UNLINK_LOCAL_PAGES)
        await page.emulate_media(media="print")
        pdf = await page.pdf(**_PDF_OPTIONS)
        if not chapters:
            return pdf, {}
        found = heading_pages(pdf)
        toc = {anchor: found[heading_key(title)] for anchor, title in chapters if heading_key(title) in found}
        await page.evaluate(
            """toc => { for (const [id, n] of Object.entries(toc)) {
            const cell = document.querySelector(`.page-no .n[data-chapter="${id}"]`);
            if (cell) cell.textContent = String(n); } }""",
            toc,
        )
        return await page.pdf(**_PDF_OPTIONS), toc
    finally:
        await page.close()


def heading_key(title: str) -> str:
    """A heading without its white space: Chromium's bookmarks drop the spaces where a heading wraps."""
    return re.sub(r"\s+", "", title)


def heading_pages(pdf_file: Path | bytes) -> dict[str, int]:
    """The page (1-based) of each bookmark of a PDF, by :func:`heading_key` of its title (Chromium
    makes a bookmark of every heading when printing with ``outline=True``)."""
    import pdfplumber
    from pdfminer.pdftypes import resolve1

    pages: dict[str, int] = {}
    import io

    source = io.BytesIO(pdf_file) if isinstance(pdf_file, bytes) else str(pdf_file)
    with pdfplumber.open(source) as pdf:
        numbers = {page.page_obj.pageid: page.page_number for page in pdf.pages}
        try:
            outlines = list(pdf.doc.get_outlines())
        except Exception:  # noqa: BLE001 - pdfminer raises PDFNoOutlines: no bookmarks
            return pages
        for _level, title, dest, action, _se in outlines:
            if dest is None and action is not None:
                dest = resolve1(action).get("D")
            dest = resolve1(dest)
            if isinstance(dest, (bytes, str)):
                dest = resolve1(pdf.doc.get_dest(dest))
            if isinstance(dest, dict):
                dest = resolve1(dest.get("D"))
            if isinstance(dest, list) and dest:
                page_id = getattr(dest[0], "objid", None)
                if page_id in numbers:
                    pages.setdefault(heading_key(str(title)), numbers[page_id])
    return pages


def normalise_pdf(pdf: bytes, year: int) -> bytes:
    """Dates from the data (end of ``year``) and a content-derived /ID, in place."""

    def date(match: re.Match) -> bytes:
        original = match.group(2)
        stamp = f"D:{year:04d}1231000000".encode()
        replacement = stamp + original[len(stamp) :] if len(original) >= len(stamp) else original
        return match.group(1) + replacement + b")"

    out = re.sub(rb"(/(?:CreationDate|ModDate)\s*\()([^)]*)\)", date, pdf)
    id_pattern = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
    blanked = id_pattern.sub(
        lambda m: b"/ID [<" + b"0" * len(m.group(1)) + b"> <" + b"0" * len(m.group(2)) + b">]", out
    )
    digest = hashlib.sha256(blanked).hexdigest().upper().encode()

    def new_id(match: re.Match) -> bytes:
        first, second = match.group(1), match.group(2)
        return (
            match.group(0)[: match.start(1) - match.start(0)]
            + (digest * 4)[: len(first)]
            + match.group(0)[match.end(1) - match.start(0) : match.start(2) - match.start(0)]
            + (digest * 4)[: len(second)]
            + match.group(0)[match.end(2) - match.start(0) :]
        )

    return id_pattern.sub(new_id, out)


def report_year(con, allowed_sharing, override: str | None = None) -> int | None:
    """The year an edition's report covers: ``override`` (CLAC_REPORT_YEAR) when given, else
    the latest year with indicator figures at the edition's sharing levels (None: no figures)."""
    if override:
        if not override.isdigit() or not 1990 <= int(override) <= 2100:
            raise ValueError(f"CLAC_REPORT_YEAR={override!r} is not a plausible report year (1990-2100).")
        return int(override)
    from warehouse import tables as wh

    if not wh.table_exists(con, "marts", "indicator_values"):
        return None
    levels = list(allowed_sharing)
    marks = ", ".join("?" for _ in levels)
    year = con.execute(
        f"""SELECT max(TRY_CAST(substr(CAST(TIME_PERIOD AS VARCHAR), 1, 4) AS INTEGER))
                           FROM marts.indicator_values WHERE SHARING IN ({marks})""",
        levels,
    ).fetchone()[0]
    return None if year is None else int(year)


def build_reports(
    con,
    year: int,
    languages,
    out_dir: Path,
    *,
    allowed_sharing,
    audience: str,
    pdf: bool = True,
    narrative: Path | None = None,
    cache_dir: Path | None = None,
    reused: list[str] | None = None,
) -> list[Path]:
    """The report in several languages from one read of the warehouse (HTML, then the PDFs
    printed by one Chromium, languages in parallel); the files written, HTML and PDF of each
    language in turn. Each page is printed twice (see :func:`print_pdfs`) so that the contents
    list carries the pages the chapters start on.

    ``cache_dir``: the reports are kept there by what they read (:mod:`dashboards.page_cache`,
    the report as one group), and copied from there when none of it changed since: a
    quarterly workbook, which a closed year's report does not show, does not make it again; then
    "report" is added to ``reused``."""
    from dashboards import page_cache

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load(
        con,
        allowed_sharing=tuple(allowed_sharing),
        audience=audience,
        max_year=year,
        kept_published=site_cache.published_folder(cache_dir),
    )
    copy_assets(out_dir)
    published = publication_date()
    names = [
        f"annual-report-{year}-{lang}.{kind}" for lang in languages for kind in (("html", "pdf") if pdf else ("html",))
    ]
    group = f"report-{year}-{'-'.join(languages)}-{'pdf' if pdf else 'html'}"
    kept = _report_cache(cache_dir, data, published, narrative, pdf) if cache_dir is not None else None
    found = kept.lookup(group) if kept is not None else None
    if found is not None and sorted(found[0]) == sorted(names):
        for name in names:
            (out_dir / name).write_bytes(found[0][name])
        if reused is not None:
            reused.append("report")
        return [out_dir / name for name in names]
    reads = page_cache.ReadLog()
    with reads.recording() as read:
        _write_reports(page_cache.TracedSiteData(data, reads), year, languages, out_dir, pdf, narrative, published)
    if kept is not None:
        kept.store(group, read, {name: (out_dir / name).read_bytes() for name in names}, {"files": names})
    return [out_dir / name for name in names]


def _report_cache(cache_dir: Path, data, published: date, narrative: Path | None, pdf: bool):
    """The kept reports, keyed also by the code, the cover's date, the narrative, the published
    site's address (the report's links) and the printer: every input that is not the data."""
    from dashboards import page_cache, print_cache
    from warehouse import kept_files

    digest = hashlib.sha256()
    for part in (site_cache.rendering_fingerprint(), published.isoformat(), site_address()):
        kept_files.update(digest, part.encode())
    kept_files.update(digest, (print_cache.browser_version(CHROMIUM) if pdf else "").encode())
    if narrative is not None and narrative.is_dir():
        kept_files.tree_digest(digest, narrative, narrative)
    return page_cache.PageCache(cache_dir, data, digest.hexdigest())


def _write_reports(data, year: int, languages, out_dir: Path, pdf: bool, narrative: Path | None, published) -> None:
    """Write each language's report HTML (and PDF) into ``out_dir``."""
    jobs = []
    for lang in languages:
        scratch = out_dir / ".report-scratch"
        context = report_context(data, year, lang, scratch, narrative, published=published)
        shutil.rmtree(scratch, ignore_errors=True)
        html_path = out_dir / f"annual-report-{year}-{lang}.html"
        _write_html(context, html_path, None)
        jobs.append((context, html_path, out_dir / f"annual-report-{year}-{lang}.pdf"))
    pairs = [(html_path, pdf_path) for _, html_path, pdf_path in jobs]
    if pdf:
        tocs = print_pdfs(pairs, year, chapters=[context["chapters"] for context, _, _ in jobs])
        for (context, html_path, _), toc in zip(jobs, tocs):
            _write_html(context, html_path, toc)  # the HTML carries the printed page numbers too


def build_report(
    con,
    year: int,
    lang: str,
    out_dir: Path,
    *,
    allowed_sharing=("CLEAR", "GREEN", "AMBER"),
    audience: str = "secretariat",
    narrative: Path | None = None,
    pdf: bool = True,
) -> tuple[Path, Path | None]:
    """One language's report (see :func:`build_reports`): (HTML path, PDF path or None)."""
    paths = build_reports(
        con, year, [lang], out_dir, allowed_sharing=allowed_sharing, audience=audience, pdf=pdf, narrative=narrative
    )
    return paths[0], (paths[1] if pdf else None)


__all__ = [
    "build_report",
    "build_reports",
    "build_report_html",
    "print_pdfs",
    "report_year",
    "print_pdf",
    "normalise_pdf",
    "narrative_sections",
    "heading_pages",
    "is_missing",
]
