"""Working groups' quarterly reports: intake, marts, trackers and per-quarter partitions.

Domain code in :mod:`sources.quarterly`; this module only wires it into Dagster.

Partitioning (why it looks like this)
-------------------------------------
* **Intake is unpartitioned** (``staging/wg_quarterly_report``): a report's quarter is
  known only once the workbook is read (a file dropped in the inbox does not say it), and
  ``clac build`` / ``clac ingest`` run one unpartitioned run of the ``build`` job against
  a working copy of the warehouse that is swapped in only when every step succeeded; the
  intake must be in that run. The marts (reports, reporting status, trackers) are
  unpartitioned whole-table rebuilds in the same run.
* **The per-quarter view is partitioned**: ``marts/wg_quarter_summary`` has one partition
  per quarter (static keys ``2025-Q3`` ... the current quarter, from
  ``sources/quarterly/rules.yaml``). The ``quarterly_reports`` job (intake + report marts +
  the summary) runs one quarter at a time from the UI or a backfill. In the ``build`` job
  (``AssetSelection.all()``, so Dagster 1.13 infers these partitions for it, and its runs
  have no partition key) the asset rewrites every quarter and reports one materialization
  per quarter partition, so the UI shows each quarter's state either way.
  Caveat: ``build`` selects every asset; Dagster allows one partitions definition per asset
  job, so a future asset with *another* partitions definition must be left out of
  ``build`` (e.g. ``AssetSelection.all() - <partitioned>``) in ``automation.py``.
"""


import datetime as dt

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.defs.sources import _was_rejected, candidate_files
from pipelines.metadata import preview
from sources import marts as source_marts
from sources.audit_events import record_ingestion
from sources.catalogue import load_catalogue
from sources.harmonise.areas import default_resolver
from sources.ingest import rejected_dir
from sources.quarterly import reporting
from sources.quarterly.intake import SOURCE_ID, TABLES, conservation_failures, ingest_report
from sources.quarterly.template import parse_quarter, quarter_of, quarters_between, settings

ENTRY = load_catalogue()[SOURCE_ID]

STAGING_KEY = dg.AssetKey(["staging", SOURCE_ID])
REPORT_KEYS = {name: dg.AssetKey(name.split(".")) for name in
               list(reporting.REPORT_MARTS.values()) + ["marts.wg_codelists"]}
STATUS_KEY = dg.AssetKey(["marts", "reporting_status"])
TRACKER_KEYS = {name: dg.AssetKey(name.split(".")) for name in reporting.TRACKER_MARTS}
SUMMARY_KEY = dg.AssetKey(["marts", "wg_quarter_summary"])
GROUP = "quarterly_reports"


def quarter_partition_keys(today: dt.date | None = None) -> list[str]:
    """2025-Q3 (settings.first_quarter) ... the current quarter."""
    first = parse_quarter(settings()["first_quarter"])
    return [q.label for q in quarters_between(first, quarter_of(today or dt.date.today()))]


QUARTERS = dg.StaticPartitionsDefinition(quarter_partition_keys())


@dg.multi_asset(
    name="stage_wg_quarterly_report",
    specs=[dg.AssetSpec(
        STAGING_KEY, group_name="sources", kinds={"duckdb", "xlsx"}, deps=[dg.AssetKey(["marts", "areas"])],
        metadata={"sharing": ENTRY.sharing.value, "publisher": ENTRY.publisher, "synthetic_examples": True},
        description=(
            "Working groups' quarterly reports (workbooks made by `clac template`): bundled SYNTHETIC examples "
            "and files dropped in $CLAC_HOME/inbox/wg_quarterly_report/. Whole-file checks (template version, "
            "working group, quarter in metadata = cover sheet = file name) refuse a file; row checks (required "
            "cells, code lists in es/en/pt, countries, dates inside the quarter, personal-data guard) send a row "
            "to staging.quarantine with a message in the submitter's language. Tables staging.wg_activities, "
            "staging.wg_policies, staging.wg_legislative_advances; slot = working group + quarter, so a "
            "re-submission supersedes the earlier report (kept as history)."))],
    check_specs=[dg.AssetCheckSpec("rows_conserved", asset=STAGING_KEY, blocking=True,
                                   description="Per report: rows read = rows staged (three tables) + rows quarantined.")],
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
            result = ingest_report(con, path, ENTRY, resolve_area=resolver.resolve, db_path=warehouse.db_path(),
                                   via=via)
            results.append(result)
            record_ingestion(result, run_id=context.run.run_id)  # hashes and counts, never cell contents
            if result.status == "rejected":
                context.log.error(result.message)
            elif result.status == "staged":  # counts only: never cell contents in logs
                context.log.info(f"{path.name}: {result.facts.get('working_group')} {result.facts.get('quarter')}: "
                                 f"{result.rows_staged} rows staged, {result.rows_quarantined} quarantined"
                                 + (f", supersedes {', '.join(result.superseded)}" if result.superseded else ""))
        conservation = conservation_failures(con, SOURCE_ID)
        staged = {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES.values()}
        reports = con.execute("""SELECT count(*) FILTER (WHERE SUPERSEDED_BY IS NULL), count(*)
                                 FROM raw.parses WHERE SOURCE_ID = ?""", [SOURCE_ID]).fetchall()[0]
        quarantine = con.execute("""SELECT LOC_SHEET, LOC_ROW, RULE, COLUMN_NAME, VALUE FROM staging.quarantine
                                    WHERE SOURCE_ID = ? ORDER BY FILE_ID, LOC_SHEET, LOC_ROW LIMIT 8""",
                                 [SOURCE_ID]).df()
    new = [r for r in results if r.status == "staged"]
    yield dg.MaterializeResult(asset_key=STAGING_KEY, metadata={
        "files_received_now": len(new),
        "files_unchanged": sum(r.status == "unchanged" for r in results),
        "files_rejected": sum(r.status == "rejected" for r in results),
        "rows_read_now": sum(r.rows_read for r in new),
        "rows_staged_now": sum(r.rows_staged for r in new),
        "rows_quarantined_now": sum(r.rows_quarantined for r in new),
        "current_reports": int(reports[0]), "reports_received": int(reports[1]),
        "rows_in_staging": dg.MetadataValue.json(staged),
        "quarantine_preview": preview(quarantine),
    })
    yield dg.AssetCheckResult(asset_key=STAGING_KEY, check_name="rows_conserved", passed=not conservation,
                              metadata={"failures": dg.MetadataValue.json(conservation)})


@dg.multi_asset(
    name="wg_report_marts",
    specs=[dg.AssetSpec(key, group_name=GROUP, kinds={"duckdb"},
                        deps=[STAGING_KEY, dg.AssetKey(["marts", "sources"])],
                        description=(f"{name}: " + {
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
                        }[name]))
           for name, key in REPORT_KEYS.items()],
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
    key=STATUS_KEY, group_name=GROUP, kinds={"duckdb"}, pool=WRITER_POOL,
    deps=[STAGING_KEY, REPORT_KEYS["marts.wg_codelists"]],
    description=(
        "Completeness and timeliness of the quarterly reports: one row per working group x quarter from "
        "settings.first_quarter (sources/quarterly/rules.yaml) to the last ended quarter, STATUS on_time, late, "
        "missing or pending against DUE_DATE = quarter end + deadline_days_after_quarter_end (30). RECEIVED_ON is "
        "when the observatory first received a report for that slot; for the bundled SYNTHETIC examples, the "
        "workbook's 'submitted on' date (RECEIVED_BASIS says which)."),
)
def reporting_status(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = reporting.build_reporting_status(con)
        counts = dict(con.execute("SELECT STATUS, count(*) FROM marts.reporting_status GROUP BY 1 ORDER BY 1").fetchall())
        sample = con.execute("""SELECT WORKING_GROUP, QUARTER, DUE_DATE, STATUS, RECEIVED_ON, RECEIVED_BASIS
                                FROM marts.reporting_status ORDER BY QUARTER DESC, WORKING_GROUP LIMIT 8""").df()
    return dg.MaterializeResult(metadata={"rows": rows, "status_counts": dg.MetadataValue.json(counts),
                                          "preview": preview(sample)})


@dg.multi_asset(
    name="wg_trackers",
    specs=[dg.AssetSpec(key, group_name=GROUP, kinds={"duckdb"},
                        deps=[STAGING_KEY, REPORT_KEYS["marts.wg_codelists"], dg.AssetKey(["marts", "areas"])],
                        description=(f"{name}: " + {
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
                        }[name]))
           for name, key in TRACKER_KEYS.items()],
    pool=WRITER_POOL,
)
def wg_trackers(warehouse: WarehouseResource):
    with warehouse.connect() as con:
        counts = reporting.build_trackers(con)
    for name, key in TRACKER_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": counts[name]})


@dg.multi_asset(
    name="wg_quarter_summary",
    specs=[dg.AssetSpec(
        SUMMARY_KEY, group_name=GROUP, kinds={"duckdb"}, deps=[STATUS_KEY], skippable=True,
        description=(
            "Per quarter (one partition per quarter) and working group: reporting status, activities implemented "
            "and planned, regional and in-country, countries reached, people reached, policies, legislative "
            "advances and quarantined rows (marts.wg_quarter_summary). A partitioned run rewrites its quarter; the "
            "unpartitioned build run rewrites every quarter and records one materialization per quarter."))],
    partitions_def=QUARTERS,
    pool=WRITER_POOL,
)
def wg_quarter_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    quarters = [context.partition_key] if context.has_partition_key else None
    totals: dict[str, dict] = {}
    with warehouse.connect() as con:
        written = reporting.build_quarter_summary(con, quarters)
        rows = con.execute("""SELECT QUARTER, STATUS, count(*), sum(ACTIVITIES_IMPLEMENTED + ACTIVITIES_PLANNED),
                                     sum(POLICIES), sum(LEGISLATIVE_ADVANCES)
                              FROM marts.wg_quarter_summary GROUP BY ALL ORDER BY ALL""").fetchall()
    for quarter, status, groups, activities, policies, advances in rows:
        totals.setdefault(quarter, {"statuses": {}, "activities": 0, "policies": 0, "legislative_advances": 0})
        totals[quarter]["statuses"][status] = int(groups)
        totals[quarter]["activities"] += int(activities or 0)
        totals[quarter]["policies"] += int(policies or 0)
        totals[quarter]["legislative_advances"] += int(advances or 0)

    def meta(quarter: str) -> dict:
        info = totals.get(quarter, {"statuses": {}, "activities": 0, "policies": 0, "legislative_advances": 0})
        return {"working_groups": written.get(quarter, 0), "statuses": dg.MetadataValue.json(info["statuses"]),
                "activities": info["activities"], "policies": info["policies"],
                "legislative_advances": info["legislative_advances"]}

    if context.has_partition_key:
        yield dg.MaterializeResult(asset_key=SUMMARY_KEY, metadata=meta(context.partition_key))
        return
    keys = set(QUARTERS.get_partition_keys())
    for quarter in sorted(written):
        if quarter in keys:
            context.log_event(dg.AssetMaterialization(asset_key=SUMMARY_KEY, partition=quarter,
                                                      metadata=meta(quarter)))


quarterly_reports_job = dg.define_asset_job(
    name="quarterly_reports",
    selection=dg.AssetSelection.assets(STAGING_KEY, *REPORT_KEYS.values(), STATUS_KEY, *TRACKER_KEYS.values(),
                                       SUMMARY_KEY),
    description="The working groups' quarterly reports, one quarter (partition) at a time: intake of waiting "
                "workbooks, report marts, reporting status, trackers and the quarter's summary.",
)
