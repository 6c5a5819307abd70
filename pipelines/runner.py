"""Run the Dagster build job from the command line, through the same path as any Dagster run.

* One build at a time, a failed run changes nothing, each audience's edition in its own
  folder: :mod:`pipelines.workspace`, used by the ``warehouse`` resource of every run
  (``clac build`` holds the same lock around the run it starts).
* Nothing to do, nothing done: when every input (code, catalogues, bundled data, inbox)
  is byte-identical to the last successful build's and the warehouse is untouched, the
  build is reported up to date without starting a run (``--force`` runs it anyway).
* Runs are real Dagster runs, recorded in the project's instance (``DAGSTER_HOME``,
  default ``.dagster_home/``), so ``dagster dev`` shows them.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from governance.audit_events import record_build
from pipelines.workspace import (  # noqa: F401 (re-exported for the commands)
    BuildBusy,
    audience_dir,
    build_lock,
    fingerprint_of,
    input_parts,
    is_up_to_date,
    lock_wait_seconds,
    sources_to_rebuild,
)
from warehouse import tables as wh

PROJECT_ROOT = wh.PROJECT_ROOT


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    release: Path | None = None
    #: the sources a partial build staged (None: the whole graph ran)
    staged_only: frozenset[str] | None = None


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


def _release(result) -> Path | None:
    """The release that ``outputs/commit`` published in this run, if any."""
    for materialization in result.asset_materializations_for_node("commit_run"):
        path = materialization.metadata.get("release_path")
        return Path(path.value) if path is not None and path.value else None
    return None


def run_job(
    job_name: str = "build",
    *,
    wait_seconds: float | None = None,
    log_level: str = "CRITICAL",
    force: bool = False,
    audience: str = "public",
) -> RunOutcome:
    """Run a job for an audience (``build/<audience>/``) the way every Dagster run goes: on a
    working copy that ``outputs/commit`` makes live only when every step and check passed
    (and publishes a release when the edition changed). Unless ``force``, a build whose inputs
    have not changed since the last successful one for this audience does nothing and
    reports ``up_to_date``, and a build whose only new inputs are files in some sources' inbox
    folders runs those sources and what depends on them (:mod:`pipelines.selection`)."""
    ensure_dagster_home()
    live = wh.warehouse_path()
    with build_lock(wait_seconds):
        started = time.monotonic()
        parts = input_parts()
        fingerprint = fingerprint_of(parts)
        if not force and audience_dir(audience).is_dir() and is_up_to_date(live, fingerprint, audience):
            return RunOutcome(True, "", seconds=time.monotonic() - started, up_to_date=True)
        import dagster as dg  # heavy imports, only when a run is needed

        from pipelines.definitions import defs
        from pipelines.selection import partial_selection, stageable_sources

        definitions = defs() if callable(defs) else defs
        graph = definitions.resolve_asset_graph()
        staged_only = None
        if job_name == "build" and not force:
            staged_only = sources_to_rebuild(live, parts, stageable_sources(graph))
        selection = partial_selection(graph, staged_only) if staged_only is not None else None
        result = definitions.resolve_job_def(job_name).execute_in_process(
            instance=dg.DagsterInstance.get(),
            raise_on_error=False,
            asset_selection=selection,
            run_config={
                "loggers": {"console": {"config": {"log_level": log_level}}},
                "resources": {"warehouse": {"config": {"audience": audience}}},
            },
        )
        failures = _failures(result)
        success = result.success and not failures
        if not success:  # a successful run recorded itself in outputs/commit
            checks = {
                f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed for e in result.get_asset_check_evaluations()
            }
            record_build(
                run_id=result.run_id,
                success=False,
                fingerprint=fingerprint,
                warehouse=live,
                outputs=audience_dir(audience),
                checks=checks,
                failures=failures,
                audience=audience,
                release=None,
            )
        return RunOutcome(
            success,
            result.run_id,
            failures,
            time.monotonic() - started,
            release=_release(result) if success else None,
            staged_only=staged_only,
        )
