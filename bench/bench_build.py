"""Benchmark: a cold `clac build` on the bundled data, then a re-run with nothing changed.

A third run with --force starts a real Dagster run anyway: every file is recognised by
its sha256 and skipped, so it too parses nothing, but pays Dagster's start-up.

Prints wall-clock seconds and peak memory (max RSS of the child process) for both, the
ratio re-run / cold, and how many files were parsed by each (the re-run must parse none).
Run with `make bench` (or `.venv/bin/python bench/bench_build.py`).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


def run_build(home: Path, *extra: str) -> tuple[float, float]:
    env = dict(
        os.environ, CLAC_HOME=str(home), DAGSTER_HOME=str(home / "dagster_home"), CLAC_OUTPUTS=str(home / "build")
    )
    env.pop("CLAC_WAREHOUSE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pipelines", "build", *extra], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - start
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return seconds, peak_mb


def parses(home: Path) -> int:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM raw.parses").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="clac-bench-") as tmp:
        home = Path(tmp)
        cold, cold_mb = run_build(home)
        cold_parses = parses(home)
        warm, warm_mb = run_build(home)
        warm_parses = parses(home) - cold_parses
        forced, forced_mb = run_build(home, "--force")
        forced_parses = parses(home) - cold_parses
    print(f"cold build:            {cold:7.2f} s   peak RSS {cold_mb:6.0f} MB   files parsed {cold_parses}")
    print(f"re-run, nothing new:   {warm:7.2f} s   peak RSS {warm_mb:6.0f} MB   files parsed {warm_parses}")
    print(f"forced Dagster re-run: {forced:7.2f} s   peak RSS {forced_mb:6.0f} MB   files parsed {forced_parses}")
    print(f"ratio re-run / cold:   {warm / cold:7.2f}")
    print(f"ratio forced / cold:   {forced / cold:7.2f}")


if __name__ == "__main__":
    main()
