"""Ingestion: a received file -> raw store -> parse -> row rules -> staging + quarantine.

One function, :func:`ingest_file`, does it for one file, in one DuckDB transaction:

1. hash the file; if those bytes were already received, stop (re-ingesting an
   identical file adds nothing and parses nothing);
2. copy it, byte for byte, into the content-addressed raw store;
3. parse it with the source's parser, within the reader limits of
   ``sources/parsers/limits.yaml`` (a whole-file problem raises
   :class:`~sources.parsers.base.SourceFileError`: nothing is written to the warehouse,
   and the file and the reason are kept in the rejected folder);
4. harmonise and check every row (:mod:`sources.validation.row_rules`): staged rows go
   to ``staging.<source_id>``, the others to ``staging.quarantine`` with their reason;
   the whole-file rules (:mod:`sources.validation.whole_file`: rows off the document's
   stated total, most rows implausible) refuse the file like step 3;
5. record the parse (rows read/staged/quarantined, stated facts) in ``raw.parses``, and
   mark an earlier file covering the same slot (same periods, or same file name,
   per the catalogue's ``supersede_by``) as superseded by this one. History is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd

from sources.catalogue import SourceEntry, catalogue_version
from sources.parsers.base import ParseResult, SourceFileError
from sources.parsers.limits import parse_deadline
from sources.validation.relations import existing_rows, insert_warnings
from sources.validation.row_rules import load_rules
from sources.validation.whole_file import check_parsed
from warehouse.tables import clac_home, ensure_staging_table, staging_table


@dataclass
class IngestResult:
    """What happened to one file. ``status``: staged | unchanged | rejected."""

    path: Path
    source_id: str
    status: str
    file_id: str = ""
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    superseded: list[str] = field(default_factory=list)
    message: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parser_for(entry: SourceEntry) -> Callable[..., ParseResult]:
    module = importlib.import_module(f"sources.parsers.{entry.parser}")
    return module.parse


def _store_raw(path: Path, sha: str, db_path: Path) -> str:
    """Copy the file into the raw store; returns its path relative to the warehouse folder."""
    rel = Path("raw") / sha[:2] / sha
    target = db_path.parent / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return str(rel)


def rejected_dir() -> Path:
    return clac_home() / "rejected"


def _keep_rejected(path: Path, sha: str, entry: SourceEntry, message: str) -> None:
    """Keep a refused file byte for byte with its reason, outside the warehouse."""
    folder = rejected_dir() / sha[:16]
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / path.name).exists():
        shutil.copyfile(path, folder / path.name)
    (folder / "reason.json").write_text(
        json.dumps(
            {
                "source_id": entry.id,
                "original_name": path.name,
                "sha256": sha,
                "rejected_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "message": message,
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


def already_received(con: duckdb.DuckDBPyConnection, sha: str) -> str | None:
    row = con.execute("SELECT SOURCE_ID FROM raw.files WHERE SHA256 = ?", [sha]).fetchone()
    return row[0] if row else None


def _slot_key(entry: SourceEntry, staged: pd.DataFrame, quarantine: pd.DataFrame, name: str) -> str:
    if entry.supersede_by == "filename":
        return name
    periods = sorted(set(staged["TIME_PERIOD"]))
    return ",".join(periods) if periods else f"(no valid period) {name}"


def check_size(path: Path) -> None:
    limit_mb = float(load_rules().settings["max_file_megabytes"])
    size = path.stat().st_size
    if size > limit_mb * 1024 * 1024:
        raise SourceFileError(
            path,
            f"the file is {size / 1048576:.1f} MB, over the {limit_mb:g} MB limit.",
            hint="Split it by year or send only the aggregated table; the observatory stores aggregated figures only.",
            code="file_too_large",
            params={"size_mb": f"{size / 1048576:.1f}", "limit_mb": f"{limit_mb:g}"},
        )
    if size == 0:
        raise SourceFileError(
            path,
            "the file is empty (0 bytes).",
            hint="Send the file again; it may not have been saved.",
            code="file_empty",
        )


def parse_file(path: Path, entry: SourceEntry) -> ParseResult:
    """Run the source's parser; any unexpected failure becomes a SourceFileError."""
    check_size(path)
    try:
        with parse_deadline(path):
            return parser_for(entry)(path, **entry.parser_options)
    except SourceFileError:
        raise
    except Exception as exc:  # a parser bug or an unforeseen file shape: never a traceback
        raise SourceFileError(
            path,
            f"the file could not be read as {entry.format} ({type(exc).__name__}: {exc}).",
            hint=f"Check that it is the right file for source '{entry.id}'; if it is, report this message to the Secretariat.",
            code="file_unreadable",
            params={"format": entry.format},
        ) from exc


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a frame's rows to a table, matching columns by name (nothing for an empty frame)."""
    if len(frame):
        con.register("_insert_rows", frame)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _insert_rows")
        con.unregister("_insert_rows")


def record_file(
    con: duckdb.DuckDBPyConnection,
    *,
    file_id: str,
    sha: str,
    path: Path,
    entry: SourceEntry,
    now: dt.datetime,
    stored: str,
    via: str,
) -> None:
    """The received file's provenance row in raw.files."""
    con.execute(
        "INSERT INTO raw.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, sha, path.stat().st_size, path.name, entry.id, now, catalogue_version(entry.id), stored, via],
    )


def record_parse(
    con: duckdb.DuckDBPyConnection,
    *,
    file_id: str,
    entry: SourceEntry,
    now: dt.datetime,
    slot: str,
    rows_read: int,
    rows_staged: int,
    rows_quarantined: int,
    facts: dict[str, Any],
) -> list[str]:
    """The parse record in raw.parses; earlier current files of the same slot are marked
    superseded by this one (their ids are returned). History is kept."""
    superseded = [
        r[0]
        for r in con.execute(
            "SELECT FILE_ID FROM raw.parses WHERE SOURCE_ID = ? AND SLOT_KEY = ? AND SUPERSEDED_BY IS NULL",
            [entry.id, slot],
        ).fetchall()
    ]
    con.execute(
        "UPDATE raw.parses SET SUPERSEDED_BY = ? WHERE SOURCE_ID = ? AND SLOT_KEY = ? AND SUPERSEDED_BY IS NULL",
        [file_id, entry.id, slot],
    )
    con.execute(
        "INSERT INTO raw.parses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        [
            file_id,
            entry.id,
            entry.parser,
            now,
            slot,
            rows_read,
            rows_staged,
            rows_quarantined,
            json.dumps(facts, default=str, ensure_ascii=False),
        ],
    )
    return superseded


def receive_and_parse(
    con: duckdb.DuckDBPyConnection, path: Path, entry: SourceEntry
) -> tuple[str, ParseResult | None, IngestResult | None]:
    """Steps 1 and 3 for any kind of source: (sha256, parse result, early result).

    The early result is set, and nothing was parsed or written, when the bytes were
    received before ("unchanged") or the file is refused whole ("rejected": kept with its
    reason in the rejected folder).
    """
    sha = file_sha256(path)
    owner = already_received(con, sha)
    if owner is not None:
        note = "" if owner == entry.id else f" (received earlier as source '{owner}')"
        return (
            sha,
            None,
            IngestResult(
                path, entry.id, "unchanged", file_id=sha[:16], message=f"identical file already received{note}"
            ),
        )
    try:
        parsed = parse_file(path, entry)
    except SourceFileError as exc:
        _keep_rejected(path, sha, entry, exc.message())
        return sha, None, IngestResult(path, entry.id, "rejected", file_id=sha[:16], message=exc.message())
    return sha, parsed, None


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    entry: SourceEntry,
    *,
    resolve_area: Callable[[str], str | None],
    db_path: Path,
    via: str = "cli",
    today: dt.date | None = None,
) -> IngestResult:
    """Ingest one file for one source (see the module docstring)."""
    sha, parsed, early = receive_and_parse(con, path, entry)
    if early is not None:
        return early

    file_id = sha[:16]
    # row rules, relations and plausibility (also against the warehouse), whole-file rules
    try:
        staged, quarantine, warnings = check_parsed(
            path,
            entry,
            parsed,
            file_id=file_id,
            resolve_area=resolve_area,
            today=today,
            existing_for=lambda staged: existing_rows(con, entry, staged),
        )
    except SourceFileError as exc:
        _keep_rejected(path, sha, entry, exc.message())
        return IngestResult(path, entry.id, "rejected", file_id=file_id, message=exc.message())
    stored = _store_raw(path, sha, db_path)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    slot = _slot_key(entry, staged, quarantine, path.name)

    con.execute("BEGIN TRANSACTION")
    try:
        record_file(con, file_id=file_id, sha=sha, path=path, entry=entry, now=now, stored=stored, via=via)
        ensure_staging_table(con, entry.id)
        insert_frame(con, staging_table(entry.id), staged)
        insert_frame(con, "staging.quarantine", quarantine)
        insert_warnings(con, warnings)
        superseded = record_parse(
            con,
            file_id=file_id,
            entry=entry,
            now=now,
            slot=slot,
            rows_read=parsed.rows_read,
            rows_staged=len(staged),
            rows_quarantined=len(quarantine),
            facts=parsed.facts,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return IngestResult(
        path,
        entry.id,
        "staged",
        file_id=file_id,
        rows_read=parsed.rows_read,
        rows_staged=len(staged),
        rows_quarantined=len(quarantine),
        superseded=superseded,
        facts=parsed.facts,
    )
