"""The stages' import direction (pyproject.toml, [tool.importlinter]) and the lint, as CI checks them.

The contract is checked on the project as it is, and on a copy with one deliberate wrong-way
import, which must break it: a contract nothing could break would prove nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGES = ("pipelines", "dashboards", "governance", "indicators", "sources", "warehouse")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
RUFF = Path(sys.executable).with_name("ruff")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_keeps_its_import_contracts():
    result = _lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout
    # and none of them holds by listing exceptions
    assert "ignore_imports" not in (PROJECT_ROOT / "pyproject.toml").read_text()


def test_a_wrong_way_import_breaks_the_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "data", "static", "templates"),
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # ingestion importing the published site: a lower stage reaching up
    (tmp_path / "sources" / "wrong_way.py").write_text("from dashboards import site  # noqa: F401\n")
    # the store reaching up into ingestion
    (tmp_path / "warehouse" / "wrong_way.py").write_text("from sources import ingest  # noqa: F401\n")
    # and a domain package importing Dagster
    (tmp_path / "indicators" / "with_dagster.py").write_text("import dagster  # noqa: F401\n")
    # and a cycle between two modules of one package (validation <-> ingestion)
    (tmp_path / "sources" / "validation" / "closes_a_cycle.py").write_text("from sources import ingest  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout[-4000:]
    words = " ".join(result.stdout.split())  # the report wraps long contract names
    layers = "Stages import downwards only: pipelines > dashboards > governance > indicators > sources > warehouse"
    assert f"{layers} BROKEN" in words
    assert "sources.wrong_way -> dashboards.site" in result.stdout
    assert "warehouse.wrong_way -> sources.ingest" in result.stdout
    assert "No import cycle between the modules of a package BROKEN" in words
    assert (
        "No cycles are allowed in sources. It could be made acyclic by removing 1 dependency: - .validation -> .ingest"
        in words
    )
    assert "The domain packages are plain Python: no Dagster BROKEN" in result.stdout
    assert "indicators.with_dagster -> dagster" in result.stdout


def test_ruff_finds_nothing_to_fix_and_nothing_to_reformat():
    check = subprocess.run(
        [str(RUFF), "check", "--no-cache", "."], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, "make format fixes most of these:\n" + check.stdout[-4000:]
    fmt = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", "."],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fmt.returncode == 0, "run make format:\n" + fmt.stdout[-4000:]


def test_every_package_is_in_the_build_fingerprint():
    """A change to any stage's code or data makes the next ``clac build`` run again: the input
    fingerprint reads every top-level package (a package missing from it would leave the
    outputs of the old code standing as "up to date")."""
    from pipelines.workspace import FINGERPRINT_ROOTS

    packages = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert set(PACKAGES) == packages
    assert packages <= set(FINGERPRINT_ROOTS), sorted(packages - set(FINGERPRINT_ROOTS))
