"""Benchmark of indicator computation and progress assessment on SYNTHETIC data.

    .venv/bin/python bench/bench_indicators.py [--countries 33] [--years 30] [--measures 200] [--series 100000]

1. Builds a temporary DuckDB warehouse (marts.areas, marts.population, marts.sources,
   marts.observations) of 33 countries x 30 years x 200 measures, every figure
   invented and patterned (multiples of 111), every row marked SYNTHETIC;
2. registers one indicator per measure, cycling through the four denominator kinds
   (total population per 100,000, under-18 population per 100,000, none with a
   summed aggregate, another measure per 100) and times ``build_indicator_values``
   (country values plus the four regional aggregates) and ``build_indicator_progress``;
3. times ``indicators.progress.assess`` over 100,000 synthetic series of 10 years
   (half with a target), then ``combine`` over them in groups of 4.

Prints the figures; nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indicators.compute import build_indicator_progress, build_indicator_values  # noqa: E402
from indicators.progress import assess, combine  # noqa: E402
from indicators.registry import Indicator  # noqa: E402
from warehouse.tables import OBSERVATION_COLUMNS  # noqa: E402

TEXT = {
    "es": "SINTÉTICO: indicador de prueba de rendimiento",
    "en": "SYNTHETIC: benchmark indicator",
    "pt": "SINTÉTICO: indicador de teste de desempenho",
}
SUBREGIONS = ["LAC_CARIB", "LAC_CENTRAL", "LAC_SOUTH"]


def make_warehouse(path: Path, countries: int, years: int, measures: int) -> int:
    areas = [f"S{i:02d}" for i in range(1, countries + 1)]
    first_year = 2024 - years
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    area_rows = [(a, "country", SUBREGIONS[i % 3], True) for i, a in enumerate(areas)]
    area_rows += [(code, "lac_aggregate", "", False) for code in ["LAC", *SUBREGIONS]]
    con.execute("CREATE TABLE marts.areas (REF_AREA VARCHAR, AREA_KIND VARCHAR, LAC_SUBREGION VARCHAR, IS_LAC BOOLEAN)")
    con.executemany("INSERT INTO marts.areas VALUES (?, ?, ?, ?)", area_rows)
    pop = [
        (a, y, 1_110_000 * (i + 1) + 11_100 * k, 333_000 * (i + 1) + 1_110 * k, y > 2019)
        for i, a in enumerate(areas)
        for k, y in enumerate(range(first_year, 2024))
    ]
    con.execute("""CREATE TABLE marts.population (REF_AREA VARCHAR, YEAR BIGINT, POPULATION BIGINT,
                   POPULATION_U18 BIGINT, U18_PROJECTION BOOLEAN)""")
    con.executemany("INSERT INTO marts.population VALUES (?, ?, ?, ?, ?)", pop)
    con.execute("CREATE TABLE marts.sources AS SELECT 'syn_bench' AS SOURCE_ID, 'GREEN' AS SHARING, true AS SYNTHETIC")
    # observations generated in SQL: value = 111 x (country + measure + year index + 1)
    con.execute(f"""
        CREATE TABLE marts.observations AS
        SELECT 'syn_bench' AS SOURCE_ID, printf('BENCH_M%03d', m) AS MEASURE, printf('S%02d', c) AS REF_AREA,
               CAST({first_year} + k AS VARCHAR) AS TIME_PERIOD,
               CAST(111 * (c + m + k + 1) AS DOUBLE) AS OBS_VALUE, 'NUMBER' AS UNIT_MEASURE,
               'A' AS OBS_STATUS, 'GREEN' AS SHARING, '' AS SEX, '' AS AGE, '' AS DISAGGREGATION,
               '' AS NATURE, true AS SYNTHETIC, 'SYNTHETIC' AS FILE_ID, 'SYNTHETIC.csv' AS FILE_NAME,
               repeat('0', 64) AS FILE_SHA256, CAST(NULL AS INTEGER) AS LOC_PAGE, CAST(NULL AS INTEGER) AS LOC_LINE,
               '' AS LOC_SHEET, CAST(NULL AS INTEGER) AS LOC_ROW, {first_year} + k AS REF_YEAR
        FROM range(1, {countries + 1}) t1(c), range(1, {measures + 1}) t2(m), range(0, {years}) t3(k)
    """)
    columns = [r[0] for r in con.execute("DESCRIBE marts.observations").fetchall()]
    assert columns[: len(OBSERVATION_COLUMNS)] == OBSERVATION_COLUMNS, columns
    n = con.execute("SELECT count(*) FROM marts.observations").fetchone()[0]
    con.close()
    return n


def make_registry(measures: int) -> dict[str, Indicator]:
    registry = {}
    for m in range(1, measures + 1):
        kind = m % 4
        base = {
            "id": f"bench_{m:03d}",
            "goal": 1 + m % 8,
            "working_group": "hotlines",
            "name": TEXT,
            "definition": TEXT,
            "limitations": TEXT,
            "numerator": {"measure": f"BENCH_M{m:03d}"},
            "direction": "increase" if m % 2 else "decrease",
            "sources": ["syn_bench"],
            "base_year": 2015,
        }
        if kind == 0:
            base.update(denominator="population_total", factor=100000, unit="PER_100000_POP")
        elif kind == 1:
            base.update(denominator="population_under18", factor=100000, unit="PER_100000_U18")
        elif kind == 2:
            base.update(denominator="none", factor=1, unit="NUMBER", aggregation={"method": "sum"})
        else:
            other = m % measures + 1
            base.update(
                denominator={"measure": f"BENCH_M{other:03d}"},
                factor=100,
                unit="PERCENT",
                aggregation={"method": "ratio_of_sums"},
            )
        base.setdefault("aggregation", {"method": "ratio_of_sums"})
        if m % 5 == 0:
            base["target"] = {"value": 1.0, "year": 2030}
        registry[base["id"]] = Indicator.model_validate(base)
    return registry


def timed(fn, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--countries", type=int, default=33)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--measures", type=int, default=200)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clac-bench-") as tmp:
        path = Path(tmp) / "bench-SYNTHETIC.duckdb"
        n_obs, t_make, _ = timed(lambda: make_warehouse(path, args.countries, args.years, args.measures))
        registry = make_registry(args.measures)
        print(
            f"SYNTHETIC warehouse: {args.countries} countries x {args.years} years x {args.measures} measures "
            f"= {n_obs:,} observations (built in {t_make:.2f} s)"
        )
        con = duckdb.connect(str(path))
        rows, best, median = timed(lambda: build_indicator_values(con, registry), args.repeat)
        aggregates = con.execute(
            "SELECT count(*) FROM marts.indicator_values WHERE AREA_KIND = 'lac_aggregate'"
        ).fetchone()[0]
        print(
            f"build_indicator_values: {len(registry)} indicators -> {rows:,} rows ({aggregates:,} regional "
            f"aggregates); best {best:.2f} s, median {median:.2f} s of {args.repeat}; "
            f"{best / len(registry) * 1000:.1f} ms per indicator"
        )
        prog_rows, best, median = timed(lambda: build_indicator_progress(con, registry), args.repeat)
        series = con.execute("SELECT count(*) FROM marts.indicator_progress WHERE LEVEL = 'series'").fetchone()[0]
        print(
            f"build_indicator_progress: {series:,} series -> {prog_rows:,} rows; best {best:.2f} s, "
            f"median {median:.2f} s"
        )
        con.close()

    # assess over synthetic series: 10 years each, values patterned around 111
    inputs = []
    for i in range(args.series):
        start = 111.0 + (i % 97)
        step = ((i % 7) - 3) * 1.11
        obs = {2015 + k: start + step * k for k in range(10)}
        target = 55.5 if i % 2 else None
        inputs.append((obs, "decrease" if i % 3 else "increase", target))

    def run_assess():
        return [assess(obs, direction=d, base_year=2015, target=t, target_year=2030) for obs, d, t in inputs]

    results, best, median = timed(run_assess, 1)
    print(f"assess: {args.series:,} series of 10 years in {best:.2f} s ({best / args.series * 1e6:.1f} µs per series)")
    statuses = pd.Series([r.status for r in results]).value_counts().to_dict()
    print(f"  statuses: {statuses}")
    _, best_c, _ = timed(lambda: [combine(results[i : i + 4]) for i in range(0, len(results), 4)], 1)
    print(f"combine: {len(results) // 4:,} indicators of 4 series in {best_c:.2f} s")


if __name__ == "__main__":
    main()
