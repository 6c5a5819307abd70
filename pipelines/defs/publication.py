"""Publication assets: the static site (es/en/pt), its downloads, and the annual report.

Thin wrappers around :func:`dashboards.site.build_site` and
:func:`dashboards.report.build_report`; the site is written to ``output_dir()/site`` and
the report to ``output_dir()/report`` (during ``clac build`` a working folder of the
run's audience, swapped in on success).
The asset depends on every ``marts/*`` asset defined in this folder, so it runs last and
picks up new marts (quality, quarterly reports) as they are added.
"""


import importlib
import os
import pkgutil

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from sources import warehouse as wh
from sources.publication import AUDIENCES

SITE_KEY = dg.AssetKey(["outputs", "site"])
DOWNLOADS_KEY = dg.AssetKey(["outputs", "downloads"])
REPORT_KEY = dg.AssetKey(["outputs", "annual_report"])


def run_audience() -> str:
    """The audience of this run (``clac build`` sets CLAC_AUDIENCE); unset: the secretariat."""
    audience = os.environ.get("CLAC_AUDIENCE") or "secretariat"
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r} (CLAC_AUDIENCE); expected one of {sorted(AUDIENCES)}")
    return audience


def _mart_keys() -> list[dg.AssetKey]:
    """Every ``marts/*`` asset key defined by the other modules of pipelines.defs."""
    import pipelines.defs as package

    keys: set[dg.AssetKey] = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name == __name__.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            # Partitioned or skippable assets (the per-quarter summary) may yield nothing in a
            # build run, which would skip the site: they are not dependencies.
            if isinstance(value, dg.AssetsDefinition) and value.partitions_def is None \
                    and not any(getattr(spec, "skippable", False) for spec in value.specs):
                keys |= {key for key in value.keys if key.path and key.path[0] == "marts"}
    return sorted(keys, key=lambda k: k.to_user_string())


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SITE_KEY, group_name="publication", kinds={"html", "plotly"}, deps=_mart_keys(),
            description=(
                "The static site in Spanish, English and Portuguese (output_dir()/site/es|en|pt): home with "
                "the eight policy goals and their progress status, goal and indicator pages (plotly chart, "
                "accessible data table, CSV of exactly the figures shown, metadata, provenance, progress "
                "calculation), country profiles for every LAC country, reporting status, data quality and "
                "methodology pages. Offline, no external requests, one shared plotly.js. Filtered by sharing "
                "level for the run's audience (CLAC_AUDIENCE: public = CLEAR, members = CLEAR+GREEN, secretariat = up to "
                "AMBER; unset = secretariat); SYNTHETIC data flagged on every page."
            )),
        dg.AssetSpec(
            DOWNLOADS_KEY, group_name="publication", kinds={"csv", "zip", "xml"}, deps=[SITE_KEY],
            description=(
                "Downloads of the site (output_dir()/site/downloads): one CSV per indicator and per chart, all "
                "data as one zip, and SDMX 2.1 (sdmx1; docs/sdmx.md): the structure message, indicator values and "
                "observations as structure-specific SDMX-ML 2.1 and SDMX-CSV 2.0, also under SDMX REST paths "
                "(site/sdmx/). Only rows of the edition's sharing levels; CSV text cells neutralised against "
                "spreadsheet formulas; same warehouse, same bytes."
            )),
    ],
    pool=WRITER_POOL,
)
def site(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from dashboards.site import build_site

    audience = run_audience()
    out = wh.output_dir() / "site"
    with warehouse.connect(read_only=True) as con:
        manifest = build_site(con, out, allowed_sharing=AUDIENCES[audience], audience=audience)
    total = manifest.total_bytes()
    largest = max((out / p).stat().st_size for p in manifest.pages) if manifest.pages else 0
    yield dg.MaterializeResult(asset_key=SITE_KEY, metadata={
        "path": dg.MetadataValue.path(str(out)),
        "pages": len(manifest.pages),
        "charts": manifest.charts,
        "total_bytes": total,
        "largest_page_bytes": largest,
        "audience": audience,
        "sharing_levels": ", ".join(AUDIENCES[audience]),
    })
    yield dg.MaterializeResult(asset_key=DOWNLOADS_KEY, metadata={
        "path": dg.MetadataValue.path(str(out / "downloads")),
        "files": len(manifest.downloads),
    })


@dg.asset(
    key=REPORT_KEY, group_name="publication", kinds={"html", "pdf"}, deps=[SITE_KEY], pool=WRITER_POOL,
    description=(
        "The annual report of the run's audience in Spanish, English and Portuguese "
        "(output_dir()/report/annual-report-YEAR-LANG.html and .pdf, PDF printed by headless Chromium): "
        "executive summary, one chapter per goal, legislative advances, reporting status, sources and the "
        "methodology annex. YEAR is the latest year with figures in the edition (CLAC_REPORT_YEAR overrides). "
        "Built from the same published tables as the site: sharing filter, approved data only for the public, "
        "disclosure control for the public and members."
    ),
)
def annual_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from dashboards.i18n import LANGUAGES
    from dashboards.report import build_reports, report_year

    audience = run_audience()
    out = wh.output_dir() / "report"
    files: list[str] = []
    with warehouse.connect(read_only=True) as con:
        year = report_year(con, AUDIENCES[audience], os.environ.get("CLAC_REPORT_YEAR"))
        if year is not None:
            files = [path.name for path in build_reports(con, year, LANGUAGES, out,
                                                         allowed_sharing=AUDIENCES[audience], audience=audience)]
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(out)), "year": year if year is not None else "no figures",
        "audience": audience, "files": ", ".join(files),
    })
