"""Groups of pages kept by what they read, so that a build re-renders only the pages whose data
changed (issue 14, goal 3: a quarterly workbook must not re-render the whole site).

A *page group* is one call of a page writer (an indicator's page in one language, a country's
profile, the data-quality page …). While a group renders, every read of the site's data goes
through :class:`TracedSiteData`, which notes what was read, as finely as the data allows:

* a field of :class:`~dashboards.data.SiteData` (``values``, ``registry``, ``threshold`` …);
* one table of ``marts`` or ``wg_marts`` (``marts["dq_coverage"]``), or the whole mapping when
  the group iterates it;
* the result of a keyed look-up (``indicator_values("x")``, ``area_observations("BRA")`` …),
  which is a slice of a field.

The group's key is the SHA-256 of the rendering code and libraries
(:func:`dashboards.site_cache.rendering_fingerprint`), the group's name, and each noted read
with the digest of its current value. A group renders deterministically from what it reads,
so when every read has the value it had when the group was kept, the kept pages and CSV files
are exactly what rendering would write again, and they are copied instead. The reads of a
group are kept beside its entries (``reads-<audience>.json``): the next build digests those
reads to find the entry.

Values computed once and shared by several groups (:meth:`dashboards.site.Builder.language_neutral`)
remember what they read, and a group that uses one is noted as having read it too.

Entries live under :func:`warehouse.tables.cache_root` ``/site-pages/<group>/<key>/`` and are
kept and checked by :mod:`warehouse.kept_files` (SHA-256 of every file checked on read; the
least recently used beyond :data:`KEEP` per group removed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warehouse import kept_files

#: Entries kept per group: the three audiences' editions, for the current and the previous data.
KEEP = 6

#: SiteData's look-ups by key: a group that calls one depends on the slice returned, not on the
#: whole field.
KEYED_LOOKUPS = frozenset(
    {
        "indicator_values",
        "area_values",
        "area_observations",
        "measure_observations",
        "indicator_progress",
        "area_progress",
        "sources_of",
        "files_of",
        "table_state",
    }
)

#: SiteData's mappings of tables: a group depends on the tables it takes from them.
TABLE_MAPPINGS = frozenset({"marts", "wg_marts"})

#: The name of the file in an entry that says what the group added to the site's manifest.
GROUP_RECORD = "_group.json"

_ABSENT = ("absent",)


class ReadLog:
    """The reads noted while groups (possibly nested) render."""

    def __init__(self) -> None:
        self._open: list[set[tuple]] = []

    def note(self, read: tuple) -> None:
        for reads in self._open:
            reads.add(read)

    def note_all(self, reads: set[tuple]) -> None:
        for read in reads:
            self.note(read)

    @contextmanager
    def recording(self) -> Iterator[set[tuple]]:
        """Collect the reads made inside the block (also noted in any enclosing recording)."""
        reads: set[tuple] = set()
        self._open.append(reads)
        try:
            yield reads
        finally:
            self._open.remove(reads)


class TracedTables(Mapping):
    """``marts`` or ``wg_marts`` as a group sees it: each table taken is noted by name; listing
    or counting the tables notes the whole mapping."""

    def __init__(self, name: str, tables: Mapping, log: ReadLog):
        self._name, self._tables, self._log = name, tables, log

    def __getitem__(self, key):
        self._log.note(("table", self._name, key))
        return self._tables[key]

    def get(self, key, default=None):
        self._log.note(("table", self._name, key))
        return self._tables.get(key, default)

    def __contains__(self, key) -> bool:
        self._log.note(("table", self._name, key))
        return key in self._tables

    def __iter__(self):
        self._log.note(("field", self._name))
        return iter(self._tables)

    def __len__(self) -> int:
        self._log.note(("field", self._name))
        return len(self._tables)


class TracedSiteData:
    """A :class:`~dashboards.data.SiteData` whose reads are noted in a :class:`ReadLog`.

    Methods of SiteData run with this object as ``self``, so what they read is noted too,
    except the keyed look-ups (:data:`KEYED_LOOKUPS`), which are noted by their arguments."""

    def __init__(self, data: Any, log: ReadLog):
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name: str):
        data, log = self._data, self._log
        if name in KEYED_LOOKUPS:
            lookup = getattr(data, name)

            def keyed(*args):
                log.note(("call", name, args))
                return lookup(*args)

            return keyed
        attribute = getattr(type(data), name, None)
        if isinstance(attribute, types.FunctionType):
            return types.MethodType(attribute, self)
        value = getattr(data, name)
        if name in TABLE_MAPPINGS:
            return TracedTables(name, value, log)
        log.note(("field", name))
        return value

    def __setattr__(self, name: str, value: Any) -> None:  # SiteData's own memos (set by its methods)
        setattr(self._data, name, value)


def _read_digest(data: Any, read: tuple) -> bytes:
    digest = hashlib.sha256()
    kind = read[0]
    if kind == "field":
        kept_files.value_digest(digest, getattr(data, read[1]))
    elif kind == "table":
        tables = getattr(data, read[1])
        kept_files.value_digest(digest, ("present", tables[read[2]]) if read[2] in tables else _ABSENT)
    elif kind == "call":
        kept_files.value_digest(digest, getattr(data, read[1])(*read[2]))
    else:
        raise ValueError(f"unknown read {read!r}")
    return digest.digest()


def _read_to_json(read: tuple) -> list:
    return [read[0], read[1], list(read[2])] if read[0] == "call" else list(read)


def _read_from_json(item: list) -> tuple:
    return (item[0], item[1], tuple(item[2])) if item[0] == "call" else tuple(item)


class PageCache:
    """The kept page groups of one site build (see the module docstring)."""

    def __init__(self, folder: Path, data: Any, code: str):
        self.folder = folder
        self.data = data  # the untraced SiteData: digests are taken from it
        self.audience = data.audience  # each edition keeps its own reads per group
        self.code = code
        self._digests: dict[tuple, bytes] = {}
        self.reused = 0
        self.rendered = 0

    def _group_folder(self, group: str) -> Path:
        return self.folder / re.sub(r"[^A-Za-z0-9_.-]+", "_", group)

    def _reads_file(self, group: str) -> Path:
        return self._group_folder(group) / f"reads-{self.audience}.json"

    def key(self, group: str, reads: set[tuple]) -> str | None:
        """The entry's key for ``group`` given what it reads; None when a read cannot be digested."""
        digest = hashlib.sha256()
        kept_files.update(digest, self.code.encode())
        kept_files.update(digest, group.encode())
        try:
            for read in sorted(reads, key=repr):
                if read not in self._digests:
                    self._digests[read] = _read_digest(self.data, read)
                kept_files.update(digest, repr(read).encode())
                kept_files.update(digest, self._digests[read])
        except (kept_files.Unstable, KeyError, AttributeError, TypeError, ValueError):
            return None  # e.g. reads kept by older code that names a field no longer there: render

        return digest.hexdigest()

    def lookup(self, group: str) -> tuple[dict[str, bytes], dict] | None:
        """The kept files of ``group`` and what it added to the manifest, when everything it read
        last time is unchanged; else None."""
        try:
            reads = {_read_from_json(item) for item in json.loads(self._reads_file(group).read_text("utf-8"))}
        except (OSError, ValueError, TypeError, IndexError):
            return None
        key = self.key(group, reads)
        files = kept_files.lookup(self._group_folder(group), key) if key else None
        if files is None or GROUP_RECORD not in files:
            return None
        record = json.loads(files.pop(GROUP_RECORD))
        self.reused += 1
        return files, record

    def store(self, group: str, reads: set[tuple], files: dict[str, bytes], record: dict) -> None:
        """Keep what ``group`` wrote, under the key of what it read."""
        self.rendered += 1
        key = self.key(group, reads)
        try:
            text = json.dumps(sorted((_read_to_json(r) for r in reads), key=repr))
        except TypeError:  # a look-up by something that is not text or a number: not kept
            key = None
        if key is None:
            return
        payload = dict(files)
        payload[GROUP_RECORD] = json.dumps(record, sort_keys=True).encode("utf-8")
        folder = self._group_folder(group)
        kept_files.store(folder, key, payload, keep=KEEP)
        tmp = folder / f".reads-{self.audience}.{os.getpid()}.tmp"  # builds may share the cache
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self._reads_file(group))
        except OSError:  # not kept: the group renders again next time
            tmp.unlink(missing_ok=True)
