"""Indicator assets: values per indicator, area and period, and their progress assessment.

Thin wrappers around :mod:`indicators.compute`; the registry is
``indicators/registry/*.yaml`` (adding an indicator is adding a file).
"""

import dagster as dg

from indicators import compute
from indicators.registry import load_registry
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.metadata import preview, table_metadata
from pipelines.selection import staging_key

REGISTRY = load_registry()

INDICATOR_VALUES_KEY = dg.AssetKey(["marts", "indicator_values"])
INDICATOR_PROGRESS_KEY = dg.AssetKey(["marts", "indicator_progress"])


@dg.asset(
    key=INDICATOR_VALUES_KEY,
    group_name="indicators",
    kinds={"duckdb", "yaml"},
    pool=WRITER_POOL,
    deps=[
        dg.AssetKey(["marts", "observations"]),
        dg.AssetKey(["marts", "population"]),
        dg.AssetKey(["marts", "areas"]),
        dg.AssetKey(["marts", "sources"]),
    ]
    # SQL numerators may read a source's staging tables directly (e.g. the quarterly reports)
    + sorted(
        {staging_key(s) for ind in REGISTRY.values() for s in ind.sources},
        key=lambda k: k.to_user_string(),
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "every_indicator_computed",
            asset=INDICATOR_VALUES_KEY,
            blocking=True,
            description="Every indicator of the registry (indicators/registry/*.yaml) has at least one value row.",
        )
    ],
    description=(
        "Indicator values for the eight CLAC policy goals, from the registry indicators/registry/*.yaml: "
        "per indicator, country and period (and disaggregation) OBS_VALUE = NUMERATOR / DENOMINATOR x factor "
        "(population denominators from marts.population; under-18 projections mark the value E), with "
        "OBS_STATUS inherited, SHARING = the most restrictive TLP level of the inputs, SOURCE_IDS and SYNTHETIC. "
        "Regional aggregates LAC, LAC_CARIB, LAC_CENTRAL, LAC_SOUTH are sum of numerators over sum of "
        "denominators of the countries that report both (sums for counts), never a mean of country ratios, "
        "with COVERAGE (share of the region's population covered) beside every aggregate."
    ),
)
def indicator_values(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        compute.build_indicator_values(con, REGISTRY)
        missing = compute.indicators_without_values(con, REGISTRY)
        per_indicator = dict(
            con.execute("SELECT INDICATOR, count(*) FROM marts.indicator_values GROUP BY 1 ORDER BY 1").fetchall()
        )
        sample = con.execute("""
            SELECT INDICATOR, REF_AREA, TIME_PERIOD, OBS_VALUE, NUMERATOR, DENOMINATOR, COVERAGE, OBS_STATUS,
                   SHARING, SYNTHETIC
            FROM marts.indicator_values WHERE AREA_KIND = 'lac_aggregate' AND REF_AREA = 'LAC'
            ORDER BY INDICATOR, TIME_PERIOD DESC LIMIT 12""").df()
        table = table_metadata(con, "marts.indicator_values")
    if missing:
        context.log.error(f"indicators without any value: {', '.join(missing)}")
    return dg.MaterializeResult(
        metadata={
            **table,
            "indicators_registered": len(REGISTRY),
            "indicators_computed": len(REGISTRY) - len(missing),
            "rows_per_indicator": dg.MetadataValue.json(per_indicator),
            "preview": preview(sample, rows=12),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="every_indicator_computed",
                passed=not missing,
                metadata={"registered": len(REGISTRY), "without_values": dg.MetadataValue.json(missing)},
                description=("Indicators without any value row: " + ", ".join(missing)) if missing else None,
            )
        ],
    )


@dg.asset(
    key=INDICATOR_PROGRESS_KEY,
    group_name="indicators",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[indicator_values],
    description=(
        "Progress of every indicator series (headline and one per declared disaggregation) per area, with "
        "the Open SDG / Statistics Canada method (or the UN SDG Progress Chart CR method where the registry "
        "says so) from indicators/progress.py: base and current years and values, target and target year, "
        "method, status, score, progress value and calculation (LEVEL 'series'), and the indicator level per "
        "country and region combining the headline series, or all series when there is no headline "
        "(LEVEL 'indicator'). Annual periods only; SHARING is the most restrictive level of the values used."
    ),
)
def indicator_progress(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        compute.build_indicator_progress(con, REGISTRY)
        statuses = dict(
            con.execute("""
            SELECT STATUS, count(*) FROM marts.indicator_progress WHERE LEVEL = 'indicator' AND REF_AREA = 'LAC'
            GROUP BY 1 ORDER BY 1""").fetchall()
        )
        assessed = con.execute("SELECT count(DISTINCT INDICATOR) FROM marts.indicator_progress").fetchone()[0]
        sample = con.execute("""
            SELECT INDICATOR, REF_AREA, BASE_YEAR, CURRENT_YEAR, STATUS, SCORE, PROGRESS_VALUE, COVERAGE, SHARING
            FROM marts.indicator_progress WHERE LEVEL = 'indicator' AND REF_AREA = 'LAC' ORDER BY INDICATOR""").df()
        table = table_metadata(con, "marts.indicator_progress")
    return dg.MaterializeResult(
        metadata={
            **table,
            "indicators_assessed": assessed,
            "lac_status_counts": dg.MetadataValue.json(statuses),
            "preview": preview(sample, rows=25),
        }
    )
