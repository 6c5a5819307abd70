"""The audit trail: an append-only, hash-chained log of everything done to the data.

One JSON object per line in ``$CLAC_HOME/audit/audit.jsonl`` (outside the warehouse, so
that refused files are recorded without touching the warehouse, and so that the log
survives the warehouse swap). Each entry holds:

``seq`` (1, 2, 3, ...), ``time`` (UTC, ISO 8601), ``actor`` (``--actor``, else
``CLAC_ACTOR``, else the OS user), ``action`` (ingest, reject, quarantine, validation,
approval, build, export, report, release), ``details`` (file hashes, row counts, output
manifests; never data values or free text from submissions), ``prev`` (the previous
entry's hash; 64 zeros for the first) and ``hash`` = sha256 of the entry's canonical
JSON without ``hash``.

:func:`verify` recomputes the chain and names the first entry that was modified,
removed, inserted or reordered. What it does not guarantee: someone who can rewrite the
whole file can rebuild a consistent chain; keep a copy of the latest hash elsewhere
(``clac audit log`` prints it) to detect that. See docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.tables import clac_home

GENESIS = "0" * 64
ACTIONS = ("ingest", "reject", "quarantine", "validation", "approval", "build", "export", "report", "release")


def log_path() -> Path:
    return clac_home() / "audit" / "audit.jsonl"


def current_actor() -> str:
    actor = os.environ.get("CLAC_ACTOR", "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _last_entry(handle) -> dict[str, Any] | None:
    handle.seek(0)
    last = None
    for line in handle:
        if line.strip():
            last = line
    return json.loads(last) if last else None


def append(
    action: str, details: dict[str, Any], *, actor: str | None = None, path: Path | None = None
) -> dict[str, Any]:
    """Append one entry (under an exclusive lock, flushed to disk) and return it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action '{action}' (one of {', '.join(ACTIONS)})")
    path = path or log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            last = _last_entry(handle)
            entry = {
                "seq": (last["seq"] + 1) if last else 1,
                "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
                "actor": actor or current_actor(),
                "action": action,
                "details": details,
                "prev": last["hash"] if last else GENESIS,
            }
            entry["hash"] = entry_hash(entry)
            handle.seek(0, os.SEEK_END)
            handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def read(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or log_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_line: int | None = None
    problem: str = ""
    last_hash: str = GENESIS


def verify(path: Path | None = None) -> Verification:
    """Check every entry's hash, sequence number and link to the previous entry."""
    path = path or log_path()
    if not path.exists():
        return Verification(True, 0)
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            return Verification(False, count, number, "blank line inside the log")
        try:
            entry = json.loads(line)
        except ValueError:
            return Verification(False, count, number, "not a valid JSON entry")
        seq = entry.get("seq")
        if entry.get("hash") != entry_hash(entry):
            return Verification(
                False, count, number, f"entry seq {seq} was modified (its hash does not match its content)"
            )
        if entry.get("prev") != prev_hash:
            return Verification(
                False,
                count,
                number,
                f"entry seq {seq} does not follow the previous entry (an entry before it was removed, "
                "inserted or moved)",
            )
        if seq != expected_seq:
            return Verification(False, count, number, f"entry seq {seq} where seq {expected_seq} was expected")
        prev_hash, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    return Verification(True, count, last_hash=prev_hash)
