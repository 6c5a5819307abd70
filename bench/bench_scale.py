"""Where one DuckDB file stops being enough: the observations mart and the indicator
computation on millions of SYNTHETIC observations.

    .venv/bin/python bench/bench_scale.py [--observations 10000000] [--memory-limit 8GB]

1. Writes one staging table of N SYNTHETIC observations (33 countries x 30 years x 20
   measures x N / 19,800 disaggregation values, every figure patterned, every row marked
   SYNTHETIC) with one raw file behind it, plus the areas, population and sources marts
   (generated in SQL by DuckDB, not timed);
2. times the real ``warehouse.marts.build_observations`` (union of staging tables, joins
   with the raw files, parses and sources, sorted by key);
3. times the real ``indicators.compute.build_indicator_values`` (country values and the
   four regional aggregates for 20 indicators, one per measure; the ten without a
   population denominator keep every disaggregation as a series) and
   ``build_indicator_progress`` (one progress series per indicator, area and
   disaggregation).

Prints rows, seconds, rows per second, the process's peak memory and the warehouse's
size on disk; nothing is written outside a temporary folder (or ``--dir``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_indicators import make_registry  # noqa: E402

from indicators.compute import build_indicator_progress, build_indicator_values  # noqa: E402
from warehouse import tables as wh  # noqa: E402
from warehouse.marts import build_observations  # noqa: E402

COUNTRIES, YEARS, MEASURES = 33, 30, 20
SUBREGIONS = ["LAC_CARIB", "LAC_CENTRAL", "LAC_SOUTH"]
SOURCE = "syn_bench"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_staging(con: duckdb.DuckDBPyConnection, observations: int) -> int:
    """The SYNTHETIC inputs: staging rows, their raw file and parse, areas, population, sources."""
    groups = max(1, round(observations / (COUNTRIES * YEARS * MEASURES)))
    first_year = 2024 - YEARS
    con.execute(wh.DDL)
    wh.ensure_staging_table(con, SOURCE)
    con.execute("""INSERT INTO raw.files VALUES ('SYNTHETIC0000000', repeat('0', 64), 0, 'bench-SYNTHETIC.csv',
                   'syn_bench', now(), 'SYNTHETIC', 'none', 'bench')""")
    con.execute("""INSERT INTO raw.parses VALUES ('SYNTHETIC0000000', 'syn_bench', 'bench', now(), 'bench', 0, 0, 0,
                   '{}', NULL)""")
    con.execute(f"""
        INSERT INTO {wh.staging_table(SOURCE)}
        SELECT '{SOURCE}', printf('BENCH_M%03d', m), printf('S%02d', c), CAST({first_year} + k AS VARCHAR),
               {first_year} + k, CAST(111 * (c + m + k + 1 + g % 7) AS DOUBLE), 'NUMBER', 'A', '', '',
               CASE WHEN g = 0 THEN '' ELSE printf('GROUP=%05d', g) END, '', printf('S%02d', c),
               CAST({first_year} + k AS VARCHAR), CAST(111 * (c + m + k + 1 + g % 7) AS VARCHAR),
               'SYNTHETIC0000000', NULL, NULL, '', CAST(g * 100000 + c * 1000 + k AS INTEGER), ''
        FROM range(1, {COUNTRIES + 1}) t1(c), range(1, {MEASURES + 1}) t2(m), range(0, {YEARS}) t3(k),
             range(0, {groups}) t4(g)
    """)
    con.execute(
        "CREATE OR REPLACE TABLE marts.sources AS SELECT 'syn_bench' AS SOURCE_ID, 'GREEN' AS SHARING, "
        "true AS SYNTHETIC"
    )
    con.execute(f"""CREATE OR REPLACE TABLE marts.areas AS
        SELECT printf('S%02d', c) AS REF_AREA, 'country' AS AREA_KIND,
               ['LAC_CARIB', 'LAC_CENTRAL', 'LAC_SOUTH'][c % 3 + 1] AS LAC_SUBREGION, true AS IS_LAC
        FROM range(1, {COUNTRIES + 1}) t(c)
        UNION ALL SELECT * FROM (VALUES ('LAC', 'lac_aggregate', '', false), ('LAC_CARIB', 'lac_aggregate', '', false),
            ('LAC_CENTRAL', 'lac_aggregate', '', false), ('LAC_SOUTH', 'lac_aggregate', '', false))""")
    con.execute(f"""CREATE OR REPLACE TABLE marts.population AS
        SELECT printf('S%02d', c) AS REF_AREA, CAST({first_year} + k AS BIGINT) AS YEAR,
               CAST(1110000 * c + 11100 * k AS BIGINT) AS POPULATION,
               CAST(333000 * c + 1110 * k AS BIGINT) AS POPULATION_U18, {first_year} + k > 2019 AS U18_PROJECTION
        FROM range(1, {COUNTRIES + 1}) t1(c), range(0, {YEARS}) t2(k)""")
    return con.execute(f"SELECT count(*) FROM {wh.staging_table(SOURCE)}").fetchone()[0]


def timed(label: str, rows_label: str, fn):
    start = time.perf_counter()
    rows = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<28} {rows:>13,} {rows_label:<22} {seconds:8.1f} s   peak RSS {peak_rss_mb():7,.0f} MB")
    return rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB's memory_limit (it spills to disk past it)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the temporary warehouse")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clac-scale-", dir=args.dir) as tmp:
        path = Path(tmp) / "scale-SYNTHETIC.duckdb"
        con = duckdb.connect(
            str(path), config={"memory_limit": args.memory_limit, "temp_directory": str(Path(tmp) / "spill")}
        )
        start = time.perf_counter()
        staged = make_staging(con, args.observations)
        print(
            f"SYNTHETIC staging: {staged:,} observations written in {time.perf_counter() - start:.1f} s "
            f"(DuckDB memory_limit {args.memory_limit}, {duckdb.__version__})"
        )
        registry = {
            key: ind
            if str(ind.denominator).startswith("population")
            else ind.model_copy(update={"disaggregations": ["DISAGGREGATION"]})
            for key, ind in make_registry(MEASURES).items()
        }  # a series per group where allowed
        n_obs, t_obs = timed("marts.observations", "observations", lambda: build_observations(con, {SOURCE: None}))
        n_val, t_val = timed("indicator values", "values", lambda: build_indicator_values(con, registry))
        n_prog, t_prog = timed("indicator progress", "progress rows", lambda: build_indicator_progress(con, registry))
        con.execute("CHECKPOINT")
        con.close()
        size = path.stat().st_size / 1e9
        total = t_obs + t_val + t_prog
        print(
            f"total {total:.1f} s for {n_obs:,} observations ({n_obs / total:,.0f} observations/s); "
            f"warehouse {size:.1f} GB on disk; peak RSS {peak_rss_mb():,.0f} MB"
        )


if __name__ == "__main__":
    main()
