"""Parser for the working groups' quarterly report workbooks (format ``wg_workbook``).

The workbook is made by ``clac template`` (:mod:`sources.quarterly.template`). This
parser performs the whole-file checks and returns the filled rows as written; the row
checks (code lists, countries, dates, personal data) are in
:mod:`sources.quarterly_intake`.

Unlike the observation parsers, ``ParseResult.rows`` here is not in
:data:`sources.parsers.base.PARSED_COLUMNS`: a quarterly report is not a table of
observations. Its columns are ``SECTION`` (activities | policies | legislative),
``LOC_SHEET``, ``LOC_ROW`` and one column per template column key (``goal``,
``country``, ``date``, ``description`` ...), holding the cell values as read (text,
numbers, dates, or None). ``facts`` holds what the workbook states about itself:
``template_version``, ``working_group``, ``quarter``, ``language``, ``submitted_on``
(ISO date or None), ``synthetic`` and ``file_name_quarter``.

Whole-file problems raise :class:`WorkbookFileError` (a
:class:`~sources.parsers.base.SourceFileError`) with the message in the workbook's
language: not an .xlsx, not a CLAC template (no ``_metadata`` sheet nor defined names),
another template version, an unknown working group, a malformed quarter, a quarter on
the cover sheet or in the file name that differs from the template's, a missing sheet or
changed headers. Nothing of such a file reaches the warehouse.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from sources.catalogue import LANGUAGES
from sources.parsers.base import ParseResult, SourceFileError
from sources.parsers.limits import PackageInfo, check_xlsx_package, used_rows
from sources.quarterly.codelists import normalise, working_groups
from sources.quarterly.personal_data import find_personal_data
from sources.quarterly.template import (
    DEFINED_NAMES,
    FIRST_DATA_ROW,
    HEADER_ROW,
    META_SHEET,
    Quarter,
    load_layout,
    load_quarterly_rules,
    parse_quarter,
    quarter_in_filename,
    template_version,
)

BASE_COLUMNS = ["SECTION", "LOC_SHEET", "LOC_ROW"]


class WorkbookFileError(SourceFileError):
    """A whole-file problem, worded in the submitter's language."""

    _WHAT_TO_DO = {"es": "Qué hacer:", "en": "What to do:", "pt": "O que fazer:"}

    def __init__(self, path: Path | str, rule: str, lang: str = "es", **fields: Any):
        rule_text = load_quarterly_rules()["file_rules"][rule]
        lang = lang if lang in LANGUAGES else "es"
        self.rule, self.lang, self.fields = rule, lang, fields
        # values come from cells a person typed: never echo personal data in a message or a log
        values = {
            k: ("[withheld]" if isinstance(v, str) and find_personal_data(v) else ("" if v is None else v))
            for k, v in fields.items()
        }
        values.setdefault("value", "")
        values.setdefault("detail", "")
        values.setdefault("column", "")
        super().__init__(path, rule_text["message"][lang].format(**values), hint=rule_text["hint"][lang])

    def message(self) -> str:
        text = f"{self.path.name}: {self.problem}"
        if self.hint:
            text += f" {self._WHAT_TO_DO.get(getattr(self, 'lang', 'en'), 'What to do:')} {self.hint}"
        return text


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open(path: Path) -> tuple[openpyxl.Workbook, PackageInfo]:
    if not zipfile.is_zipfile(path):
        raise WorkbookFileError(path, "wg_file_unreadable", "es", detail="not a ZIP/XLSX package")
    package = check_xlsx_package(path)  # unpacked sizes, macros: before openpyxl inflates anything
    try:
        return openpyxl.load_workbook(path, data_only=True), package
    except Exception as exc:  # corrupt package, encrypted file, wrong content
        raise WorkbookFileError(path, "wg_file_unreadable", "es", detail=type(exc).__name__) from exc


def read_metadata(wb: openpyxl.Workbook) -> dict[str, str] | None:
    """The template's metadata: from the defined names, else the ``_metadata`` sheet."""
    meta: dict[str, str] = {}
    if META_SHEET in wb.sheetnames:
        ws = wb[META_SHEET]
        for key, value in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 200), max_col=2, values_only=True):
            if key is not None:
                meta[str(key).strip()] = "" if value is None else str(value).strip()
    for key, name in DEFINED_NAMES.items():
        defined = wb.defined_names.get(name)
        if defined is None:
            continue
        for sheet, ref in defined.destinations:
            if sheet in wb.sheetnames:
                value = wb[sheet][ref.replace("$", "")].value
                meta[key] = "" if value is None else str(value).strip()
    return meta or None


def _find_sheet(wb: openpyxl.Workbook, names: dict[str, str]):
    wanted = {normalise(n) for n in names.values()}
    for sheet in wb.sheetnames:
        if normalise(sheet) in wanted:
            return wb[sheet]
    return None


def _cover_value(ws, labels: dict[str, str]) -> object:
    wanted = {normalise(v) for v in labels.values()}
    for row in ws.iter_rows(min_row=1, max_row=40, max_col=2):
        if row[0].value is not None and normalise(row[0].value) in wanted:
            return row[1].value if len(row) > 1 else None
    return None


def _iso_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
    return None


def _header_ok(cell_value: object, header: dict[str, str]) -> bool:
    if _blank(cell_value):
        return False
    text = normalise(cell_value).rstrip("* ").strip()
    return text in {normalise(v) for v in header.values()}


def parse(path: Path, **options: Any) -> ParseResult:
    path = Path(path)
    wb, package = _open(path)
    layout = load_layout()
    meta = read_metadata(wb)
    if meta is None or "template_version" not in meta:
        raise WorkbookFileError(path, "wg_not_template", "es", detail=META_SHEET)
    lang = meta.get("language", "es")
    lang = lang if lang in LANGUAGES else "es"

    expected = template_version()
    if meta.get("template_version") != expected:
        raise WorkbookFileError(path, "wg_template_version", lang, value=meta.get("template_version"), detail=expected)
    groups = working_groups()
    group = meta.get("working_group", "")
    if group not in groups.codes:
        raise WorkbookFileError(path, "wg_unknown_working_group", lang, value=group, detail=", ".join(groups.codes))
    quarter: Quarter | None = parse_quarter(meta.get("quarter", ""))
    if quarter is None:
        raise WorkbookFileError(path, "wg_quarter_invalid", lang, value=meta.get("quarter", ""))

    cover = _find_sheet(wb, layout.cover["sheet"])
    if cover is None:
        raise WorkbookFileError(path, "wg_sheet_missing", lang, value=layout.cover["sheet"][lang])
    fields = layout.cover["fields"]
    stated = _cover_value(cover, fields["quarter"])
    stated_quarter = parse_quarter(stated) if not _blank(stated) else None
    if stated_quarter != quarter:
        raise WorkbookFileError(
            path,
            "wg_quarter_mismatch_sheet",
            lang,
            column=cover.title,
            value=("" if stated is None else str(stated)),
            detail=quarter.label,
        )
    named = quarter_in_filename(path.name)
    if named is not None and named != quarter:
        raise WorkbookFileError(path, "wg_quarter_mismatch_filename", lang, value=named.label, detail=quarter.label)
    submitted_raw = _cover_value(cover, fields["submitted_on"])

    keys: list[str] = []
    for section in layout.sections.values():
        keys += [c.key for c in section.columns if c.key not in keys]
    records: list[dict[str, Any]] = []
    per_section: dict[str, int] = {}
    sheets_read: list[str] = []
    for key, section in layout.sections.items():
        ws = _find_sheet(wb, section.sheet.model_dump())
        if ws is None:
            raise WorkbookFileError(path, "wg_sheet_missing", lang, value=section.sheet.get(lang))
        width = len(section.columns)
        for i, column in enumerate(section.columns, start=1):
            if not _header_ok(ws.cell(row=HEADER_ROW, column=i).value, column.header.model_dump()):
                raise WorkbookFileError(
                    path, "wg_headers_changed", lang, value=ws.title, column=i, detail=column.header_text(lang)
                )
        extra = ws.cell(row=HEADER_ROW, column=width + 1).value
        if not _blank(extra):
            raise WorkbookFileError(path, "wg_headers_changed", lang, value=ws.title, column=width + 1, detail="")
        count = 0
        # cells right of the template's columns are not read (nothing there is stored)
        for r in used_rows(path, ws, FIRST_DATA_ROW, width):
            cells = [ws.cell(row=r, column=c).value for c in range(1, width + 1)]
            if all(_blank(v) for v in cells):
                continue
            record: dict[str, Any] = {"SECTION": key, "LOC_SHEET": ws.title, "LOC_ROW": r}
            for column, value in zip(section.columns, cells):
                record[column.key] = value.strip() if isinstance(value, str) else value
            records.append(record)
            count += 1
        per_section[key] = count
        sheets_read.append(ws.title)

    frame = pd.DataFrame.from_records(records, columns=BASE_COLUMNS + keys)
    frame = frame.astype(object).where(frame.notna(), None)
    facts = {
        "template_version": meta["template_version"],
        "working_group": group,
        "quarter": quarter.label,
        "language": lang,
        "submitted_on": _iso_date(submitted_raw),
        "submitted_on_raw": None if submitted_raw is None else str(submitted_raw)[:40],
        "synthetic": meta.get("synthetic", "false").lower() == "true",
        "file_name_quarter": named.label if named else None,
        "rows_per_section": per_section,
        # the template's own hidden sheets (_metadata, _codelists) are expected; others are named
        "hidden_sheets": [name for name in package.hidden_sheets if not name.startswith("_")],
        "external_links": package.external_links,
        "sheets_read": sheets_read,
    }
    return ParseResult(rows=frame, rows_read=len(frame), facts=facts)
