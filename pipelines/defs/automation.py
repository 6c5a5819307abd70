"""Jobs, the inbox sensor and the schedule."""


import dagster as dg

from sources import warehouse as wh
from sources.catalogue import load_catalogue
from sources.ingest import file_sha256

build_job = dg.define_asset_job(
    name="build",
    selection=dg.AssetSelection.all(),
    description="Materialise the whole observatory: reference data, every source, marts and outputs.",
)


@dg.sensor(
    job=build_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches $CLAC_HOME/inbox/<source_id>/ and ingests each new file once "
                "(run key = source and sha256), running the build job: unchanged files are skipped without parsing, so only the new file is parsed.",
)
def inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = wh.inbox_dir()
    for source_id in load_catalogue():
        folder = inbox / source_id
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            yield dg.RunRequest(
                run_key=f"{source_id}:{file_sha256(path)}",
                tags={"clac/source": source_id, "clac/file": path.name},
            )


build_schedule = dg.ScheduleDefinition(
    name="nightly_build",
    job=build_job,
    cron_schedule="0 5 * * *",
    execution_timezone="America/Panama",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild everything each night (off by default; turn on in the Dagster UI).",
)
