"""Time and peak memory of reading the worst hostile files of issue 11 (after the limits).

    PYTHONPATH=$PWD python bench/bench_hostile.py

Builds, in a temporary folder, a ZIP-bomb workbook (its sheet inflates to 300 MB) and a
five-row workbook with a stray cell at XFD1048576, and parses each in a child process
(as tests/test_hostile_input.py does); prints the outcome, the seconds and the peak RSS.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.test_hostile_input import HOTLINE, hotline_workbook, parse_bounded, zip_bomb_xlsx


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bomb = zip_bomb_xlsx(Path(tmp) / "bomb.xlsx", 300)
        wb = hotline_workbook(5)
        wb.active["XFD1048576"] = "x"
        stray = Path(tmp) / "stray.xlsx"
        wb.save(stray)
        for name, path in (("zip bomb (300 MB sheet)", bomb), ("stray cell XFD1048576", stray)):
            out = parse_bounded(path, HOTLINE, seconds=600)
            outcome = out.get("refused") or f"{out['rows_read']} rows read"
            print(f"{name}: {outcome}; {out['seconds']:.2f} s; peak RSS {out['max_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
