"""Limits on what a reader takes from a received file, checked before and while reading.

A hostile or broken file must be refused quickly, with its name and the reason, never
make a reader hang or eat the machine's memory. The limits are data
(``sources/parsers/limits.yaml``):

* :func:`check_xlsx_package`: an XLSX is a ZIP package; the unpacked size of every member
  is read from the ZIP directory and checked *before* openpyxl inflates anything (a
  "zip bomb" sheet that inflates to gigabytes is refused in milliseconds). A
  macro-enabled workbook renamed ``.xlsx`` (``xl/vbaProject.bin``, a ``macroEnabled``
  content type) is refused; external links and hidden sheets are returned, so that the
  report names them;
* :func:`check_cells`: rows, columns and cell length of a grid being read;
* :func:`read_records`: the records of a CSV text, checked against the limits while read;
* :func:`check_pages`: pages of a PDF;
* :func:`parse_deadline`: wall-time limit on one parse (a ``SIGALRM`` timer, when the
  parse runs in the main thread of its process; elsewhere the size limits still hold).
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import re
import signal
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from sources.parsers.base import SourceFileError

LIMITS_FILE = Path(__file__).resolve().parent / "limits.yaml"
MB = 1024 * 1024
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb'(\w+(?::\w+)?)="([^"]*)"')


@lru_cache(maxsize=1)
def load_limits() -> dict[str, Any]:
    return yaml.safe_load(LIMITS_FILE.read_text(encoding="utf-8"))


@dataclass
class PackageInfo:
    """What the ZIP directory and the workbook part say about an XLSX."""

    unpacked_bytes: int = 0
    external_links: int = 0
    hidden_sheets: list[str] = field(default_factory=list)


def _refuse_size(path: Path, member: str, size: int, limit_mb: float, what: str) -> SourceFileError:
    return SourceFileError(
        path,
        f"{what} unpacks to {size / MB:,.0f} MB ({member}), over the {limit_mb:g} MB limit; it is not read.",
        hint="Send only the aggregated table, in a new workbook with one sheet, or as CSV.",
        code="file_unpacks_too_large",
        params={"member": member, "size_mb": f"{size / MB:,.0f}", "limit_mb": f"{limit_mb:g}"},
    )


def _sheet_states(workbook_xml: bytes) -> list[tuple[str, str]]:
    """(name, state) of each sheet listed in xl/workbook.xml."""
    out = []
    for tag in _SHEET_TAG.findall(workbook_xml):
        attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}
        name = attrs.get(b"name", b"").decode("utf-8", "replace")
        for entity, char in (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
            name = name.replace(entity, char)
        out.append((name, attrs.get(b"state", b"visible").decode()))
    return out


def check_xlsx_package(path: Path) -> PackageInfo:
    """Check an XLSX's ZIP directory against the limits before anything is unpacked."""
    limits = load_limits()["xlsx"]
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            if len(members) > limits["max_members"]:
                raise SourceFileError(
                    path,
                    f"the workbook package holds {len(members):,} files, over the limit of "
                    f"{limits['max_members']:,}; it is not read.",
                    hint="Send only the aggregated table, in a new workbook with one sheet, or as CSV.",
                    code="file_too_many_members",
                    params={"n": len(members), "limit": limits["max_members"]},
                )
            info = PackageInfo()
            for member in members:
                info.unpacked_bytes += member.file_size
                if member.file_size > limits["max_member_megabytes"] * MB:
                    raise _refuse_size(
                        path,
                        member.filename,
                        member.file_size,
                        limits["max_member_megabytes"],
                        "a part of the workbook",
                    )
                if (
                    member.file_size > MB
                    and member.compress_size
                    and member.file_size / member.compress_size > limits["max_compression_ratio"]
                ):
                    raise _refuse_size(
                        path,
                        member.filename,
                        member.file_size,
                        member.compress_size * limits["max_compression_ratio"] / MB,
                        "a part of the workbook, compressed beyond any real sheet,",
                    )
            if info.unpacked_bytes > limits["max_uncompressed_megabytes"] * MB:
                raise _refuse_size(
                    path, "all parts", info.unpacked_bytes, limits["max_uncompressed_megabytes"], "the workbook"
                )
            names = {m.filename for m in members}
            content_types = package.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
                raise SourceFileError(
                    path,
                    "the workbook contains macros (VBA code) although it is named .xlsx; "
                    "a macro-enabled workbook is not accepted.",
                    hint="Open it in Excel or LibreOffice and save it as a plain Excel workbook (.xlsx), "
                    "without macros.",
                    code="file_macro_enabled",
                )
            info.external_links = sum(1 for n in names if re.fullmatch(r"xl/externalLinks/externalLink\d+\.xml", n))
            if "xl/workbook.xml" in names:
                info.hidden_sheets = [
                    name
                    for name, state in _sheet_states(package.read("xl/workbook.xml"))
                    if state in ("hidden", "veryHidden")
                ]
            return info
    except zipfile.BadZipFile:
        raise SourceFileError(
            path,
            "the workbook is damaged (its ZIP package cannot be read).",
            hint="Open it in Excel or LibreOffice and save it again as an .xlsx workbook; "
            "if it does not open, ask the sender for a new copy.",
            code="file_corrupt",
        ) from None


def check_cells(
    path: Path, *, rows: int = 0, columns: int = 0, longest: int = 0, cells: int = 0, where: str = "", cell: str = ""
) -> None:
    """Refuse a grid with too many rows, columns or cells, or a cell longer than the limits."""
    limits = load_limits()["rows"]
    if cells > limits["max_cells"]:
        raise SourceFileError(
            path,
            f"the table has more than {limits['max_cells']:,} cells; it is not read.",
            where=where,
            hint="Send the aggregated table only (one row per country, period and measure), or split the file by year.",
            code="file_too_many_cells",
            params={"limit": f"{limits['max_cells']:,}"},
        )
    if rows > limits["max_rows"]:
        raise SourceFileError(
            path,
            f"the table has more than {limits['max_rows']:,} rows; it is not read.",
            where=where,
            hint="Send the aggregated table only (one row per country, period and measure), or split the file by year.",
            code="file_too_many_rows",
            params={"limit": f"{limits['max_rows']:,}"},
        )
    if columns > limits["max_columns"]:
        raise SourceFileError(
            path,
            f"a row has {columns:,} cells, more than the limit of {limits['max_columns']}; it is not read.",
            where=where,
            hint="Keep only the template's columns; delete the columns to the right of the table.",
            code="file_too_many_columns",
            params={"n": f"{columns:,}", "limit": limits["max_columns"]},
        )
    if longest > limits["max_cell_characters"]:
        raise SourceFileError(
            path,
            f"a cell{' (' + cell + ')' if cell else ''} holds {longest:,} characters, more than the "
            f"{limits['max_cell_characters']:,} a spreadsheet cell can hold; it is not read.",
            where=where,
            hint='Shorten that cell; if it holds many rows, a quote (") is not closed before it.',
            code="file_cell_too_long",
            params={"n": f"{longest:,}", "limit": f"{limits['max_cell_characters']:,}", "cell": cell},
        )


def used_rows(path: Path, ws: Any, min_row: int, max_col: int) -> list[int]:
    """Row numbers from ``min_row`` on where a (full-mode) openpyxl sheet holds a value in
    its first ``max_col`` columns: a stray cell at row 1,048,576 does not make the reader
    create a million empty rows."""
    rows = sorted(
        {row for (row, col), cell in ws._cells.items() if row >= min_row and col <= max_col and cell.value is not None}
    )
    check_cells(path, rows=len(rows), where=f"sheet '{ws.title}'")
    return rows


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader builds many small objects (a list
    per CSV record): its passes over them would cost more than the reading. What a reader
    builds holds no reference cycles; reference counting frees it as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_CHUNK_RECORDS = 4096  # records read between two checks of the limits


def _check_records(path: Path, chunk: list[list[str]], first: int, cells: int, rows: dict[str, Any]) -> int:
    """Refuse the first record of ``chunk`` (record number ``first + 1`` on) that is too wide
    or brings the cells read over the limit; returns the cells read with ``chunk``."""
    total = cells + sum(map(len, chunk))
    if total > rows["max_cells"] or max(map(len, chunk), default=0) > rows["max_columns"]:
        for number, record in enumerate(chunk, start=first + 1):
            cells += len(record)
            if len(record) > rows["max_columns"]:
                check_cells(path, columns=len(record), where=f"row {number}")
            if cells > rows["max_cells"]:
                check_cells(path, cells=cells, where=f"row {number}")
    return total


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time, as ``io.StringIO(text, newline="")``
    gives them: a line ends at CR LF, CR or LF."""
    return (match.group() for match in _LINE.finditer(text))


def read_records(
    path: Path,
    text: str,
    *,
    delimiter: str = ",",
    limit: int | None = None,
    hint: str = "Save the table again as CSV from the spreadsheet program.",
) -> list[list[str]]:
    """The CSV records of ``text`` (at most ``limit``), within the limits on columns, cells
    and cell length; a record too wide, too many cells or a cell too long refuses the file.

    The records are read a few thousand at a time and checked in reading order before
    more are read, so a file over a limit is refused after at most one such chunk.
    """
    rows = load_limits()["rows"]
    csv.field_size_limit(int(rows["max_cell_characters"]))
    # the first records only: the lines one at a time (a StringIO would copy the whole text)
    lines = io.StringIO(text, newline="") if limit is None else _lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[list[str]] = []
    cells = 0
    failure: csv.Error | None = None
    with gc_paused():
        while failure is None and (limit is None or len(records) < limit):
            want = _CHUNK_RECORDS if limit is None else min(_CHUNK_RECORDS, limit - len(records))
            chunk: list[list[str]] = []
            try:
                chunk.extend(itertools.islice(reader, want))  # keeps the records read before an error
            except csv.Error as exc:
                failure = exc
            cells = _check_records(path, chunk, len(records), cells, rows)
            records += chunk
            if len(chunk) < want:
                break
    if failure is not None:
        if "field larger than field limit" in str(failure):
            check_cells(path, longest=rows["max_cell_characters"] + 1, where=f"row {len(records) + 1}")
        raise SourceFileError(
            path,
            f"the file is not a readable CSV ({failure}).",
            where=f"row {len(records) + 1}",
            hint=hint,
            code="file_unreadable",
            params={"format": "CSV"},
        ) from None
    return records


def check_pages(path: Path, pages: int) -> None:
    limit = load_limits()["pdf"]["max_pages"]
    if pages > limit:
        raise SourceFileError(
            path,
            f"the document has {pages:,} pages, more than the limit of {limit}; it is not read.",
            hint="Send only the pages with the table.",
            code="file_too_many_pages",
            params={"n": f"{pages:,}", "limit": limit},
        )


class _Timeout(Exception):
    pass


@contextmanager
def parse_deadline(path: Path, seconds: float | None = None) -> Iterator[None]:
    """Stop a parse that runs longer than ``parse_seconds`` with a clear SourceFileError.

    A ``SIGALRM`` timer, when the parse runs in the main thread (elsewhere the size limits
    still hold). An outer timer (e.g. pytest-timeout's) is kept: if it is due first it is
    left alone; otherwise it is set again, less the time spent, when the parse ends.
    """
    seconds = float(seconds if seconds is not None else load_limits()["parse_seconds"])
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if outer_delay and outer_delay <= seconds:
        yield  # the outer timer fires first anyway
        return

    def _alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, _alarm)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Timeout:
        raise SourceFileError(
            path,
            f"reading the file took more than {seconds:g} seconds and was stopped "
            f"(after {time.monotonic() - start:.0f} s).",
            hint="Send only the aggregated table, in a new workbook with one sheet, or as CSV.",
            code="file_too_slow",
            params={"seconds": f"{seconds:g}"},
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:
            signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - start), 0.001), outer_interval)
