"""The inbox sensor asks for one run per new file, keyed by source and content."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.defs.automation import inbox_sensor
from sources.catalogue import BUNDLED_DATA_DIR
from tests.conftest import PROJECT_ROOT, clac_env

HOTLINE_CSV = BUNDLED_DATA_DIR / "synthetic" / "hotline-reports-SYNTHETIC.csv"


def _requests(monkeypatch, home):
    monkeypatch.setenv("CLAC_HOME", str(home))
    with dg.build_sensor_context() as context:
        result = inbox_sensor(context)
        return list(result) if result is not None else []


def test_no_file_no_run(monkeypatch, tmp_path):
    assert _requests(monkeypatch, tmp_path) == []


def test_each_dropped_file_requests_one_keyed_run(monkeypatch, tmp_path):
    inbox = tmp_path / "inbox" / "synthetic_hotline_reports"
    inbox.mkdir(parents=True)
    shutil.copyfile(HOTLINE_CSV, inbox / "drop.csv")
    (inbox / ".partial-upload").write_text("ignored: hidden files are not picked up")
    requests = _requests(monkeypatch, tmp_path)
    digest = hashlib.sha256(HOTLINE_CSV.read_bytes()).hexdigest()
    assert [r.run_key for r in requests] == [f"synthetic_hotline_reports:{digest}"]
    assert requests[0].tags["clac/file"] == "drop.csv"
    # a second drop with other bytes gets its own key; the first keeps its key (no rerun)
    (inbox / "second.csv").write_text(HOTLINE_CSV.read_text(encoding="utf-8-sig").replace("1.110", "1.221"))
    keys = {r.run_key for r in _requests(monkeypatch, tmp_path)}
    assert len(keys) == 2 and f"synthetic_hotline_reports:{digest}" in keys


def test_dagster_cli_validates_the_definitions(tmp_path):
    """What `dagster dev` loads: the code location named in pyproject.toml."""
    env = clac_env(tmp_path)
    env["DAGSTER_HOME"] = str(tmp_path)
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr
    # the code location is named in pyproject.toml for dagster and dg alike: no warning per module (issue 11)
    assert "code location name" not in result.stdout + result.stderr


def test_a_file_the_warehouse_already_holds_asks_for_no_run(monkeypatch, tmp_path, built_home):
    """After a `clac build` took the inbox, the sensor does not start a build for the same bytes."""
    inbox = tmp_path / "inbox" / "synthetic_hotline_reports"
    inbox.mkdir(parents=True)
    shutil.copyfile(HOTLINE_CSV, inbox / "already-received.csv")  # bundled: in the built warehouse
    (inbox / "new.csv").write_text(HOTLINE_CSV.read_text(encoding="utf-8-sig").replace("1.110", "1.331"))
    monkeypatch.setenv("CLAC_WAREHOUSE", str(built_home / "warehouse.duckdb"))
    assert [r.tags["clac/file"] for r in _requests(monkeypatch, tmp_path)] == ["new.csv"]
