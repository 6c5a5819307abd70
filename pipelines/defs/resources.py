"""Resources for the local (single-machine) environment: the run's DuckDB warehouse.

Every run, whatever started it (``clac build``, the UI, GraphQL ``launchRun``, the inbox
sensor, the schedule, ``dagster job execute``), goes the same way (:mod:`pipelines.workspace`):
the ``warehouse`` resource takes the build lock, copies the live warehouse to a working copy
named after the run id and points ``CLAC_WAREHOUSE`` / ``CLAC_OUTPUTS`` at the run's working
copy and working outputs folder. The asset ``outputs/commit``, downstream of everything, makes
them live; a run that fails (or is killed) never reaches it, and the next run removes what it
left behind.

The audience of the run's edition is run configuration (``resources.warehouse.config.audience``),
``public`` when none is given.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from warehouse import tables as warehouse

#: Every asset that writes DuckDB runs in this pool; dagster.yaml limits it to one step.
WRITER_POOL = "duckdb_writer"

#: The last step of every run: makes the run's working copy live (pipelines/defs/publication.py).
COMMIT_KEY = dg.AssetKey(["outputs", "commit"])


class WarehouseResource(dg.ConfigurableResource):
    """The run's DuckDB warehouse and edition.

    ``audience``: the edition this run publishes (public, members, secretariat), public by default.
    ``path``: work directly on this file, without a working copy or a lock (tests of one asset only).
    """

    audience: str = "public"
    path: str = ""

    def db_path(self) -> Path:
        return Path(self.path).resolve() if self.path else warehouse.warehouse_path()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.db_path(), read_only=read_only) as con:
            yield con

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseResource"]:
        from pipelines.workspace import check_audience, run_workspace

        check_audience(self.audience)
        if self.path or context.run_id is None:
            yield self
            return
        with run_workspace(context.run_id, self.audience):
            if context.instance is not None:
                release_stale_pool_slots(context.instance, context.run_id, context.log)
            yield self


def release_stale_pool_slots(instance: dg.DagsterInstance, run_id: str, log=None) -> list[str]:
    """Free the pool slots that runs other than ``run_id`` still hold, and mark those runs failed.

    Called with the build lock held, which every run holds from before its first step to after
    its last: a run that still holds a slot now is one whose process died (killed, machine
    restarted) without releasing it. Left alone, the slot would make every later run of the
    writer pool wait for ever."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return []
    keys = storage.get_concurrency_keys()
    infos = storage.get_concurrency_infos(list(keys)) if keys else {}
    # runs holding a slot, and runs with steps waiting for one (the pending-steps table)
    holders = {slot.run_id for info in infos.values() for slot in info.claimed_slots}
    stale = sorted((holders | storage.get_concurrency_run_ids()) - {run_id})
    for other in stale:
        storage.free_concurrency_slots_for_run(other)
        record = instance.get_run_by_id(other)
        if record is not None and not record.is_finished:
            instance.report_run_failed(
                record,
                message="The run's process ended without finishing (its pool slots were released by a later run).",
            )
        if log is not None:
            log.warning(f"released the pool slots of run {other}, whose process had ended")
    return stale


@dg.definitions
def resources() -> dg.Definitions:
    # One process per run: every step shares the run's working copy, and a UI run costs what
    # `clac build` costs (no process start and imports per step).
    return dg.Definitions(resources={"warehouse": WarehouseResource()}, executor=dg.in_process_executor)
