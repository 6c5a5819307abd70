"""The build started the way Dagster users start it, after a `clac build`, is as safe as `clac build`.

On one copy of the audience home (three `clac build --audience` runs with GREEN, AMBER and RED
canaries, see tests/canaries.py), in a row:

1. under a real `dagster dev` on 127.0.0.1: GraphQL ``launchRun`` of the build job with no run
   config, then a file dropped in the inbox and picked up by the sensor's tick (the daemon);
2. `dagster job execute -j build`, then the same with a failing step injected
   (``CLAC_TEST_FAIL_AT``, a test-only switch of pipelines.workspace).

Every run succeeds except the injected failure; ``build/public`` holds the public edition only
(no GREEN, AMBER or RED canary, nothing unapproved), ``build/site`` is the public site; the failed
run leaves the warehouse, the outputs and the releases byte-identical and no working copy behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.canaries import CANARIES, UNAPPROVED, audience_env, write_canary
from tests.conftest import PROJECT_ROOT
from tests.test_leak_scan import _texts

pytestmark = pytest.mark.slow
DAGSTER = str(Path(sys.executable).parent / "dagster")
LOCATION = "clac_observatory"  # pyproject.toml [tool.dagster] / [tool.dg.project]


@pytest.fixture(scope="module")
def home(audience_home, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("dagster_launch") / "home"
    shutil.copytree(audience_home, copy, symlinks=True)
    # what an old Dagster run left (issue 11): a restricted edition as a real folder in build/site
    (copy / "build" / "site").unlink()
    shutil.copytree(copy / "build" / "secretariat" / "site", copy / "build" / "site")
    return copy


def _env(home: Path) -> dict[str, str]:
    return audience_env(home) | {"DAGSTER_HOME": str(home / "dagster_home")}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state(home: Path) -> dict[str, str]:
    """Every byte a reader can see: the warehouse, the outputs and the releases."""
    files = [home / "warehouse.duckdb"] + [
        p for folder in ("build", "releases") for p in sorted((home / folder).rglob("*")) if p.is_file()
    ]
    return {str(p.relative_to(home)): _sha(p) for p in files}


def _assert_public_edition_only(home: Path) -> None:
    site = home / "build" / "site"
    assert site.is_symlink() and site.resolve() == (home / "build" / "public" / "site").resolve()
    texts = dict(_texts(home / "build" / "public"))
    assert texts, "no public edition"
    hidden = []
    for _source, _name, rows, token in [*CANARIES.values(), UNAPPROVED]:  # comment tokens and counts
        hidden += [token, *(str(value) for *_, value in rows)]
    leaks = sorted({(name, token) for name, text in texts.items() for token in hidden if token in text})
    assert not leaks, f"restricted figures in build/public: {leaks[:5]}"
    assert not list(home.glob("warehouse.run-*")), "a working copy was left behind"
    assert not [p.name for p in (home / "build").iterdir() if ".run-" in p.name or p.name.endswith(".old")]


def _received(home: Path, name: str) -> bool:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM raw.files WHERE ORIGINAL_NAME = ?", [name]).fetchone()[0] > 0
    finally:
        con.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_run(home: Path, find, timeout: float = 1200):
    """Wait until the run ``find(instance)`` returns has finished; return it."""
    import dagster as dg

    deadline = time.monotonic() + timeout
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    try:
        while time.monotonic() < deadline:
            with dg.DagsterInstance.get() as instance:
                run = find(instance)
                if run is not None and run.is_finished:
                    return run
            time.sleep(3)
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    raise AssertionError("the run did not finish in time")


def test_graphql_launch_run_then_a_sensor_tick_under_dagster_dev(home):
    import dagster as dg
    from dagster_graphql import DagsterGraphQLClient

    port = _free_port()
    log = (home / "dagster_dev.log").open("w")
    server = subprocess.Popen(
        [DAGSTER, "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        deadline = time.monotonic() + 300
        while True:  # the webserver is up once the code location has loaded
            try:
                run_id = client.submit_job_execution(
                    "build", repository_location_name=LOCATION, repository_name="__repository__", run_config={}
                )
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(3)
        run = _wait_for_run(home, lambda instance: instance.get_run_by_id(run_id))
        assert run.status == dg.DagsterRunStatus.SUCCESS, (home / "dagster_dev.log").read_text()[-3000:]
        _assert_public_edition_only(home)

        # a new GREEN file in the inbox: the daemon's sensor tick starts a run of its own
        name = "hotline-canary-sensor-SYNTHETIC.csv"
        write_canary(
            home,
            "synthetic_hotline_reports",
            name,
            [("Uruguay", 2021, "HOTLINE_REPORTS_RECEIVED", 71936428501736)],
            "qz7SENSORcanary3p",
        )
        sensor_run = _wait_for_run(
            home, lambda instance: next(iter(instance.get_runs(dg.RunsFilter(tags={"clac/file": name}), limit=1)), None)
        )
        assert sensor_run.status == dg.DagsterRunStatus.SUCCESS
        # only the new file's source and what depends on it (pipelines/selection.py)
        selected = {key.to_user_string() for key in sensor_run.asset_selection or ()}
        assert {"staging/synthetic_hotline_reports", "outputs/site", "outputs/commit"} <= selected
        assert "staging/unodc_glotip" not in selected
        assert _received(home, name)
        _assert_public_edition_only(home)
        assert "71936428501736" not in "".join(text for _, text in _texts(home / "build" / "public"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _job_execute(home: Path, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DAGSTER, "job", "execute", "-m", "pipelines.definitions", "-j", "build"],
        cwd=PROJECT_ROOT,
        env=_env(home) | extra_env,
        capture_output=True,
        text=True,
        timeout=1500,
    )


def test_dagster_job_execute_then_a_failing_run_changes_nothing(home):
    done = _job_execute(home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    _assert_public_edition_only(home)

    before = _state(home)
    name = "hotline-canary-failing-SYNTHETIC.csv"  # a new file, so the failing run does change its copy
    write_canary(
        home,
        "synthetic_hotline_reports",
        name,
        [("Uruguay", 2022, "HOTLINE_REPORTS_RECEIVED", 79315286407215)],
        "qz7FAILINGcanary8d",
    )
    failed = _job_execute(home, CLAC_TEST_FAIL_AT="outputs/site")
    assert failed.returncode != 0
    assert "failure injected on purpose" in failed.stdout + failed.stderr
    assert _state(home) == before, "the failed run changed the warehouse, the outputs or the releases"
    assert not _received(home, name)
    _assert_public_edition_only(home)
