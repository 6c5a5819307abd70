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

PACKAGES = ("sources", "indicators", "dashboards", "pipelines")
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
    # and a domain package importing Dagster
    (tmp_path / "indicators" / "with_dagster.py").write_text("import dagster  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Stages import downwards only: pipelines > dashboards > indicators > sources BROKEN" in result.stdout
    assert "sources.wrong_way -> dashboards.site" in result.stdout
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
