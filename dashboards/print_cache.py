"""Printed report PDFs kept by what was printed, so that an unchanged report is not printed again.

Printing the three languages' PDFs with Chromium is the slowest part of a build after the site.
A PDF is a function of the HTML page printed (before its contents list gets page numbers), the
files it loads (``assets/``), the Chromium that prints it, the print settings and the code that
prints and normalises it (``dashboards/report.py``): the key is the SHA-256 of all of them, so
any change to the report's text, figures, styles, printing code or the browser prints it again.
The cache lives in :func:`warehouse.tables.cache_root` ``/report-pdf/`` (``$CLAC_HOME/cache``
unless ``CLAC_CACHE_DIR`` says otherwise; never in a published edition): ``<key>.pdf`` and ``<key>.json`` (the pages the chapters start on, and the PDF's
SHA-256, checked on every read; a damaged entry is ignored and printed again). Entries are
written atomically (a temporary file, then a rename) and the oldest are removed beyond
:data:`KEEP` pairs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from warehouse.tables import cache_root

KEEP = 24


def cache_dir() -> Path:
    return cache_root() / "report-pdf"


@lru_cache(maxsize=4)
def browser_version(executable: str) -> str:
    """``chromium --version`` (the printer is part of the key); empty when it cannot be asked."""
    try:
        return subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def print_key(html: bytes, assets: Path, *, browser: str, settings: str) -> str:
    """The SHA-256 of what makes the PDF: the page, every file under ``assets``, the browser
    and the print settings (``settings``: their text, e.g. ``repr`` of the options and year)."""
    digest = hashlib.sha256()
    for part in (browser.encode(), settings.encode(), html):
        digest.update(len(part).to_bytes(8, "big") + part)
    for path in sorted(p for p in assets.rglob("*") if p.is_file()):
        name = path.relative_to(assets).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def lookup(key: str) -> tuple[bytes, dict[str, int]] | None:
    """The PDF and chapter pages printed for ``key`` before, or None (not there, or damaged)."""
    folder = cache_dir()
    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        pdf = (folder / f"{key}.pdf").read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or hashlib.sha256(pdf).hexdigest() != meta.get("pdf_sha256"):
        return None
    toc = meta.get("toc")
    return (pdf, {str(k): int(v) for k, v in toc.items()}) if isinstance(toc, dict) else None


def store(key: str, pdf: bytes, toc: dict[str, int]) -> None:
    """Keep a printed PDF under ``key`` (PDF first, then the record that vouches for it)."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder / f"{key}.pdf", pdf)
    meta = {"pdf_sha256": hashlib.sha256(pdf).hexdigest(), "toc": toc}
    _write_atomically(folder / f"{key}.json", json.dumps(meta, sort_keys=True).encode())
    records = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in records[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".pdf").unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
