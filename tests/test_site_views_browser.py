"""The site's views, accessibility and width in the real Chromium (Debian's, headless, Playwright).

One browser for the module, on the site of the session's ``clac build`` (``built_home``):

- axe-core (the copy ``axe-playwright-python`` ships) on one page of every page type in es, en and
  pt finds no violation of impact serious or critical;
- at 390 px no page of the sample is wider than the screen (every tab of the indicator page shown);
- the indicator page's tabs draw the chart, the map (country shapes filled) and the ranking; the
  view and the highlighted country go into the address, and that address opened in a fresh page
  restores them;
- the search page finds an indicator by a word of its Spanish name;
- clicking every tab, control and mode-bar button of an indicator page makes no request that
  leaves the file system.
"""

from __future__ import annotations

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
#: One indicator with country values, sub-regional aggregates and a long history.
INDICATOR = "cybertipline_reports_per_100k"
LOCAL = ("file://", "data:", "blob:", "about:")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason="Debian's chromium is not installed (make test installs it)",
)


def page_types(site: Path, lang: str) -> list[str]:
    """One page of every page type of ``lang``, relative to the site."""
    methodology = sorted(p.name for p in (site / lang / "methodology").glob("*.html") if p.name != "index.html")
    pages = [
        "index.html",
        "goal/8.html",
        f"indicator/{INDICATOR}.html",
        "country/index.html",
        "country/BRA.html",
        "reporting.html",
        "quality.html",
        "methodology/index.html",
        f"methodology/{methodology[0]}" if methodology else "",
        "sources.html",
        "downloads.html",
        "search.html",
    ]
    return [f"{lang}/{p}" for p in pages if p]


@pytest.fixture(scope="module")
def site(built_home) -> Path:
    path = (built_home / "build" / "site").resolve()
    assert (path / "es" / "indicator" / f"{INDICATOR}.html").is_file(), "clac build wrote no indicator page"
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _open(browser, url: str, width: int = 1200, outside: list[str] | None = None):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    if outside is not None:
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)
    page.goto(url, wait_until="load")
    _wait_drawn(page)
    return context, page


def _wait_drawn(page) -> None:
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.chart[data-figure]'))"
        ".filter(d => !d.closest('[hidden]')).every(d => d.getAttribute('data-rendered') === 'true')",
        timeout=60_000,
    )


def axe_problems(page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page, as readable lines."""
    from axe_playwright_python import sync_playwright as axe_package

    axe_js = Path(axe_package.__file__).with_name("axe.min.js")
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violation_on_any_page_type(site, browser):
    problems = []
    for lang in LANGS:
        for rel in page_types(site, lang):
            context, page = _open(browser, (site / rel).as_uri())
            tabs = page.locator('[role="tab"]')
            for index in range(tabs.count()):  # every view of the indicator page
                tabs.nth(index).click()
                _wait_drawn(page)
                problems += [f"{rel} [{tabs.nth(index).inner_text()}]: {p}" for p in axe_problems(page)]
            if not tabs.count():
                problems += [f"{rel}: {p}" for p in axe_problems(page)]
            context.close()
    assert not problems, "\n".join(problems)


def test_no_page_is_wider_than_a_390px_screen(site, browser):
    too_wide = []
    for lang in LANGS:
        for rel in page_types(site, lang):
            context, page = _open(browser, (site / rel).as_uri(), width=390)
            tabs = page.locator('[role="tab"]')
            for index in range(max(1, tabs.count())):
                if tabs.count():
                    tabs.nth(index).click()
                    _wait_drawn(page)
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > 390:
                    too_wide.append(f"{rel} (view {index}): {width} px")
            context.close()
    assert not too_wide, "\n".join(too_wide)


def test_tabs_map_and_permalink_restore_the_view(site, browser):
    url = (site / "es" / "indicator" / f"{INDICATOR}.html").as_uri()
    context, page = _open(browser, url)
    assert page.locator(f"#chart-{INDICATOR} .scatterlayer .trace").count() > 10
    page.get_by_role("tab", name="Mapa").click()
    _wait_drawn(page)
    assert page.locator(f"#panel-map-{INDICATOR}").is_visible()
    assert not page.locator(f"#panel-chart-{INDICATOR}").is_visible()
    filled = page.locator(f"#map-{INDICATOR} .choroplethlocation").count()
    assert filled >= 20, f"the map fills {filled} country shapes"
    page.get_by_role("tab", name="Clasificación").click()
    _wait_drawn(page)
    assert page.locator(f"#ranking-{INDICATOR} .ytick").count() >= 20  # one labelled bar per country
    page.get_by_role("tab", name="Mapa").click()
    page.get_by_label("Destacar un país").select_option("BRA")
    assert "view=map" in page.url and "country=BRA" in page.url, page.url
    shared = page.url
    context.close()

    context, fresh = _open(browser, shared)
    assert fresh.get_by_role("tab", name="Mapa").get_attribute("aria-selected") == "true"
    assert fresh.locator(f"#panel-map-{INDICATOR}").is_visible()
    assert fresh.get_by_label("Destacar un país").input_value() == "BRA"
    fresh.get_by_role("tab", name="Gráfico").click()
    _wait_drawn(fresh)
    highlighted = fresh.evaluate(
        f"() => document.getElementById('chart-{INDICATOR}').data"
        ".filter(t => t.meta.area === 'BRA' && t.visible).map(t => t.line.color)"
    )
    assert highlighted == ["#D55E00"], highlighted
    # keyboard: arrows move between tabs
    fresh.get_by_role("tab", name="Gráfico").focus()
    fresh.keyboard.press("ArrowRight")
    assert fresh.get_by_role("tab", name="Mapa").get_attribute("aria-selected") == "true"
    context.close()


def test_search_finds_an_indicator_by_a_word_of_its_spanish_name(site, browser):
    # "Denuncias a la CyberTipline por cada 100.000 habitantes": the word typed without its accent
    context, page = _open(browser, (site / "es" / "search.html").as_uri())
    page.get_by_label("Buscar indicadores, países y páginas").fill("denuncias habitantes")
    page.get_by_role("button", name="Buscar", exact=True).click()
    links = page.locator("#search-results a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert f"indicator/{INDICATOR}.html" in hrefs, hrefs
    # a country by its Spanish name, accent left out
    page.get_by_label("Buscar indicadores, países y páginas").fill("peru")
    page.get_by_role("button", name="Buscar", exact=True).click()
    assert page.locator('#search-results a[href="country/PER.html"]').count() == 1
    context.close()


def test_no_request_leaves_the_machine_when_every_control_is_used(site, browser):
    outside: list[str] = []
    context, page = _open(browser, (site / "es" / "indicator" / f"{INDICATOR}.html").as_uri(), outside=outside)
    tabs = page.locator('[role="tab"]')
    clicked = 0
    for index in range(tabs.count()):
        tabs.nth(index).click()
        _wait_drawn(page)
        for select in page.locator("select:visible").all():
            for value in select.locator("option").evaluate_all("os => os.slice(0, 3).map(o => o.value)"):
                select.select_option(value)
        chart = page.locator(".tabpanel:visible .chart[data-figure]")
        if chart.count():
            chart.first.hover()
            buttons = page.locator(".tabpanel:visible .modebar-btn")
            for n in range(buttons.count()):
                chart.first.hover()
                buttons.nth(n).click()
                clicked += 1
        page.wait_for_timeout(200)
    assert clicked >= 6, f"only {clicked} mode-bar buttons found"
    titles = page.locator(".modebar-btn").evaluate_all("bs => bs.map(b => b.getAttribute('data-title'))")
    assert not [t for t in titles if t and ("cloud" in t.lower() or "chart studio" in t.lower())], titles
    assert page.locator('a[href*="plotly"], a[href*="chart-studio"]').count() == 0
    context.close()
    assert not outside, outside
