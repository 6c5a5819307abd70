"""Reference data assets: the areas dimension and population denominators."""

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.metadata import preview
from sources.harmonise.areas import load_areas
from sources.reference import population
from warehouse import marts


@dg.asset(
    key=["marts", "areas"],
    group_name="reference",
    kinds={"duckdb", "csv"},
    pool=WRITER_POOL,
    description=(
        "Areas dimension: every country and territory (ISO 3166 alpha-3, M49, names in Spanish, "
        "English and Portuguese, LAC sub-region), the explicit non-country codes used for rows such "
        "as NCMEC's 'No Country Listed', UN M49 regions, and the observatory's own regional "
        "aggregates. From the bundled reference files datasets/country-codes, "
        "stefangabos/world_countries and the UNSD M49 tables (sources/data/reference)."
    ),
)
def areas(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = load_areas()
    with warehouse.connect() as con:
        count = marts.build_areas(con, frame)
    return dg.MaterializeResult(
        metadata={
            "rows": count,
            "lac_areas": int(frame["IS_LAC"].sum()),
            "preview": preview(frame[frame["IS_LAC"]]),
        }
    )


@dg.asset(
    key=["marts", "population"],
    group_name="reference",
    kinds={"duckdb", "csv"},
    pool=WRITER_POOL,
    deps=[areas],
    description=(
        "Population denominators per country and year: total population (World Bank WDI "
        "SP.POP.TOTL, datasets/population) and population under 18 (UN World Population Prospects "
        "2019, open-numbers DDF, file in thousands, converted to persons; years after 2019 are "
        "projections). Columns REF_AREA, YEAR, POPULATION, POPULATION_U18, U18_PROJECTION."
    ),
)
def population_denominators(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    total = population.population_total()
    under18 = population.population_under18()
    with warehouse.connect() as con:
        con.register("pop_total", total)
        con.register("pop_u18", under18)
        con.execute("""
            CREATE OR REPLACE TABLE marts.population AS
            SELECT coalesce(t.REF_AREA, u.REF_AREA) AS REF_AREA,
                   coalesce(t.YEAR, u.YEAR) AS YEAR,
                   t.POPULATION, u.POPULATION_U18, u.PROJECTION AS U18_PROJECTION
            FROM pop_total t FULL OUTER JOIN pop_u18 u USING (REF_AREA, YEAR)
            ORDER BY REF_AREA, YEAR
        """)
        rows = con.execute("SELECT count(*) FROM marts.population").fetchone()[0]
    return dg.MaterializeResult(
        metadata={
            "rows": rows,
            "countries_with_total": int(total["REF_AREA"].nunique()),
            "countries_with_under18": int(under18["REF_AREA"].nunique()),
        }
    )
