"""Quarterly reports end to end, through the real `clac` command line.

* the bundled SYNTHETIC examples after `clac build`: reporting status (the late and the
  missing report, written as literals from how make_quarterly_examples.py built them),
  trackers with history, the corrected re-submission, the deliberately bad row, the
  the per-quarter summary and the indicators fed by the reports;
* a template made by `clac template`, filled programmatically and sent with
  `clac ingest`: it appears in the marts under its quarter, its bad rows are quarantined
  with a message in the submitter's language and the rest is kept; a corrected version
  supersedes it and keeps it as history; refused files leave the warehouse unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from sources.quarterly.template import fill_workbook
from tests.conftest import run_clac

D = dt.date

#: (working group, quarter) -> status, from the table in make_quarterly_examples.py
EXAMPLE_STATUS = {
    ("prevention_awareness", "2025-Q3"): "on_time",
    ("prevention_awareness", "2025-Q4"): "on_time",
    ("prevention_awareness", "2026-Q1"): "on_time",
    ("prevention_awareness", "2026-Q2"): "on_time",
    ("private_sector", "2025-Q3"): "on_time",
    ("private_sector", "2025-Q4"): "on_time",
    ("private_sector", "2026-Q1"): "missing",
    ("private_sector", "2026-Q2"): "on_time",
    ("law_enforcement", "2025-Q3"): "on_time",
    ("law_enforcement", "2025-Q4"): "late",
    ("law_enforcement", "2026-Q1"): "on_time",
    ("law_enforcement", "2026-Q2"): "on_time",
    ("hotlines", "2025-Q3"): "on_time",
    ("hotlines", "2025-Q4"): "on_time",
    ("hotlines", "2026-Q1"): "on_time",
    ("hotlines", "2026-Q2"): "on_time",
}


def query(home: Path, sql: str, params=None):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def export(home: Path, what: str, out: Path, fmt: str = "csv") -> pd.DataFrame:
    run_clac(home, "export", what, "--format", fmt, "--out", str(out))
    if fmt == "parquet":
        return pd.read_parquet(out)
    return pd.read_csv(out, dtype=str, keep_default_na=False)


# ------------------------------------------------------------------ the bundled examples
def test_reporting_status_export_shows_the_late_and_the_missing_example(built_home, tmp_path):
    status = export(built_home, "reporting-status", tmp_path / "status.csv")
    got = {
        (r.WORKING_GROUP, r.QUARTER): r.STATUS
        for r in status.itertuples()
        if (r.WORKING_GROUP, r.QUARTER) in EXAMPLE_STATUS
    }
    assert got == EXAMPLE_STATUS
    late = status[(status.WORKING_GROUP == "law_enforcement") & (status.QUARTER == "2025-Q4")].iloc[0]
    assert (late.DUE_DATE, late.RECEIVED_ON, late.DAYS_LATE, late.RECEIVED_BASIS) == (
        "2026-01-30",
        "2026-02-16",
        "17",
        "submitted_on_synthetic",
    )
    missing = status[(status.WORKING_GROUP == "private_sector") & (status.QUARTER == "2026-Q1")].iloc[0]
    assert (missing.SUBMISSIONS, missing.RECEIVED_ON, missing.CURRENT_FILE_ID) == ("0", "", "")
    assert status[(status.WORKING_GROUP == "hotlines") & (status.QUARTER == "2026-Q2")].SUBMISSIONS.tolist() == ["2"]
    parquet = export(built_home, "reporting-status", tmp_path / "status.parquet", "parquet")
    assert len(parquet) == len(status) and "STATUS" in parquet.columns


def test_trackers_keep_the_history_of_the_examples(built_home, tmp_path):
    tracker = export(built_home, "legislative-tracker", tmp_path / "leg.csv")
    arg = tracker[(tracker.REF_AREA == "ARG") & (tracker.NCMEC_POSITION == "ai_generated_csam")].iloc[0]
    assert (arg.STATUS, arg.STAGE, arg.STATUS_DATE, arg.REPORTED_BY, arg.QUARTER, arg.EVENTS) == (
        "aligned",
        "in_force",
        "2026-06-01",
        "law_enforcement",
        "2026-Q2",
        "4",
    )
    assert arg.POSITION_LABEL_ES == "MASI generado por IA" and arg.AREA_NAME_ES == "Argentina"
    history = export(built_home, "legislative-tracker-history", tmp_path / "leg_h.csv")
    arg_h = history[(history.REF_AREA == "ARG") & (history.NCMEC_POSITION == "ai_generated_csam")]
    assert list(zip(arg_h.QUARTER, arg_h.STAGE, arg_h.STATUS, arg_h.CHANGE)) == [
        ("2025-Q3", "bill_introduced", "no_provision", "first_report"),
        ("2025-Q4", "committee", "no_provision", "stage_changed"),
        ("2026-Q1", "passed", "partial", "status_changed"),
        ("2026-Q2", "in_force", "aligned", "status_changed"),
    ]
    capability = export(built_home, "capability-tracker", tmp_path / "cap.csv")
    got = {(r.REF_AREA, r.CAPABILITY): (r.STATUS, r.REPORTED_BY) for r in capability.itertuples()}
    assert got[("COL", "15")] == ("in_place", "private_sector")
    assert got[("ARG", "8")] == ("in_place", "law_enforcement")
    assert got[("PRY", "20")] == ("in_development", "prevention_awareness")
    cap_h = export(built_home, "capability-tracker-history", tmp_path / "cap_h.csv")
    col = cap_h[(cap_h.REF_AREA == "COL") & (cap_h.CAPABILITY == "15")]
    assert list(zip(col.QUARTER, col.PREVIOUS_STATUS, col.STATUS)) == [
        ("2025-Q3", "", "in_development"),
        ("2026-Q2", "in_development", "in_place"),
    ]


def test_examples_in_the_marts_with_supersession_and_quarantine(built_home):
    files = dict(
        query(
            built_home,
            """SELECT f.ORIGINAL_NAME, p.SUPERSEDED_BY IS NULL FROM raw.files f
                                      JOIN raw.parses p USING (FILE_ID) WHERE f.SOURCE_ID = 'wg_quarterly_report'""",
        )
    )
    assert len(files) == 16
    assert files["hotlines_2026-Q2-SYNTHETIC.xlsx"] is False
    assert files["hotlines_2026-Q2-v2-SYNTHETIC.xlsx"] is True
    hotlines = query(
        built_home,
        """SELECT FILE_NAME, count(*) FROM marts.wg_activities
                                    WHERE WORKING_GROUP = 'hotlines' AND QUARTER = '2026-Q2' GROUP BY 1""",
    )
    assert hotlines == [("hotlines_2026-Q2-v2-SYNTHETIC.xlsx", 2)]
    bad = query(
        built_home,
        """SELECT q.LOC_SHEET, q.LOC_ROW, q.RULE, q.MESSAGE FROM staging.quarantine q
                               JOIN raw.files f USING (FILE_ID) WHERE f.ORIGINAL_NAME = 'law_enforcement_2026-Q1-SYNTHETIC.xlsx'""",
    )
    assert bad == [
        (
            "Actividades",
            4,
            "wg_date_outside_quarter",
            "La fecha 2025-12-15 en «Fecha» está fuera del trimestre 2026-Q1 (2026-01-01 – 2026-03-31). "
            "Informe cada actividad, política o avance en el trimestre en que ocurrió.",
        )
    ]
    assert query(
        built_home,
        """SELECT count(*) FROM marts.wg_activities
                                WHERE WORKING_GROUP = 'law_enforcement' AND QUARTER = '2026-Q1'""",
    ) == [(1,)]
    assert query(
        built_home, "SELECT bool_and(SYNTHETIC), bool_and(DESCRIPTION LIKE 'SYNTHETIC:%') FROM marts.wg_activities"
    ) == [(True, True)]
    summary = dict(
        query(
            built_home,
            """SELECT WORKING_GROUP, STATUS FROM marts.wg_quarter_summary
                                        WHERE QUARTER = '2025-Q4'""",
        )
    )
    assert summary["law_enforcement"] == "late"


def test_build_records_each_quarter_in_the_summary_metadata(built_home, monkeypatch):
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", str(built_home / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "wg_quarter_summary"]))
    quarters = event.asset_materialization.metadata["quarters"].value
    assert {"2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"} <= set(quarters)
    assert quarters["2025-Q4"]["statuses"]["late"] >= 1  # law_enforcement, see above


def test_indicators_fed_by_the_reports(built_home):
    if not query(
        built_home,
        """SELECT count(*) FROM information_schema.tables
                                WHERE table_schema = 'marts' AND table_name = 'indicator_values'""",
    )[0][0]:
        pytest.skip("no indicator computation in this build")
    rows = query(
        built_home,
        """SELECT INDICATOR, REF_AREA, TIME_PERIOD, DISAGGREGATION, OBS_VALUE, SYNTHETIC
                                FROM marts.indicator_values WHERE INDICATOR LIKE 'wg_%'""",
    )
    got = {(i, a, t, d): (v, s) for i, a, t, d, v, s in rows}
    goals = {i for i, *_ in rows}
    assert {"wg_activities_goal3", "wg_activities_goal4", "wg_activities_goal6", "wg_activities_goal7"} <= goals
    # goal 6 in 2025-Q3: ARG and PER implemented, CRI planned -> 3 in-country activities, 2 countries reached
    assert got[("wg_activities_goal6", "LAC", "2025-Q3", "")] == (3.0, True)
    assert got[("wg_activities_goal6", "LAC", "2025-Q3", "STATUS=planned")] == (1.0, True)
    assert got[("wg_countries_reached_goal6", "LAC", "2025-Q3", "")] == (2.0, True)
    assert got[("wg_legislative_advances", "ARG", "2025", "")] == (2.0, True)
    assert all(s for (_, s) in got.values()), "values from SYNTHETIC examples must be marked SYNTHETIC"


# --------------------------------------------------- a template sent back with clac ingest
FAKE_PHONE = "+55 11 91234-5678"
ROWS_V1 = {
    "activities": [
        dict(
            goal="6",
            country="CHL",
            scope="in_country",
            status="implemented",
            date=D(2026, 8, 4),
            capability="20",
            people_reached=1200,
            description="SYNTHETIC: school workshops on online risks",
        ),
        dict(
            goal="7",
            country="REGIONAL",
            scope="regional",
            status="implemented",
            date=D(2026, 9, 9),
            description="SYNTHETIC: regional webinar on parental controls",
        ),
        dict(
            goal="6",
            country="CHL",
            scope="in_country",
            status="Implementadisimo",
            date=D(2026, 8, 5),
            description="SYNTHETIC: edited dropdown",
        ),
        dict(
            goal="6",
            country="CHL",
            scope="in_country",
            status="implemented",
            date=D(2026, 10, 2),
            description="SYNTHETIC: dated after the quarter",
        ),
        dict(goal="6", country="CHL", scope="in_country", status="implemented", date=D(2026, 8, 6), description=None),
        dict(
            goal="6",
            country="CHL",
            scope="in_country",
            status="implemented",
            date=D(2026, 8, 7),
            description=f"SYNTHETIC: call {FAKE_PHONE}",
        ),
    ],
    "legislative": [
        dict(
            country="CHL",
            stage="in_force",
            date=D(2026, 9, 1),
            instrument="SYNTHETIC: Ley 99.777 (fictitious)",
            ncmec_position="safety_by_design",
            alignment="aligned",
            source_reference="SYNTHETIC: Official gazette, 2026-09-01",
        )
    ],
}
ROWS_V2 = {
    "activities": [
        ROWS_V1["activities"][0],
        ROWS_V1["activities"][1],
        dict(ROWS_V1["activities"][2], status="planned", date=D(2026, 11, 5)),
    ],
    "legislative": ROWS_V1["legislative"],
}


def _template(home: Path, folder: Path, rows: dict, name: str) -> Path:
    path = folder / name
    run_clac(
        home,
        "template",
        "--working-group",
        "prevention_awareness",
        "--quarter",
        "2026-Q3",
        "--lang",
        "en",
        "--out",
        str(path),
    )
    wb = openpyxl.load_workbook(path)
    fill_workbook(wb, rows, lang="en", submitted_on=D(2026, 10, 20))
    wb.save(path)
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ingested(built_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("quarterly_ingest") / "home"
    shutil.copytree(built_home, home)
    folder = tmp_path_factory.mktemp("quarterly_files")
    v1 = _template(home, folder, ROWS_V1, "prevention_awareness_report_2026-Q3.xlsx")
    run_clac(home, "ingest", str(v1), "--source", "wg_quarterly_report")
    return home, folder, _sha(v1)[:16]


def test_an_ingested_report_appears_under_its_quarter(ingested):
    home, _, file_id = ingested
    rows = query(
        home,
        """SELECT QUARTER, GOAL, REF_AREA, IS_REGIONAL, PEOPLE_REACHED, LOC_ROW FROM marts.wg_activities
                          WHERE FILE_ID = ? ORDER BY LOC_ROW""",
        [file_id],
    )
    assert rows == [("2026-Q3", 6, "CHL", False, 1200, 3), ("2026-Q3", 7, "LAC", True, None, 4)]
    assert query(
        home,
        """SELECT REF_AREA, STATUS, REPORTED_BY, QUARTER FROM marts.legislative_tracker
                          WHERE REF_AREA = 'CHL' AND NCMEC_POSITION = 'safety_by_design'""",
    ) == [("CHL", "aligned", "prevention_awareness", "2026-Q3")]
    status = query(
        home,
        """SELECT STATUS, RECEIVED_BASIS, CURRENT_FILE_ID, ACTIVITIES, ROWS_QUARANTINED
                            FROM marts.reporting_status WHERE WORKING_GROUP = 'prevention_awareness'
                              AND QUARTER = '2026-Q3'""",
    )
    # received by the observatory today (the workbook's "submitted on" is not trusted for real reports)
    expected = "on_time" if dt.date.today() <= D(2026, 10, 30) else "late"
    assert status == [(expected, "received_at", file_id, 2, 4)]
    assert query(
        home,
        """SELECT ACTIVITIES_IMPLEMENTED, ACTIVITIES_REGIONAL, COUNTRIES_REACHED, PEOPLE_REACHED
                          FROM marts.wg_quarter_summary WHERE QUARTER = '2026-Q3'
                            AND WORKING_GROUP = 'prevention_awareness'""",
    ) == [(2, 1, 1, 1200)]


def test_bad_rows_are_quarantined_in_english_and_the_rest_kept(ingested):
    home, _, file_id = ingested
    rows = query(
        home,
        """SELECT LOC_ROW, COLUMN_NAME, RULE, VALUE, MESSAGE FROM staging.quarantine
                          WHERE FILE_ID = ? ORDER BY LOC_ROW""",
        [file_id],
    )
    assert [(r[0], r[2]) for r in rows] == [
        (5, "wg_code_unknown"),
        (6, "wg_date_outside_quarter"),
        (7, "wg_required_blank"),
        (8, "wg_personal_data"),
    ]
    messages = {r[0]: r[4] for r in rows}
    assert messages[5].startswith("«Implementadisimo» in «Status» is not an option of the list.")
    assert messages[6].startswith("The date 2026-10-02 in «Date» is outside the quarter 2026-Q3")
    assert messages[7] == "The column «Description» is required and is blank."
    assert messages[8].startswith("«Description» seems to contain personal data (phone number, characters 17–33).")
    assert rows[3][3] == "phone@17-33"
    everything = json.dumps(query(home, "SELECT * FROM staging.quarantine"), default=str)
    assert FAKE_PHONE not in everything
    exported = home.parent / "q.csv"
    run_clac(home, "export", "quarantine", "--format", "csv", "--out", str(exported))
    assert FAKE_PHONE not in exported.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def resubmitted(ingested, tmp_path_factory):
    home1, folder, first_id = ingested
    home = tmp_path_factory.mktemp("quarterly_resubmit") / "home"
    shutil.copytree(home1, home)
    v2 = _template(home, folder, ROWS_V2, "prevention_awareness_report_2026-Q3_corrected.xlsx")
    run_clac(home, "ingest", str(v2), "--source", "wg_quarterly_report")
    return home, first_id, _sha(v2)[:16]


def test_a_resubmission_supersedes_and_keeps_history(resubmitted):
    home, first_id, second_id = resubmitted
    assert query(home, "SELECT SUPERSEDED_BY FROM raw.parses WHERE FILE_ID = ?", [first_id]) == [(second_id,)]
    assert query(
        home,
        """SELECT FILE_ID, count(*) FROM marts.wg_activities WHERE WORKING_GROUP = 'prevention_awareness'
                          AND QUARTER = '2026-Q3' GROUP BY 1""",
    ) == [(second_id, 3)]
    history = query(
        home,
        "SELECT FILE_ID, count(*) FROM staging.wg_activities WHERE FILE_ID IN (?, ?) GROUP BY 1 ORDER BY 2",
        [first_id, second_id],
    )
    assert history == sorted([(first_id, 2), (second_id, 3)], key=lambda r: r[1])
    status = query(
        home,
        """SELECT SUBMISSIONS, CURRENT_FILE_ID, ROWS_QUARANTINED FROM marts.reporting_status
                            WHERE WORKING_GROUP = 'prevention_awareness' AND QUARTER = '2026-Q3'""",
    )
    assert status == [(2, second_id, 0)]
    stored = home / query(home, "SELECT STORED_PATH FROM raw.files WHERE FILE_ID = ?", [first_id])[0][0]
    assert stored.exists()


def test_refused_reports_leave_the_warehouse_unchanged(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    before = _sha(home / "warehouse.duckdb")
    wrong_version = _template(home, tmp_path, {"activities": ROWS_V1["activities"][:1]}, "pa_2026-Q3.xlsx")
    wb = openpyxl.load_workbook(wrong_version)
    wb["_metadata"]["B1"] = "2025.1"
    wb.save(wrong_version)
    result = run_clac(home, "ingest", str(wrong_version), "--source", "wg_quarterly_report", check=False)
    assert result.returncode == 1
    assert "the template version is «2025.1», but the observatory reads version 2026.1." in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    misnamed = tmp_path / "pa_2026-Q2.xlsx"
    shutil.copyfile(_template(home, tmp_path, {"activities": ROWS_V1["activities"][:1]}, "pa.xlsx"), misnamed)
    result = run_clac(home, "ingest", str(misnamed), "--source", "wg_quarterly_report", check=False)
    assert result.returncode == 1
    assert "the file name says quarter 2026-Q2, but the workbook is for quarter 2026-Q3." in result.stderr
    assert _sha(home / "warehouse.duckdb") == before
    assert len(list((home / "rejected").glob("*/pa_2026-Q*.xlsx"))) == 2


def test_the_quarterly_reports_job_runs_alone(built_home, tmp_path, monkeypatch):
    """The quarterly reports without the rest of the build (UI): on a working copy, made live at the end."""
    import dagster as dg

    from pipelines.definitions import defs

    work = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", work)
    monkeypatch.setenv("CLAC_HOME", str(tmp_path))
    monkeypatch.setenv("CLAC_WAREHOUSE", str(work))
    monkeypatch.setenv("CLAC_OUTPUTS", str(tmp_path / "build"))
    definitions = defs() if callable(defs) else defs
    job = definitions.resolve_job_def("quarterly_reports")
    assert job.partitions_def is None
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert {"marts/wg_quarter_summary", "outputs/commit"} <= done
    assert not list(tmp_path.glob("warehouse.run-*"))
    con = duckdb.connect(str(work), read_only=True)
    try:
        rows = con.execute("""SELECT WORKING_GROUP, STATUS FROM marts.wg_quarter_summary WHERE QUARTER = '2025-Q4'
                              ORDER BY 1""").fetchall()
    finally:
        con.close()
    assert rows == [
        ("hotlines", "on_time"),
        ("law_enforcement", "late"),
        ("prevention_awareness", "on_time"),
        ("private_sector", "on_time"),
    ]
