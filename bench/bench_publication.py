"""Benchmark of the publication: for each audience, the published tables (sharing filter,
approval, disclosure control) and the site; then the site's total size and heaviest page
(goal: no page over 300 KB apart from the shared plotly.js) and the annual report.

    python bench/bench_publication.py [--warehouse PATH] [--year 2023]

Reads an existing warehouse (default: CLAC_WAREHOUSE / var/warehouse.duckdb; run
``clac build`` first) and writes into a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from dashboards.report import build_report  # noqa: E402
from dashboards.site_build import build_site  # noqa: E402
from governance.publication import AUDIENCES, published_tables  # noqa: E402
from indicators.registry import load_registry  # noqa: E402
from sources.catalogue import load_catalogue, load_measures  # noqa: E402
from warehouse import tables as wh  # noqa: E402

LIMIT = 300 * 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, default=wh.warehouse_path())
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(args.warehouse), read_only=True) as con:
        out = Path(tmp)
        kwargs = dict(catalogue=load_catalogue(), registry=load_registry(), measures=load_measures())
        for audience, levels in AUDIENCES.items():
            started = time.perf_counter()
            published = published_tables(con, audience, **kwargs)
            tables_seconds = time.perf_counter() - started
            started = time.perf_counter()
            edition = build_site(con, out / f"site-{audience}", allowed_sharing=levels, audience=audience)
            print(
                f"{audience}: published tables {tables_seconds:.1f} s ({len(published.observations):,} "
                f"observations, {len(published.indicator_values):,} indicator values, {published.withheld()} "
                f"withheld); site {time.perf_counter() - started:.1f} s, {len(edition.pages)} pages"
            )
        started = time.perf_counter()
        manifest = build_site(con, out / "site")
        site_seconds = time.perf_counter() - started
        pages = sorted(((out / "site" / p).stat().st_size, p) for p in manifest.pages)
        total = sum(p.stat().st_size for p in (out / "site").rglob("*") if p.is_file())
        plotly = (out / "site" / "assets" / "plotly.min.js").stat().st_size
        started = time.perf_counter()
        build_report(con, args.year, "es", out / "report", pdf=False)
        html_seconds = time.perf_counter() - started
        started = time.perf_counter()
        build_report(con, args.year, "es", out / "report", pdf=True)
        report_seconds = time.perf_counter() - started
        pdf = out / "report" / f"annual-report-{args.year}-es.pdf"
        print(
            f"secretariat site (default edition): {len(manifest.pages)} pages, {manifest.charts} charts, {site_seconds:.1f} s"
        )
        print(f"site total: {total / 1e6:.1f} MB ({plotly / 1e6:.1f} MB of it the shared plotly.min.js)")
        print(
            f"largest page: {pages[-1][1]} {pages[-1][0] / 1024:.0f} KB; median page "
            f"{pages[len(pages) // 2][0] / 1024:.0f} KB; pages over 300 KB: "
            f"{sum(1 for size, _ in pages if size > LIMIT)}"
        )
        print(
            f"report {args.year} es: HTML {html_seconds:.1f} s, HTML+PDF {report_seconds:.1f} s, "
            f"PDF {pdf.stat().st_size / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
