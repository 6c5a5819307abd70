"""The quarterly report workbook a working group fills in (``clac template``).

:func:`write_template` writes an XLSX workbook for one working group, one quarter and
one language (es, en or pt):

* an instructions sheet in that language: what to report, that the report holds
  aggregated information only and no personal data, the quarter, the due date and the
  meaning of every column;
* a cover sheet (working group, quarter, template version, due date, "submitted on");
* one sheet each for activities, policies and legislative advances (title in row 1,
  headers in row 2, data from row 3). Columns backed by a code list (policy goal,
  country or "Regional", scope, status, policy type, WeProtect capability and its
  status, NCMEC policy position, legislative stage, alignment) are dropdowns: an
  ``openpyxl`` :class:`DataValidation` of type ``list`` whose source is a range of the
  hidden sheet ``_codelists`` holding the labels in the chosen language. Dates, counts
  and text lengths are validated too;
* a hidden sheet ``_metadata`` with the template version, working group, quarter,
  language and whether the workbook is a SYNTHETIC example, also exposed as the
  defined names ``CLAC_TEMPLATE_VERSION``, ``CLAC_WORKING_GROUP``, ``CLAC_QUARTER`` and
  ``CLAC_LANGUAGE``, so that intake can check them.

The layout (sheets, columns, headers, help texts in es/en/pt) is data:
``template.yaml`` beside this module; settings (version, due date, row count) are in
``rules.yaml``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from sources.catalogue import LANGUAGES, Translated
from sources.harmonise.areas import lac_country_codes, load_areas
from sources.harmonise.periods import parse_period
from sources.quarterly.codelists import CodeList, workbook_lists, working_groups
from sources.xlsx_bytes import deterministic_xlsx

HERE = Path(__file__).resolve().parent
LAYOUT_FILE = HERE / "template.yaml"
RULES_FILE = HERE / "rules.yaml"

META_SHEET = "_metadata"
LISTS_SHEET = "_codelists"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
REGIONAL = "REGIONAL"  # the country column's code for "Regional"
REGIONAL_AREA = "LAC"  # REF_AREA stored for a regional row (the region as a whole)

#: metadata keys, in row order of the _metadata sheet, and their defined names
META_KEYS = ("template_version", "working_group", "quarter", "language", "synthetic", "generated_by")
DEFINED_NAMES = {
    "template_version": "CLAC_TEMPLATE_VERSION",
    "working_group": "CLAC_WORKING_GROUP",
    "quarter": "CLAC_QUARTER",
    "language": "CLAC_LANGUAGE",
}
#: the order of the code lists on the hidden sheet (column A, B, ...)
LIST_ORDER = (
    "goal",
    "country",
    "scope",
    "status",
    "policy_type",
    "capability",
    "capability_status",
    "ncmec_position",
    "stage",
    "alignment",
)


class TemplateError(ValueError):
    """A template cannot be made (unknown working group, malformed quarter, bad language)."""


# ------------------------------------------------------------------------ settings, layout
@lru_cache(maxsize=2)
def load_quarterly_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    """``rules.yaml``: settings, row rules, file rules, personal-data kinds (checked)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in ("rules", "file_rules"):
        for name, rule in data[group].items():
            for part in ("message", "hint") if group == "file_rules" else ("message",):
                missing = set(LANGUAGES) - set(rule.get(part, {}))
                if missing:
                    raise ValueError(f"{path.name}: {group}.{name}.{part} lacks {sorted(missing)}")
    return data


def settings() -> dict[str, Any]:
    return load_quarterly_rules()["settings"]


def template_version() -> str:
    return str(settings()["template_version"])


@dataclass(frozen=True)
class Column:
    key: str
    kind: str  # list | country | date | integer | text
    required: bool
    width: int
    header: Translated
    help: Translated

    def header_text(self, lang: str) -> str:
        return self.header.get(lang) + (" *" if self.required else "")


@dataclass(frozen=True)
class Section:
    key: str  # activities | policies | legislative
    sheet: Translated
    title: Translated
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Layout:
    cover: dict[str, Any]
    instructions: dict[str, Any]
    sections: dict[str, Section]

    def text(self, group: str, key: str, lang: str) -> str:
        return getattr(self, group)[key][lang]


@lru_cache(maxsize=2)
def load_layout(path: Path = LAYOUT_FILE) -> Layout:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = {}
    for key, body in data["sections"].items():
        columns = tuple(
            Column(
                c["key"],
                c["kind"],
                bool(c["required"]),
                int(c["width"]),
                Translated.model_validate(c["header"]),
                Translated.model_validate(c["help"]),
            )
            for c in body["columns"]
        )
        for c in columns:
            if c.kind not in ("list", "country", "date", "integer", "text"):
                raise ValueError(f"{path.name}: sections.{key}.{c.key}: unknown kind '{c.kind}'")
            if c.kind == "list" and c.key not in LIST_ORDER:
                raise ValueError(f"{path.name}: sections.{key}.{c.key}: no code list for this column")
        sections[key] = Section(
            key, Translated.model_validate(body["sheet"]), Translated.model_validate(body["title"]), columns
        )
    return Layout(data["cover"], data["instructions"], sections)


# ------------------------------------------------------------------------------ quarters
@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        month = 3 * self.number
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def due(self, days: int | None = None) -> dt.date:
        """The due date of the quarter's report: its last day + the configured days."""
        days = int(settings()["deadline_days_after_quarter_end"]) if days is None else days
        return self.end + dt.timedelta(days=days)

    def next(self) -> "Quarter":
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1)

    def __str__(self) -> str:
        return self.label


def parse_quarter(value: object) -> Quarter | None:
    """A quarter from ``2026-Q3`` (or any quarter form of :func:`parse_period`), else None."""
    period = parse_period(value)
    if period is None or period.kind != "quarter":
        return None
    return Quarter(period.start_year, int(period.canonical[-1]))


def quarter_of(day: dt.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    out, q = [], first
    while (q.year, q.number) <= (last.year, last.number):
        out.append(q)
        q = q.next()
    return out


_FILENAME_QUARTER = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_ .]?[QT]([1-4])(?![0-9])"
    r"|(?<![A-Za-z0-9])[QT]([1-4])[-_ .]?((?:19|20)\d{2})(?!\d)",
    re.IGNORECASE,
)


def quarter_in_filename(name: str) -> Quarter | None:
    """The quarter a file name states (``..._2026-Q3.xlsx``, ``Q3_2026``, ``2026T3``), if any."""
    match = _FILENAME_QUARTER.search(Path(name).stem)
    if not match:
        return None
    if match[1]:
        return Quarter(int(match[1]), int(match[2]))
    return Quarter(int(match[4]), int(match[3]))


# ----------------------------------------------------------------------------- countries
@lru_cache(maxsize=4)
def country_options(lang: str) -> tuple[tuple[str, str], ...]:
    """(label, code) for the country dropdown: "Regional" first, then the LAC countries
    by name in ``lang``."""
    areas = load_areas()
    lac = areas[areas["REF_AREA"].isin(lac_country_codes())]
    column = {"es": "NAME_ES", "en": "NAME_EN", "pt": "NAME_PT"}[lang]
    names = sorted(
        ((str(name), code) for name, code in zip(lac[column], lac["REF_AREA"])), key=lambda pair: _sort_key(pair[0])
    )
    regional = load_layout().instructions["regional"][lang]
    return ((regional, REGIONAL),) + tuple(names)


def _sort_key(text: str) -> str:
    from sources.quarterly.codelists import normalise

    return normalise(text)


def list_values(lang: str) -> dict[str, list[str]]:
    """The dropdown texts of every code-list column, in ``lang``, by list key."""
    lists: dict[str, CodeList] = workbook_lists()
    values = {key: lists[key].displays(lang) for key in LIST_ORDER if key != "country"}
    values["country"] = [label for label, _ in country_options(lang)]
    return {key: values[key] for key in LIST_ORDER}


def list_ranges(lang: str) -> dict[str, str]:
    """The hidden-sheet range of each list, e.g. ``'_codelists'!$A$2:$A$9``."""
    out = {}
    for i, (key, values) in enumerate(list_values(lang).items(), start=1):
        letter = get_column_letter(i)
        out[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return out


# ------------------------------------------------------------------------------ building
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WARN = Font(bold=True, color="9C0006")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _check_args(working_group: str, quarter: str | Quarter, lang: str) -> tuple[str, Quarter]:
    groups = working_groups()
    if working_group not in groups.codes:
        raise TemplateError(
            f"unknown working group '{working_group}'. Known working groups: "
            f"{', '.join(groups.codes)} (sources/codelists/working_groups.yaml)."
        )
    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    if q is None:
        raise TemplateError(f"'{quarter}' is not a quarter. Write it as YYYY-Qn, for example 2026-Q3.")
    if lang not in LANGUAGES:
        raise TemplateError(f"unknown language '{lang}'. Choose es, en or pt.")
    return working_group, q


def build_template(
    working_group: str,
    quarter: str | Quarter,
    lang: str = "es",
    *,
    synthetic: bool = False,
    created: dt.datetime | None = None,
) -> openpyxl.Workbook:
    """The template workbook for one working group, quarter and language."""
    working_group, q = _check_args(working_group, quarter, lang)
    layout = load_layout()
    version = template_version()
    group_name = working_groups().label(working_group, lang)
    rows = int(settings()["data_rows_per_sheet"])
    ranges = list_ranges(lang)
    names = {key: section.sheet.get(lang) for key, section in layout.sections.items()}
    cover_name = layout.cover["sheet"][lang]

    wb = openpyxl.Workbook()
    # -- instructions
    ws = wb.active
    ws.title = layout.instructions["sheet"][lang]
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 90
    fill = {
        "working_group": group_name,
        "quarter": q.label,
        "start": q.start.isoformat(),
        "end": q.end.isoformat(),
        "due": q.due().isoformat(),
        "version": version,
        "activities": names["activities"],
        "policies": names["policies"],
        "legislative": names["legislative"],
        "cover": cover_name,
    }
    ws["A1"] = layout.instructions["title"][lang].format(**fill)
    ws["A1"].font = _TITLE
    row = 3
    for i, paragraph in enumerate(layout.instructions["paragraphs"][lang]):
        cell = ws.cell(row=row, column=1, value=paragraph.format(**fill))
        cell.alignment = _WRAP
        cell.font = _WARN if i == 1 else Font()
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.row_dimensions[row].height = 62
        row += 1
    for key, section in layout.sections.items():
        row += 1
        ws.cell(
            row=row, column=1, value=layout.instructions["columns_heading"][lang].format(sheet=names[key])
        ).font = _BOLD
        row += 1
        for column in section.columns:
            ws.cell(row=row, column=1, value=column.header.get(lang))
            ws.cell(row=row, column=2, value=layout.instructions["required" if column.required else "optional"][lang])
            ws.cell(row=row, column=3, value=column.help.get(lang)).alignment = _WRAP
            row += 1

    # -- cover
    cover = wb.create_sheet(cover_name)
    cover.column_dimensions["A"].width = 34
    cover.column_dimensions["B"].width = 46
    cover["A1"] = layout.cover["title"][lang]
    cover["A1"].font = _TITLE
    cover["A2"] = layout.cover["notice"][lang]
    cover["A2"].font = _WARN
    fields = layout.cover["fields"]
    values: dict[str, Any] = {
        "working_group": group_name,
        "quarter": q.label,
        "template_version": version,
        "language": lang,
        "due_date": q.due(),
        "submitted_on": None,
    }
    for r, key in enumerate(
        ("working_group", "quarter", "template_version", "language", "due_date", "submitted_on"), start=4
    ):
        cover.cell(row=r, column=1, value=fields[key][lang]).font = _BOLD
        cell = cover.cell(row=r, column=2, value=values[key])
        if key in ("due_date", "submitted_on"):
            cell.number_format = "yyyy-mm-dd"
    submitted = DataValidation(
        type="date",
        operator="greaterThanOrEqual",
        formula1=f"DATE({q.start.year},{q.start.month},{q.start.day})",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=layout.instructions["dropdown_error_title"][lang],
        error=layout.instructions["date_error"][lang],
    )
    cover.add_data_validation(submitted)
    submitted.add("B9")

    # -- data sheets
    max_chars = int(settings()["max_text_chars"])
    for key, section in layout.sections.items():
        ws = wb.create_sheet(names[key])
        last_letter = get_column_letter(len(section.columns))
        ws["A1"] = section.title.get(lang).format(working_group=group_name, quarter=q.label)
        ws["A1"].font = _TITLE
        ws.merge_cells(f"A1:{last_letter}1")
        ws.freeze_panes = f"A{FIRST_DATA_ROW}"
        last_row = FIRST_DATA_ROW + rows - 1
        for i, column in enumerate(section.columns, start=1):
            letter = get_column_letter(i)
            head = ws.cell(row=HEADER_ROW, column=i, value=column.header_text(lang))
            head.font = _BOLD
            head.fill = _HEADER_FILL
            head.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[letter].width = column.width
            target = f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}"
            dv = _validation(column, key, q, lang, ranges, max_chars, layout)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(target)
            if column.kind == "date":
                for r in range(FIRST_DATA_ROW, last_row + 1):
                    ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
        ws.row_dimensions[HEADER_ROW].height = 32

    # -- hidden code lists
    lists = wb.create_sheet(LISTS_SHEET)
    for i, (key, items) in enumerate(list_values(lang).items(), start=1):
        lists.cell(row=1, column=i, value=key).font = _BOLD
        for r, text in enumerate(items, start=2):
            lists.cell(row=r, column=i, value=text)
        lists.column_dimensions[get_column_letter(i)].width = 40
    lists.sheet_state = "hidden"

    # -- hidden metadata + defined names
    meta = wb.create_sheet(META_SHEET)
    meta_values = {
        "template_version": version,
        "working_group": working_group,
        "quarter": q.label,
        "language": lang,
        "synthetic": "true" if synthetic else "false",
        "generated_by": "clac template (sources/quarterly/template.py)",
    }
    for r, key in enumerate(META_KEYS, start=1):
        meta.cell(row=r, column=1, value=key)
        meta.cell(row=r, column=2, value=meta_values[key])
        if key in DEFINED_NAMES:
            wb.defined_names[DEFINED_NAMES[key]] = DefinedName(DEFINED_NAMES[key], attr_text=f"'{META_SHEET}'!$B${r}")
    meta.sheet_state = "hidden"

    wb.active = 0
    wb.properties.creator = "CLAC observatory (clac template)"
    wb.properties.title = f"CLAC quarterly report {working_group} {q.label}"
    if created is not None:
        wb.properties.created = created
        wb.properties.modified = created
    return wb


def _validation(
    column: Column, section: str, q: Quarter, lang: str, ranges: dict[str, str], max_chars: int, layout: Layout
) -> DataValidation | None:
    title = layout.instructions["dropdown_error_title"][lang]
    common = dict(allow_blank=True, showErrorMessage=True, errorTitle=title, errorStyle="stop")
    if column.kind in ("list", "country"):
        return DataValidation(
            type="list",
            formula1=ranges[column.key if column.kind == "list" else "country"],
            error=layout.instructions["dropdown_error"][lang],
            **common,
        )
    if column.kind == "date":
        start = f"DATE({q.start.year},{q.start.month},{q.start.day})"
        end = f"DATE({q.end.year},{q.end.month},{q.end.day})"
        if section == "activities":  # a planned activity may be dated after the quarter
            return DataValidation(
                type="date",
                operator="greaterThanOrEqual",
                formula1=start,
                error=layout.instructions["date_error"][lang],
                **common,
            )
        return DataValidation(
            type="date",
            operator="between",
            formula1=start,
            formula2=end,
            error=layout.instructions["date_error"][lang],
            **common,
        )
    if column.kind == "integer":
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            error=layout.instructions["number_error"][lang],
            **common,
        )
    if column.kind == "text":
        return DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1=str(max_chars),
            error=layout.instructions["text_error"][lang].format(max=max_chars),
            **common,
        )
    return None


def workbook_bytes(wb: openpyxl.Workbook, *, deterministic: bool = False) -> bytes:
    """The workbook as .xlsx bytes; ``deterministic`` fixes the ZIP entry timestamps (the
    document dates are fixed by ``created``) and writes every XML part in canonical form
    (:func:`sources.xlsx_bytes.deterministic_xlsx`), so the same inputs give the same bytes with or without lxml."""
    buffer = io.BytesIO()
    wb.save(buffer)
    raw = buffer.getvalue()
    if not deterministic:
        return raw
    # openpyxl stamps "modified" with the save time: both dates become the workbook's "created"
    core = zipfile.ZipFile(io.BytesIO(raw)).read("docProps/core.xml").decode("utf-8")
    created = re.search(r"<dcterms:created[^>]*>([^<]*)<", core)
    if created is None:
        raise ValueError("the workbook has no creation date to fix its bytes to")
    return deterministic_xlsx(raw, created[1])


def default_filename(working_group: str, quarter: Quarter | str, lang: str) -> str:
    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    return f"clac-quarterly-report_{working_group}_{q}_{lang}.xlsx"


def write_template(path: Path, working_group: str, quarter: str | Quarter, lang: str = "es") -> Path:
    """Write the template to ``path`` (a file, or a folder: a default name is used)."""
    working_group, q = _check_args(working_group, quarter, lang)
    path = Path(path)
    if path.is_dir():
        path = path / default_filename(working_group, q, lang)
    if path.suffix.lower() != ".xlsx":
        raise TemplateError(f"{path.name}: the template is an Excel workbook; give a file name ending in .xlsx.")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = workbook_bytes(build_template(working_group, q, lang))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


# ----------------------------------------------------------------- filling (examples, tests)
def display_value(column: Column, value: object, lang: str) -> object:
    """What a person would see in a cell after picking ``value`` (a code) in the dropdown.
    Values that are not codes are returned as given (to write deliberately wrong cells)."""
    if value is None:
        return None
    if column.kind == "list":
        codelist = workbook_lists()[column.key]
        return codelist.display(str(value), lang) if str(value) in codelist.codes else value
    if column.kind == "country":
        for label, code in country_options(lang):
            if code == value:
                return label
    return value


def fill_workbook(
    wb: openpyxl.Workbook, rows: dict[str, list[dict[str, object]]], *, lang: str, submitted_on: dt.date | None = None
) -> openpyxl.Workbook:
    """Write rows (by section: activities, policies, legislative; values as codes) and the
    "submitted on" date into a template made by :func:`build_template` in ``lang``."""
    layout = load_layout()
    for key, items in rows.items():
        section = layout.sections[key]
        ws = wb[section.sheet.get(lang)]
        for i, item in enumerate(items):
            unknown = set(item) - {c.key for c in section.columns}
            if unknown:
                raise KeyError(f"{key}: no column {sorted(unknown)}")
            for j, column in enumerate(section.columns, start=1):
                ws.cell(row=FIRST_DATA_ROW + i, column=j, value=display_value(column, item.get(column.key), lang))
    if submitted_on is not None:
        cover = wb[layout.cover["sheet"][lang]]
        label = layout.cover["fields"]["submitted_on"][lang]
        for row in cover.iter_rows(min_row=1, max_row=20, max_col=2):
            if row[0].value == label:
                row[1].value = submitted_on
                row[1].number_format = "yyyy-mm-dd"
    return wb
