"""Parser for statistical-yearbook workbooks (UNICEF, The State of the World's Children).

Layout of one sheet (e.g. "12. Child Protection")
-------------------------------------------------
* a title row, then several header rows: a topic with its unit and reference period
  ("Sexual violence in childhood (%)\\n2013–2020 (R)"), sometimes a group above it
  ("Protection") and sub-headings below it ("Male", "Female", "Total per 100,000"); a
  heading spans its columns as a merged cell, i.e. only its first cell is written;
* one row per country: the name, then for every statistic a **value column** and, right
  after it, a **footnote-flag column** ("x", "y", "x,y", "p" or empty);
* ``-`` in a value cell means "data not available" (the notes say so);
* a "SUMMARY" row starts the regional aggregates (not read: the observatory computes its
  own aggregates under its coverage rules);
* "NOTES" under the table explain each flag ("y Data differ from the standard
  definition ...").

What the catalogue says (``parser_options``)
--------------------------------------------
``sheets: {<sheet name>: {header_rows: [first, last], topics: {<topic>: {measure, age}}}}``
with Excel row numbers; a topic is matched by the start of its heading ("Sexual violence
in childhood"). Only the listed topics are read; ``area_scope: LAC`` keeps the LAC areas.

What :func:`parse` returns
--------------------------
===================  ==========================================================
``MEASURE``          the topic's measure
``AREA_RAW``         the country name as printed (resolved to a code later)
``TIME_PERIOD_RAW``  the topic's reference period as printed ("2013–2020": the
                     value refers to the most recent year of the period, note R)
``SEX``              from a sub-heading starting Male / Female / Total, else ``_T``
``AGE``              the topic's ``age`` in the catalogue ("" if none)
``DISAGGREGATION``   ``breakdown=<sub-heading>`` for any other sub-heading
``OBS_STATUS``       from the flags: ``y`` -> ``D`` (definition differs),
                     ``p`` -> ``U`` (low reliability: small denominators), else ``A``
``COMMENT_OBS``      every flag with its note in words ("x: Data refer to years or
                     periods other than those specified ..."): no flag is lost
===================  ==========================================================

``-`` cells and cells outside the area scope are counted in the facts
(``cells_no_data``, ``cells_outside_area_scope``), never made into rows; a value that
is neither a number nor ``-`` is a row with ``PARSE_ERROR``. Limits: the ingestion size
limit, :data:`MAX_ROWS` rows per sheet and :data:`MAX_SECONDS` of reading.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from sources.parsers.base import ParseResult, SourceFileError, disaggregation_key, empty_rows, make_rows
from sources.parsers.unodc_portal import cell_text, open_workbook

MAX_ROWS = 2_000
MAX_SECONDS = 30.0
NO_DATA = {"-", "–", "—"}
FLAG_STATUS = {"y": "D", "p": "U"}
SEX_WORDS = {"male": "M", "female": "F", "total": "_T"}
_PERIOD = re.compile(r"(\d{4})(?:\s*[–-]\s*(\d{4}))?")
_NOTE = re.compile(r"^([a-zA-Z]{1,2})\s+(\S.*)$")


def header_paths(rows: list[list[Any]], width: int) -> dict[int, list[str]]:
    """Value columns -> their headings from top to bottom (a merged heading fills the
    columns to its right until a heading at the same or a higher level starts)."""
    paths: dict[int, list[str]] = {}
    current = [""] * len(rows)
    for col in range(1, width):
        started = [cell_text(row[col]) if col < len(row) else "" for row in rows]
        for level, text in enumerate(started):
            if text:
                current[level] = text
                for lower in range(level + 1, len(rows)):
                    current[lower] = ""
        if any(started):
            paths[col] = [c for c in current if c]
    return paths


def topic_of(path: list[str], topics: dict[str, Any]) -> tuple[str, int] | None:
    """(topic key, level of the topic heading in the path) for a column, if listed."""
    for level, label in enumerate(path):
        for key in topics:
            if label.lower().startswith(key.lower()):
                return key, level
    return None


def flag_notes(rows: list[list[Any]]) -> dict[str, str]:
    """The flag legend under "NOTES": ``{"y": "Data differ ...", ...}``."""
    notes: dict[str, str] = {}
    reading = False
    for row in rows:
        first = cell_text(row[0]) if row else ""
        if first.upper() == "NOTES":  # noqa: SIM102
            reading = True
            continue
        if reading:
            if not first or first.isupper():
                if notes:
                    break
                continue
            match = _NOTE.match(first)
            if match:
                notes[match.group(1)] = match.group(2)
    return notes


def width_of(rows: list[list[Any]]) -> int:
    return max((len(r) for r in rows), default=0)


def _sheet_rows(path: Path, book: Any, name: str, started: float) -> list[list[Any]]:
    if name not in book.sheet_names:
        raise SourceFileError(
            path,
            f"the workbook has no sheet '{name}' (sheets: {', '.join(book.sheet_names)}).",
            hint="Use the statistical tables workbook unchanged, or correct the sheet name in the catalogue.",
            code="file_missing_sheet",
            params={"sheet": name},
        )
    sheet = book.get_sheet_by_name(name)
    # calamine's iter_rows starts at Excel row 1 (rows[i] is row i + 1) and at the first
    # used column (the country names)
    rows: list[list[Any]] = []
    for row in sheet.iter_rows():
        rows.append(list(row))
        if len(rows) > MAX_ROWS:
            raise SourceFileError(
                path,
                f"sheet '{name}' has more than {MAX_ROWS:,} rows; a yearbook table has a few hundred.",
                hint="Check that this is the statistical tables workbook.",
            )
        if time.monotonic() - started > MAX_SECONDS:
            raise SourceFileError(
                path,
                f"reading took more than {MAX_SECONDS:g} seconds.",
                hint="Check that this is the statistical tables workbook.",
            )
    return rows


def parse(path: Path, *, sheets: dict[str, dict[str, Any]], area_scope: str = "", **_: Any) -> ParseResult:
    """Parse the listed topics of a yearbook workbook (see the module docstring)."""
    path = Path(path)
    started = time.monotonic()
    book = open_workbook(path)
    in_scope = None
    if area_scope == "LAC":
        from sources.harmonise.areas import lac_country_codes, resolve

        lac = set(lac_country_codes())
        in_scope = lambda name: resolve(name) in lac  # noqa: E731
    records: list[dict[str, Any]] = []
    facts: dict[str, Any] = {"file": path.name, "area_scope": area_scope or "(all)", "sheets": {}}
    for sheet_name, spec in sheets.items():
        rows = _sheet_rows(path, book, sheet_name, started)
        first, last = spec.get("header_rows", [3, 6])
        header = [list(r) + [""] * (width_of(rows) - len(r)) for r in rows[first - 1 : last]]
        width = width_of(rows)
        paths = header_paths(header, width)
        topics = spec["topics"]
        columns = {}
        for col, heading in paths.items():
            found = topic_of(heading, topics)
            if found:
                columns[col] = (found[0], heading[found[1]], heading[found[1] + 1 :])
        missing = sorted(set(topics) - {c[0] for c in columns.values()})
        if missing:
            raise SourceFileError(
                path,
                f"sheet '{sheet_name}' has no column headed {', '.join(repr(m) for m in missing)} "
                f"in rows {first}-{last}.",
                where=f"sheet {sheet_name}",
                hint="Use the workbook unchanged; if UNICEF renamed the heading, update the catalogue.",
                code="file_missing_column",
                params={"columns": ", ".join(missing)},
            )
        notes = flag_notes(rows)
        no_data = outside = summary_rows = countries = 0
        for index in range(last, len(rows)):
            row = list(rows[index]) + [""] * (width - len(rows[index]))
            name = cell_text(row[0]) if row else ""
            if name.upper() == "SUMMARY":
                summary_rows = sum(
                    1 for r in rows[index + 1 :] if r and cell_text(r[0]) and cell_text(r[0]).upper() != "NOTES"
                )
                break
            if not name or not any(cell_text(c) for c in row[1:]):
                continue
            countries += 1
            if in_scope is not None and not in_scope(name):
                outside += len(columns)
                continue
            for col, (topic, heading, below) in columns.items():
                raw = row[col]
                text = cell_text(raw)
                if text in NO_DATA or text == "":
                    no_data += 1
                    continue
                flags = [f.strip() for f in cell_text(row[col + 1]).split(",") if f.strip()]
                unknown = [f for f in flags if f not in notes]
                error = ""
                value = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
                if value is None:
                    error = f"'{text}' is neither a number nor '-' (data not available)"
                if unknown:
                    error = "; ".join(
                        filter(None, [error, f"flag(s) {', '.join(unknown)} are not explained in the notes"])
                    )
                sex, other = "_T", []
                for label in below:
                    word = label.split()[0].lower()
                    if word in SEX_WORDS:
                        sex = SEX_WORDS[word]
                    else:
                        other.append(label)
                period = _PERIOD.search(heading)
                status = next((FLAG_STATUS[f] for f in flags if f in FLAG_STATUS), "")
                records.append(
                    {
                        "MEASURE": topics[topic]["measure"],
                        "AREA_RAW": name,
                        "TIME_PERIOD_RAW": period.group(0).replace("–", "-").replace(" ", "") if period else "",
                        "OBS_VALUE": value,
                        "VALUE_RAW": text,
                        "OBS_STATUS": status,
                        "SEX": sex,
                        "AGE": topics[topic].get("age", ""),
                        "DISAGGREGATION": disaggregation_key({"breakdown": " / ".join(other)}),
                        "LOC_SHEET": sheet_name,
                        "LOC_ROW": index + 1,
                        "PARSE_ERROR": error,
                        "COMMENT_OBS": "; ".join(f"{f}: {notes.get(f, '(not explained in the notes)')}" for f in flags),
                    }
                )
        facts["sheets"][sheet_name] = {
            "topics": {t: sum(1 for c in columns.values() if c[0] == t) for t in topics},
            "country_rows": countries,
            "cells_no_data": no_data,
            "cells_outside_area_scope": outside,
            "summary_rows_not_read": summary_rows,
            "flag_notes": notes,
        }
    rows_frame = make_rows(records) if records else empty_rows()
    facts["rows_with_errors"] = int((rows_frame["PARSE_ERROR"] != "").sum())
    facts["seconds"] = round(time.monotonic() - started, 2)
    return ParseResult(rows=rows_frame, rows_read=len(records), facts=facts)
