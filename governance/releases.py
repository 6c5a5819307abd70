"""Releases: immutable, versioned copies of what was published, with a manifest.

``$CLAC_HOME/releases/<audience>/<version>/`` holds a copy of an audience's outputs as
they were published, plus ``MANIFEST.json`` (the sha256 of every file). A release is
written to a temporary folder, made read-only and renamed into place, so it appears
whole or not at all. Earlier releases stay; :func:`verify_release` recomputes a
manifest and lists every file that was changed, added or removed since.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

from warehouse.tables import clac_home

MANIFEST = "MANIFEST.json"


def releases_root() -> Path:
    return clac_home() / "releases"


def _hash_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def list_releases(audience: str, root: Path | None = None) -> list[Path]:
    folder = (root or releases_root()) / audience
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith("v") and p.name[1:].isdigit())


def latest_manifest(audience: str, root: Path | None = None) -> dict[str, str] | None:
    releases = list_releases(audience, root)
    if not releases:
        return None
    return json.loads((releases[-1] / MANIFEST).read_text())["files"]


def _make_read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        mode = stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0)
        path.chmod(mode)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)


def create_release(outputs: Path, audience: str, *, run_id: str = "", root: Path | None = None) -> Path | None:
    """Publish ``outputs`` as the audience's next release; ``None`` if nothing changed."""
    files = _hash_tree(outputs)
    if not files or files == latest_manifest(audience, root):
        return None
    folder = (root or releases_root()) / audience
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = list_releases(audience, root)
    version = f"v{(int(existing[-1].name[1:]) + 1) if existing else 1:04d}"
    tmp = folder / f".{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(outputs, tmp)
    (tmp / MANIFEST).write_text(
        json.dumps(
            {"audience": audience, "version": version, "run_id": run_id, "files": files}, indent=1, sort_keys=True
        )
    )
    _make_read_only(tmp)
    os.rename(tmp, folder / version)
    return folder / version


def verify_release(release: Path) -> list[str]:
    """Problems found (empty = the release is exactly as published)."""
    manifest_path = release / MANIFEST
    if not manifest_path.exists():
        return [f"{release}: no {MANIFEST}"]
    recorded = json.loads(manifest_path.read_text())["files"]
    actual = _hash_tree(release)
    problems = [f"changed: {name}" for name in sorted(recorded) if name in actual and actual[name] != recorded[name]]
    problems += [f"missing: {name}" for name in sorted(set(recorded) - set(actual))]
    problems += [f"added: {name}" for name in sorted(set(actual) - set(recorded))]
    return problems
