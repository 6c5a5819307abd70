"""Mart assets: the observations table and the dimension tables analysts read."""

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.metadata import preview, table_metadata
from pipelines.selection import staging_key
from sources.catalogue import load_catalogue, load_measures, observation_sources
from warehouse import marts

CATALOGUE = load_catalogue()
OBSERVATION_SOURCES = observation_sources(CATALOGUE)


@dg.asset(
    key=["marts", "sources"],
    group_name="marts",
    kinds={"duckdb", "yaml"},
    pool=WRITER_POOL,
    description="Sources dimension, from the catalogue (sources/catalogue/*.yaml): titles and "
    "descriptions in es/en/pt, publisher, licence, URL, format, update frequency, "
    "sharing level (TLP) and whether the source is SYNTHETIC test data.",
)
def sources_dimension(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        marts.build_sources(con, CATALOGUE)
        table = table_metadata(con, "marts.sources")
    return dg.MaterializeResult(metadata=table)


@dg.asset(
    key=["marts", "measures"],
    group_name="marts",
    kinds={"duckdb", "yaml"},
    pool=WRITER_POOL,
    description="Measures dimension, from the code list sources/codelists/measures.yaml: kind "
    "(count, percent, rate, duration), unit, sensitivity and names in es/en/pt.",
)
def measures_dimension(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        marts.build_measures(con, load_measures())
        table = table_metadata(con, "marts.measures")
    return dg.MaterializeResult(metadata=table)


@dg.asset(
    key=["marts", "observations"],
    group_name="marts",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[staging_key(s) for s in OBSERVATION_SOURCES]
    + [sources_dimension, measures_dimension, dg.AssetKey(["marts", "areas"])],
    description="The central mart: one row per current observation (files superseded by a "
    "corrected file are left out), SDMX-style columns SOURCE_ID, MEASURE, REF_AREA, "
    "TIME_PERIOD, OBS_VALUE, UNIT_MEASURE, OBS_STATUS, SHARING, disaggregations SEX, AGE, "
    "DISAGGREGATION, NATURE, and provenance: FILE_ID, FILE_NAME, FILE_SHA256 and the "
    "location in the file (LOC_PAGE, LOC_LINE for PDFs; LOC_SHEET, LOC_ROW otherwise). "
    "Built from the staging tables of every catalogue source.",
)
def observations(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        marts.build_observations(con, OBSERVATION_SOURCES)
        per_source = dict(
            con.execute("SELECT SOURCE_ID, count(*) FROM marts.observations GROUP BY 1 ORDER BY 1").fetchall()
        )
        sample = con.execute("SELECT * FROM marts.observations USING SAMPLE 8 ROWS (reservoir, 42)").df()
        table = table_metadata(con, "marts.observations")
    return dg.MaterializeResult(
        metadata={
            **table,
            "rows_per_source": dg.MetadataValue.json(per_source),
            "preview": preview(sample),
        }
    )


@dg.asset(
    key=["marts", "files"],
    group_name="marts",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[staging_key(s) for s in CATALOGUE],  # every source's files, the quarterly reports' too
    description="Every received file with its provenance (sha256, size, original name, source, "
    "received time, catalogue version) and parse record (rows read, staged, "
    "quarantined, stated facts, which file superseded it).",
)
def received_files(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        marts.build_files(con)
        table = table_metadata(con, "marts.files")
    return dg.MaterializeResult(metadata=table)


@dg.asset(
    key=["marts", "revisions"],
    group_name="marts",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[staging_key(s) for s in OBSERVATION_SOURCES],
    description="Revision report between releases of a source: for every file superseded by a newer "
    "file of the same slot (e.g. the SDG database's 2023 file of a series replacing its 2020 "
    "file), each observation revised (old and new value, change, change in percent, nature "
    "of data before and after), added or withdrawn, with its row in both files; "
    "marts.revision_summary counts them per measure. From staging and raw.parses.",
)
def revisions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from warehouse.revisions import build_revisions

    with warehouse.connect() as con:
        count = build_revisions(con, OBSERVATION_SOURCES)
        summary = con.execute("SELECT * FROM marts.revision_summary").df()
    return dg.MaterializeResult(metadata={"rows": count, "summary": preview(summary)})


@dg.asset(
    key=["marts", "approval_status"],
    group_name="marts",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[observations],
    description="Approval status of every source and period in the observations mart: 'validated' (in the "
    "warehouse, every blocking check passed) or 'approved' (by 'clac approve SOURCE_ID --period P', "
    "with who and when; or 'publisher release' for sources whose publisher released the figures). "
    "An approval applies to the data as approved: a later correction makes the period 'validated' "
    "again. Public outputs use approved data only. From raw.approvals and marts.observations.",
)
def approval_status(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from governance.approvals import build_approval_status

    with warehouse.connect() as con:
        build_approval_status(con, CATALOGUE)
        awaiting = con.execute("SELECT count(*) FROM marts.approval_status WHERE STATUS <> 'approved'").fetchone()[0]
        table = table_metadata(con, "marts.approval_status")
    return dg.MaterializeResult(metadata={**table, "awaiting_approval": awaiting})
