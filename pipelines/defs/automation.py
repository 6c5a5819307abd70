"""Jobs, the inbox sensor and the schedule."""

import dagster as dg
import duckdb

from pipelines.selection import partial_selection, stageable_sources
from pipelines.workspace import input_parts, sources_to_rebuild
from sources.catalogue import load_catalogue
from sources.ingest import file_sha256
from warehouse import tables as wh

build_job = dg.define_asset_job(
    name="build",
    selection=dg.AssetSelection.all(),
    description="Materialise the whole observatory: reference data, every source, marts and outputs, on a working "
    "copy made live by outputs/commit. Run config resources.warehouse.config.audience chooses the "
    "edition (public when not given).",
    # one process for the whole run: the steps share the run's working copy, no process start per step
    executor_def=dg.in_process_executor,
)


@dg.sensor(
    job=build_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches $CLAC_HOME/inbox/<source_id>/ and ingests each new file once "
    "(run key = source and sha256), running the build job for the public edition: files the live "
    "warehouse already holds (a 'clac build' took them) ask for no run; in a run, unchanged files "
    "are skipped without parsing, so only the new file is parsed. When only inbox folders changed "
    "since the last successful build, the run stages the file's source and rebuilds what depends on "
    "it (pipelines/selection.py); otherwise it runs the whole graph.",
)
def inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = wh.inbox_dir()
    received = _received_sha256()
    partial = None  # the sources a partial build may stage, worked out at the first new file
    for source_id in load_catalogue():
        folder = inbox / source_id
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            digest = file_sha256(path)
            if digest in received:
                continue
            if partial is None:
                partial = _partial_sources(context)
            yield dg.RunRequest(
                run_key=f"{source_id}:{digest}",
                tags={"clac/source": source_id, "clac/file": path.name},
                asset_selection=(
                    partial_selection(context.repository_def.asset_graph, [source_id]) if source_id in partial else None
                ),
            )


def _partial_sources(context: dg.SensorEvaluationContext) -> frozenset[str]:
    """The sources whose new files a run of part of the graph can take (none without definitions,
    e.g. a sensor evaluated alone in a test)."""
    if context.repository_def is None:
        return frozenset()
    graph = context.repository_def.asset_graph
    return sources_to_rebuild(wh.warehouse_path(), input_parts(), stageable_sources(graph)) or frozenset()


def _received_sha256() -> set[str]:
    """The sha256 of every file in the live warehouse (none when there is no warehouse yet, or while
    `clac approve` writes it: then every file asks for its run, and the run keys keep it to one each)."""
    live = wh.warehouse_path()
    if not live.exists():
        return set()
    try:
        with wh.connect(live, read_only=True) as con:
            if not wh.table_exists(con, "raw", "files"):
                return set()
            return {digest for (digest,) in con.execute("SELECT SHA256 FROM raw.files").fetchall()}
    except duckdb.IOException:
        return set()


build_schedule = dg.ScheduleDefinition(
    name="nightly_build",
    job=build_job,
    cron_schedule="0 5 * * *",
    execution_timezone="America/Panama",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild everything each night (off by default; turn on in the Dagster UI).",
)
