"""Two builds at once, and a build killed half-way: the warehouse and outputs survive."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CLAC, PROJECT_ROOT, clac_env, run_clac


@pytest.fixture
def home(built_home, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy)
    return copy


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_second_build_waits_then_exits_with_a_clear_message(home):
    lock = home / ".build.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as if another build were running
        env = clac_env(home) | {"CLAC_LOCK_WAIT": "2"}
        started = time.monotonic()
        result = subprocess.run(
            CLAC + ["build", "--force"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        waited = time.monotonic() - started
    assert result.returncode == 75
    assert "Another 'clac build' or 'clac ingest' is running" in result.stderr
    assert waited >= 2
    assert "Traceback" not in result.stderr


def test_build_killed_midway_leaves_warehouse_and_outputs_intact(home):
    warehouse = home / "warehouse.duckdb"
    before_db, before_out = _sha(warehouse), _tree(home / "build")
    proc = subprocess.Popen(
        CLAC + ["build", "--force"],
        cwd=PROJECT_ROOT,
        env=clac_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # wait until the run has started writing its working copy, then kill it
    deadline = time.monotonic() + 60
    while not list(home.glob("warehouse.run-*.duckdb")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert _sha(warehouse) == before_db, "the live warehouse changed"
    assert _tree(home / "build") == before_out, "the live outputs changed"
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM marts.observations").fetchone()[0] > 4000
    con.close()
    # the lock died with the process, and the next build succeeds
    again = run_clac(home, "build", "--force")
    assert "done in" in again.stdout
    assert not list(home.glob("warehouse.run-*")), "the killed run's working copy was not cleaned up"
    assert not [p.name for p in (home / "build").iterdir() if ".run-" in p.name]


def test_warehouse_and_raw_files_are_owner_only(built_home):
    for path in [built_home / "warehouse.duckdb", *list((built_home / "raw").rglob("*"))[:5]]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"
