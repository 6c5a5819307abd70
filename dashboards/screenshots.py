"""Commit-ready screenshots of the site and the annual report, into docs/screenshots/.

    python -m dashboards.screenshots [--site DIR] [--report-pdf FILE] [--out DIR]

Home, one indicator page and one country profile in each language (headless Debian
chromium via Playwright, charts rendered first), an indicator with values withheld by
disclosure control (chart with its marks and note, and the table rows around the first
withheld value), and the first pages of the annual report's PDF (pdftoppm). Defaults:
the public edition, ``<outputs>/public/site`` and
``<outputs>/public/report/annual-report-*-es.pdf`` when present.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from dashboards.report import CHROMIUM, CHROMIUM_ARGS
from warehouse import tables as wh

OUT = wh.PROJECT_ROOT / "docs" / "screenshots"
INDICATOR = "cybertipline_reports_per_100k_children"
COUNTRY = "BRA"
WITHHELD_INDICATOR = "trafficking_victims_detected_per_100k"


def site_shots(site: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        try:
            for lang in ("es", "en", "pt"):
                for name, rel, full in (
                    ("home", "index.html", True),
                    ("indicator", f"indicator/{INDICATOR}.html", False),
                    ("country", f"country/{COUNTRY}.html", True),
                ):
                    path = site / lang / rel
                    if not path.exists():
                        continue
                    page.goto(path.as_uri())
                    _drawn(page)
                    target = out / f"site-{name}-{lang}.png"
                    if full:
                        page.screenshot(path=str(target), full_page=True)
                    else:
                        page.screenshot(
                            path=str(target), clip={"x": 0, "y": 0, "width": 1280, "height": 1500}, full_page=True
                        )
                    written.append(target)
                written += _withheld_shots(page, site, lang, out)
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            for lang in ("es", "en", "pt"):
                written += _view_shots(page, site, lang, out, "")
                written += _view_shots(phone, site, lang, out, "-390")
        finally:
            browser.close()
    return written


def _drawn(page) -> None:
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
        ".filter(d => !d.closest('[hidden]')).every(d => d.getAttribute('data-rendered') === 'true')"
    )


def _view_shots(page, site: Path, lang: str, out: Path, suffix: str) -> list[Path]:
    """The indicator page's chart and map tabs (the views block), and the top of a country profile
    (``suffix`` "-390": at a phone's width)."""
    written = []
    path = site / lang / "indicator" / f"{INDICATOR}.html"
    if path.exists():
        for view in ("chart", "map"):
            page.goto(path.as_uri() + ("#view=map" if view == "map" else ""))
            _drawn(page)
            target = out / f"site-indicator-{view}-{lang}{suffix}.png"
            page.locator("section.views").first.screenshot(path=str(target))
            written.append(target)
    path = site / lang / "country" / f"{COUNTRY}.html"
    if path.exists() and suffix:
        page.goto(path.as_uri())
        _drawn(page)
        target = out / f"site-country-{lang}{suffix}.png"
        height = min(2400, page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 390, "height": height}, full_page=True)
        written.append(target)
    return written


def _withheld_shots(page, site: Path, lang: str, out: Path) -> list[Path]:
    """The chart of an indicator with withheld values, and its table around the first mark."""
    path = site / lang / "indicator" / f"{WITHHELD_INDICATOR}.html"
    if not path.exists():
        return []
    page.goto(path.as_uri())
    _drawn(page)
    chart = out / f"site-withheld-chart-{lang}.png"
    page.locator("figure.chart-figure").first.screenshot(path=str(chart))
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    table_tab = page.locator('[role="tab"][data-view="table"]')
    if table_tab.count():
        table_tab.first.click()
    mark = page.locator("td[data-conf]").first
    if not mark.count():
        return [chart]
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    table = out / f"site-withheld-table-{lang}.png"
    page.screenshot(path=str(table), clip={"x": 0, "y": max(0, box["y"] - 150), "width": 1280, "height": 420})
    return [chart, table]


def pdf_shots(pdf: Path, out: Path, pages: int = 4) -> list[Path]:
    prefix = out / f"report-{pdf.stem.rsplit('-', 1)[-1]}-page"
    for old in out.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", str(pages), str(pdf), str(prefix)], check=True)
    return sorted(out.glob(f"{prefix.name}-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=wh.output_dir() / "public" / "site")
    parser.add_argument("--report-pdf", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    written = site_shots(args.site, args.out)
    reports = wh.output_dir() / "public" / "report"
    pdf = args.report_pdf or next(iter(sorted(reports.glob("annual-report-*-es.pdf"))), None)
    if pdf and pdf.exists():
        written += pdf_shots(pdf, args.out)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
