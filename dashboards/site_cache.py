"""Parts of the site kept by what they were made from, so that a build whose inputs to that
part did not change copies the files it made before instead of making them again.

Used for the SDMX files (:func:`dashboards.sdmx.publish.write_sdmx`), the slowest part of the
site: they are a function of a few tables of :class:`~dashboards.data.SiteData` (indicator
values, observations, areas, sources, the registry), which a quarterly workbook or a run that
only adds validation history leaves unchanged. (The whole site is not kept: its data-quality
page shows every run's validation history, so no two runs give the same site.)

A part's key (:func:`part_key`) is the SHA-256 of the named fields of the ``SiteData``, of the
code and catalogues that render it (every file under ``dashboards/``, ``indicators/``,
``governance/``, ``sources/`` and ``warehouse/``) and of the installed libraries (sdmx1,
pandas … by version). Nothing in the site reads the clock, so a kept part is exactly the
bytes that would be made again.

The cache lives in :func:`warehouse.tables.cache_root` ``/site/<key>/`` (never in a published
edition): ``files/`` and ``manifest.json`` (every file's SHA-256, checked on every read; a
damaged entry is removed and the part made again). An entry is written to a temporary folder
and renamed into place; the oldest are removed beyond :data:`KEEP`. Data that cannot be
fingerprinted (an object with no stable text) is never kept: :func:`part_key` gives None.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.tables import PROJECT_ROOT

#: Entries kept: a part of the three audiences' editions, for the current and the previous data.
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


def part_key(data: Any, fields: Iterable[str]) -> str | None:
    """The SHA-256 of the ``fields`` of ``data`` (a :class:`~dashboards.data.SiteData`) and of
    the rendering code; None when one of them has no stable text (then nothing is kept)."""
    digest = hashlib.sha256()
    _update(digest, rendering_fingerprint().encode())
    try:
        for name in sorted(fields):
            _update(digest, name.encode())
            _value_digest(digest, getattr(data, name))
    except Unstable:
        return None
    return digest.hexdigest()


def lookup(folder: Path, key: str) -> dict[str, bytes] | None:
    """The files kept under ``key`` (relative path -> bytes), or None when there are none or
    they are damaged (then the entry is removed)."""
    entry = folder / key
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        files = {name: (entry / "files" / name).read_bytes() for name in manifest["files"]}
        if any(hashlib.sha256(data).hexdigest() != manifest["files"][name] for name, data in files.items()):
            raise ValueError("a kept file differs from its manifest")
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(entry, ignore_errors=True)
        return None
    os.utime(entry)  # recently used: kept longest
    return files


def store(folder: Path, key: str, files: dict[str, bytes]) -> None:
    """Keep ``files`` (relative path -> bytes) under ``key``."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for name, data in files.items():
            path = tmp / "files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        manifest = {"files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / key)
    except OSError:  # another build kept the same part first, or the disk is full: not kept
        shutil.rmtree(tmp, ignore_errors=True)
        return
    entries = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in folder.glob(".*.tmp"):  # left by a build that was killed while keeping a part
        if stale.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(stale, ignore_errors=True)
