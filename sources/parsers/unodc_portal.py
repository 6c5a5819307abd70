"""Parser for tables downloaded from the UNODC Research Data Portal (dataUNODC).

GLOTIP (trafficking in persons) and the crime-trends survey (UN-CTS) come in the same
layout: one sheet, a row "UNODC", a row with the data date ("14/04/2025"), then the
header ``Iso3_code, Country, Region, Subregion, Indicator, Dimension, Category, Sex,
Age, Year, Unit of measurement, <value>, Source`` and one row per value. The value
column is ``txtVALUE`` (text) in GLOTIP and ``VALUE`` (number) in CTS.

What :func:`parse` returns
--------------------------
===================  ==========================================================
``MEASURE``          ``parser_options["measures"]["<Indicator>|<Unit>"]``; an
                     (indicator, unit) pair the catalogue does not map is a
                     ``PARSE_ERROR`` naming the pair (never dropped)
``AREA_RAW``         ``Iso3_code`` as written
``TIME_PERIOD_RAW``  ``Year`` (the file stores it as a number or as text)
``SEX``              Total ``_T``, Female ``F``, Male ``M``, Other ``_O``, Unknown ``_U``
``AGE``              Total ``_T``, "0 to 17 years" ``Y_LT18``, "18 years or over"
                     ``Y_GE18``, Unknown ``_U``
``DISAGGREGATION``   ``<dimension>=<Category>`` when ``Dimension`` is not "Total"
                     ("by form of exploitation" -> ``form_of_exploitation=Sexual exploitation``);
                     a blank Category there becomes :data:`NO_CATEGORY`, never the headline
``OBS_VALUE``        the number; for ``<5`` (UNODC's own small-count suppression)
                     none: ``OBS_TEXT='<5'``, ``CONF_STATUS='A'`` (never 0, 4 or 2.5)
``COMMENT_OBS``      "Source: <Source>" when the row's source is not the dataset's own
                     (CTS rows from "CTS/MoI", "NGO", ...)
``LOC_SHEET/ROW``    the sheet and the row number as Excel shows it
===================  ==========================================================

Area scope: with ``parser_options["area_scope"] == "LAC"`` only rows whose
``Iso3_code`` is one of the observatory's LAC areas (UN M49 Caribbean, Central
America, South America; :func:`sources.harmonise.areas.lac_country_codes`) become rows.
The others are *counted*, not read: ``facts["rows_in_file"] = rows_read +
facts["rows_outside_area_scope"]``, and ``facts["areas_outside_scope"]`` says how many
areas that is. Conservation (read = staged + quarantined) holds for the rows in scope.

Counts and rates side by side (CTS): ``parser_options["rate_pairs"]`` maps a count measure
to its rate measure; :mod:`sources.parsers.rate_consistency` checks that they agree
with population and lists the disagreements as warnings in ``facts["count_rate_check"]``.

Limits: the whole-file size limit of ingestion, :data:`MAX_ROWS` data rows and
:data:`MAX_SECONDS` of reading; past either the file is refused with a clear message.
The sheet is read with python-calamine (about ten times faster than openpyxl on the
58,769-row GLOTIP file) and only in-scope rows are kept in memory.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from sources.parsers.base import ParseResult, SourceFileError, disaggregation_key, empty_rows, make_rows

HEADER = [
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
]
VALUE_COLUMNS = ("txtVALUE", "VALUE")
MAX_ROWS = 500_000
MAX_SECONDS = 60.0
HEADER_SEARCH_ROWS = 10

SEX_CODES = {"total": "_T", "female": "F", "male": "M", "other": "_O", "unknown": "_U"}
AGE_CODES = {"total": "_T", "0 to 17 years": "Y_LT18", "18 years or over": "Y_GE18", "unknown": "_U"}
#: The publisher's small-count suppression: a count from 1 to 4 that may not be known.
WITHHELD_TEXTS = {"<5": "A"}
#: The category of a breakdown row whose Category cell is blank (never the headline "").
NO_CATEGORY = "(category not stated)"
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")


def open_workbook(path: Path) -> Any:
    """A workbook opened with python-calamine; a file that is not one is refused whole."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        if not book.sheet_names:
            raise ValueError("the workbook has no sheet")
        return book
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        raise SourceFileError(
            path,
            f"the file cannot be read as an Excel workbook ({type(exc).__name__}: {exc}).",
            hint="Download the workbook again from its publisher as .xlsx and do not edit it.",
            code="file_unreadable",
            params={"format": "xlsx"},
        ) from None


def open_sheet(path: Path) -> tuple[Any, str]:
    """The first sheet of a workbook, with its name."""
    book = open_workbook(path)
    name = book.sheet_names[0]
    return book.get_sheet_by_name(name), name


def dimension_key(dimension: str) -> str:
    """``by form of exploitation`` -> ``form_of_exploitation``."""
    text = re.sub(r"^by\s+", "", dimension.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def cell_text(value: Any) -> str:
    """A cell as text; whole floats (calamine's years, 2010.0) without the ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def read_value(raw: Any) -> tuple[float | None, str, str, str]:
    """(number, published text, CONF_STATUS, problem) for a value cell."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw), "", "F", ""
    text = cell_text(raw)
    if text in WITHHELD_TEXTS:
        return None, text, WITHHELD_TEXTS[text], ""
    if not text:
        return None, "", "F", "the value cell is blank"
    if _THOUSANDS.match(text):  # GLOTIP writes some large counts as "1,757"
        return float(text.replace(",", "")), "", "F", ""
    try:
        return float(text), "", "F", ""
    except ValueError:
        return None, "", "F", f"'{text}' is neither a number nor the portal's '<5'"


def flag_years_as_values(records: list[dict[str, Any]]) -> None:
    """Mark rows whose value is their own year, in a series where that happens in two years
    or more (GLOTIP: Dominican Republic, "Other forms of exploitation", sex Unknown, values
    "2,019", "2,020", "2,021", "2,022" in 2019-2022): the year was copied into the value
    column. One such year alone may be a real count (Mexico 2015: 2,015 victims) and is kept."""
    series: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        if record["OBS_VALUE"] is not None and record["VALUE_RAW"].replace(",", "") == record["TIME_PERIOD_RAW"]:
            key = (record["MEASURE"], record["AREA_RAW"], record["SEX"], record["AGE"], record["DISAGGREGATION"])
            series.setdefault(key, []).append(record)
    for hits in series.values():
        if len(hits) >= 2:
            for record in hits:
                problem = (
                    f"the value '{record['VALUE_RAW']}' is the row's year, as in {len(hits)} years of this "
                    "series: the year was copied into the value column; ask UNODC for the figure"
                )
                record["PARSE_ERROR"] = "; ".join(filter(None, [record["PARSE_ERROR"], problem]))


def find_header(path: Path, rows: list[list[Any]]) -> tuple[int, list[str], str]:
    """(index of the header row, header, value column name)."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [cell_text(c) for c in row]
        if cells[: len(HEADER)] == HEADER:
            value_col = next((c for c in cells if c in VALUE_COLUMNS), "")
            if not value_col:
                break
            return index, cells, value_col
    raise SourceFileError(
        path,
        "no data-portal header found: expected a row starting "
        f"'{', '.join(HEADER[:4])}, ...' with a 'txtVALUE' or 'VALUE' column within the first "
        f"{HEADER_SEARCH_ROWS} rows.",
        hint="Use the table exactly as downloaded from the UNODC data portal (the 'UNODC' and date rows above the header kept).",
        code="file_header_mismatch",
        params={"found": "", "detail": "data-portal header"},
    )


def parse(
    path: Path, *, measures: dict[str, str], area_scope: str = "", rate_pairs: dict[str, str] | None = None, **_: Any
) -> ParseResult:
    """Parse one data-portal table into observation rows (see the module docstring)."""
    path = Path(path)
    started = time.monotonic()
    sheet, sheet_name = open_sheet(path)
    head: list[list[Any]] = []
    iterator = iter(sheet.iter_rows())
    for row in iterator:
        head.append(list(row))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    header_index, header, value_col = find_header(path, head)
    col = {name: i for i, name in enumerate(header)}
    scope: set[str] | None = None
    if area_scope:
        if area_scope != "LAC":
            raise SourceFileError(
                path,
                f"unknown area scope '{area_scope}' in the catalogue.",
                hint="Use area_scope: LAC or leave it out.",
            )
        from sources.harmonise.areas import lac_country_codes

        scope = set(lac_country_codes())

    def rows_after_header():
        yield from head[header_index + 1 :]
        yield from iterator

    records: list[dict[str, Any]] = []
    outside = 0
    outside_areas: set[str] = set()
    in_file = 0
    withheld = 0
    blank_categories = 0
    date_cell = cell_text(head[1][0]) if header_index >= 2 else ""
    for offset, row in enumerate(rows_after_header()):
        row_number = header_index + 2 + offset  # Excel row numbers start at 1
        if not any(cell_text(c) for c in row):
            continue  # trailing empty rows that some exports carry
        in_file += 1
        if in_file > MAX_ROWS:
            raise SourceFileError(
                path,
                f"the table has more than {MAX_ROWS:,} data rows.",
                where=f"row {row_number}",
                hint="Download one indicator at a time from the portal.",
                code="file_too_many_rows",
                params={"limit": f"{MAX_ROWS:,}"},
            )
        if in_file % 5000 == 0 and time.monotonic() - started > MAX_SECONDS:
            raise SourceFileError(
                path,
                f"reading took more than {MAX_SECONDS:g} seconds (stopped at row {row_number}).",
                hint="Check that the file is the portal's table; split it by indicator if it is.",
            )
        cells = list(row) + [""] * (len(header) - len(row))
        iso3 = cell_text(cells[col["Iso3_code"]])
        if scope is not None and iso3 not in scope:
            outside += 1
            outside_areas.add(iso3)
            continue
        errors: list[str] = []
        indicator = cell_text(cells[col["Indicator"]])
        unit = cell_text(cells[col["Unit of measurement"]])
        measure = measures.get(f"{indicator}|{unit}", "")
        if not measure:
            errors.append(f"the catalogue maps no measure to indicator '{indicator}' with unit '{unit}'")
        sex_raw, age_raw = cell_text(cells[col["Sex"]]), cell_text(cells[col["Age"]])
        sex, age = SEX_CODES.get(sex_raw.lower()), AGE_CODES.get(age_raw.lower())
        if sex is None:
            errors.append(f"sex '{sex_raw}' is not one of {', '.join(s.title() for s in SEX_CODES)}")
        if age is None:
            errors.append(f"age '{age_raw}' is not one of the portal's age groups")
        dimension, category = cell_text(cells[col["Dimension"]]), cell_text(cells[col["Category"]])
        if dimension.lower() != "total" and not category:
            category = NO_CATEGORY  # GLOTIP leaves some "by citizenship" categories blank
            blank_categories += 1
        breakdown = {} if dimension.lower() == "total" else {dimension_key(dimension): category}
        raw_value = cells[col[value_col]]
        value, text, conf, problem = read_value(raw_value)
        if problem:
            errors.append(problem)
        withheld += conf != "F"
        source = cell_text(cells[col["Source"]]) if "Source" in col else ""
        default_source = "GLOTIP" if value_col == "txtVALUE" else "CTS"
        records.append(
            {
                "MEASURE": measure,
                "AREA_RAW": iso3,
                "TIME_PERIOD_RAW": cell_text(cells[col["Year"]]),
                "OBS_VALUE": value,
                "VALUE_RAW": cell_text(raw_value),
                "UNIT_MEASURE": "",
                "SEX": sex or "",
                "AGE": age or "",
                "DISAGGREGATION": disaggregation_key(breakdown),
                "LOC_SHEET": sheet_name,
                "LOC_ROW": row_number,
                "PARSE_ERROR": "; ".join(errors),
                "OBS_TEXT": text,
                "CONF_STATUS": conf,
                "COMMENT_OBS": f"Source: {source}" if source and source != default_source else "",
            }
        )
    if in_file == 0:
        raise SourceFileError(
            path, "the table has a header but no data rows.", hint="Download the table again.", code="file_header_only"
        )
    flag_years_as_values(records)
    rows = make_rows(records) if records else empty_rows()
    facts = {
        "file": path.name,
        "sheet": sheet_name,
        "data_date": date_cell,
        "value_column": value_col,
        "rows_in_file": in_file,
        "area_scope": area_scope or "(all)",
        "rows_outside_area_scope": outside,
        "areas_outside_scope": len(outside_areas),
        "rows_withheld_at_source": int(withheld),
        "rows_with_blank_category": blank_categories,
        "rows_with_errors": int((rows["PARSE_ERROR"] != "").sum()),
        "seconds": round(time.monotonic() - started, 2),
    }
    if rate_pairs:  # counts and rates side by side: a warning when they disagree with population
        from sources.parsers.rate_consistency import check_counts_against_rates

        facts["count_rate_check"] = check_counts_against_rates(rows, rate_pairs)
    return ParseResult(rows=rows, rows_read=len(records), facts=facts)
