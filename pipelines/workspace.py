"""The run's working copy: one safe path for every run, whatever started it.

* One build at a time: an exclusive lock file (``$CLAC_HOME/.build.lock``), re-entrant within
  a process (``clac build`` holds it around the run it starts); a second build waits for it
  (``CLAC_LOCK_WAIT`` seconds, default 600), then stops with a clear message.
* A failed run changes nothing: the run works on ``<warehouse>.run-<run id>.duckdb`` (a copy
  of the live warehouse) and writes its outputs to ``build/.<audience>.run-<run id>/``;
  :func:`commit` (the asset ``outputs/commit``, downstream of every step and blocking check)
  makes them live with renames. A run that fails never gets there; what a killed run left
  behind is removed by the next run, under the lock.
* Each audience's edition goes only to ``build/<audience>/``; ``build/site`` is a link to the
  public site, replaced whatever was there before (a link, a folder, a file).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from governance.publication import AUDIENCES
from sources.catalogue import PRIVATE_CATALOGUE_ENV
from warehouse import tables as wh

PROJECT_ROOT = wh.PROJECT_ROOT

#: What a build reads: the project's code (every stage's package), catalogues, rules and bundled data.
FINGERPRINT_ROOTS = (
    "pipelines",
    "dashboards",
    "governance",
    "indicators",
    "sources",
    "warehouse",
    "dagster.yaml",
    "pyproject.toml",
)

#: Test-only: a run whose environment names an asset here fails at that asset (tests/test_dagster_launch.py).
FAIL_AT_ENV = "CLAC_TEST_FAIL_AT"


class BuildBusy(Exception):
    """Another build or ingest holds the lock."""


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise ValueError(
            f"unknown audience {audience!r} (run config resources.warehouse.config.audience); "
            f"expected one of {sorted(AUDIENCES)}"
        )
    return audience


#: The part of the inputs that is not an inbox folder: code, catalogues, rules, bundled data.
PROJECT_PART = "project"
INBOX_PREFIX = "inbox/"


def input_parts() -> dict[str, str]:
    """The sha256 of each part of what a build reads, by path: ``project`` (every file under
    ``FINGERPRINT_ROOTS`` and the private catalogue) and ``inbox/<name>`` for each folder (or
    loose file) at the top of the inbox."""
    groups: dict[str, list[tuple[str, Path]]] = {PROJECT_PART: []}
    for root in FINGERPRINT_ROOTS:
        base = PROJECT_ROOT / root
        candidates = [base] if base.is_file() else sorted(base.rglob("*"))
        groups[PROJECT_PART] += [
            (str(p.relative_to(PROJECT_ROOT)), p) for p in candidates if p.is_file() and "__pycache__" not in p.parts
        ]
    private = os.environ.get(PRIVATE_CATALOGUE_ENV)
    if private and Path(private).is_dir():
        groups[PROJECT_PART] += [(f"private_catalogue/{p.name}", p) for p in sorted(Path(private).glob("*.yaml"))]
    inbox = wh.inbox_dir()
    if inbox.is_dir():
        for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
            relative = path.relative_to(inbox)
            groups.setdefault(INBOX_PREFIX + relative.parts[0], []).append((f"inbox/{relative}", path))
    parts = {}
    for part, paths in groups.items():
        digest = hashlib.sha256()
        for name, path in paths:
            digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        parts[part] = digest.hexdigest()
    return parts


def fingerprint_of(parts: dict[str, str]) -> str:
    """One sha256 over every file a build reads: over the digests of its parts (:func:`input_parts`)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# --- the stamp of the last successful build (what `clac build` calls up to date) ---


def _stamp_path(live: Path) -> Path:
    return live.with_name(live.name + ".build.json")


def _warehouse_state(live: Path) -> list[int]:
    stat = live.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _read_stamp(live: Path) -> dict:
    try:
        return json.loads(_stamp_path(live).read_text())
    except (OSError, ValueError):
        return {}


def _this_year() -> int:
    return dt.datetime.now(dt.timezone.utc).year


def _stamp_describes(live: Path, recorded: dict) -> bool:
    """The stamp was written for the live warehouse as it is (nothing wrote it since)."""
    return live.exists() and bool(recorded) and recorded.get("warehouse") == _warehouse_state(live)


def is_up_to_date(live: Path, fingerprint: str, audience: str) -> bool:
    """True when the last successful build read exactly these inputs, wrote this
    audience's outputs, and the warehouse has not been touched since."""
    recorded = _read_stamp(live)
    return (
        _stamp_describes(live, recorded)
        and recorded.get("fingerprint") == fingerprint
        and audience in recorded.get("audiences", [])
    )


def sources_to_rebuild(live: Path, parts: dict[str, str], known_sources: set[str]) -> frozenset[str] | None:
    """The sources whose inbox folder changed since the last successful build, when nothing else
    did: a build then stages those sources alone and rebuilds what depends on them (and on the
    date). An empty set: nothing changed, only an edition is missing.

    ``None`` when the whole graph must run: no stamp, or one from before parts were recorded;
    the warehouse written since the stamp (an approval, a run that did not publish); the code,
    catalogues, rules or bundled data changed; a new year since (row rules and indicators read
    it); or an inbox entry that is no source's folder."""
    recorded = _read_stamp(live)
    before = recorded.get("parts")
    if not _stamp_describes(live, recorded) or not isinstance(before, dict) or recorded.get("year") != _this_year():
        return None
    changed = {part for part in before.keys() | parts.keys() if before.get(part) != parts.get(part)}
    if PROJECT_PART in changed:
        return None
    sources = {part.removeprefix(INBOX_PREFIX) for part in changed}
    if not all(part.startswith(INBOX_PREFIX) for part in changed) or not sources <= known_sources:
        return None
    return frozenset(sources)


def stamp_parts(live: Path, parts: dict[str, str], staged: frozenset[str] | None) -> dict[str, str] | None:
    """The parts of the inputs that a run leaves the warehouse up to date with.

    ``staged``: the sources the run staged when it ran part of the graph, ``None`` when it ran
    all of it (then every part it read at its start). A partial run brings only its sources'
    inbox folders up to date, on top of what the stamp of the warehouse it started from said;
    without such a stamp, it claims nothing (``None``)."""
    if staged is None:
        return dict(parts)
    recorded = _read_stamp(live)
    before = recorded.get("parts")
    if not _stamp_describes(live, recorded) or not isinstance(before, dict):
        return None
    merged = dict(before)
    for source_id in staged:
        part = INBOX_PREFIX + source_id
        if part in parts:
            merged[part] = parts[part]
        else:
            merged.pop(part, None)
    return merged


def _write_stamp(live: Path, parts: dict[str, str] | None, run_id: str, audience: str) -> None:
    recorded = _read_stamp(live)
    fingerprint = fingerprint_of(parts) if parts is not None else ""  # "" is never up to date
    audiences = (
        set(recorded.get("audiences", [])) if fingerprint and recorded.get("fingerprint") == fingerprint else set()
    )
    _stamp_path(live).write_text(
        json.dumps(
            {
                "fingerprint": fingerprint,
                "parts": parts,
                "year": _this_year(),
                "warehouse": _warehouse_state(live),
                "run_id": run_id,
                "audiences": sorted(audiences | {audience}),
            }
        )
    )


# --- the lock ---

_held = 0  # how many times this process holds the build lock (re-entrant)


def lock_wait_seconds() -> float:
    """How long a second build waits for the first: ``CLAC_LOCK_WAIT`` seconds, default 600."""
    return float(os.environ.get("CLAC_LOCK_WAIT", "600"))


@contextmanager
def build_lock(wait_seconds: float | None = None) -> Iterator[None]:
    global _held
    if _held:
        _held += 1
        try:
            yield
        finally:
            _held -= 1
        return
    wait_seconds = lock_wait_seconds() if wait_seconds is None else wait_seconds
    lock_path = wh.clac_home() / ".build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildBusy(
                        f"Another 'clac build' or 'clac ingest' is running (lock {lock_path}). "
                        "Wait for it to finish, then try again."
                    ) from None
                time.sleep(0.5)
        _held = 1
        try:
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            _held = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- paths and renames ---


def fail_if_asked(step: str) -> None:
    """Test-only failure injection: raise when ``CLAC_TEST_FAIL_AT`` names this step."""
    if os.environ.get(FAIL_AT_ENV) == step:
        raise RuntimeError(f"{step}: failure injected on purpose ({FAIL_AT_ENV}, tests only)")


def audience_dir(audience: str) -> Path:
    """Where an audience's site, downloads and report are published: ``build/<audience>/``."""
    return wh.output_dir() / audience


def _remove(path: Path) -> None:
    """Remove a file, a link (not what it points at) or a folder; nothing if missing."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path)


def link_public_site(root: Path) -> None:
    """``build/site`` points at the public site, whatever was there before (a restricted edition
    written there by an old Dagster run is removed)."""
    link = root / "site"
    if link.is_symlink() and os.readlink(link) == str(Path("public") / "site"):
        return
    _remove(link)
    link.symlink_to(Path("public") / "site", target_is_directory=True)


def swap_outputs(new: Path, live: Path) -> None:
    """Replace the live outputs folder by the new one (two renames; the old one is removed)."""
    old = live.with_name(live.name + ".old")
    _remove(old)
    if live.exists() or live.is_symlink():
        os.replace(live, old)
    os.replace(new, live)
    _remove(old)


def _leftovers(live: Path, outputs_root: Path) -> list[Path]:
    """Working copies of earlier runs (killed, failed) and of the older layout (``.next``)."""
    found = list(live.parent.glob(f"{live.stem}.run-*{live.suffix}*"))
    found += list(live.parent.glob(f"{live.stem}.next{live.suffix}*"))
    if outputs_root.is_dir():
        found += [p for p in outputs_root.glob(".*") if ".run-" in p.name or p.name.endswith(".next")]
        found += [p for p in outputs_root.glob("*.old")]
    return found


@dataclass
class RunWorkspace:
    run_id: str
    audience: str
    live: Path  # the live warehouse
    work: Path  # the run's working copy
    live_out: Path  # build/<audience>
    work_out: Path  # build/.<audience>.run-<id>
    parts: dict[str, str]  # what the run read at its start (input_parts)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.parts)


_active: RunWorkspace | None = None


def active() -> RunWorkspace | None:
    """The workspace of the run going on in this process, if any."""
    return _active


@contextmanager
def run_workspace(run_id: str, audience: str) -> Iterator[RunWorkspace]:
    """Lock, clean leftovers, copy the live warehouse, point CLAC_WAREHOUSE / CLAC_OUTPUTS at
    the run's working copies for the duration of the run; remove them if the run did not commit."""
    global _active
    check_audience(audience)
    with build_lock():
        live, outputs_root = wh.warehouse_path(), wh.output_dir()
        space = RunWorkspace(
            run_id=run_id,
            audience=audience,
            live=live,
            work=live.with_name(f"{live.stem}.run-{run_id}{live.suffix}"),
            live_out=outputs_root / audience,
            work_out=outputs_root / f".{audience}.run-{run_id}",
            parts=input_parts(),
        )
        for leftover in _leftovers(live, outputs_root):
            _remove(leftover)
        live.parent.mkdir(parents=True, exist_ok=True)
        if live.exists():
            shutil.copyfile(live, space.work)
        space.work_out.mkdir(parents=True)
        previous = {k: os.environ.get(k) for k in ("CLAC_WAREHOUSE", "CLAC_OUTPUTS")}
        os.environ["CLAC_WAREHOUSE"] = str(space.work)
        os.environ["CLAC_OUTPUTS"] = str(space.work_out)
        _active = space
        try:
            yield space
        finally:
            _active = None
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            for path in (space.work, Path(f"{space.work}.wal"), space.work_out):
                _remove(path)


def commit(space: RunWorkspace, checks: dict[str, bool], staged: frozenset[str] | None = None) -> dict:
    """Make the run's warehouse and outputs the live ones; record the build, publish a release.

    Outputs are swapped in only when this run wrote the site (a run of the quarterly reports
    alone leaves the published edition as it is). ``staged``: the sources a run of part of the
    graph staged (``None``: the run ran all of it); the stamp then says which inputs the live
    warehouse is up to date with (:func:`stamp_parts`)."""
    from governance.audit_events import record_build
    from governance.releases import create_release

    parts = stamp_parts(space.live, space.parts, staged)  # read the stamp before the warehouse changes
    os.replace(space.work, space.live)
    if Path(f"{space.work}.wal").exists():  # DuckDB normally checkpoints on close; keep a WAL with the file
        os.replace(f"{space.work}.wal", f"{space.live}.wal")
    published = (space.work_out / "site").is_dir()
    release = None
    if published:
        swap_outputs(space.work_out, space.live_out)
        if space.audience == "public":
            link_public_site(space.live_out.parent)
        _write_stamp(space.live, parts, space.run_id, space.audience)
        release = create_release(space.live_out, space.audience, run_id=space.run_id)
    record_build(
        run_id=space.run_id,
        success=True,
        fingerprint=space.fingerprint,
        warehouse=space.live,
        outputs=space.live_out,
        checks=checks,
        failures=[],
        audience=space.audience,
        release=release,
    )
    return {
        "warehouse": str(space.live),
        "outputs": str(space.live_out) if published else "unchanged",
        "audience": space.audience,
        "release": release.name if release else "none (nothing changed)",
        "release_path": str(release) if release else "",
    }
