"""Approval: validated data reach the public only once approved, and only as approved.

A copy of the canary home of :mod:`tests.canaries` holds a CLEAR source that needs the
Secretariat's approval, with two periods of SYNTHETIC canary counts. Real commands only:
``clac approve``, ``clac build``, ``clac export approval-status``; the public edition's
all-data download is read as a reader gets it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from governance import audit
from tests.canaries import UNAPPROVED, audience_env, write_canary
from tests.conftest import CLAC, PROJECT_ROOT

SOURCE, _, ROWS, TOKEN = UNAPPROVED
(_, YEAR_A, _, COUNT_A), (_, YEAR_B, _, COUNT_B) = ROWS
CORRECTED = COUNT_A + 1111


def _clac(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        CLAC + list(args), cwd=PROJECT_ROOT, env=audience_env(home), capture_output=True, text=True, timeout=900
    )
    if check:
        assert result.returncode == 0, f"clac {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _public_counts(home: Path) -> set[int]:
    """The source's counts in the public edition's observations download."""
    with zipfile.ZipFile(home / "build" / "public" / "site" / "downloads" / "clac-all-data.zip") as archive:
        obs = pd.read_csv(io.BytesIO(archive.read("observations.csv")), dtype={"SOURCE_ID": str})
    return {int(v) for v in obs.loc[obs.SOURCE_ID == SOURCE, "OBS_VALUE"]}


def _status(home: Path, tmp: Path) -> dict[str, tuple[str, str]]:
    out = tmp / "approval-status.csv"
    _clac(home, "export", "approval-status", "--format", "csv", "--out", str(out))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    frame = frame[frame.SOURCE_ID == SOURCE]
    return {p: (s, a) for p, s, a in zip(frame.TIME_PERIOD, frame.STATUS, frame.APPROVED_BY)}


@pytest.fixture(scope="module")
def home(audience_home, tmp_path_factory) -> Path:
    """A copy of the canary home (its public edition built without any approval)."""
    copy = tmp_path_factory.mktemp("approval_home")
    shutil.copytree(audience_home, copy, dirs_exist_ok=True, symlinks=True)
    return copy


def test_validated_data_stay_out_of_the_public_edition(home, tmp_path):
    assert _public_counts(home) == set()
    assert _status(home, tmp_path) == {str(YEAR_A): ("validated", ""), str(YEAR_B): ("validated", "")}


def test_approving_a_period_publishes_that_period_only(home, tmp_path):
    result = _clac(home, "--actor", "Test Approver", "approve", SOURCE, "--period", str(YEAR_A))
    assert f"Approved {SOURCE} {YEAR_A}: 1 observations" in result.stdout
    _clac(home, "build")
    assert _public_counts(home) == {COUNT_A}
    assert _status(home, tmp_path) == {str(YEAR_A): ("approved", "Test Approver"), str(YEAR_B): ("validated", "")}
    entry = [e for e in audit.read(home / "audit" / "audit.jsonl") if e["action"] == "approval"][-1]
    assert entry["actor"] == "Test Approver"
    assert entry["details"]["source_id"] == SOURCE and entry["details"]["period"] == str(YEAR_A)
    assert len(entry["details"]["data_sha256"]) == 64


def test_a_period_without_data_cannot_be_approved(home):
    result = _clac(home, "approve", SOURCE, "--period", "2031", check=False)
    assert result.returncode != 0
    assert "has no validated data for period '2031'" in result.stderr and f"{YEAR_A}, {YEAR_B}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_correction_voids_the_approval_until_approved_again(home, tmp_path):
    # the corrected file covers the same periods, so it supersedes the first one (history kept)
    write_canary(
        home,
        SOURCE,
        "approval-canary-corrected-SYNTHETIC.csv",
        [
            ("Chile", YEAR_A, "HOTLINE_REPORTS_RECEIVED", CORRECTED),
            ("Chile", YEAR_B, "HOTLINE_REPORTS_RECEIVED", COUNT_B),
        ],
        TOKEN,
    )
    _clac(home, "build")
    assert _public_counts(home) == set(), "neither the approved value (superseded) nor the unapproved correction"
    assert _status(home, tmp_path)[str(YEAR_A)] == ("validated", "")
    _clac(home, "--actor", "Test Approver", "approve", SOURCE, "--period", str(YEAR_A))
    _clac(home, "build")
    assert _public_counts(home) == {CORRECTED}
