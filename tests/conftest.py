"""Shared fixtures: a real build of the bundled data in a throw-away CLAC_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLAC = [sys.executable, "-m", "pipelines"]


#: Set for the session by :func:`shared_build_cache`: one cache of site parts and printed PDFs
#: for every home, so that a test building data another test built already copies its SDMX files
#: and PDFs instead of making them again (dashboards/site_cache.py, dashboards/print_cache.py).
SHARED_CACHE: list[Path] = []


def clac_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAC_", "DAGSTER_"))}
    env["CLAC_HOME"] = str(home)
    if SHARED_CACHE:
        env["CLAC_CACHE_DIR"] = str(SHARED_CACHE[0])
    env["DAGSTER_HOME"] = str(home / "dagster_home")
    env["CLAC_OUTPUTS"] = str(home / "build")
    env["COLUMNS"] = "200"
    return env


def run_clac(
    home: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real ``clac`` command line in a subprocess, as a user would (``env``: extra variables)."""
    result = subprocess.run(
        CLAC + list(args),
        cwd=PROJECT_ROOT,
        env=clac_env(home) | (env or {}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"clac {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def shared_home(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """A home made once per test session, even when pytest-xdist runs the suite in several
    worker processes: the first worker to ask makes it under a file lock, the others wait and
    reuse it. A failed attempt is recorded, so the other workers fail with the same message
    instead of building again."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this session
    if os.environ.get("CLAC_TEST_HOMES"):  # while developing: homes kept between runs (delete to rebuild)
        base = Path(os.environ["CLAC_TEST_HOMES"])
        base.mkdir(parents=True, exist_ok=True)
    home, ready, failed = base / name, base / f"{name}.ready", base / f"{name}.failed"
    with FileLock(str(base / f"{name}.lock")):
        if failed.exists():
            raise AssertionError(f"making the shared home {name} failed in another worker:\n{failed.read_text()}")
        if not ready.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            try:
                make(home)
            except BaseException as error:
                failed.write_text(str(error))
                raise
            ready.touch()
    return home


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache(tmp_path_factory) -> Path:
    """The cache every ``clac`` the tests start shares (see :data:`SHARED_CACHE`); one for all
    pytest-xdist workers of the session. Entries are keyed by everything they are made from, and
    written atomically, so workers can share them."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    SHARED_CACHE[:] = [base / "build_cache"]
    return SHARED_CACHE[0]


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A CLAC_HOME where ``clac build`` has run once on the bundled data. Shared by every
    test of the session: tests that change it work on a copy (:func:`copy_of`)."""
    return shared_home(tmp_path_factory, "clac_home", lambda home: run_clac(home, "build"))


@pytest.fixture(scope="session")
def audience_home(tmp_path_factory) -> Path:
    """A CLAC_HOME with SYNTHETIC canaries at GREEN, AMBER and RED and the public, members and
    Secretariat editions built (see tests/canaries.py)."""
    from tests.canaries import build_audience_home

    return shared_home(tmp_path_factory, "audience_home", build_audience_home)


def copy_of(home: Path, target: Path) -> Path:
    """A private copy of a shared home, for a test that builds, ingests or breaks things."""
    shutil.copytree(home, target, symlinks=True, dirs_exist_ok=True)
    return target


#: The longest modules (figures in docs/benchmarks.md), started first: with one module per
#: worker at a time (--dist loadfile), a long module left for the end runs alone while the
#: other worker idles.
LONGEST_FIRST = (
    "test_dagster_launch.py",
    "test_postgres_instance.py",
    "test_dashboards_browser.py",
    "test_dashboards_report.py",
    "test_approvals.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order kept within a module
