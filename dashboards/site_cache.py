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
edition), kept and checked by :mod:`warehouse.kept_files`; the least recently used entries
beyond :data:`KEEP` are removed. Data that cannot be fingerprinted (an object with no stable
text) is never kept: :func:`part_key` gives None.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from warehouse import kept_files

#: Entries kept: a part of the three audiences' editions, for the current and the previous data.
KEEP = 6

#: The project folders whose files render the site (templates, translations, catalogues, code).
RENDERING_ROOTS = ("dashboards", "indicators", "governance", "sources", "warehouse")


def published_folder(cache_dir: Path | None) -> Path | None:
    """Where disclosure control's tables are kept, beside a build's cache folder (the site and the
    report share it: :func:`governance.publication.controlled_tables`); None without a cache."""
    return cache_dir.with_name("published") if cache_dir is not None else None


def rendering_fingerprint() -> str:
    """SHA-256 over every file under :data:`RENDERING_ROOTS` (by path) and the installed libraries."""
    return kept_files.code_fingerprint(RENDERING_ROOTS)


def part_key(data: Any, fields: Iterable[str]) -> str | None:
    """The SHA-256 of the ``fields`` of ``data`` (a :class:`~dashboards.data.SiteData`, each field
    with its name) and of the rendering code; None when one of them has no stable text (then
    nothing is kept)."""
    return kept_files.value_key(rendering_fingerprint(), *((name, getattr(data, name)) for name in sorted(fields)))


def lookup(folder: Path, key: str) -> dict[str, bytes] | None:
    """The files of a part kept under ``key`` (relative path -> bytes), or None."""
    return kept_files.lookup(folder, key)


def store(folder: Path, key: str, files: dict[str, bytes]) -> None:
    """Keep a part's ``files`` (relative path -> bytes) under ``key``."""
    kept_files.store(folder, key, files, keep=KEEP)
