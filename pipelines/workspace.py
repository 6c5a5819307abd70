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


def input_fingerprint() -> str:
    """One sha256 over every file a build reads (project inputs, the inbox, the private catalogue), by path."""
    digest = hashlib.sha256()
    paths: list[tuple[str, Path]] = []
    for root in FINGERPRINT_ROOTS:
        base = PROJECT_ROOT / root
        candidates = [base] if base.is_file() else sorted(base.rglob("*"))
        paths += [
            (str(p.relative_to(PROJECT_ROOT)), p) for p in candidates if p.is_file() and "__pycache__" not in p.parts
        ]
    inbox = wh.inbox_dir()
    if inbox.is_dir():
        paths += [(f"inbox/{p.relative_to(inbox)}", p) for p in sorted(inbox.rglob("*")) if p.is_file()]
    private = os.environ.get(PRIVATE_CATALOGUE_ENV)
    if private and Path(private).is_dir():
        paths += [(f"private_catalogue/{p.name}", p) for p in sorted(Path(private).glob("*.yaml"))]
    for name, path in paths:
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


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


def is_up_to_date(live: Path, fingerprint: str, audience: str) -> bool:
    """True when the last successful build read exactly these inputs, wrote this
    audience's outputs, and the warehouse has not been touched since."""
    recorded = _read_stamp(live)
    return (
        live.exists()
        and recorded.get("fingerprint") == fingerprint
        and recorded.get("warehouse") == _warehouse_state(live)
        and audience in recorded.get("audiences", [])
    )


def _write_stamp(live: Path, fingerprint: str, run_id: str, audience: str) -> None:
    recorded = _read_stamp(live)
    audiences = set(recorded.get("audiences", [])) if recorded.get("fingerprint") == fingerprint else set()
    _stamp_path(live).write_text(
        json.dumps(
            {
                "fingerprint": fingerprint,
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
    fingerprint: str


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
            fingerprint=input_fingerprint(),
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


def commit(space: RunWorkspace, checks: dict[str, bool]) -> dict:
    """Make the run's warehouse and outputs the live ones; record the build, publish a release.

    Outputs are swapped in only when this run wrote the site (a run of the quarterly reports
    alone leaves the published edition as it is)."""
    from governance.audit_events import record_build
    from governance.releases import create_release

    os.replace(space.work, space.live)
    if Path(f"{space.work}.wal").exists():  # DuckDB normally checkpoints on close; keep a WAL with the file
        os.replace(f"{space.work}.wal", f"{space.live}.wal")
    published = (space.work_out / "site").is_dir()
    release = None
    if published:
        swap_outputs(space.work_out, space.live_out)
        if space.audience == "public":
            link_public_site(space.live_out.parent)
        _write_stamp(space.live, space.fingerprint, space.run_id, space.audience)
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
