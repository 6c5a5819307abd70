"""Page weight and time to a drawn chart of the built site, in the real Chromium.

    PYTHONPATH=$PWD python bench/bench_site_pages.py $CLAC_HOME/build/site [indicator-id]

Prints, for one indicator page and one country page of each language: the bytes the page
loads (HTML + every script, style and data file it requests), the time from navigation to
the first chart drawn (``data-rendered="true"``), and the same with the network throttled to
a slow 3G-like profile (1.6 Mbit/s, 150 ms latency): measured time + bytes at that rate + one
round trip per file. Loads from file:// (how the site is published offline).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SLOW = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}


def measure(page, url: str) -> tuple[int, int, float]:
    """(bytes of the files the page loaded, number of files, seconds to the first drawn chart)."""
    loaded: list[str] = []
    page.on("requestfinished", lambda r: loaded.append(r.url))
    start = time.perf_counter()
    page.goto(url, wait_until="load", timeout=300_000)
    if page.locator(".chart[data-figure]").count():
        page.wait_for_selector(".chart[data-rendered='true']", timeout=300_000)
    elapsed = time.perf_counter() - start
    total = 0
    for ref in set(loaded):
        if ref.startswith("file://"):
            path = Path(ref[len("file://") :].split("#")[0].split("?")[0])
            total += path.stat().st_size if path.is_file() else 0
    return total, len(set(loaded)), elapsed


def main() -> None:
    site = Path(sys.argv[1]).resolve()
    indicator = sys.argv[2] if len(sys.argv) > 2 else sorted((site / "es" / "indicator").glob("*.html"))[0].stem
    country = "BRA"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print("| page | language | bytes loaded | time to drawn chart (file://) | slow 3G (served) |")
        print("| --- | --- | ---: | ---: | ---: |")
        for lang in ("es", "en", "pt"):
            for rel in (f"indicator/{indicator}.html", f"country/{country}.html"):
                url = (site / lang / rel).as_uri()
                context = browser.new_context(viewport={"width": 1200, "height": 900})
                page = context.new_page()
                size, files, fast = measure(page, url)
                context.close()
                # file:// is not throttled by DevTools: the served estimate adds the bytes at the slow
                # rate and one round trip per file to the measured parse-and-draw time
                slow = fast + size / SLOW["downloadThroughput"] + files * SLOW["latency"] / 1000
                print(f"| {rel} | {lang} | {size / 1024:,.0f} KB | {fast:.2f} s | {slow:.1f} s |")
        browser.close()


if __name__ == "__main__":
    main()
