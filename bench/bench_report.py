"""Time of the annual report step: the three languages' HTML and PDFs of one edition.

    PYTHONPATH=$PWD python bench/bench_report.py WAREHOUSE.duckdb [--audience public] [--year 2023]

Prints the seconds taken by :func:`dashboards.report.build_reports` (one data load, one
Chromium) and the pages of each PDF, with the machine's load average. Run it with another
checkout on PYTHONPATH to compare before and after on the same warehouse.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--audience", default="public")
    parser.add_argument("--year", type=int, default=2023)
    args = parser.parse_args()
    from dashboards.report import build_reports
    from governance.publication import AUDIENCES

    con = duckdb.connect(str(args.warehouse), read_only=True)
    with tempfile.TemporaryDirectory() as out:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        files = build_reports(
            con,
            args.year,
            ["es", "en", "pt"],
            Path(out),
            allowed_sharing=AUDIENCES[args.audience],
            audience=args.audience,
        )
        seconds = time.perf_counter() - start
        pages = {}
        for path in files:
            if path.suffix == ".pdf":
                import pdfplumber

                with pdfplumber.open(str(path)) as pdf:
                    pages[path.name] = len(pdf.pages)
    print(
        f"annual report ({args.audience}, 3 languages, HTML + PDF): {seconds:.1f} s; pages {pages}; "
        f"load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )


if __name__ == "__main__":
    main()
