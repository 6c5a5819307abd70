"""The audit trail is append-only and hash-chained; `clac audit verify` names the first bad entry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from governance import audit
from tests.conftest import run_clac


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CLAC_HOME", str(tmp_path))
    for n in range(1, 6):
        audit.append("ingest", {"file": f"file-{n}.csv", "rows_read": n * 10}, actor="tester")
    return tmp_path


def _lines(home: Path) -> list[str]:
    return (home / "audit" / "audit.jsonl").read_text().splitlines()


def _write(home: Path, lines: list[str]) -> None:
    (home / "audit" / "audit.jsonl").write_text("\n".join(lines) + "\n")


def test_intact_chain_verifies(home):
    result = run_clac(home, "audit", "verify")
    assert "intact: 5 entries" in result.stdout
    entries = audit.read()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev"] == "0" * 64
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:]))
    assert entries[0]["actor"] == "tester"


def _verify_fails_at(home: Path, line: int) -> str:
    result = run_clac(home, "audit", "verify", check=False)
    assert result.returncode == 1
    assert f"line {line}:" in result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_modified_entry_is_named(home):
    lines = _lines(home)
    entry = json.loads(lines[2])
    entry["details"]["rows_read"] = 31  # a quiet change to a count
    lines[2] = json.dumps(entry, sort_keys=True)
    _write(home, lines)
    assert "modified" in _verify_fails_at(home, 3)


def test_removed_entry_is_detected(home):
    lines = _lines(home)
    del lines[1]
    _write(home, lines)
    _verify_fails_at(home, 2)


def test_inserted_entry_is_detected(home):
    lines = _lines(home)
    forged = json.loads(lines[1])
    forged["details"] = {"file": "forged.csv", "rows_read": 1}
    forged["hash"] = audit.entry_hash(forged)  # a well-formed entry, wrongly placed
    lines.insert(2, json.dumps(forged, sort_keys=True))
    _write(home, lines)
    _verify_fails_at(home, 3)


def test_reordered_entries_are_detected(home):
    lines = _lines(home)
    lines[1], lines[2] = lines[2], lines[1]
    _write(home, lines)
    _verify_fails_at(home, 2)


def test_removing_the_last_entry_is_only_seen_against_a_kept_hash(home):
    """What the chain cannot tell by itself (documented in docs/security.md)."""
    kept = audit.read()[-1]["hash"]
    _write(home, _lines(home)[:-1])
    result = audit.verify()
    assert result.ok and result.last_hash != kept


def test_a_build_is_recorded_with_its_ingestions_and_checks(built_home):
    entries = audit.read(built_home / "audit" / "audit.jsonl")
    actions = [e["action"] for e in entries]
    assert "ingest" in actions and "build" in actions and "validation" in actions
    build = [e for e in entries if e["action"] == "build"][0]
    assert build["details"]["success"] is True
    assert len(build["details"]["warehouse_sha256"]) == 64
    ingests = [e for e in entries if e["action"] == "ingest"]
    assert {e["details"]["source_id"] for e in ingests} >= {"ncmec_cybertipline_by_country", "opensdg_jamaica"}
    # the build's annual reports, each with the sha256 of the file published
    # (other tests also print reports from this home with `clac report`: those are entries of their own)
    reports = {
        e["details"]["file"]: e["details"]
        for e in entries
        if e["action"] == "report" and e["details"].get("run_id") == build["details"]["run_id"]
    }
    assert {f"annual-report-2023-{lang}.{ext}" for lang in ("es", "en", "pt") for ext in ("html", "pdf")} <= set(
        reports
    )
    pdf = built_home / "build" / "public" / "report" / "annual-report-2023-en.pdf"
    assert reports[pdf.name]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert reports[pdf.name]["audience"] == "public"
    assert audit.verify(built_home / "audit" / "audit.jsonl").ok
