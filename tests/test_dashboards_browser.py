"""The static site in a real browser: Debian's chromium, headless, driven by Playwright.

One browser for the module, a few pages (tabs) reused: every page of every language
loads from file:// with no console error, no failed request and no request leaving the
file system; every chart draws data traces; the language switch leads to the same page.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGS = ("es", "en", "pt")
TABS = 2

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason="Debian's chromium is not installed (make test installs it)",
)


@pytest.fixture(scope="module")
def site(built_home) -> Path:
    path = built_home / "build" / "site"
    assert (path / "es" / "index.html").is_file(), "clac build wrote no site"
    return path


def _pages(site: Path) -> list[Path]:
    return sorted(p for lang in LANGS for p in (site / lang).rglob("*.html"))


RENDERED = (
    "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
    ".filter(d => !d.closest('[hidden]')).every(d => d.getAttribute('data-rendered') === 'true')"
)
TRACES = (
    "() => Array.from(document.querySelectorAll('.chart[data-figure]')).map(d => d.querySelectorAll("
    "'.scatterlayer .trace, .barlayer .trace, .choroplethlayer .trace').length)"
)


async def _check_page(page, url: str, errors: list[str], stats: dict) -> None:
    """Load the page, show each of its views (tabs draw their charts when first shown), then
    count the data traces of every chart: a chart in a view nobody opened would go unchecked."""
    await page.goto(url, wait_until="load", timeout=90_000)
    charts = await page.locator(".chart[data-figure]").count()
    if charts:
        await page.wait_for_function(RENDERED, timeout=60_000)
        tabs = page.locator('[role="tab"]')
        for index in range(await tabs.count()):
            await tabs.nth(index).click()
            await page.wait_for_function(RENDERED, timeout=60_000)
        traces = await page.evaluate(TRACES)
        stats["charts"] += len(traces)
        for index, count in enumerate(traces):
            if count <= 0:
                errors.append(f"chart {index} has no data trace")
    if not (await page.title()).strip():
        errors.append("empty <title>")
    stats["pages"] += 1


async def _visit_all(urls: list[str]) -> tuple[list[str], dict]:
    """Visit every URL with a few reused tabs of one browser; collect every problem."""
    from playwright.async_api import async_playwright

    problems: list[str] = []
    stats = {"pages": 0, "charts": 0}
    queue: asyncio.Queue = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1200, "height": 900})

        async def worker() -> None:
            page = await context.new_page()
            errors: list[str] = []  # the current page's problems (listeners stay attached)
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: errors.append(f"failed request {r.url}: {r.failure}"))
            page.on(
                "request",
                lambda r: errors.append(f"external request {r.url}")
                if not r.url.startswith(("file://", "data:", "blob:", "about:"))
                else None,
            )
            while not queue.empty():
                url = queue.get_nowait()
                errors.clear()
                try:
                    await _check_page(page, url, errors, stats)
                except Exception as exc:  # noqa: BLE001 - report every failing page
                    errors.append(f"{type(exc).__name__}: {exc}")
                problems.extend(f"{url}: {e}" for e in errors)
            await page.close()

        await asyncio.gather(*(worker() for _ in range(TABS)))
        await browser.close()
    return problems, stats


# 451 pages of the public site in two tabs: several minutes on two busy cores, more than the
# suite's per-test limit (a timeout kills the xdist worker)
@pytest.mark.timeout(1800)
def test_every_page_of_every_language_loads_cleanly_and_every_chart_draws(site):
    pages = _pages(site)
    assert len(pages) > 3 * 20
    problems, stats = asyncio.run(_visit_all([p.as_uri() for p in pages]))
    assert not problems, "\n".join(problems[:30])
    assert stats["pages"] == len(pages)
    assert stats["charts"] > 0


def test_language_switch_leads_to_the_same_page(site):
    from playwright.sync_api import sync_playwright

    indicator = sorted((site / "es" / "indicator").glob("*.html"))[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        try:
            page.goto(indicator.as_uri())
            assert page.locator("html").get_attribute("lang") == "es"
            with page.expect_navigation():
                page.click("nav.languages a[data-lang=en]")
            assert page.url.endswith(f"/en/indicator/{indicator.name}")
            assert page.locator("html").get_attribute("lang") == "en"
            with page.expect_navigation():
                page.click("nav.languages a[data-lang=pt]")
            assert page.url.endswith(f"/pt/indicator/{indicator.name}")
            assert page.locator("html").get_attribute("lang") == "pt-BR"
            # the home page too, by keyboard: focus the link and press Enter
            page.goto((site / "pt" / "index.html").as_uri())
            page.focus("nav.languages a[data-lang=es]")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url.endswith("/es/index.html")
        finally:
            browser.close()


def test_series_and_country_selectors_restyle_the_chart(site):
    """Native <select> controls: choosing a country highlights its line; a series selector
    (when the indicator has disaggregations) shows that series' traces."""
    from playwright.sync_api import sync_playwright

    pages = sorted((site / "en" / "indicator").glob("*.html"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        try:
            checked_country = checked_series = False
            for path in pages:
                text = path.read_text(encoding="utf-8")
                if checked_country and (checked_series or "series-select" not in text):
                    continue
                page.goto(path.as_uri())
                if page.locator(".chart[data-figure]").count() == 0:
                    continue
                page.wait_for_selector(".chart[data-rendered=true]")
                country = page.locator("select.country-select").first
                if not checked_country and country.count():
                    value = country.locator("option").nth(1).get_attribute("value")
                    country.select_option(value)
                    colours = page.evaluate(
                        """v => document.querySelector('.chart').data
                        .filter(t => t.meta.area === v && t.visible === true).map(t => t.line.color)""",
                        value,
                    )
                    assert colours and all(c == "#D55E00" for c in colours)
                    checked_country = True
                series = page.locator("select.series-select").first
                if not checked_series and series.count():
                    options = series.locator("option")
                    value = options.nth(options.count() - 1).get_attribute("value")
                    series.select_option(value)
                    shown = page.evaluate("""() => Array.from(new Set(document.querySelector('.chart').data
                        .filter(t => t.visible === true).map(t => t.meta.series)))""")
                    assert shown == [value]
                    checked_series = True
            assert checked_country
        finally:
            browser.close()
