"""Benchmark: what validation costs compared with loading the rows.

Two datasets:

* the bundled data: every file of every observation source;
* a synthetic dataset of N observation rows (default 1,000,000), generated in memory
  (three related count measures, 52 LAC areas, 35 years, sex and age breakdowns, a few
  regions), written once as a generic-template CSV so that it is parsed like a real file.

For each: **load** = parse (the source's parser) + insert the staged rows into DuckDB;
**validation** = row rules (``check_rows``) + relations and plausibility
(``check_relations``) + the Great Expectations suite (derived columns + ``run_suite``).
The one-off cost of ``import great_expectations`` is shown apart. Prints seconds and
the ratio validation / load.

Issue 14 (``--goals 1,2``, the default, run by ``make bench``): goal 1 compares the
pipeline's read + validate + stage of an N-row generic-template CSV with the floor,
``bench/validation_floor.py`` (the same checks as plain DuckDB SQL), in this process;
goal 2 times the GX suites over the bundled data after the import. ``--goals legacy``
prints the report above.

Run: ``.venv/bin/python bench/bench_validation.py [--rows 1000000] [--goals 1,2]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sources.catalogue import load_catalogue, load_measures, observation_sources  # noqa: E402
from sources.harmonise.areas import default_resolver, lac_country_codes, load_areas  # noqa: E402
from sources.ingest import parser_for  # noqa: E402
from sources.validation.relations import check_relations  # noqa: E402
from sources.validation.row_rules import check_rows, load_rules  # noqa: E402
from warehouse import tables as wh  # noqa: E402


class Timer:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    def run(self, name: str, fn, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - start
        return out


def insert(con: duckdb.DuckDBPyConnection, source_id: str, staged: pd.DataFrame) -> None:
    wh.ensure_staging_table(con, source_id)
    con.register("bench_rows", staged)
    con.execute(f"INSERT INTO {wh.staging_table(source_id)} BY NAME SELECT * FROM bench_rows")
    con.unregister("bench_rows")


def validate_and_load(timer: Timer, con, entry, paths: list[Path], *, resolve, areas: list[str], today: dt.date) -> int:
    """Parse, check and insert each file of a source; then its GX suite once (as the build does)."""
    from sources.validation import gx_suites

    rows, frames = 0, []
    for path in paths:
        parsed = timer.run("load: parse", parser_for(entry), path, **entry.parser_options)
        staged, quarantine = timer.run(
            "validation: row rules",
            check_rows,
            parsed.rows,
            entry=entry,
            file_id=f"{len(frames):016d}",
            measures=load_measures(),
            resolve_area=resolve,
            today=today,
        )
        staged, quarantine, _ = timer.run(
            "validation: relations + plausibility", check_relations, staged, quarantine, entry=entry
        )
        timer.run("load: insert into DuckDB", insert, con, entry.id, staged)
        rows += parsed.rows_read
        frames.append(staged)
    staged = pd.concat(frames, ignore_index=True)
    # the bundled files of a source are disjoint except where a later file corrects an earlier one
    staged = staged.drop_duplicates(["MEASURE", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"], keep="last")
    specs = gx_suites.suite_specs(entry, area_codes=areas, today=today)
    frame = timer.run("validation: GX derived columns", gx_suites.derive_columns, staged, entry)
    result = timer.run("validation: GX suite", gx_suites.run_suite, frame, specs, source_id=entry.id)
    if not result.success:
        print(f"  note: GX suite for {entry.id} failed: {[f['rule'] for f in result.failures]}")
    return rows


def synthetic_csv(rows: int, path: Path) -> int:
    """Write ``rows`` observation rows of the generic template (SYNTHETIC, patterned values)."""
    areas = lac_country_codes()
    years = list(range(1990, 2025))
    sexes, ages = ["Total", "Mujer", "Hombre"], ["_T", "Y_LT18", "Y_GE18"]
    measures = ["INVESTIGATIONS_OPENED", "PROSECUTIONS", "CONVICTIONS"]
    per_region = len(areas) * len(years) * len(sexes) * len(ages) * len(measures)
    regions = max(1, -(-rows // per_region))
    grid = pd.MultiIndex.from_product(
        [[f"Region=R{r}" if r else "" for r in range(regions)], areas, years, sexes, ages, measures],
        names=["DISAGGREGATION", "REF_AREA", "TIME_PERIOD", "SEXO", "EDAD", "MEASURE"],
    ).to_frame(index=False)
    grid = grid.head(rows)
    scale = grid["MEASURE"].map({"INVESTIGATIONS_OPENED": 1.0, "PROSECUTIONS": 0.3, "CONVICTIONS": 0.1})
    part = grid["SEXO"].map({"Total": 1.0, "Mujer": 0.5, "Hombre": 0.4}) * grid["EDAD"].map(
        {"_T": 1.0, "Y_LT18": 0.3, "Y_GE18": 0.6}
    )
    grid["OBS_VALUE"] = (4000 * scale * part).round().astype(int)
    grid["UNIT_MEASURE"] = "NUMBER"
    grid = grid[["REF_AREA", "TIME_PERIOD", "MEASURE", "OBS_VALUE", "UNIT_MEASURE", "SEXO", "EDAD", "DISAGGREGATION"]]
    grid.to_csv(path, index=False, sep=";")
    return len(grid)


def report(title: str, timer: Timer, rows: int, gx_import: float) -> None:
    load = sum(v for k, v in timer.totals.items() if k.startswith("load"))
    validation = sum(v for k, v in timer.totals.items() if k.startswith("validation"))
    print(f"\n{title}: {rows:,} rows")
    for name, seconds in timer.totals.items():
        print(f"  {name:<40} {seconds:8.2f} s")
    print(f"  {'load (parse + insert)':<40} {load:8.2f} s   ({rows / load:,.0f} rows/s)")
    print(f"  {'validation (rules + relations + GX)':<40} {validation:8.2f} s   ({rows / validation:,.0f} rows/s)")
    print(f"  {'ratio validation / load':<40} {validation / load:8.2f}")
    print(f"  (one-off 'import great_expectations': {gx_import:.2f} s, not included)")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def reader_limits_lifted(path: Path, records: int):
    """Lift, in this process only and while the block runs, the limits that refuse a file as
    large as the benchmark's: ``max_rows`` and ``max_cells`` (``sources/parsers/limits.yaml``,
    read through the cached :func:`~sources.parsers.limits.load_limits`) and
    ``max_file_megabytes`` (``sources/validation/rules.yaml``, checked by ``sources.ingest``).
    The files are not changed; the limits stay a defence against hostile files everywhere else."""
    from sources.parsers.limits import load_limits

    limits, settings = load_limits()["rows"], load_rules().settings
    before = dict(limits), dict(settings)
    with path.open(encoding="utf-8") as fh:
        columns = fh.readline().count(";") + 1
    limits["max_rows"] = max(limits["max_rows"], records)
    limits["max_cells"] = max(limits["max_cells"], (records + 1) * columns)
    settings["max_file_megabytes"] = max(settings["max_file_megabytes"], -(-path.stat().st_size // 1048576))
    print(
        f"  reader limits lifted for the benchmark: max_rows {before[0]['max_rows']:,} -> {limits['max_rows']:,}, "
        f"max_cells {before[0]['max_cells']:,} -> {limits['max_cells']:,} (limits.yaml), max_file_megabytes "
        f"{before[1]['max_file_megabytes']:,} -> {settings['max_file_megabytes']:,} (rules.yaml); this process only"
    )
    try:
        yield
    finally:
        limits.update(before[0])
        settings.update(before[1])


def goal_checks_where_the_data_is(rows: int, today: dt.date) -> None:
    """Issue 14, goal 1: a generic-template CSV validated and staged by the pipeline's own
    functions (parse, row rules, relations, insert) against the floor (the same checks as
    plain DuckDB SQL, bench/validation_floor.py), in this process, one after the other."""
    from validation_floor import floor

    from sources.ingest import insert_frame
    from sources.validation.relations import check_with_warehouse, insert_warnings

    entry = load_catalogue()["synthetic_prosecutions"]
    resolve = default_resolver().resolve
    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-SYNTHETIC.csv"
        written = synthetic_csv(rows, path)
        print(
            f"\nGoal 1, checks where the data is: {written:,} synthetic rows, "
            f"{path.stat().st_size / 1048576:.0f} MB generic-template CSV"
        )
        pipeline: dict[str, float] = {}
        con = duckdb.connect(str(Path(tmp) / "pipeline.duckdb"))
        con.execute(wh.DDL)
        with reader_limits_lifted(path, written):
            start = time.perf_counter()
            parsed = parser_for(entry)(path, **entry.parser_options)
            pipeline["parse (generic_table.parse)"] = time.perf_counter() - start
        start = time.perf_counter()
        staged, quarantine = check_rows(
            parsed.rows, entry=entry, file_id="b" * 16, measures=load_measures(), resolve_area=resolve, today=today
        )
        pipeline["row rules"] = time.perf_counter() - start
        start = time.perf_counter()
        staged, quarantine, warnings = check_with_warehouse(con, staged, quarantine, entry=entry)
        pipeline["relations + plausibility"] = time.perf_counter() - start
        start = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        wh.ensure_staging_table(con, entry.id)
        insert_frame(con, wh.staging_table(entry.id), staged)
        insert_frame(con, "staging.quarantine", quarantine)
        insert_warnings(con, warnings)
        con.execute("COMMIT")
        pipeline["insert staged + quarantine"] = time.perf_counter() - start
        assert len(staged) + len(quarantine) == parsed.rows_read
        counts = (len(staged), len(quarantine), len(warnings))
        con.close()
        del parsed, staged, quarantine, warnings

        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        con.execute(wh.DDL)
        wh.ensure_staging_table(con, entry.id)
        floor_s = floor(
            con,
            path,
            entry=entry,
            measures=load_measures(),
            resolve_area=resolve,
            this_year=today.year,
            earliest=int(rules.settings["earliest_year"]),
            staging=wh.staging_table(entry.id),
            quarantine="staging.quarantine",
        )
        floor_counts = con.execute(
            f"SELECT (SELECT count(*) FROM {wh.staging_table(entry.id)}), (SELECT count(*) FROM staging.quarantine)"
        ).fetchone()
        con.close()
    print(
        f"  pipeline: {counts[0]:,} staged, {counts[1]:,} quarantined, {counts[2]:,} warnings; "
        f"floor: {floor_counts[0]:,} staged, {floor_counts[1]:,} quarantined"
    )
    for name, seconds in pipeline.items():
        print(f"  pipeline {name:<36} {seconds:8.2f} s")
    for name, seconds in floor_s.items():
        print(f"  floor    {name:<36} {seconds:8.2f} s")
    total, floor_total = sum(pipeline.values()), sum(floor_s.values())
    checks = total - pipeline["parse (generic_table.parse)"]
    floor_checks = floor_total - floor_s["read_csv"]
    print(f"  {'pipeline, read + validate + stage':<45} {total:8.2f} s")
    print(f"  {'floor, read + validate + stage':<45} {floor_total:8.2f} s")
    print(f"  {'RATIO pipeline / floor (goal <= 3)':<45} {total / floor_total:8.2f}")
    print(
        f"  {'ratio after the read (validate + stage only)':<45} {checks / floor_checks:8.2f}"
        f"   ({checks:.2f} s / {floor_checks:.2f} s)"
    )
    print(f"  peak RSS of this process so far: {peak_rss_mb():,.0f} MB")


def goal_gx_at_its_best(today: dt.date) -> None:
    """Issue 14, goal 2: the GX suites over the bundled data, import apart."""
    from sources.validation import gx_suites

    start = time.perf_counter()
    gx_suites._quiet_gx()
    gx_import = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bundled.duckdb"))
        con.execute(wh.DDL)
        from sources.ingest import ingest_file

        resolve = default_resolver().resolve
        entries = list(observation_sources(load_catalogue()).values())
        for entry in entries:
            for path in entry.bundled_paths():
                ingest_file(con, path, entry, resolve_area=resolve, db_path=Path(tmp) / "bundled.duckdb", today=today)
        start = time.perf_counter()
        results = gx_suites.validate_sources(con, entries)
        suites = time.perf_counter() - start
        kept = Path(tmp) / "kept"
        gx_suites.validate_sources(con, entries, kept=kept)  # run again, results kept
        start = time.perf_counter()
        again = gx_suites.validate_sources(con, entries, kept=kept)
        reused = time.perf_counter() - start
        con.close()
    failed = [r.source_id for r in results if not r.success]
    print(f"\nGoal 2, GX at its own best: {len(results)} suites over the bundled data")
    print(f"  {'import great_expectations (one-off)':<45} {gx_import:8.2f} s")
    print(
        f"  {'all suites, after the import (goal < 3 s)':<45} {suites:8.2f} s   (failed: {', '.join(failed) or 'none'})"
    )
    print(
        f"  {'the same rows again, kept results':<45} {reused:8.2f} s   "
        f"({sum(r.reused for r in again)} of {len(again)} reused; ratio to a run {reused / suites:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic dataset")
    parser.add_argument(
        "--goals",
        default="1,2",
        help="issue 14 goals to measure (1: checks vs floor, 2: GX), or 'legacy' for the old report",
    )
    args = parser.parse_args()
    today = dt.date.today()
    print(
        f"date {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs"
    )
    goals = args.goals.split(",")
    if "1" in goals:
        goal_checks_where_the_data_is(args.rows, today)
    if "2" in goals:
        goal_gx_at_its_best(today)
    if "legacy" in goals:
        legacy_report(args.rows, today)


def legacy_report(rows_wanted: int, today: dt.date) -> None:
    """The validation / load report of the bundled data and the synthetic dataset (before issue 14)."""
    from sources.validation import gx_suites

    resolve = default_resolver().resolve
    areas = sorted(load_areas()["REF_AREA"])
    start = time.perf_counter()
    gx_suites._quiet_gx()
    gx_import = time.perf_counter() - start

    con = duckdb.connect(":memory:")
    con.execute(wh.DDL)
    timer, rows = Timer(), 0
    for entry in observation_sources(load_catalogue()).values():
        rows += validate_and_load(timer, con, entry, entry.bundled_paths(), resolve=resolve, areas=areas, today=today)
    report("Bundled data", timer, rows, gx_import)

    entry = load_catalogue()["synthetic_prosecutions"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-million-SYNTHETIC.csv"
        start = time.perf_counter()
        written = synthetic_csv(rows_wanted, path)
        print(
            f"\n(generated {written:,} synthetic rows in {time.perf_counter() - start:.1f} s, "
            f"{path.stat().st_size / 1048576:.0f} MB CSV)"
        )
        con = duckdb.connect(":memory:")
        con.execute(wh.DDL)
        timer = Timer()
        rows = validate_and_load(timer, con, entry, [path], resolve=resolve, areas=areas, today=today)
    report("Synthetic dataset", timer, rows, gx_import)


if __name__ == "__main__":
    main()
