"""Benchmark: a cold `clac build` on the bundled data, then a re-run with nothing changed.

A third run with --force starts a real Dagster run anyway: every file is recognised by
its sha256 and skipped, so it too parses nothing, but pays Dagster's start-up.

A fourth run is a working group's quarter (issue 14, goal 3): one filled quarterly workbook
(made by ``clac template``, two SYNTHETIC rows) put in the inbox, then ``clac build``, which
runs only that source and what depends on it (``pipelines/selection.py``). The number of steps
and the slowest of that Dagster run are printed from the run's own step records.

Prints wall-clock seconds and peak memory (max RSS of the child process) for both, the
ratio re-run / cold, and how many files were parsed by each (the re-run must parse none).
Run with `make bench` (or `.venv/bin/python bench/bench_build.py`).
"""

from __future__ import annotations

import datetime as dt
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


def quarterly_workbook(home: Path) -> Path:
    """A working group's filled quarterly workbook (two SYNTHETIC rows) in the home's inbox."""
    import openpyxl

    from sources.quarterly.template import fill_workbook

    inbox = home / "inbox" / "wg_quarterly_report"
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / "prevention_awareness_report_2026-Q3.xlsx"
    env = dict(os.environ, CLAC_HOME=str(home), DAGSTER_HOME=str(home / "dagster_home"))
    subprocess.run(
        [sys.executable, "-m", "pipelines", "template", "--working-group", "prevention_awareness"]
        + ["--quarter", "2026-Q3", "--lang", "en", "--out", str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    rows = {
        "activities": [
            dict(
                goal="6",
                country="CHL",
                scope="in_country",
                status="implemented",
                date=dt.date(2026, 8, 4),
                capability="20",
                people_reached=1200,
                description="SYNTHETIC: bench activity",
            ),
            dict(
                goal="7",
                country="REGIONAL",
                scope="regional",
                status="implemented",
                date=dt.date(2026, 9, 9),
                description="SYNTHETIC: bench regional activity",
            ),
        ]
    }
    wb = openpyxl.load_workbook(path)
    fill_workbook(wb, rows, lang="en", submitted_on=dt.date(2026, 10, 20))
    wb.save(path)
    return path


def slowest_steps(home: Path, count: int = 6) -> tuple[list[tuple[float, str]], int]:
    """The ``count`` slowest steps of the last Dagster run recorded in the home's instance, and
    how many steps it ran."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")  # the instance's dagster.yaml reads it
    with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
    steps = [((s.end_time or 0) - (s.start_time or 0), s.step_key) for s in stats]
    return sorted(steps, reverse=True)[:count], len(steps)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="clac-bench-") as tmp:
        home = Path(tmp)
        cold, cold_mb = run_build(home)
        cold_parses = parses(home)
        warm, warm_mb = run_build(home)
        warm_parses = parses(home) - cold_parses
        forced, forced_mb = run_build(home, "--force")
        forced_parses = parses(home) - cold_parses
        quarterly_workbook(home)
        quarterly, quarterly_mb = run_build(home)
        quarterly_parses = parses(home) - cold_parses
        quarterly_steps, quarterly_step_count = slowest_steps(home)
    print(f"cold build:            {cold:7.2f} s   peak RSS {cold_mb:6.0f} MB   files parsed {cold_parses}")
    print(f"re-run, nothing new:   {warm:7.2f} s   peak RSS {warm_mb:6.0f} MB   files parsed {warm_parses}")
    print(f"forced Dagster re-run: {forced:7.2f} s   peak RSS {forced_mb:6.0f} MB   files parsed {forced_parses}")
    print(
        f"one quarterly workbook: {quarterly:6.2f} s   peak RSS {quarterly_mb:6.0f} MB   files parsed {quarterly_parses}"
        "   (goal <= 10 s)"
    )
    print(f"  its Dagster run: {quarterly_step_count} steps (the sources with new files, what depends on them)")
    print("  its slowest steps: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in quarterly_steps))
    print(f"ratio re-run / cold:   {warm / cold:7.2f}   (goal: re-run <= 2 s, cold <= 30 s)")
    print(f"ratio forced / cold:   {forced / cold:7.2f}")


if __name__ == "__main__":
    main()
