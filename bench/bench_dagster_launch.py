"""Benchmark: a run launched through Dagster against `clac build` (issue 14, goal 4: within 1.5x).

On one home (a cold `clac build` first, or ``--home DIR`` of an existing build), times in turn
``clac build --force`` and ``dagster job execute -m pipelines.definitions -j build`` (what a run
started from the UI does: the same job, the same executor, the same working copy and commit);
both find every file already received, so both do the same work. Prints both and the ratio.
Run with `.venv/bin/python bench/bench_dagster_launch.py [--home DIR]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).parent / "dagster")


def timed(home: Path, command: list[str]) -> float:
    env = dict(
        os.environ, CLAC_HOME=str(home), DAGSTER_HOME=str(home / "dagster_home"), CLAC_OUTPUTS=str(home / "build")
    )
    env.pop("CLAC_WAREHOUSE", None)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(home: Path) -> None:
    if not (home / "warehouse.duckdb").exists():
        print(f"cold clac build:          {timed(home, [sys.executable, '-m', 'pipelines', 'build']):7.1f} s")
    clac = timed(home, [sys.executable, "-m", "pipelines", "build", "--force"])
    dagster = timed(home, [DAGSTER, "job", "execute", "-m", "pipelines.definitions", "-j", "build"])
    print(f"clac build --force:       {clac:7.1f} s")
    print(f"dagster job execute:      {dagster:7.1f} s")
    print(f"ratio Dagster / clac:     {dagster / clac:7.2f}   (goal <= 1.5)")
    print(f"load average (1, 5, 15):  {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an existing CLAC_HOME (default: a cold build in a temporary one)")
    args = parser.parse_args()
    if args.home:
        measure(args.home.resolve())
        return
    with tempfile.TemporaryDirectory(prefix="clac-bench-") as tmp:
        measure(Path(tmp))


if __name__ == "__main__":
    main()
