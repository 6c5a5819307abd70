"""The Dagster instance on PostgreSQL (deploy/postgres/dagster.yaml), against a real server.

A throw-away PostgreSQL server (Debian's package, started by tests/postgres_server.py) holds
the run history, event logs, sensor ticks and schedule state of a CLAC home: a run started
by ``clac build``, a run the inbox sensor starts under the real ``dagster-daemon``, and the
nightly schedule turned on with the ``dagster`` command line, all read back from PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.canaries import write_canary
from tests.conftest import PROJECT_ROOT, clac_env, copy_of
from tests.postgres_server import running_postgres

DAGSTER = [str(Path(sys.executable).with_name("dagster"))]
DAEMON = [str(Path(sys.executable).with_name("dagster-daemon"))]


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def pg_home(built_home, postgres, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    home = copy_of(built_home, tmp_path_factory.mktemp("pg_home"))
    env = (
        clac_env(home)
        | postgres.env()
        | {
            "DAGSTER_HOME": str(home / "dagster_pg"),
            "CLAC_INSTANCE_CONFIG": str(PROJECT_ROOT / "deploy" / "postgres" / "dagster.yaml"),
        }
    )
    return home, env


def _instance(env: dict[str, str]):
    """The instance as Dagster itself loads it from DAGSTER_HOME (in this process)."""
    import dagster as dg

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return dg.DagsterInstance.get()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _clac(env, *args):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"clac {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_clac_runs_sensor_runs_and_the_schedule_live_in_postgres(pg_home):
    from dagster import DagsterRunStatus
    from dagster._core.scheduler.instigation import InstigatorStatus
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    home, env = pg_home
    _clac(env, "build", "--force")  # a real run, recorded in PostgreSQL
    instance = _instance(env)
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert not (Path(env["DAGSTER_HOME"]) / "history").exists(), "no SQLite run storage beside PostgreSQL"
    first = instance.get_runs()
    assert [r.status for r in first] == [DagsterRunStatus.SUCCESS]

    # the nightly schedule, turned on the way a Dagster user does it, is stored in PostgreSQL
    subprocess.run(
        DAGSTER + ["schedule", "start", "nightly_build", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )

    # a file dropped in the inbox: the real daemon ticks the inbox sensor, which launches a run
    write_canary(
        home,
        "synthetic_hotline_reports",
        "postgres-instance-SYNTHETIC.csv",
        [("Uruguay", 2021, "HOTLINE_REPORTS_RECEIVED", 123457)],
        "pg",
    )  # a key no bundled file holds
    daemon = subprocess.Popen(
        DAEMON + ["run", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            runs = [r for r in instance.get_runs() if r.tags.get("dagster/sensor_name") == "inbox_sensor"]
            if runs and runs[0].is_finished:
                break
            time.sleep(2)
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)
    assert runs, "the inbox sensor launched no run within 10 minutes"
    assert runs[0].status == DagsterRunStatus.SUCCESS, (
        f"the sensor's run ended {runs[0].status}: "
        + "\n".join(
            (e.dagster_event.message or "") + str(getattr(e.dagster_event.event_specific_data, "error", "") or "")
            for e in instance.all_logs(runs[0].run_id)
            if e.dagster_event and e.dagster_event.is_failure
        )[-4000:]
    )
    assert runs[0].tags["clac/source"] == "synthetic_hotline_reports"

    states = {s.name: s.status for s in instance.all_instigator_state()}
    assert states.get("nightly_build") == InstigatorStatus.RUNNING
    ticks = instance.get_ticks(
        next(s for s in instance.all_instigator_state() if s.name == "inbox_sensor").instigator_origin_id,
        next(s for s in instance.all_instigator_state() if s.name == "inbox_sensor").selector_id,
    )
    assert ticks, "the sensor's ticks are recorded"
    assert len(instance.get_runs()) == 2
