"""Publication assets: the static site (es/en/pt), its downloads, and the annual report.

Thin wrappers around :func:`dashboards.site_build.build_site` and
:func:`dashboards.report.build_report`; the site is written to ``output_dir()/site`` and
the report to ``output_dir()/report`` (during a run, the run's working folder of its
audience, see :mod:`pipelines.workspace`). The site depends on every ``marts/*`` asset
defined in this folder, so it picks up new marts (quality, quarterly reports) as they are
added; ``outputs/commit`` depends on every asset and makes the run's work live.
The site and the report only read the warehouse: they are not in the writer pool.
"""

import importlib
import os
import pkgutil

import dagster as dg

from governance.publication import AUDIENCES
from pipelines.defs.resources import COMMIT_KEY, WRITER_POOL, WarehouseResource
from pipelines.selection import staged_sources
from pipelines.workspace import active, commit, fail_if_asked
from warehouse import tables as wh

SITE_KEY = dg.AssetKey(["outputs", "site"])
DOWNLOADS_KEY = dg.AssetKey(["outputs", "downloads"])
REPORT_KEY = dg.AssetKey(["outputs", "annual_report"])


def _other_asset_keys() -> list[dg.AssetKey]:
    """Every asset key defined by the other modules of pipelines.defs."""
    import pipelines.defs as package

    keys: set[dg.AssetKey] = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name == __name__.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            for item in value if type(value) is list else [value]:  # generated: lists of assets
                if isinstance(item, dg.AssetsDefinition):
                    keys |= set(item.keys)
    return sorted(keys, key=lambda k: k.to_user_string())


def _mart_keys() -> list[dg.AssetKey]:
    """Every ``marts/*`` asset key defined by the other modules of pipelines.defs."""
    return [key for key in _other_asset_keys() if key.path[0] == "marts"]


def _live_path(relative: str) -> str:
    """Where the run's output will be once committed (the working folder is gone by then)."""
    space = active()
    return str(space.live_out / relative) if space else str(wh.output_dir() / relative)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SITE_KEY,
            group_name="publication",
            kinds={"html", "plotly"},
            deps=_mart_keys(),
            description=(
                "The static site in Spanish, English and Portuguese (output_dir()/site/es|en|pt): home with "
                "the eight policy goals and their progress status, goal and indicator pages (plotly chart, "
                "accessible data table, CSV of exactly the figures shown, metadata, provenance, progress "
                "calculation), country profiles for every LAC country, reporting status, data quality and "
                "methodology pages. Offline, no external requests, one shared plotly.js. Filtered by sharing "
                "level for the run's audience (run config resources.warehouse.config.audience: public = CLEAR, "
                "members = CLEAR+GREEN, secretariat = up to AMBER; public when not given); SYNTHETIC data flagged on "
                "every page."
            ),
        ),
        dg.AssetSpec(
            DOWNLOADS_KEY,
            group_name="publication",
            kinds={"csv", "zip", "xml"},
            deps=[SITE_KEY],
            description=(
                "Downloads of the site (output_dir()/site/downloads): one CSV per indicator and per chart, all "
                "data as one zip, and SDMX 2.1 (sdmx1; docs/sdmx.md): the structure message, indicator values and "
                "observations as structure-specific SDMX-ML 2.1 and SDMX-CSV 2.0, also under SDMX REST paths "
                "(site/sdmx/). Only rows of the edition's sharing levels; CSV text cells neutralised against "
                "spreadsheet formulas; same warehouse, same bytes."
            ),
        ),
    ],
)
def site(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from dashboards.site_build import build_site

    fail_if_asked("outputs/site")
    audience = warehouse.audience
    out = wh.output_dir() / "site"
    with warehouse.connect(read_only=True) as con:
        manifest = build_site(
            con,
            out,
            allowed_sharing=AUDIENCES[audience],
            audience=audience,
            cache_dir=wh.cache_root() / "site",
            page_cache=wh.cache_root() / "site-pages",
        )
    total = manifest.total_bytes()
    largest = max((out / p).stat().st_size for p in manifest.pages) if manifest.pages else 0
    yield dg.MaterializeResult(
        asset_key=SITE_KEY,
        metadata={
            "path": dg.MetadataValue.path(_live_path("site")),
            "pages": len(manifest.pages),
            "charts": manifest.charts,
            "reused_unchanged_parts": ", ".join(manifest.reused_parts) or "none",
            "total_bytes": total,
            "largest_page_bytes": largest,
            "audience": audience,
            "sharing_levels": ", ".join(AUDIENCES[audience]),
        },
    )
    yield dg.MaterializeResult(
        asset_key=DOWNLOADS_KEY,
        metadata={
            "path": dg.MetadataValue.path(_live_path("site/downloads")),
            "files": len(manifest.downloads),
        },
    )


@dg.asset(
    key=REPORT_KEY,
    group_name="publication",
    kinds={"html", "pdf"},
    deps=[SITE_KEY],
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

    audience = warehouse.audience
    out = wh.output_dir() / "report"
    files: list[str] = []
    reused: list[str] = []
    with warehouse.connect(read_only=True) as con:
        year = report_year(con, AUDIENCES[audience], os.environ.get("CLAC_REPORT_YEAR"))
        if year is not None:
            files = [
                path.name
                for path in build_reports(
                    con,
                    year,
                    LANGUAGES,
                    out,
                    allowed_sharing=AUDIENCES[audience],
                    audience=audience,
                    cache_dir=wh.cache_root() / "report",
                    reused=reused,
                )
            ]
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(_live_path("report")),
            "year": year if year is not None else "no figures",
            "audience": audience,
            "files": ", ".join(files),
            "reused_unchanged_report": bool(reused),
        }
    )


def _check_results(context: dg.AssetExecutionContext) -> dict[str, bool]:
    """Every asset check evaluated in this run, by name, with whether it passed."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    checks = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        checks[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = evaluation.passed
    return checks


@dg.asset(
    key=COMMIT_KEY,
    group_name="publication",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    deps=[*_other_asset_keys(), SITE_KEY, DOWNLOADS_KEY, REPORT_KEY],
    description=(
        "The last step of every run: makes the run's working copy of the warehouse (var/warehouse.run-<run id>"
        ".duckdb) and its outputs (build/.<audience>.run-<run id>/) the live ones, by renames, records the build "
        "in the audit trail and publishes a release of the audience's edition when it changed. Depends on every "
        "asset, so it runs only when every step of the run and every blocking check passed; a failed or killed "
        "run never gets here and changes nothing (the next run removes its leftovers). Outputs are replaced only "
        "when the run built the site."
    ),
)
def commit_run(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    space = active()
    if space is None:  # a test on an explicit warehouse path: nothing to swap
        return dg.MaterializeResult(metadata={"committed": False})
    checks = _check_results(context)
    failed = sorted(name for name, passed in checks.items() if not passed)
    if failed:
        raise RuntimeError(f"blocking checks failed, nothing committed: {', '.join(failed)}")
    fail_if_asked("outputs/commit")
    staged = staged_sources(context.run.asset_selection, context.job_def.asset_layer.asset_graph)
    committed = commit(space, checks, staged)
    scope = "all sources" if staged is None else ", ".join(sorted(staged)) or "none (outputs only)"
    return dg.MaterializeResult(metadata={"committed": True, **committed, "sources_staged": scope})
