"""Shared fixtures: a real build of the bundled data in a throw-away CLAC_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLAC = [sys.executable, "-m", "pipelines"]


def clac_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAC_", "DAGSTER_"))}
    env["CLAC_HOME"] = str(home)
    env["DAGSTER_HOME"] = str(home / "dagster_home")
    env["CLAC_OUTPUTS"] = str(home / "build")
    env["COLUMNS"] = "200"
    return env


def run_clac(home: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
    """Run the real ``clac`` command line in a subprocess, as a user would (``env``: extra variables)."""
    result = subprocess.run(CLAC + list(args), cwd=PROJECT_ROOT, env=clac_env(home) | (env or {}),
                            capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"clac {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A CLAC_HOME where ``clac build`` has run once on the bundled data."""
    home = tmp_path_factory.mktemp("clac_home")
    run_clac(home, "build")
    return home


@pytest.fixture(scope="session")
def audience_home(tmp_path_factory) -> Path:
    """A CLAC_HOME with SYNTHETIC canaries at GREEN, AMBER and RED and the public, members and
    Secretariat editions built (see tests/canaries.py)."""
    from tests.canaries import build_audience_home

    return build_audience_home(tmp_path_factory.mktemp("audience_home"))
