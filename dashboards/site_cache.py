"""Built sites kept by what they were built from, so that a build whose published data did not
change copies the site it made before instead of writing its 600 files again.

A site is a function of what :func:`dashboards.data.load` read from the warehouse for one
audience (:class:`~dashboards.data.SiteData`), of the code and catalogues that render it
(every file under ``dashboards/``, ``indicators/``, ``governance/``, ``sources/`` and
``warehouse/``) and of the installed libraries (plotly, sdmx1, jinja2 … by version): the key
is the SHA-256 of all of them (:func:`site_key`). The site itself never reads the clock (the
same warehouse gives the same bytes), so a hit gives exactly the bytes a new build would write.

The cache lives in :func:`warehouse.tables.cache_root` ``/site/<key>/`` (never in a published
edition): ``files/`` (the site) and ``manifest.json`` (pages, downloads, charts and every
file's SHA-256, checked on every copy; a damaged entry is dropped and the site built again).
An entry is written to a temporary folder and renamed into place; the oldest are removed
beyond :data:`KEEP`. Data that cannot be fingerprinted (an object with no stable text) is
never cached: :func:`site_key` gives None and the site is built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.tables import PROJECT_ROOT

#: Entries kept: the three audiences' editions of the current and the previous data.
KEEP = 6

#: The project folders whose files render the site (templates, translations, catalogues, code).
RENDERING_ROOTS = ("dashboards", "indicators", "governance", "sources", "warehouse")


class Unstable(Exception):
    """A value with no stable text (its ``repr`` names a memory address): not cached."""


def _update(digest: Any, part: bytes) -> None:
    digest.update(len(part).to_bytes(8, "big") + part)


def _frame_digest(digest: Any, frame: pd.DataFrame) -> None:
    _update(digest, json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    _update(digest, repr(frame.index.tolist() if not isinstance(frame.index, pd.RangeIndex) else frame.index).encode())
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        _update(digest, hashed.tobytes())
    except TypeError:  # cells that pandas cannot hash (lists, dicts): their JSON text
        _update(digest, frame.to_json(orient="values", default_handler=str, date_format="iso").encode())


def _value_digest(digest: Any, value: Any) -> None:
    """Feed ``value`` to ``digest``, with its type, so that equal text of different kinds differs."""
    _update(digest, type(value).__qualname__.encode())
    if isinstance(value, pd.DataFrame):
        _frame_digest(digest, value)
    elif isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        _update(digest, str(len(items)).encode())
        for key, item in items:
            _value_digest(digest, key)
            _value_digest(digest, item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        _update(digest, str(len(items)).encode())
        for item in items:
            _value_digest(digest, item)
    elif hasattr(value, "model_dump_json"):  # pydantic models (the indicator registry)
        _update(digest, value.model_dump_json().encode())
    else:
        text = repr(value)
        if " at 0x" in text:
            raise Unstable(text)
        _update(digest, text.encode())


@lru_cache(maxsize=1)
def _libraries() -> str:
    """Every installed distribution and its version, sorted (the renderers are among them)."""
    names = {(dist.metadata["Name"] or "").lower(): dist.version for dist in metadata.distributions()}
    return "\n".join(f"{name}=={version}" for name, version in sorted(names.items()))


def rendering_fingerprint() -> str:
    """SHA-256 over every file under :data:`RENDERING_ROOTS` (by path) and the installed libraries."""
    digest = hashlib.sha256()
    _update(digest, _libraries().encode())
    for root in RENDERING_ROOTS:
        for path in sorted((PROJECT_ROOT / root).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                _update(digest, path.relative_to(PROJECT_ROOT).as_posix().encode())
                _update(digest, hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def site_key(data: Any) -> str | None:
    """The SHA-256 of everything the site of ``data`` (a :class:`~dashboards.data.SiteData`)
    is made from; None when part of it has no stable text (then the site is not cached)."""
    digest = hashlib.sha256()
    _update(digest, rendering_fingerprint().encode())
    try:
        for spec in dataclasses.fields(data):
            _update(digest, spec.name.encode())
            _value_digest(digest, getattr(data, spec.name))
    except Unstable:
        return None
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def restore(folder: Path, key: str, work: Path) -> dict[str, Any] | None:
    """Copy the site kept under ``key`` into the empty folder ``work`` and return its manifest
    (pages, downloads, charts), or None when there is none or it is damaged (then ``work`` is
    emptied again and the damaged entry removed)."""
    entry = folder / key
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        files: dict[str, str] = manifest["files"]
        for name, sha in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / "files" / name, target)
            if _sha256(target) != sha:
                raise ValueError(f"{name} differs from the file kept")
    except (OSError, ValueError, KeyError, TypeError):
        for child in work.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        shutil.rmtree(entry, ignore_errors=True)
        return None
    os.utime(entry)  # recently used: kept longest
    return {k: manifest[k] for k in ("pages", "downloads", "charts")}


def store(folder: Path, key: str, site: Path, *, pages: list[str], downloads: list[str], charts: int) -> None:
    """Keep the built site ``site`` under ``key`` (a copy; the site is published as it is)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(site, tmp / "files", symlinks=True)
        files = {
            p.relative_to(tmp / "files").as_posix(): _sha256(p)
            for p in sorted((tmp / "files").rglob("*"))
            if p.is_file()
        }
        manifest = {"pages": pages, "downloads": downloads, "charts": charts, "files": files}
        (tmp / "manifest.json").write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / key)
    except OSError:  # another build kept the same site first, or the disk is full: not kept
        shutil.rmtree(tmp, ignore_errors=True)
        return
    entries = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in folder.glob(".*.tmp"):  # left by a build that was killed while keeping its site
        if stale.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(stale, ignore_errors=True)
