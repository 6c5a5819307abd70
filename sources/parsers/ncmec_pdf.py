"""Parser for NCMEC's "CyberTipline Reports by Country" PDFs (one file per report year).

What the documents look like (2019-2023 editions):

* page 1 holds the title ("2019 CyberTipline Reports / by Country") and prose; in 2019 the
  prose states a rounded worldwide total ("16.9 million reports"), later years do not;
* then tables of ``Country | Reports``: two tables side by side per page in 2019, one per
  page from 2020; each table starts with a header line whose first cell is "Country";
* long names wrap inside their cell: the number sits on the first line ("Congo, The
  Democratic" / "Republic of the", 2019-2020) or is centred between the two lines
  ("Saint Helena, Ascension" / "and Tristan da Cunha", 2022-2023);
* the last table ends with a total row ("TOTAL", "Total:", "Total"), which is returned in
  ``facts`` and is not an observation; non-country rows ("No Country Listed*", "Null",
  "Europe", ...) are ordinary rows.

How it is read: words and their coordinates come from ``pdfplumber``. A table's columns
start at the x of each "Country" header word, so side-by-side tables are split by x rather
than by reading order. Inside a column, numbers are right-aligned: words ending at that
right edge form the value cell, the other words the name. A line with a name and no value
is either the continuation of the row above (closer than a normal row pitch) or the start
of a row whose number is centred on the next line. A table ends at its total row, at the
next header, or at a vertical gap of about two rows (the page footer).

Numbers: "398,069" -> 398069. A lone dash ("-", printed in 2020 for Norfolk Island,
Svalbard and Saint Helena) is read as 0: it is the spreadsheet display of zero, and the
2020 rows sum to the printed total only that way. Pass ``dash_as_zero=False`` to send such
rows to quarantine instead. Any other unreadable cell keeps its row with ``PARSE_ERROR``.

Names: AREA_RAW is the name as printed, wrapped lines joined with one space, the
typographic apostrophe ’ replaced by ', and a trailing footnote marker "*" removed (the
printed form is kept in ``facts["area_footnotes"]``). Publisher spellings ("Eretria",
"Sierre Leone", "Turks and Calcos Islands") are kept as printed.

Locations: LOC_PAGE is the 1-based page. LOC_LINE is the 1-based rank, from the top of the
page, of the text line holding the first word of the row's name, counting every non-blank
text line of the page (running header, title, prose and both side-by-side tables alike).
Words whose tops are within half a text height belong to the same line, so this is the
line number a person gets by counting printed lines down the page (it matches the count of
non-blank lines of ``pdftotext -layout``).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.utils.exceptions import PdfminerException

from .base import ParseResult, SourceFileError, make_rows
from .limits import check_pages

MEASURE = "CYBERTIPLINE_REPORTS"
HINT_DOWNLOAD = (
    "download it again from https://www.missingkids.org/cybertiplinedata "
    '("CyberTipline Reports by Country") and replace this file.'
)
TITLE_RE = re.compile(r"\b((?:19|20)\d\d)\s+CyberTipline\s+Reports\s+by\s+Country\b", re.I)
TEXT_TOTAL_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s+(thousand|million|billion)\s+(?:CyberTipline\s+)?reports\b", re.I)
MULTIPLIERS = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
NUMBER_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")
DASHES = {"-", "\u2013", "\u2014"}
HEADER_WORDS = {"country", "/", "territory", "total", "number", "of", "reports"}


# --------------------------------------------------------------------------- the file


def open_pdf(path: Path, download: str = HINT_DOWNLOAD) -> pdfplumber.PDF:
    """Check that ``path`` is a complete, readable, unencrypted PDF and open it.

    ``download`` says where to get the file again (the "What to do" of every message); the
    other NCMEC reports (:mod:`sources.parsers.ncmec_esp_pdf`) give their own."""
    if not path.is_file():
        raise SourceFileError(
            path, "the file does not exist.", hint="Check the path, or " + download, code="file_cannot_open"
        )
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1024)
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%PDF-" not in head:
        raise SourceFileError(
            path,
            f"this is not a PDF file ({_sniff(head)}).",
            hint="The download probably saved an error page instead of the PDF: " + download,
            code="file_empty" if not head else "file_not_pdf",
        )
    if b"%%EOF" not in tail:
        raise SourceFileError(
            path,
            f"the PDF is truncated: its end-of-file marker is missing ({size:,} bytes).",
            hint="The download was probably interrupted: " + download,
            code="file_truncated",
        )
    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFEncryptionError):
            raise SourceFileError(
                path,
                "the PDF is encrypted (password-protected) and cannot be read.",
                hint="Use the public, unprotected PDF published by NCMEC: " + download,
                code="file_encrypted",
            ) from exc
        raise _corrupt(path, exc, download=download) from exc
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise _corrupt(path, exc, download=download) from exc
    try:
        _ = len(pdf.pages)
    except Exception as exc:
        pdf.close()
        raise _corrupt(path, exc, download=download) from exc
    return pdf


def _corrupt(path: Path, exc: BaseException, where: str = "", download: str = HINT_DOWNLOAD) -> SourceFileError:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    return SourceFileError(
        path,
        f"the PDF is damaged and cannot be read ({type(cause).__name__}).",
        where=where,
        hint="The file is probably corrupt: " + download,
        code="file_corrupt",
    )


def _sniff(head: bytes) -> str:
    """Say what a non-PDF file looks like, without echoing its content."""
    low = head.lstrip().lower()
    if not head:
        return "the file is empty"
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low[:512]:
        return "it looks like an HTML web page"
    if head.startswith(b"PK\x03\x04"):
        return "it looks like a ZIP or Office file"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512]):
        return "it looks like a plain text file"
    return "it does not start with the %PDF- signature"


# --------------------------------------------------------------------------- title, totals


def report_title(
    path: Path, page_texts: list[str], title: re.Pattern, expected: str, example: str, hint_download: str
) -> re.Match:
    """The page-1 title of an NCMEC report (``title`` matched on page 1's text, spaces collapsed),
    or the clear error: no readable text, or not the ``expected`` document (``example``: a title
    it would have; ``hint_download``: where to get the file again)."""
    first = " ".join((page_texts[0] if page_texts else "").split())
    match = title.search(first)
    if not match and not first:
        raise SourceFileError(
            path,
            "page 1 has no readable text (the PDF may be damaged, or be a scan).",
            where="page 1",
            hint=hint_download[0].upper() + hint_download[1:],
            code="file_no_text",
        )
    if not match:
        raise SourceFileError(
            path,
            f'this is not a "{expected}" document: page 1 has no title like "{example}".',
            where="page 1",
            hint="Check that the right file was saved under this name, or " + hint_download,
            code="file_not_expected_report",
            params={"expected": expected},
        )
    return match


def read_title_and_totals(path: Path, page_texts: list[str]) -> dict[str, Any]:
    """Report year from the page-1 title, and the rounded total stated in the prose."""
    expected = "CyberTipline Reports by Country"
    match = report_title(path, page_texts, TITLE_RE, expected, f"2019 {expected}", HINT_DOWNLOAD)
    facts: dict[str, Any] = {
        "report_year": int(match.group(1)),
        "stated_total_text": None,
        "stated_total_text_value": None,
        "stated_total_text_precision": None,
    }
    for text in page_texts:
        found = TEXT_TOTAL_RE.search(" ".join(text.split()))
        if found:
            number, word = Decimal(found.group(1)), found.group(2).lower()
            decimals = -number.as_tuple().exponent
            facts["stated_total_text"] = f"{found.group(1)} {found.group(2)}"
            facts["stated_total_text_value"] = float(number * MULTIPLIERS[word])
            facts["stated_total_text_precision"] = float(Decimal(10) ** -decimals * MULTIPLIERS[word])
            break
    return facts


# --------------------------------------------------------------------------- page geometry


def text_lines(words: list[dict]) -> list[list[dict]]:
    """Group words into printed lines (tops within half a text height), top to bottom."""
    if not words:
        return []
    tol = 0.5 * statistics.median(w["bottom"] - w["top"] for w in words)
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and word["top"] - lines[-1][0]["top"] <= tol:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def header_columns(line: list[dict]) -> list[float]:
    """x of each "Country" word that starts a cell on this line (not "by Country")."""
    starts = []
    for i, word in enumerate(line):
        if word["text"] == "Country" and (i == 0 or word["x0"] - line[i - 1]["x1"] > 30):
            starts.append(word["x0"])
    return starts


def is_total(name_words: list[dict]) -> bool:
    return bool(name_words) and name_words[0]["text"].rstrip(":").lower() == "total"


def find_total(lines: list[list[dict]]) -> str | None:
    """The number printed on the total row of a page, if the page has one."""
    for line in lines:
        numbers = [w["text"] for w in line if NUMBER_RE.match(w["text"])]
        if is_total(line) and numbers:
            return numbers[-1]
    return None


def column_rows(lines: list[list[dict]]) -> list[dict]:
    """Rows of one table column: each with its name lines, value text and first word."""
    while lines and all(w["text"].lower() in HEADER_WORDS for w in lines[0]):
        lines = lines[1:]  # rest of a multi-line header ("Total" / "Reports")
    numbers = [w for line in lines for w in line if NUMBER_RE.match(w["text"]) or w["text"] in DASHES]
    if not numbers:
        return []
    right = statistics.mode(round(w["x1"]) for w in numbers)
    left = min(w["x0"] for w in numbers if abs(w["x1"] - right) <= 3)
    tops = [line[0]["top"] for line in lines]
    gaps = [b - a for a, b in zip(tops, tops[1:])]
    pitch = statistics.median(gaps) if gaps else 1.5 * (lines[0][0]["bottom"] - lines[0][0]["top"])

    rows: list[dict] = []
    last_top = None
    for line in lines:
        top = min(w["top"] for w in line)
        gap = top - last_top if last_top is not None else 0.0
        if gap > 1.8 * pitch:
            break  # footer or notes below the table
        names, values = split_cells(line, left, right)
        if is_total(names):
            break
        add_line(rows, names, values, gap, pitch)
        last_top = top
    return rows


def split_cells(line: list[dict], left: float, right: float) -> tuple[list[dict], list[dict]]:
    """A table line's words: (name cell, value cell). The value column is right-aligned between
    ``left`` and ``right``; every other word belongs to the name."""
    values = [w for w in line if w["x0"] >= left - 1 or abs(w["x1"] - right) <= 3]
    return [w for w in line if w not in values], values


def add_line(rows: list[dict], names: list[dict], values: list[dict], gap: float, pitch: float) -> None:
    """Add one table line to ``rows`` (each ``{"names": [lines], "value": text or None, "first":
    first word}``), ``gap`` below the line before, rows ``pitch`` apart: a name with its number is
    a row; a number alone goes to the row above when that one waits for its number (a number
    centred beside a two-line name), else starts a row; a name alone continues the row above when
    closer than a row (a wrapped name), else starts a row whose number may follow."""
    name = " ".join(w["text"] for w in names)
    value = " ".join(w["text"] for w in values) or None
    previous = rows[-1] if rows else None
    if names and value is not None:
        rows.append({"names": [name], "value": value, "first": names[0]})
    elif value is not None:  # number centred beside a two-line name
        if previous and previous["value"] is None and gap < pitch:
            previous["value"] = value
        else:
            rows.append({"names": [], "value": value, "first": values[0]})
    elif previous and gap < 0.9 * pitch:  # wrapped name, next line
        previous["names"].append(name)
        if not previous["names"][0]:
            previous["first"] = names[0]
    else:  # a name whose number may follow on the next line
        rows.append({"names": [name], "value": None, "first": names[0]})


def page_rows(page: Any) -> tuple[list[dict], str | None, str]:
    """All table rows of one page (every table, every column), its total if any, its text."""
    lines = text_lines(page.extract_words())
    text = "\n".join(" ".join(w["text"] for w in line) for line in lines)
    line_no = {id(w): i for i, line in enumerate(lines, start=1) for w in line}
    headers = [(i, header_columns(line)) for i, line in enumerate(lines)]
    headers = [(i, xs) for i, xs in headers if xs]
    found = []
    for k, (start, xs) in enumerate(headers):
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(lines)
        edges = [0.0] + [x - 10 for x in xs[1:]] + [float("inf")]
        for lo, hi in zip(edges, edges[1:]):
            column = [[w for w in line if lo <= w["x0"] < hi] for line in lines[start + 1 : stop]]
            for row in column_rows([line for line in column if line]):
                row["page"], row["line"] = page.page_number, line_no[id(row["first"])]
                found.append(row)
    return found, find_total(lines), text


# --------------------------------------------------------------------------- rows


def clean_name(printed: str) -> str:
    """Name as printed, with ’ as ' and a trailing footnote marker removed."""
    name = " ".join(printed.replace("\u2019", "'").split())
    return name.rstrip("*").rstrip()


def read_count(raw: str | None, dash_as_zero: bool) -> tuple[float, str]:
    """(value, error message) for a reports cell."""
    if raw is None:
        return float("nan"), "the Reports cell of this row is empty."
    if NUMBER_RE.match(raw):
        return float(int(raw.replace(",", ""))), ""
    if raw in DASHES and dash_as_zero:
        return 0.0, ""
    return float("nan"), f"the Reports cell {raw!r} is not a whole number."


def to_record(row: dict, year: int, dash_as_zero: bool) -> dict[str, Any]:
    printed = " ".join(n for n in row["names"] if n)
    value, error = read_count(row["value"], dash_as_zero)
    if not printed:
        error = (error + " " if error else "") + "this row has a number but no area name."
    return {
        "MEASURE": MEASURE,
        "AREA_RAW": clean_name(printed),
        "TIME_PERIOD_RAW": str(year),
        "OBS_VALUE": value,
        "VALUE_RAW": row["value"] or "",
        "UNIT_MEASURE": "NUMBER",
        "OBS_STATUS": "A",
        "LOC_PAGE": row["page"],
        "LOC_LINE": row["line"],
        "PARSE_ERROR": error,
    }


def read_pages(
    path: Path, pdf: Any, page_rows: Callable[[Any], tuple[list[dict], Any, str]], download: str = HINT_DOWNLOAD
) -> tuple[list[dict], list, list[str]]:
    """Every page of an opened NCMEC PDF through ``page_rows`` (its table rows, its total or None,
    its text), within the page limit: (all rows, the totals found, the pages' texts). A page that
    cannot be read is a damaged file (``download``: where to get it again)."""
    check_pages(path, len(pdf.pages))
    rows, totals, texts = [], [], []
    for page in pdf.pages:
        try:
            found, total, text = page_rows(page)
        except SourceFileError:
            raise
        except Exception as exc:
            raise _corrupt(path, exc, where=f"page {page.page_number}", download=download) from exc
        rows.extend(found)
        texts.append(text)
        if total:
            totals.append(total)
    return rows, totals, texts


def parse(path: Path, **options: Any) -> ParseResult:
    """Parse one CyberTipline Reports by Country PDF. Option: ``dash_as_zero`` (default True)."""
    path = Path(path)
    dash_as_zero = bool(options.get("dash_as_zero", True))
    with open_pdf(path) as pdf:
        rows, totals, texts = read_pages(path, pdf, page_rows)
    facts = read_title_and_totals(path, texts)
    if not rows:
        raise SourceFileError(
            path,
            'no country table was found (no header line starting with "Country" followed by rows with report counts).',
            hint="The layout may have changed: compare the file with earlier years and update "
            "sources/parsers/ncmec_pdf.py, or " + HINT_DOWNLOAD,
            code="file_layout_changed",
        )
    records = [to_record(row, facts["report_year"], dash_as_zero) for row in rows]
    facts["stated_total_table"] = int(totals[-1].replace(",", "")) if totals else None
    facts["area_footnotes"] = {
        clean_name(p): p.replace("\u2019", "'")
        for p in (" ".join(r["names"]) for r in rows)
        if p.rstrip().endswith("*")
    }
    facts["pages"] = len(texts)
    return ParseResult(rows=make_rows(records), rows_read=len(records), facts=facts)
