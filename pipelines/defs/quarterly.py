"""Working groups' quarterly reports: intake, marts, trackers and per-quarter partitions.

Domain code in :mod:`sources.quarterly`; this module only wires it into Dagster.

No partitions (why)
-------------------
* **Intake** (``staging/wg_quarterly_report``): a report's quarter is known only once the
  workbook is read (a file dropped in the inbox does not say it), and every run works on a
  working copy of the warehouse made live only when the whole run succeeded; the intake is
  in that run. The marts (reports, reporting status, trackers) are whole-table rebuilds.
* **The per-quarter summary** (``marts/wg_quarter_summary``) rewrites every quarter the
  data holds (those of ``marts.reporting_status``) and reports each quarter's figures in
  its metadata (``quarters``). It was partitioned by a quarter list computed from today's
  date; that made "Materialize all" in the UI open a backfill dialog instead of running
  the build, so the whole graph is unpartitioned and one click launches the build.
"""

import dagster as dg

from governance.audit_events import record_ingestion
from pipelines.defs.resources import COMMIT_KEY, WRITER_POOL, WarehouseResource
from pipelines.defs.sources import _was_rejected, candidate_files
from pipelines.metadata import preview, table_metadata
from pipelines.selection import DATE_TAGS, staging_key
from sources import quarterly_reporting as reporting
from sources.catalogue import load_catalogue
from sources.harmonise.areas import default_resolver
from sources.ingest import rejected_dir
from sources.quarterly_intake import SOURCE_ID, TABLES, conservation_failures, ingest_report
from warehouse import marts as source_marts

ENTRY = load_catalogue()[SOURCE_ID]

STAGING_KEY = staging_key(SOURCE_ID)
REPORT_KEYS = {
    name: dg.AssetKey(name.split(".")) for name in list(reporting.REPORT_MARTS.values()) + ["marts.wg_codelists"]
}
STATUS_KEY = dg.AssetKey(["marts", "reporting_status"])
TRACKER_KEYS = {name: dg.AssetKey(name.split(".")) for name in reporting.TRACKER_MARTS}
SUMMARY_KEY = dg.AssetKey(["marts", "wg_quarter_summary"])
GROUP = "quarterly_reports"


@dg.multi_asset(
    name="stage_wg_quarterly_report",
    specs=[
        dg.AssetSpec(
            STAGING_KEY,
            group_name="sources",
            kinds={"duckdb", "xlsx"},
            deps=[dg.AssetKey(["marts", "areas"])],
            metadata={"sharing": ENTRY.sharing.value, "publisher": ENTRY.publisher, "synthetic_examples": True},
            description=(
                "Working groups' quarterly reports (workbooks made by `clac template`): bundled SYNTHETIC examples "
                "and files dropped in $CLAC_HOME/inbox/wg_quarterly_report/. Whole-file checks (template version, "
                "working group, quarter in metadata = cover sheet = file name) refuse a file; row checks (required "
                "cells, code lists in es/en/pt, countries, dates inside the quarter, personal-data guard) send a row "
                "to staging.quarantine with a message in the submitter's language. Tables staging.wg_activities, "
                "staging.wg_policies, staging.wg_legislative_advances; slot = working group + quarter, so a "
                "re-submission supersedes the earlier report (kept as history)."
            ),
        )
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "rows_conserved",
            asset=STAGING_KEY,
            blocking=True,
            description="Per report: rows read = rows staged (three tables) + rows quarantined.",
        )
    ],
    pool=WRITER_POOL,
)
def stage_wg_quarterly_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    resolver = default_resolver()
    results = []
    with warehouse.connect() as con:
        for via, path in candidate_files(ENTRY):
            if _was_rejected(path):
                context.log.warning(f"{path.name}: refused earlier; see {rejected_dir()}")
                continue
            result = ingest_report(
                con, path, ENTRY, resolve_area=resolver.resolve, db_path=warehouse.db_path(), via=via
            )
            results.append(result)
            record_ingestion(result, run_id=context.run.run_id)  # hashes and counts, never cell contents
            if result.status == "rejected":
                context.log.error(result.message)
            elif result.status == "staged":  # counts only: never cell contents in logs
                context.log.info(
                    f"{path.name}: {result.facts.get('working_group')} {result.facts.get('quarter')}: "
                    f"{result.rows_staged} rows staged, {result.rows_quarantined} quarantined"
                    + (f", supersedes {', '.join(result.superseded)}" if result.superseded else "")
                )
        conservation = conservation_failures(con, SOURCE_ID)
        staged = {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES.values()}
        reports = con.execute(
            """SELECT count(*) FILTER (WHERE SUPERSEDED_BY IS NULL), count(*)
                                 FROM raw.parses WHERE SOURCE_ID = ?""",
            [SOURCE_ID],
        ).fetchall()[0]
        quarantine = con.execute(
            """SELECT LOC_SHEET, LOC_ROW, RULE, COLUMN_NAME, VALUE FROM staging.quarantine
                                    WHERE SOURCE_ID = ? ORDER BY FILE_ID, LOC_SHEET, LOC_ROW LIMIT 8""",
            [SOURCE_ID],
        ).df()
    new = [r for r in results if r.status == "staged"]
    yield dg.MaterializeResult(
        asset_key=STAGING_KEY,
        metadata={
            "files_received_now": len(new),
            "files_unchanged": sum(r.status == "unchanged" for r in results),
            "files_rejected": sum(r.status == "rejected" for r in results),
            "rows_read_now": sum(r.rows_read for r in new),
            "rows_staged_now": sum(r.rows_staged for r in new),
            "rows_quarantined_now": sum(r.rows_quarantined for r in new),
            "current_reports": int(reports[0]),
            "reports_received": int(reports[1]),
            "rows_in_staging": dg.MetadataValue.json(staged),
            "quarantine_preview": preview(quarantine),
        },
    )
    yield dg.AssetCheckResult(
        asset_key=STAGING_KEY,
        check_name="rows_conserved",
        passed=not conservation,
        metadata={"failures": dg.MetadataValue.json(conservation)},
    )


@dg.multi_asset(
    name="wg_report_marts",
    specs=[
        dg.AssetSpec(
            key,
            group_name=GROUP,
            kinds={"duckdb"},
            deps=[STAGING_KEY, dg.AssetKey(["marts", "sources"])],
            description=(
                f"{name}: "
                + {
                    "marts.wg_activities": "the activities of the current quarterly reports (goal, country "
                    "or LAC for regional, scope, status, date, WeProtect capability, "
                    "NCMEC position, people reached) with provenance and sharing level.",
                    "marts.wg_policies": "the policies of the current quarterly reports (goal, country, "
                    "type, date, capability and its status, NCMEC position) with "
                    "provenance and sharing level.",
                    "marts.wg_legislative_advances": "the legislative advances of the current quarterly "
                    "reports (country, stage, date, instrument, NCMEC "
                    "position and alignment, source) with provenance.",
                    "marts.wg_codelists": "every code the quarterly reports use (working groups, goals, "
                    "capabilities and themes, NCMEC positions, statuses) with its "
                    "labels in es/en/pt.",
                }[name]
            ),
        )
        for name, key in REPORT_KEYS.items()
    ],
    pool=WRITER_POOL,
)
def wg_report_marts(warehouse: WarehouseResource):
    with warehouse.connect() as con:
        counts = reporting.build_report_marts(con)
        # marts.files lists every received file; refreshed here too so that the build summary
        # and `clac sources` include the reports received in this run
        source_marts.build_files(con)
    for name, key in REPORT_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": counts[name]})


@dg.asset(
    key=STATUS_KEY,
    tags=DATE_TAGS,  # rebuilt by every build, also a partial one (pipelines/selection.py)
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[STAGING_KEY, REPORT_KEYS["marts.wg_codelists"]],
    description=(
        "Completeness and timeliness of the quarterly reports: one row per working group x quarter from "
        "settings.first_quarter (sources/quarterly/rules.yaml) to the last ended quarter, STATUS on_time, late, "
        "missing or pending against DUE_DATE = quarter end + deadline_days_after_quarter_end (30). RECEIVED_ON is "
        "when the observatory first received a report for that slot; for the bundled SYNTHETIC examples, the "
        "workbook's 'submitted on' date (RECEIVED_BASIS says which)."
    ),
)
def reporting_status(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = reporting.build_reporting_status(con)
        counts = dict(
            con.execute("SELECT STATUS, count(*) FROM marts.reporting_status GROUP BY 1 ORDER BY 1").fetchall()
        )
        sample = con.execute("""SELECT WORKING_GROUP, QUARTER, DUE_DATE, STATUS, RECEIVED_ON, RECEIVED_BASIS
                                FROM marts.reporting_status ORDER BY QUARTER DESC, WORKING_GROUP LIMIT 8""").df()
    return dg.MaterializeResult(
        metadata={"rows": rows, "status_counts": dg.MetadataValue.json(counts), "preview": preview(sample)}
    )


@dg.multi_asset(
    name="wg_trackers",
    specs=[
        dg.AssetSpec(
            key,
            group_name=GROUP,
            kinds={"duckdb"},
            deps=[STAGING_KEY, REPORT_KEYS["marts.wg_codelists"], dg.AssetKey(["marts", "areas"])],
            description=(
                f"{name}: "
                + {
                    "marts.legislative_tracker": "per country x NCMEC policy position, the current legal "
                    "alignment (no_provision, partial, aligned) with date, "
                    "stage, instrument, source and reporting working group.",
                    "marts.legislative_tracker_history": "every legislative advance reported for a country "
                    "x NCMEC position, in date order, with the previous "
                    "status and what changed.",
                    "marts.capability_tracker": "per country x WeProtect capability, the current status "
                    "(not_in_place, in_development, in_place) with its theme, "
                    "evidence and reporting working group.",
                    "marts.capability_tracker_history": "every capability status reported for a country x "
                    "WeProtect capability (from policies and legislative "
                    "advances), in date order, with what changed.",
                }[name]
            ),
        )
        for name, key in TRACKER_KEYS.items()
    ],
    pool=WRITER_POOL,
)
def wg_trackers(warehouse: WarehouseResource):
    with warehouse.connect() as con:
        counts = reporting.build_trackers(con)
    for name, key in TRACKER_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": counts[name]})


@dg.asset(
    key=SUMMARY_KEY,
    group_name=GROUP,
    kinds={"duckdb"},
    deps=[STATUS_KEY],
    pool=WRITER_POOL,
    description=(
        "Per quarter and working group: reporting status, activities implemented and planned, regional and "
        "in-country, countries reached, people reached, policies, legislative advances and quarantined rows "
        "(marts.wg_quarter_summary). Rewrites every quarter of marts.reporting_status; the metadata "
        "'quarters' gives each quarter's working groups, statuses and totals."
    ),
)
def wg_quarter_summary(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        written = reporting.build_quarter_summary(con)
        rows = con.execute("""SELECT QUARTER, STATUS, count(*), sum(ACTIVITIES_IMPLEMENTED + ACTIVITIES_PLANNED),
                                     sum(POLICIES), sum(LEGISLATIVE_ADVANCES)
                              FROM marts.wg_quarter_summary GROUP BY ALL ORDER BY ALL""").fetchall()
        table = table_metadata(con, "marts.wg_quarter_summary")
    quarters: dict[str, dict] = {}
    for quarter, status, groups, activities, policies, advances in rows:
        info = quarters.setdefault(
            quarter,
            {
                "working_groups": written.get(quarter, 0),
                "statuses": {},
                "activities": 0,
                "policies": 0,
                "legislative_advances": 0,
            },
        )
        info["statuses"][status] = int(groups)
        info["activities"] += int(activities or 0)
        info["policies"] += int(policies or 0)
        info["legislative_advances"] += int(advances or 0)
    return dg.MaterializeResult(metadata={**table, "quarters": dg.MetadataValue.json(quarters)})


quarterly_reports_job = dg.define_asset_job(
    name="quarterly_reports",
    selection=dg.AssetSelection.assets(
        STAGING_KEY, *REPORT_KEYS.values(), STATUS_KEY, *TRACKER_KEYS.values(), SUMMARY_KEY, COMMIT_KEY
    ),
    description="The working groups' quarterly reports alone: intake of waiting workbooks, report marts, "
    "reporting status, trackers and the per-quarter summary, made live by outputs/commit (the "
    "published editions are left as they are).",
)
