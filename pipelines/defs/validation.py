"""Great Expectations suites as blocking Dagster asset checks, one per observation source.

Generated from the catalogue like the staging assets: every observation source (and every
one added later) gets a check ``gx_suite`` on ``staging/<source_id>``, separate from the
asset. It builds the source's suite from data (catalogue, measures code list, rules and
relations YAML, the areas mart; see :mod:`sources.validation.gx_suites`) and runs it on the
source's current staged rows. Blocking: a failure stops the marts from being rebuilt, and
``clac build`` keeps the last good warehouse. When a source's rows and suite are those of a
run before, that run's kept result is given again (metadata ``reused_unchanged_result``).
"""

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from sources.catalogue import SourceEntry, load_catalogue, observation_sources
from warehouse import tables as wh


def build_gx_check(entry: SourceEntry) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["staging", entry.id]),
        name="gx_suite",
        blocking=True,
        pool=WRITER_POOL,
        description=f"Great Expectations suite for staging.{entry.id}, built from the catalogue, the "
        "measures code list, rules.yaml, relations.yaml and the areas mart: schema, no missing "
        "values, known measures, areas and units, periods in range and canonical, value ranges "
        "per measure kind, unique observation key, a location for every row, breakdowns not "
        "above totals, orderings (investigations >= prosecutions >= convictions), row count "
        "equal to what the current files staged.",
    )
    def _gx_suite(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from sources.validation.gx_suites import validate_source

        with warehouse.connect() as con:
            result = validate_source(con, entry, kept=wh.cache_root() / "gx")
        if not result.success:
            for failure in result.failures:
                context.log.error(
                    f"{entry.id}: {failure['rule']} ({failure['expectation']} on "
                    f"{failure['column']}): {failure['unexpected_count']} rows"
                )
        return dg.AssetCheckResult(
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

    return _gx_suite


gx_checks = [build_gx_check(entry) for entry in observation_sources(load_catalogue()).values()]
