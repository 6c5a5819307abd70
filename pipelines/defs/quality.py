"""The data-quality record: coverage, freshness and the history of validation results.

Three marts the dashboards show (definitions in sources/validation/quality.yaml, domain
code in sources/validation/dq.py): ``marts.dq_coverage``, ``marts.dq_freshness`` and
``marts.dq_validation_history``. The history is appended from the Dagster instance's
record of asset check evaluations (every check of every run, including runs that failed
and were therefore never swapped in), so no evaluation is lost and none is counted twice.
"""

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.selection import DATE_TAGS, staging_key
from sources.catalogue import load_catalogue, observation_sources
from sources.validation import dq

OBSERVATION_SOURCES = observation_sources(load_catalogue())


def _metadata(values) -> dict:
    return {k: getattr(v, "value", v) for k, v in (values or {}).items()}


def check_evaluations(instance, check_keys, limit: int) -> list[dict]:
    """Completed evaluations (passed or failed) of the given checks, newest ``limit`` per check."""
    out = []
    for key in check_keys:
        for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=limit):
            if record.status.value not in ("SUCCEEDED", "FAILED"):
                continue  # planned but not evaluated (skipped, or the run stopped before it)
            evaluation = record.evaluation
            out.append(
                {
                    "run_id": record.run_id,
                    "timestamp": record.event.timestamp if record.event else record.create_timestamp,
                    "asset_key": key.asset_key.to_user_string(),
                    "check_name": key.name,
                    "passed": bool(evaluation.passed) if evaluation else record.status.value == "SUCCEEDED",
                    "metadata": _metadata(evaluation.metadata) if evaluation else {},
                }
            )
    return out


@dg.asset(
    key=["marts", "dq_validation_history"],
    group_name="quality",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[dg.AssetKey(["marts", "observations"])] + [staging_key(s) for s in OBSERVATION_SOURCES],
    description="History of validation results: one row per asset check per Dagster run (RUN_ID, "
    "CHECKED_AT, SOURCE_ID, ASSET_KEY, CHECK_NAME, PASSED, FAILURES_COUNT), appended from the "
    "Dagster instance's record of check evaluations (rows_conserved, stated_total_matches, "
    "gx_suite, ...), including runs that failed; never rewritten.",
)
def dq_validation_history(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    check_keys = sorted(
        context.job_def.asset_layer.asset_graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)
    )
    limit = int(dq.load_quality()["history"]["evaluations_per_check"])
    frame = dq.history_frame(check_evaluations(context.instance, check_keys, limit))
    with warehouse.connect() as con:
        added = dq.append_history(con, frame)
        total, failed = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT PASSED) FROM marts.dq_validation_history"
        ).fetchall()[0]
    return dg.MaterializeResult(
        metadata={"rows_added": added, "rows": total, "failed_evaluations": failed, "checks": len(check_keys)}
    )


@dg.asset(
    key=["marts", "dq_coverage"],
    group_name="quality",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[dg.AssetKey(["marts", "observations"]), dg.AssetKey(["marts", "areas"])],
    description="Coverage per source and per source and measure (MEASURE '*' = any): expected cells = "
    "expected areas (LAC countries and territories of marts.areas, or the source's own areas, "
    "see sources/validation/quality.yaml) x expected years (every year from the source's first "
    "to its last observed year); present cells = (area, year) with at least one current "
    "observation; COVERAGE_PCT and the areas with no data at all.",
)
def dq_coverage(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = dq.build_coverage(con, OBSERVATION_SOURCES)
        summary = dict(
            con.execute(
                "SELECT SOURCE_ID, COVERAGE_PCT FROM marts.dq_coverage WHERE MEASURE = '*' ORDER BY 1"
            ).fetchall()
        )
    return dg.MaterializeResult(metadata={"rows": rows, "coverage_pct": dg.MetadataValue.json(summary)})


@dg.asset(
    key=["marts", "dq_freshness"],
    tags=DATE_TAGS,  # rebuilt by every build, also a partial one (pipelines/selection.py)
    group_name="quality",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[dg.AssetKey(["marts", "observations"]), dg.AssetKey(["marts", "files"])],
    description="Freshness per source: the last file received, its age in days and a STATUS against "
    "the catalogue's update_frequency (on_time, late, overdue, never, not_scheduled; thresholds "
    "in sources/validation/quality.yaml), with the latest period the data covers.",
)
def dq_freshness(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = dq.build_freshness(con, OBSERVATION_SOURCES)
        status = dict(con.execute("SELECT SOURCE_ID, STATUS FROM marts.dq_freshness ORDER BY 1").fetchall())
    return dg.MaterializeResult(metadata={"rows": rows, "status": dg.MetadataValue.json(status)})
