"""Files kept by what they were made from: the cache the slow steps share.

A step whose output is a pure function of some data and of the code and libraries that make
it can keep that output under a key, the SHA-256 of all of these (:func:`value_digest`,
:func:`code_fingerprint`), and copy it the next time instead of making it again. Used for the
SDMX files of the site (:mod:`dashboards.site_cache`) and the Great Expectations results of a
source's unchanged rows (:mod:`sources.validation.gx_suites`).

An entry is ``<folder>/<key>/files/…`` and ``manifest.json`` (every file's SHA-256, checked on
every read; a damaged entry is removed and the output made again). It is written to a
temporary folder and renamed into place, so a build killed while keeping it leaves nothing
half-written, and several builds can share a folder; the least recently used entries beyond
``keep`` are removed. A value with no stable text (an object whose ``repr`` names a memory
address) cannot be fingerprinted: :class:`Unstable`.
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


class Unstable(Exception):
    """A value with no stable text (its ``repr`` names a memory address): not kept."""


def update(digest: Any, part: bytes) -> None:
    """Feed ``part`` to ``digest``, length first, so that no two sequences of parts collide."""
    digest.update(len(part).to_bytes(8, "big") + part)


#: Frames up to this many rows are digested cell by cell (:func:`_cells_digest`); larger ones
#: through pandas' vectorised hashing, whose fixed cost per column is the larger one below it.
SMALL_FRAME_ROWS = 2_000


def _cells_digest(digest: Any, frame: pd.DataFrame) -> None:
    """A small frame's cells: a column of numbers, booleans or dates by its bytes, any other by
    each cell's ``repr`` (which tells 1 from "1" and None from NaN)."""
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position].to_numpy()
        if values.dtype.kind in "biufcmM":
            update(digest, values.dtype.str.encode() + values.tobytes())
            continue
        text = "\x1f".join(map(repr, values.tolist()))
        if " at 0x" in text:
            raise Unstable(text[:200])
        update(digest, text.encode())


def _frame_digest(digest: Any, frame: pd.DataFrame) -> None:
    if not len(frame):  # no rows: its columns alone (the dtypes of nothing follow the table it was cut from)
        update(digest, json.dumps(["no rows"] + [str(c) for c in frame.columns]).encode())
        return
    update(digest, json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    update(digest, repr(frame.index.tolist() if not isinstance(frame.index, pd.RangeIndex) else frame.index).encode())
    if len(frame) <= SMALL_FRAME_ROWS:
        update(digest, b"cells")
        _cells_digest(digest, frame)
        return
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        update(digest, hashed.tobytes())
    except TypeError:  # cells that pandas cannot hash (lists, dicts): their JSON text
        update(digest, frame.to_json(orient="values", default_handler=str, date_format="iso").encode())
    # pandas hashes a cell of a text column by its text, so 1 and "1" alike: add each cell's type
    # (a column of text and missing values, the usual case, by its kind and its missing cells' types)
    for _name, column in frame.select_dtypes(include="object").items():
        kind = pd.api.types.infer_dtype(column, skipna=True)
        update(digest, kind.encode())
        if kind in ("string", "empty"):  # text and missing cells: where the missing ones are is enough
            column = column[column.isna()]
            update(digest, repr(column.index.tolist()).encode())
        types = column.map(lambda value: type(value).__qualname__)
        update(digest, pd.util.hash_pandas_object(types, index=False).to_numpy().tobytes())


def value_digest(digest: Any, value: Any) -> None:
    """Feed ``value`` to ``digest``, with its type, so that equal text of different kinds differs:
    frames (dtypes, index and cells; a frame with no rows by its column names alone, since the
    dtypes of no rows follow whatever table they were cut from), dicts, sequences, pydantic
    models and plain values."""
    update(digest, type(value).__qualname__.encode())
    if isinstance(value, pd.DataFrame):
        _frame_digest(digest, value)
    elif isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        update(digest, str(len(items)).encode())
        for key, item in items:
            value_digest(digest, key)
            value_digest(digest, item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        update(digest, str(len(items)).encode())
        for item in items:
            value_digest(digest, item)
    elif hasattr(value, "model_dump_json"):  # pydantic models (the indicator registry)
        update(digest, value.model_dump_json().encode())
    else:
        text = repr(value)
        if " at 0x" in text:
            raise Unstable(text)
        update(digest, text.encode())


def value_key(made_by: str, *values: Any) -> str | None:
    """The key of what ``values`` make with the code ``made_by`` (a fingerprint or another key):
    the SHA-256 of both, or None when a value has no stable text (then nothing is kept)."""
    digest = hashlib.sha256()
    update(digest, made_by.encode())
    try:
        for value in values:
            value_digest(digest, value)
    except Unstable:
        return None
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _libraries() -> str:
    """Every installed distribution and its version, sorted."""
    names = {(dist.metadata["Name"] or "").lower(): dist.version for dist in metadata.distributions()}
    return "\n".join(f"{name}=={version}" for name, version in sorted(names.items()))


def code_fingerprint(roots: Iterable[str]) -> str:
    """SHA-256 over every file under the project folders ``roots`` (by path) and the installed
    libraries: what makes an output besides its data."""
    digest = hashlib.sha256()
    update(digest, _libraries().encode())
    for root in roots:
        tree_digest(digest, PROJECT_ROOT / root, PROJECT_ROOT)
    return digest.hexdigest()


def tree_digest(digest: Any, folder: Path, base: Path) -> None:
    """Feed every file under ``folder`` to ``digest``: its path relative to ``base`` and its SHA-256."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            update(digest, path.relative_to(base).as_posix().encode())
            update(digest, hashlib.sha256(path.read_bytes()).digest())


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


def store(folder: Path, key: str, files: dict[str, bytes], *, keep: int) -> None:
    """Keep ``files`` (relative path -> bytes) under ``key``; at most ``keep`` entries stay."""
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
    except OSError:  # another build kept the same output first, or the disk is full: not kept
        shutil.rmtree(tmp, ignore_errors=True)
        return
    entries = sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in folder.glob(".*.tmp"):  # left by a build that was killed while keeping an entry
        if stale.stat().st_mtime < time.time() - 3600:
            shutil.rmtree(stale, ignore_errors=True)
