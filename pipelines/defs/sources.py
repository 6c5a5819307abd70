"""One staging asset per catalogue entry: receive, parse, check and stage its files.

Generated from ``sources/catalogue/*.yaml``: adding a catalogue file adds an asset.
Each asset ingests the source's bundled files and whatever was dropped in
``$CLAC_HOME/inbox/<source_id>/``. Files already received (same sha256) are skipped
without being parsed, so a re-run with nothing new does no parsing work.

Cheap checks are emitted by the asset itself: rows are conserved per file (read =
staged + quarantined) and, for documents that state their own total, the rows add up to
it. Both are blocking: a failure stops the marts from being rebuilt.
"""

from pathlib import Path

import dagster as dg

from governance.audit_events import record_ingestion
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.metadata import preview
from pipelines.selection import staging_key
from sources.catalogue import SourceEntry, load_catalogue, observation_sources
from sources.harmonise.areas import default_resolver
from sources.ingest import IngestResult, file_sha256, ingest_file, rejected_dir
from warehouse import tables as wh
from warehouse.reconcile import conservation_failures, stated_total_failures

FORMAT_KINDS = {
    "pdf": "pdf",
    "ddf_csv": "csv",
    "opensdg_csv": "csv",
    "generic_table": "xlsx",
    "wg_workbook": "xlsx",
    "xlsx": "xlsx",
}


def candidate_files(entry: SourceEntry) -> list[tuple[str, Path]]:
    """(via, path) for the bundled files and the files waiting in the source's inbox."""
    files = [("bundled", p) for p in entry.bundled_paths()]
    inbox = wh.inbox_dir() / entry.id
    if inbox.is_dir():
        files += [("inbox", p) for p in sorted(inbox.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return files


def _was_rejected(path: Path) -> bool:
    return (rejected_dir() / file_sha256(path)[:16] / "reason.json").exists()


def _describe(entry: SourceEntry) -> str:
    return (
        f"{entry.title.en}. {entry.description.en}\n\n"
        f"Publisher: {entry.publisher} ({entry.publisher_type}). Licence: {entry.licence}. "
        f"URL: {entry.url or '-'}. Retrieved from: {entry.retrieved_from or '-'}. "
        f"Format: {entry.format}, parser sources/parsers/{entry.parser}.py. Sharing: TLP:{entry.sharing.value}."
        + (" SYNTHETIC test data, not real statistics." if entry.synthetic else "")
        + f"\n\nTable staging.{entry.id}: one row per observation as staged, with the file id and its "
        "location in the file; rejected rows are in staging.quarantine."
    )


def build_source_asset(entry: SourceEntry) -> dg.AssetsDefinition:
    key = staging_key(entry.id)
    checks = [
        dg.AssetCheckSpec(
            "rows_conserved",
            asset=key,
            blocking=True,
            description="Per file: rows read = rows staged + rows quarantined.",
        )
    ]
    if entry.parser_options.get("reconcile_stated_total") or entry.parser == "ncmec_pdf":
        checks.append(
            dg.AssetCheckSpec(
                "stated_total_matches",
                asset=key,
                blocking=True,
                description="Per file: the extracted rows add up to the total stated in the document "
                "(the table total exactly; the figure in the text, rounded or truncated, within its last digit).",
            )
        )

    @dg.multi_asset(
        name=f"stage_{entry.id}",
        specs=[
            dg.AssetSpec(
                key,
                group_name="sources",
                kinds={"duckdb", FORMAT_KINDS[entry.format]},
                deps=[dg.AssetKey(["marts", "areas"])],
                description=_describe(entry),
                metadata={
                    "sharing": entry.sharing.value,
                    "publisher": entry.publisher,
                    "licence": entry.licence,
                    "synthetic": entry.synthetic,
                },
            )
        ],
        check_specs=checks,
        pool=WRITER_POOL,
    )
    def _stage(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        results: list[IngestResult] = []
        resolver = default_resolver()
        db_path = warehouse.db_path()
        with warehouse.connect() as con:
            for via, path in candidate_files(entry):
                if _was_rejected(path):
                    context.log.warning(f"{path.name}: refused earlier; see {rejected_dir()}")
                    continue
                result = ingest_file(con, path, entry, resolve_area=resolver.resolve, db_path=db_path, via=via)
                results.append(result)
                record_ingestion(result, run_id=context.run.run_id)
                if result.status == "rejected":
                    context.log.error(result.message)
                elif result.status == "staged":
                    context.log.info(
                        f"{path.name}: {result.rows_staged} rows staged, {result.rows_quarantined} quarantined"
                    )
            wh.ensure_staging_table(con, entry.id)
            conservation = conservation_failures(con, entry.id)
            totals = stated_total_failures(con, entry.id) if len(checks) > 1 else None
            table = wh.staging_table(entry.id)
            staged_rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            sample = con.execute(f"SELECT * FROM {table} LIMIT 8").df()
            files = con.execute(
                "SELECT ORIGINAL_NAME, FILE_ID, SHA256 FROM raw.files WHERE SOURCE_ID = ? ORDER BY ORIGINAL_NAME",
                [entry.id],
            ).fetchall()
        new = [r for r in results if r.status == "staged"]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "files_received_now": len(new),
                "files_unchanged": sum(r.status == "unchanged" for r in results),
                "files_rejected": sum(r.status == "rejected" for r in results),
                "rows_read_now": sum(r.rows_read for r in new),
                "rows_staged_now": sum(r.rows_staged for r in new),
                "rows_quarantined_now": sum(r.rows_quarantined for r in new),
                "rows_in_staging": staged_rows,
                "files": dg.MetadataValue.json({name: {"file_id": fid, "sha256": sha} for name, fid, sha in files}),
                "provenance": dg.MetadataValue.json(
                    {
                        "publisher": entry.publisher,
                        "licence": entry.licence,
                        "url": entry.url,
                        "retrieved_from": entry.retrieved_from,
                    }
                ),
                "preview": preview(sample),
            },
        )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="rows_conserved",
            passed=not conservation,
            metadata={"files_checked": len(files), "failures": dg.MetadataValue.json(conservation)},
        )
        if totals is not None:
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name="stated_total_matches",
                passed=not totals["failures"],
                metadata={
                    "files_checked": totals["checked"],
                    "details": dg.MetadataValue.json(totals["details"]),
                    "failures": dg.MetadataValue.json(totals["failures"]),
                },
            )

    return _stage


source_assets = [build_source_asset(entry) for entry in observation_sources(load_catalogue()).values()]
