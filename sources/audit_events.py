"""What the observatory writes to the audit trail for each kind of event.

Details are hashes, names, counts and rule names: never data values or free text from a
submission.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sources import audit
from sources.ingest import IngestResult


def record_ingestion(result: IngestResult, *, run_id: str = "") -> None:
    """An ingested file (and its quarantined rows), or a refused one. Unchanged files: nothing."""
    base = {"source_id": result.source_id, "file": result.path.name, "file_id": result.file_id, "run_id": run_id}
    if result.status == "staged":
        audit.append("ingest", {**base, "rows_read": result.rows_read, "rows_staged": result.rows_staged,
                                "rows_quarantined": result.rows_quarantined, "supersedes": result.superseded})
        if result.rows_quarantined:
            audit.append("quarantine", {**base, "rows": result.rows_quarantined})
    elif result.status == "rejected":
        audit.append("reject", {**base, "reason": result.message})


def record_rejection(path: Path, source_id: str, sha256: str, message: str) -> None:
    audit.append("reject", {"source_id": source_id, "file": path.name, "file_id": sha256[:16],
                            "sha256": sha256, "reason": message, "run_id": ""})


def manifest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def manifest_digest(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()


def record_build(*, run_id: str, success: bool, fingerprint: str, warehouse: Path, outputs: Path,
                 checks: dict[str, bool], failures: list[str], audience: str, release: Path | None) -> None:
    details: dict[str, Any] = {"run_id": run_id, "success": success, "inputs_fingerprint": fingerprint,
                               "audience": audience}
    if checks:
        audit.append("validation", {"run_id": run_id, "checks": checks,
                                    "failed": sorted(name for name, ok in checks.items() if not ok)})
    if success:
        files = manifest(outputs)
        details.update({
            "warehouse_sha256": hashlib.sha256(warehouse.read_bytes()).hexdigest(),
            "outputs_files": len(files), "outputs_manifest_sha256": manifest_digest(files),
        })
    else:
        details["failures"] = [f[:500] for f in failures]
    audit.append("build", details)
    if release is not None:
        audit.append("release", {"audience": audience, "version": release.name, "run_id": run_id,
                                 "manifest_sha256": manifest_digest(manifest(release))})


def record_export(what: str, out: Path, fmt: str, rows: int) -> None:
    audit.append("export", {"what": what, "file": str(out), "format": fmt, "rows": rows,
                            "sha256": hashlib.sha256(out.read_bytes()).hexdigest()})
