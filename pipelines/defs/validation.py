"""Great Expectations suites as blocking Dagster asset checks, one per observation source.

Generated from the catalogue like the staging assets: every observation source (and every
one added later) gets a check ``gx_suite`` on ``staging/<source_id>``, separate from the
asset. It builds the source's suite from data (catalogue, measures code list, rules and
relations YAML, the areas mart; see :mod:`sources.validation.gx_suites`) and runs it on the
source's current staged rows. Blocking: a failure stops the marts from being rebuilt, and
``clac build`` keeps the last good warehouse. When a source's rows and suite are those of a
run before, that run's kept result is given again (metadata ``reused_unchanged_result``).

The checks of all sources run in one step (a multi-asset check that can be subset: a run that
selects some of them runs those only). Each check still has its own result, metadata and
history; one step instead of one per source saves the run a step's start and events for each
source, which is most of a check's time once its result is kept.
"""

from collections.abc import Iterator

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.selection import staging_key
from sources.catalogue import SourceEntry, load_catalogue, observation_sources
from warehouse import tables as wh

CHECK_NAME = "gx_suite"
DESCRIPTION = (
    "Great Expectations suite for the staging table, built from the catalogue, the measures code list, "
    "rules.yaml, relations.yaml and the areas mart: schema, no missing values, known measures, areas and "
    "units, periods in range and canonical, value ranges per measure kind, unique observation key, a "
    "location for every row, breakdowns not above totals, orderings (investigations >= prosecutions >= "
    "convictions), row count equal to what the current files staged."
)


def _check_key(entry: SourceEntry) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(staging_key(entry.id), CHECK_NAME)


def _check_result(entry: SourceEntry, result, log) -> dg.AssetCheckResult:
    """A source's suite result as its Dagster check result (failures also in the run's log)."""
    if not result.success:
        for failure in result.failures:
            log.error(
                f"{entry.id}: {failure['rule']} ({failure['expectation']} on "
                f"{failure['column']}): {failure['unexpected_count']} rows"
            )
    return dg.AssetCheckResult(
        asset_key=_check_key(entry).asset_key,
        check_name=CHECK_NAME,
        passed=result.success,
        metadata={
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failures),
            "rows_validated": result.rows,
            "failures_count": result.failed_rows,
            "failures": dg.MetadataValue.json(
                [
                    {
                        "rule": f["rule"],
                        "expectation": f["expectation"],
                        "column": f["column"],
                        "count": f["unexpected_count"],
                        "examples": f["examples"],
                    }
                    for f in result.failures
                ]
            ),
            "seconds": round(result.seconds, 2),
            # the same rows and suite as a run before: its result, GX not run again
            "reused_unchanged_result": result.reused,
        },
    )


def build_gx_checks(entries: list[SourceEntry]) -> dg.AssetChecksDefinition:
    """One blocking ``gx_suite`` check per source in ``entries``, run together in one step."""
    by_key = {_check_key(entry): entry for entry in entries}

    @dg.multi_asset_check(
        name="staging_gx_suites",
        specs=[
            dg.AssetCheckSpec(CHECK_NAME, asset=key.asset_key, blocking=True, description=DESCRIPTION) for key in by_key
        ],
        can_subset=True,
        pool=WRITER_POOL,
        description="The Great Expectations suite of every selected staging table, one check result each.",
    )
    def staging_gx_suites(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        from sources.validation.gx_suites import validate_source

        selected = [entry for key, entry in by_key.items() if key in context.selected_asset_check_keys]
        with warehouse.connect() as con:
            for entry in selected:
                yield _check_result(entry, validate_source(con, entry, kept=wh.cache_root() / "gx"), context.log)

    return staging_gx_suites


gx_checks = build_gx_checks(list(observation_sources(load_catalogue()).values()))
