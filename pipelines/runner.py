"""Run the Dagster build job safely from the command line.

* One build at a time: an exclusive lock file; a second ``clac build`` or ``clac ingest``
  waits for it (up to ``CLAC_LOCK_WAIT`` seconds, default 600), then exits with a clear message.
* A failed run changes nothing: the job runs against a working copy of the warehouse
  (``CLAC_WAREHOUSE`` points at it for the run) and writes its outputs to a working folder
  (``CLAC_OUTPUTS``); both replace the live ones (renames) only when every step and every
  blocking check succeeded.
* Nothing to do, nothing done: when every input (code, catalogues, bundled data, inbox)
  is byte-identical to the last successful build's and the warehouse is untouched, the
  build is reported up to date without starting a run (``--force`` runs it anyway).
* Runs are real Dagster runs, recorded in the project's instance (``DAGSTER_HOME``,
  default ``.dagster_home/``), so ``dagster dev`` shows them.
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
from dataclasses import dataclass, field
from pathlib import Path

from sources import warehouse as wh
from sources.audit_events import record_build
from sources.catalogue import PRIVATE_CATALOGUE_ENV
from sources.releases import create_release

PROJECT_ROOT = wh.PROJECT_ROOT


class BuildBusy(Exception):
    """Another build or ingest holds the lock."""


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    release: Path | None = None


#: What a build reads: the project's code, catalogues, rules and bundled data.
FINGERPRINT_ROOTS = ("sources", "indicators", "dashboards", "pipelines", "dagster.yaml", "pyproject.toml")


def input_fingerprint() -> str:
    """One sha256 over every file a build reads (project inputs, the inbox, the private catalogue), by path."""
    digest = hashlib.sha256()
    paths: list[tuple[str, Path]] = []
    for root in FINGERPRINT_ROOTS:
        base = PROJECT_ROOT / root
        candidates = [base] if base.is_file() else sorted(base.rglob("*"))
        paths += [(str(p.relative_to(PROJECT_ROOT)), p) for p in candidates
                  if p.is_file() and "__pycache__" not in p.parts]
    inbox = wh.inbox_dir()
    if inbox.is_dir():
        paths += [(f"inbox/{p.relative_to(inbox)}", p) for p in sorted(inbox.rglob("*")) if p.is_file()]
    private = os.environ.get(PRIVATE_CATALOGUE_ENV)
    if private and Path(private).is_dir():
        paths += [(f"private_catalogue/{p.name}", p) for p in sorted(Path(private).glob("*.yaml"))]
    for name, path in paths:
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


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
    audience's outputs, and the warehouse has not been touched since (by `dagster dev`, say)."""
    recorded = _read_stamp(live)
    return (live.exists() and recorded.get("fingerprint") == fingerprint
            and recorded.get("warehouse") == _warehouse_state(live)
            and audience in recorded.get("audiences", []))


def _write_stamp(live: Path, fingerprint: str, run_id: str, audience: str) -> None:
    recorded = _read_stamp(live)
    audiences = set(recorded.get("audiences", [])) if recorded.get("fingerprint") == fingerprint else set()
    _stamp_path(live).write_text(json.dumps(
        {"fingerprint": fingerprint, "warehouse": _warehouse_state(live), "run_id": run_id,
         "audiences": sorted(audiences | {audience})}))


def audience_dir(audience: str) -> Path:
    """Where an audience's site, downloads and report are published: ``build/<audience>/``."""
    return wh.output_dir() / audience


def _link_public_site(root: Path) -> None:
    """``build/site`` points at the public site, the one anybody may open."""
    link = root / "site"
    if link.is_symlink() or not link.exists():
        link.unlink(missing_ok=True)
        link.symlink_to(Path("public") / "site", target_is_directory=True)


#: The instance configuration to install in DAGSTER_HOME (default: the project's dagster.yaml;
#: deploy/postgres/dagster.yaml puts the instance on PostgreSQL).
INSTANCE_CONFIG_ENV = "CLAC_INSTANCE_CONFIG"


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at the project's instance folder and install the instance
    configuration in it (``CLAC_INSTANCE_CONFIG``, default the project's dagster.yaml)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
    source = Path(os.environ.get(INSTANCE_CONFIG_ENV) or PROJECT_ROOT / "dagster.yaml")
    if not source.is_absolute():
        source = PROJECT_ROOT / source
    target = home / "dagster.yaml"
    if source.exists() and (not target.exists() or target.read_bytes() != source.read_bytes()):
        shutil.copyfile(source, target)
    return home


@contextmanager
def build_lock(wait_seconds: float = 600.0) -> Iterator[None]:
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
        try:
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_outputs(new: Path, live: Path) -> None:
    """Replace the live outputs folder by the new one (two renames; the old one is removed)."""
    old = live.with_name(live.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.replace(live, old)
    os.replace(new, live)
    shutil.rmtree(old, ignore_errors=True)


def _failures(result) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            messages.append(f"step {event.step_key} failed: {error.message.strip() if error else ''}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
            messages.append(
                f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed: "
                f"{meta.get('failures', meta)}"
            )
    return messages


def lock_wait_seconds() -> float:
    """How long a second build waits for the first: ``CLAC_LOCK_WAIT`` seconds, default 600."""
    return float(os.environ.get("CLAC_LOCK_WAIT", "600"))


def run_job(job_name: str = "build", *, wait_seconds: float | None = None, log_level: str = "CRITICAL",
            force: bool = False, audience: str = "public") -> RunOutcome:
    """Run a job against a working copy of the warehouse; swap it in only on success.

    The outputs are the audience's (``build/<audience>/``; the publication assets read
    ``CLAC_AUDIENCE``); on success they are also published as a new release when they
    differ from the audience's latest one. Unless ``force``, a build whose inputs have not
    changed since the last successful one for this audience does nothing and reports
    ``up_to_date``.
    """
    ensure_dagster_home()
    live = wh.warehouse_path()
    work = live.with_name(live.stem + ".next" + live.suffix)
    with build_lock(lock_wait_seconds() if wait_seconds is None else wait_seconds):
        started = time.monotonic()
        fingerprint = input_fingerprint()
        live_out = audience_dir(audience)
        if not force and live_out.is_dir() and is_up_to_date(live, fingerprint, audience):
            return RunOutcome(True, "", seconds=time.monotonic() - started, up_to_date=True)
        for leftover in (work, Path(str(work) + ".wal")):
            leftover.unlink(missing_ok=True)
        work.parent.mkdir(parents=True, exist_ok=True)
        if live.exists():
            shutil.copyfile(live, work)
        import dagster as dg  # heavy imports, only when a run is needed

        from pipelines.definitions import defs

        work_out = live_out.with_name(f".{audience}.next")
        shutil.rmtree(work_out, ignore_errors=True)
        work_out.mkdir(parents=True)
        previous = {k: os.environ.get(k) for k in ("CLAC_WAREHOUSE", "CLAC_OUTPUTS", "CLAC_AUDIENCE")}
        os.environ["CLAC_WAREHOUSE"] = str(work)
        os.environ["CLAC_OUTPUTS"] = str(work_out)
        os.environ["CLAC_AUDIENCE"] = audience
        try:
            definitions = defs() if callable(defs) else defs
            job = definitions.resolve_job_def(job_name)
            result = job.execute_in_process(
                instance=dg.DagsterInstance.get(),
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        failures = _failures(result)
        success = result.success and not failures
        checks = {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
                  for e in result.get_asset_check_evaluations()}
        release = None
        if success:
            os.replace(work, live)
            _swap_outputs(work_out, live_out)
            if audience == "public":
                _link_public_site(live_out.parent)
            _write_stamp(live, fingerprint, result.run_id, audience)
            release = create_release(live_out, audience, run_id=result.run_id)
        else:
            work.unlink(missing_ok=True)
            shutil.rmtree(work_out, ignore_errors=True)
        record_build(run_id=result.run_id, success=success, fingerprint=fingerprint, warehouse=live,
                     outputs=live_out, checks=checks, failures=failures, audience=audience, release=release)
        return RunOutcome(success, result.run_id, failures, time.monotonic() - started, release=release)
