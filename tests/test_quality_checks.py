"""Great Expectations suites, conservation broken on purpose, quarantine from the inbox,
and the data-quality marts, on real builds of the bundled data.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from sources.catalogue import BUNDLED_DATA_DIR, load_catalogue, observation_sources
from sources.validation import gx_suites
from sources.validation import messages as msg
from tests.conftest import run_clac
from warehouse.reconcile import conservation_failures

OBSERVATION_SOURCES = observation_sources(load_catalogue())
#: the current release's series file (the 2020 release of the same file stays in history)
SDG_DETV = (
    BUNDLED_DATA_DIR
    / "un-sdg-global-database-2023-12"
    / "ddf--datapoints--vc_htf_detv--by--age--geo_area--nature--sex--units--year.csv"
)


@pytest.fixture
def home(built_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy)
    return copy


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- suites


def test_a_suite_is_built_from_data_for_every_observation_source():
    areas = ["BRA", "JAM", "MEX"]
    for entry in OBSERVATION_SOURCES.values():
        specs = gx_suites.suite_specs(entry, area_codes=areas, today=dt.date(2024, 1, 1))
        by_rule = {s["rule"]: s for s in specs}
        assert by_rule["measure_unknown"]["kwargs"]["value_set"] == sorted(entry.measures)
        assert by_rule["area_unresolved"]["kwargs"]["value_set"] == areas
        assert by_rule["period_out_of_range"]["kwargs"]["max_value"] == 2024
        assert by_rule["duplicate_key"]["expectation"] == "ExpectCompoundColumnsToBeUnique"
        # no expectation twice: run_suite gives the list whole to GX, which would not drop a repeat
        expectations = [json.dumps([s["expectation"], s["kwargs"]], sort_keys=True) for s in specs]
        assert len(set(expectations)) == len(expectations), entry.id
    prosecutions = {
        s["rule"] for s in gx_suites.suite_specs(OBSERVATION_SOURCES["synthetic_prosecutions"], area_codes=areas)
    }
    assert {"count_negative", "count_not_whole", "relation_order", "breakdown_exceeds_total"} <= prosecutions
    jamaica = {s["rule"] for s in gx_suites.suite_specs(OBSERVATION_SOURCES["opensdg_jamaica"], area_codes=areas)}
    assert "percent_out_of_range" in jamaica and "count_negative" not in jamaica


def test_suites_pass_on_the_bundled_data_and_fail_on_broken_rows(built_home, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    try:
        for entry in OBSERVATION_SOURCES.values():
            result = gx_suites.validate_source(con, entry)
            assert result.success, (entry.id, result.failures)
            assert result.evaluated >= 20 and result.rows > 0
        table = 'staging."synthetic_prosecutions"'
        con.execute(
            f"UPDATE {table} SET OBS_VALUE = -4 WHERE MEASURE = 'CONVICTIONS' AND REF_AREA = 'ECU' AND TIME_PERIOD = '2019'"
        )
        con.execute(
            f"UPDATE {table} SET REF_AREA = 'XYZ' WHERE MEASURE = 'PROSECUTIONS' AND REF_AREA = 'ECU' AND TIME_PERIOD = '2020'"
        )
        result = gx_suites.validate_source(con, OBSERVATION_SOURCES["synthetic_prosecutions"])
    finally:
        con.close()
    assert not result.success
    failed = {f["rule"]: f for f in result.failures}
    assert failed["count_negative"]["unexpected_count"] == 1
    example = failed["count_negative"]["examples"][0]
    assert example["OBS_VALUE"] == -4 and example["LOC_SHEET"] == "datos" and "LOC_ROW" in example
    assert failed["area_unresolved"]["examples"][0]["REF_AREA"] == "XYZ"
    assert failed["area_unresolved"]["examples"][0]["LOC_ROW"] > 3


_VALIDATE_WITH_KEPT = """
import sys, duckdb
from sources.catalogue import load_catalogue
from sources.validation.gx_suites import validate_source
con = duckdb.connect(sys.argv[1], read_only=True)
result = validate_source(con, load_catalogue()["synthetic_prosecutions"], kept=__import__("pathlib").Path(sys.argv[2]))
print(result.reused, result.success, result.evaluated, result.rows, "great_expectations" in sys.modules)
"""


def test_unchanged_rows_get_their_kept_result_without_importing_gx_and_changed_rows_are_validated(built_home, tmp_path):
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    db, kept = tmp_path / "w.duckdb", tmp_path / "kept"
    shutil.copyfile(built_home / "warehouse.duckdb", db)
    entry = OBSERVATION_SOURCES["synthetic_prosecutions"]
    con = duckdb.connect(str(db))
    try:
        first = gx_suites.validate_source(con, entry, kept=kept)
        again = gx_suites.validate_source(con, entry, kept=kept)
        assert first.success and not first.reused and again.reused
        assert (again.success, again.evaluated, again.rows, again.failures) == (
            first.success,
            first.evaluated,
            first.rows,
            first.failures,
        )
        con.close()
        # a new process: the kept result, and Great Expectations never imported
        out = subprocess.run(
            [sys.executable, "-c", _VALIDATE_WITH_KEPT, str(db), str(kept)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout.split()
        assert out == ["True", "True", str(first.evaluated), str(first.rows), "False"]
        con = duckdb.connect(str(db))
        con.execute(
            'UPDATE staging."synthetic_prosecutions" SET OBS_VALUE = -4 '
            "WHERE MEASURE = 'CONVICTIONS' AND REF_AREA = 'ECU' AND TIME_PERIOD = '2019'"
        )
        changed = gx_suites.validate_source(con, entry, kept=kept)
        assert not changed.reused and not changed.success
        assert [f["rule"] for f in changed.failures] == ["count_negative"]
        # a damaged kept result is dropped and the suite runs again
        for result_file in kept.rglob("result.json"):
            result_file.write_text("{}")
        rerun = gx_suites.validate_source(con, entry, kept=kept)
        assert not rerun.reused and [f["rule"] for f in rerun.failures] == ["count_negative"]
    finally:
        con.close()


def _dagster_stage(home: Path, source_id: str, monkeypatch):
    """Materialise one staging asset and its GX check in process, against a copied warehouse."""
    from pipelines.defs.resources import WarehouseResource
    from pipelines.defs.sources import source_assets
    from pipelines.defs.validation import gx_checks

    monkeypatch.setenv("CLAC_HOME", str(home))
    monkeypatch.setenv("CLAC_WAREHOUSE", str(home / "warehouse.duckdb"))
    key = dg.AssetKey(["staging", source_id])
    asset = next(a for a in source_assets if key in a.keys)
    result = dg.materialize(
        [asset, gx_checks],  # the GX checks of every source, run for this one only (a subset)
        selection=dg.AssetSelection.assets(key),
        resources={"warehouse": WarehouseResource()},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key for e in evaluations} == {key}  # the other sources' checks did not run
    # the checks are blocking: a failed one fails its step, so nothing downstream runs
    assert result.success == all(e.passed for e in evaluations)
    return {e.check_name: e for e in evaluations}


def test_conservation_broken_on_purpose_fails(home, monkeypatch):
    db = home / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    try:
        assert conservation_failures(con, "synthetic_hotline_reports") == []
        con.execute("""DELETE FROM staging.synthetic_hotline_reports
                       WHERE rowid = (SELECT min(rowid) FROM staging.synthetic_hotline_reports)""")
        failures = conservation_failures(con, "synthetic_hotline_reports")
        suite = gx_suites.validate_source(con, OBSERVATION_SOURCES["synthetic_hotline_reports"])
    finally:
        con.close()
    assert len(failures) == 1
    assert failures[0]["rows_read"] == 60 and failures[0]["rows_staged"] == 59 and failures[0]["rows_quarantined"] == 0
    # the GX suite, the independent second line, sees it too (row count vs raw.parses)
    assert not suite.success and [f["rule"] for f in suite.failures] == ["rows_conserved"]
    # and through Dagster: the staging asset's blocking check fails
    evaluations = _dagster_stage(home, "synthetic_hotline_reports", monkeypatch)
    assert not evaluations["rows_conserved"].passed
    assert evaluations["rows_conserved"].metadata["failures"].value[0]["rows_staged"] == 59


def test_gx_check_blocks_through_dagster(home, monkeypatch):
    evaluations = _dagster_stage(home, "synthetic_prosecutions", monkeypatch)
    assert evaluations["rows_conserved"].passed and evaluations["gx_suite"].passed
    assert evaluations["gx_suite"].metadata["failures_count"].value == 0
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute("""UPDATE staging.synthetic_prosecutions SET OBS_VALUE = -1
                       WHERE MEASURE = 'CONVICTIONS' AND REF_AREA = 'ECU' AND TIME_PERIOD = '2021'""")
    finally:
        con.close()
    evaluations = _dagster_stage(home, "synthetic_prosecutions", monkeypatch)
    assert evaluations["rows_conserved"].passed  # rows are all there ...
    gx = evaluations["gx_suite"]  # ... but one breaks a rule
    assert not gx.passed and gx.metadata["failures_count"].value == 1
    [failure] = gx.metadata["failures"].value
    assert failure["rule"] == "count_negative" and failure["count"] == 1
    assert failure["examples"][0]["OBS_VALUE"] == -1 and failure["examples"][0]["LOC_SHEET"] == "datos"


# --------------------------------------------------------------------------- quarantine


def test_quarantine_rows_carry_a_detail_that_re_renders(built_home):
    rows = query(
        built_home / "warehouse.duckdb",
        """
        SELECT RULE, FILE_ID, LOC_ROW, COLUMN_NAME, VALUE, MESSAGE, DETAIL FROM staging.quarantine
        WHERE RULE = 'area_unresolved' LIMIT 1""",
    )
    rule, file_id, row, column, value, message, detail = rows[0]
    assert file_id and row and column == "REF_AREA" and value
    assert msg.rule_message(rule, detail, "en") == message
    assert f"'{value}' no es un país o área conocido" in msg.rule_message(rule, detail, "es")


def test_inbox_broken_copy_is_quarantined_and_other_marts_untouched(home):
    db = home / "warehouse.duckdb"
    [(old_id,)] = query(
        db,
        """SELECT DISTINCT f.FILE_ID FROM raw.files f JOIN marts.observations o USING (FILE_ID)
                               WHERE f.ORIGINAL_NAME = ?""",
        [SDG_DETV.name],
    )
    # the real file's own quarantined rows (breakdowns above their total, as published)
    quarantined_before = query(db, "SELECT LOC_ROW, RULE FROM staging.quarantine WHERE FILE_ID = ?", [old_id])
    columns = "SOURCE_ID, MEASURE, REF_AREA, TIME_PERIOD, OBS_VALUE, SEX, AGE, DISAGGREGATION, FILE_ID, LOC_PAGE, LOC_LINE, LOC_ROW"
    others_before = query(db, f"SELECT {columns} FROM marts.observations WHERE FILE_ID <> ? ORDER BY ALL", [old_id])
    detv_before = query(db, "SELECT count(*) FROM marts.observations WHERE FILE_ID = ?", [old_id])[0][0]

    lines = SDG_DETV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    value_col, geo_col = header.index("vc_htf_detv"), header.index("geo_area")

    def edit(index: int, col: int, new: str) -> None:
        cells = lines[index].split(",")
        cells[col] = new
        lines[index] = ",".join(cells)

    edit(10, value_col, "n/d")  # text in the value column
    edit(11, value_col, "sin dato")
    edit(12, value_col, "-12")  # a negative count
    edit(13, geo_col, "9999")  # an unknown geo code
    inbox = home / "inbox" / "un_sdg_global_database"
    inbox.mkdir(parents=True)
    (inbox / SDG_DETV.name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_clac(home, "build", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    new_id = query(db, "SELECT FILE_ID FROM raw.files WHERE RECEIVED_VIA = 'inbox'")[0][0]
    quarantined = query(
        db,
        """SELECT LOC_ROW, COLUMN_NAME, RULE, VALUE, MESSAGE FROM staging.quarantine
                               WHERE FILE_ID = ? ORDER BY LOC_ROW""",
        [new_id],
    )
    injected = [(11, "parse_error"), (12, "parse_error"), (13, "count_negative"), (14, "area_unresolved")]
    # besides the four, only the real file's breakdowns above their total, as the build found them
    # (which side of such a pair is quarantined depends on the rows already in the warehouse)
    assert sorted((r[0], r[2]) for r in quarantined if r[2] != "breakdown_exceeds_total") == injected
    assert quarantined_before and {r[1] for r in quarantined_before} == {"breakdown_exceeds_total"}
    assert abs(sum(r[2] == "breakdown_exceeds_total" for r in quarantined) - len(quarantined_before)) <= 2
    message = {r[0]: r[4] for r in quarantined if (r[0], r[2]) in injected}
    assert "'n/d'" in message[11] and "not a number" in message[11]
    assert message[13] == "A count cannot be negative (-12)."
    assert "'9999' is not a known country or area" in message[14]
    # the last good marts are otherwise untouched: every observation of other files is identical
    assert (
        query(
            db, f"SELECT {columns} FROM marts.observations WHERE FILE_ID NOT IN (?, ?) ORDER BY ALL", [old_id, new_id]
        )
        == others_before
    )
    # the corrected series replaced the old one (same file name): conservation holds for both
    data_rows = len(lines) - 1
    assert detv_before + len(quarantined_before) == data_rows
    assert query(db, "SELECT count(*) FROM marts.observations WHERE FILE_ID = ?", [new_id])[0][0] == (
        data_rows - len(quarantined)
    )
    assert query(db, "SELECT count(*) FROM marts.observations WHERE FILE_ID = ?", [old_id])[0][0] == 0
    # conservation still holds for the new file, and the validation history has both runs
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert conservation_failures(con, "un_sdg_global_database") == []
        runs = con.execute("SELECT count(DISTINCT RUN_ID) FROM marts.dq_validation_history").fetchone()[0]
    finally:
        con.close()
    assert runs >= 2


# --------------------------------------------------------------------------- data-quality marts


def test_dq_marts_after_a_build(built_home, tmp_path):
    db = built_home / "warehouse.duckdb"
    coverage = query(
        db, "SELECT SOURCE_ID, EXPECTED_CELLS, PRESENT_CELLS, COVERAGE_PCT FROM marts.dq_coverage WHERE MEASURE = '*'"
    )
    assert {r[0] for r in coverage} == set(OBSERVATION_SOURCES)
    for _, expected, present, pct in coverage:
        assert 0 < present <= expected and 0 < pct <= 100
    jamaica = query(
        db, "SELECT EXPECTED_AREAS FROM marts.dq_coverage WHERE SOURCE_ID = 'opensdg_jamaica' AND MEASURE = '*'"
    )
    assert jamaica == [(1,)]
    freshness = dict(query(db, "SELECT SOURCE_ID, STATUS FROM marts.dq_freshness"))
    # everything was received by this build; sources published at irregular intervals have no schedule
    irregular = {sid for sid, e in load_catalogue().items() if e.update_frequency == "irregular"}
    assert irregular, "the catalogue has an irregular source (UNODC GLOTIP)"
    assert freshness and {sid for sid, status in freshness.items() if status != "on_time"} == irregular & set(freshness)
    assert {freshness[sid] for sid in irregular & set(freshness)} == {"not_scheduled"}
    history = query(db, """SELECT SOURCE_ID, CHECK_NAME, PASSED, FAILURES_COUNT FROM marts.dq_validation_history""")
    checks = {(s, c) for s, c, _, _ in history}
    for source_id in OBSERVATION_SOURCES:
        assert (source_id, "gx_suite") in checks and (source_id, "rows_conserved") in checks
    assert all(passed and failures == 0 for s, c, passed, failures in history if c in ("gx_suite", "rows_conserved"))
    out = tmp_path / "dq-coverage.csv"
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    run_clac(home, "export", "dq-coverage", "--format", "csv", "--out", str(out))
    frame = pd.read_csv(out)
    assert {"SOURCE_ID", "MEASURE", "EXPECTED_CELLS", "PRESENT_CELLS", "COVERAGE_PCT"} <= set(frame.columns)
