"""`clac ingest` and the inbox on a real built warehouse: idempotence, supersession, refusal.

Each test copies the session's built home first, so tests do not disturb each other.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from sources.catalogue import BUNDLED_DATA_DIR
from tests.conftest import run_clac

HOTLINE_CSV = BUNDLED_DATA_DIR / "synthetic" / "hotline-reports-SYNTHETIC.csv"
NCMEC_2019 = BUNDLED_DATA_DIR / "ncmec-cybertipline-by-country" / "2019-cybertipline-reports-by-country.pdf"


@pytest.fixture
def home(built_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy)
    return copy


def query(home: Path, sql: str, params=None):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reingesting_an_identical_file_adds_nothing(home, tmp_path):
    before = query(home, "SELECT count(*) FROM raw.files")[0][0]
    rows_before = query(home, "SELECT count(*) FROM staging.ncmec_cybertipline_by_country")[0][0]
    renamed = tmp_path / "same-bytes-other-name.pdf"
    shutil.copyfile(NCMEC_2019, renamed)
    run_clac(home, "ingest", str(renamed), "--source", "ncmec_cybertipline_by_country")
    assert query(home, "SELECT count(*) FROM raw.files")[0][0] == before
    assert query(home, "SELECT count(*) FROM staging.ncmec_cybertipline_by_country")[0][0] == rows_before


def test_corrected_file_supersedes_and_history_is_kept(home, tmp_path):
    # a corrected copy of the SYNTHETIC hotline file: Brasil 2019 received 1.110 -> 1.332
    text = HOTLINE_CSV.read_text(encoding="utf-8-sig")
    assert "Brasil;2019;HOTLINE_REPORTS_RECEIVED;1.110;" in text
    corrected = tmp_path / "hotline-reports-SYNTHETIC-corrected.csv"
    corrected.write_text(
        text.replace("Brasil;2019;HOTLINE_REPORTS_RECEIVED;1.110;", "Brasil;2019;HOTLINE_REPORTS_RECEIVED;1.332;"),
        encoding="utf-8",
    )
    old_id = sha(HOTLINE_CSV)[:16]
    run_clac(home, "ingest", str(corrected), "--source", "synthetic_hotline_reports")
    new_id = sha(corrected)[:16]

    assert query(home, "SELECT SUPERSEDED_BY FROM raw.parses WHERE FILE_ID = ?", [old_id]) == [(new_id,)]
    assert query(home, "SELECT SUPERSEDED_BY FROM raw.parses WHERE FILE_ID = ?", [new_id]) == [(None,)]
    current = query(
        home,
        """SELECT OBS_VALUE, FILE_ID FROM marts.observations
                             WHERE SOURCE_ID = 'synthetic_hotline_reports' AND REF_AREA = 'BRA'
                               AND TIME_PERIOD = '2019' AND MEASURE = 'HOTLINE_REPORTS_RECEIVED'""",
    )
    assert current == [(1332.0, new_id)]
    # history: both versions stay in staging and in the raw store, byte for byte
    history = sorted(
        query(
            home,
            """SELECT OBS_VALUE FROM staging.synthetic_hotline_reports
                                    WHERE REF_AREA = 'BRA' AND TIME_PERIOD = '2019'
                                      AND MEASURE = 'HOTLINE_REPORTS_RECEIVED'""",
        )
    )
    assert history == [(1110.0,), (1332.0,)]
    stored = home / query(home, "SELECT STORED_PATH FROM raw.files WHERE FILE_ID = ?", [old_id])[0][0]
    assert stored.read_bytes() == HOTLINE_CSV.read_bytes()
    # no duplicate observations in the mart
    dupes = query(
        home,
        """SELECT count(*) FROM (SELECT SOURCE_ID, MEASURE, REF_AREA, TIME_PERIOD, SEX, AGE,
                           DISAGGREGATION FROM marts.observations GROUP BY ALL HAVING count(*) > 1)""",
    )
    assert dupes == [(0,)]


def test_unknown_source_id_is_a_clear_error(home):
    result = run_clac(home, "ingest", str(NCMEC_2019), "--source", "ncmec_typo", check=False)
    assert result.returncode != 0
    assert "unknown source id 'ncmec_typo'" in result.stderr
    assert "ncmec_cybertipline_by_country" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_refused_file_leaves_the_warehouse_byte_identical(home, tmp_path):
    truncated = tmp_path / "2019-cybertipline-reports-by-country.pdf"
    truncated.write_bytes(NCMEC_2019.read_bytes()[: NCMEC_2019.stat().st_size // 3])
    before = sha(home / "warehouse.duckdb")
    result = run_clac(home, "ingest", str(truncated), "--source", "ncmec_cybertipline_by_country", check=False)
    assert result.returncode == 1
    assert "2019-cybertipline-reports-by-country.pdf" in result.stderr
    assert "What to do" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert sha(home / "warehouse.duckdb") == before
    kept = list((home / "rejected").glob("*/2019-cybertipline-reports-by-country.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == truncated.read_bytes()


def test_sources_lists_last_ingestion(home):
    out = run_clac(home, "sources").stdout
    assert "ncmec_cybertipline_by_country" in out
    assert "never" not in out.split("ncmec_cybertipline_by_country")[1].splitlines()[0]
