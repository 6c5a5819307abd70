"""Parser for the observatory's generic observations template (XLSX or CSV).

Ministries, NGOs and hotlines that have no format of their own send one table with
one observation per row (see ``sources/templates/README.md``):

==================  ========  ==================================================
column              required  Spanish / Portuguese header names also accepted
==================  ========  ==================================================
``REF_AREA``        yes       PAIS, PAÍS, AREA, ÁREA, COUNTRY
``TIME_PERIOD``     yes       PERIODO, PERÍODO, AÑO, ANO, YEAR, PERIOD
``MEASURE``         yes       MEDIDA
``OBS_VALUE``       yes       VALOR, VALUE
``UNIT_MEASURE``    yes       UNIDAD, UNIDADE, UNIT
``SEX``             no        SEXO
``AGE``             no        EDAD, IDADE
``DISAGGREGATION``  no        DESAGREGACIÓN, DESAGREGAÇÃO
``OBS_STATUS``      no        ESTADO, SITUACIÓN, SITUAÇÃO, STATUS
``COMMENT``         no        COMENTARIO, COMENTÁRIO, NOTA, OBSERVACIONES ...
==================  ========  ==================================================

Header names are matched case-, accent-, space- and underscore-insensitively
(``Período`` = ``PERIODO`` = ``periodo``). Other columns are allowed and listed in
``facts["extra_columns"]``.

Reading the file
----------------
* XLSX: the first sheet named ``data``/``datos``/``dados`` (case-insensitive), else
  the first sheet. Cached values of formula cells are read (``data_only=True``);
  a formula with no cached value (the file was never recalculated and saved by a
  spreadsheet program) makes its row a ``PARSE_ERROR``. A password-protected
  workbook or an old ``.xls`` (both are OLE2 compound files, magic bytes
  ``D0 CF 11 E0 A1 B1 1A E1``) and a damaged workbook raise
  :class:`SourceFileError`.
* Limits (:mod:`sources.parsers.limits`, ``limits.yaml``): an XLSX's ZIP directory is
  checked before anything is unpacked (unpacked sizes, macros refused; hidden sheets and
  external links go to ``facts["hidden_sheets"]``/``facts["external_links"]``); the sheet
  is streamed (openpyxl read-only mode, its stated dimension ignored), blank rows are not
  kept, and non-blank cells right of the table are listed in ``facts["outside_cells"]``,
  not read. Rows, cells, cells per row and characters per cell are bounded for both
  formats. A CSV quote that swallows whole records into one cell refuses the file.
* CSV: delimiter comma, semicolon or tab (the one that yields the header);
  encoding UTF-8 with or without BOM, else Windows-1252, else Latin-1 (UTF-16 with
  a BOM is also read); ``facts["encoding"]`` and ``facts["delimiter"]`` say which.
* The header is the first row, within the first 20, that has all five required
  columns; title rows above it are skipped. ``LOC_ROW`` is the row number a person
  sees (the spreadsheet row, or the CSV record number counting from 1);
  ``LOC_SHEET`` the sheet name (XLSX).
* Blank rows are skipped and counted in ``facts["blank_rows"]``; every other row
  below the header is returned, with ``PARSE_ERROR`` when it cannot be read.
* Text is kept as written: a cell starting with ``=``, ``+``, ``-`` or ``@`` is
  plain text here (``VALUE_RAW``, comments); whoever writes outputs must escape it
  against formula injection.
* ``COMMENT`` has no column in the parsed rows: comments are returned in
  ``facts["comments"]`` as ``{"row": LOC_ROW, "comment": text}``.

Numbers (``OBS_VALUE`` written as text; numeric spreadsheet cells are taken as is)
-------------------------------------------------------------------------------
Accepted: ``1234``, ``1234.5``, ``1234,5``, ``1.234,5``, ``1,234.5``, ``1 234``,
``-5``, ``12,5 %`` (a trailing ``%`` is dropped). A value is *unambiguous* and also
tells the file's decimal convention when it has

* both separators (the last one is the decimal separator: ``1.234,5``),
* one separator followed by 1, 2 or 4+ digits (``12,5``, ``0.25``, ``3,1416``),
* one separator with exactly 3 digits after it but a leading ``0`` or more than 3
  digits before it (``0,125``, ``1234.567``): it cannot be a thousands separator,
* the same separator twice or more (``1.234.567``): a thousands separator, so the
  decimal separator is the other one.

A lone ``1.234`` or ``1,234`` (1-3 digits, one separator, three digits) is
*ambiguous*. It is read with the file's convention: the one shown by its
unambiguous values if they all agree; else, for a semicolon-delimited CSV with no
such values, the decimal comma (the convention of the locales that use ``;``). If
the convention is unknown (no evidence, or decimal commas and decimal points both
occur), the row gets ``PARSE_ERROR`` "ambiguous number '1.234': thousands separator
or decimal point? ...". ``facts["decimal_separator"]`` (``","``, ``"."`` or None)
and ``facts["decimal_rule"]`` (``cells``, ``delimiter``, ``unknown``, ``mixed``) say
what was decided.

Codes
-----
``MEASURE`` and ``UNIT_MEASURE`` are upper-cased (common unit words in the three
languages are mapped: número/number -> NUMBER, porcentaje/porcentagem/% -> PERCENT,
días/dias/days -> DAYS). ``SEX``: ``_T``/``F``/``M`` or words (Total, Ambos sexos,
Mujer, Mulher, Female, Hombre, Homem, Male ...); blank = ``_T`` when the column
exists. ``AGE``: SDMX-style codes (``_T``, ``Y_LT18``, ``Y18T29``, ``Y_GE18``) or
bands ``0-17``, ``18+``, ``menores de 18``; blank = ``_T``. ``DISAGGREGATION``:
``Key=Value|Key=Value``. ``OBS_STATUS``: ``A``/``E``/``P`` (SDMX) or words
(normal, estimado, provisional/provisório ...). An unknown code is a row error.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sources.parsers import csv_columns
from sources.parsers.base import PARSED_COLUMNS, ParseResult, SourceFileError, disaggregation_key
from sources.parsers.limits import check_cells, check_xlsx_package, gc_paused, load_limits, read_records

REQUIRED_COLUMNS: list[str] = ["REF_AREA", "TIME_PERIOD", "MEASURE", "OBS_VALUE", "UNIT_MEASURE"]
OPTIONAL_COLUMNS: list[str] = ["SEX", "AGE", "DISAGGREGATION", "OBS_STATUS", "COMMENT"]
TEMPLATE_COLUMNS: list[str] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Accepted header names per column (compared after :func:`header_key`).
HEADER_ALIASES: dict[str, list[str]] = {
    "REF_AREA": ["REF_AREA", "PAÍS", "PAIS", "ÁREA", "AREA", "COUNTRY", "REF AREA"],
    "TIME_PERIOD": ["TIME_PERIOD", "PERÍODO", "PERIODO", "PERIOD", "AÑO", "ANO", "YEAR"],
    "MEASURE": ["MEASURE", "MEDIDA"],
    "OBS_VALUE": ["OBS_VALUE", "VALOR", "VALUE"],
    "UNIT_MEASURE": ["UNIT_MEASURE", "UNIDAD", "UNIDADE", "UNIT", "UNIDAD DE MEDIDA", "UNIDADE DE MEDIDA"],
    "SEX": ["SEX", "SEXO"],
    "AGE": ["AGE", "EDAD", "IDADE"],
    "DISAGGREGATION": ["DISAGGREGATION", "DESAGREGACIÓN", "DESAGREGACION", "DESAGREGAÇÃO", "DESAGREGACAO"],
    "OBS_STATUS": ["OBS_STATUS", "ESTADO", "SITUACIÓN", "SITUACION", "SITUAÇÃO", "SITUACAO", "STATUS"],
    "COMMENT": [
        "COMMENT",
        "COMMENTS",
        "COMENTARIO",
        "COMENTÁRIO",
        "COMENTARIOS",
        "COMENTÁRIOS",
        "NOTA",
        "NOTAS",
        "NOTE",
        "NOTES",
        "OBSERVACIONES",
        "OBSERVAÇÕES",
    ],
}

EXPECTED_HEADER_TEXT = (
    "REF_AREA, TIME_PERIOD, MEASURE, OBS_VALUE, UNIT_MEASURE (required) and optionally SEX, AGE, "
    "DISAGGREGATION, OBS_STATUS, COMMENT; Spanish/Portuguese names such as PAÍS, PERÍODO, MEDIDA, "
    "VALOR, UNIDAD/UNIDADE are accepted"
)
TEMPLATE_HINT = (
    "Use the observatory's template (sources/templates/generic-observations-template.xlsx or .csv): "
    "one header row with " + EXPECTED_HEADER_TEXT + "."
)

DATA_SHEET_NAMES = {"data", "datos", "dados"}
HEADER_SEARCH_ROWS = 20
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}

UNIT_WORDS: dict[str, str] = {
    "number": "NUMBER",
    "numero": "NUMBER",
    "numeros": "NUMBER",
    "count": "NUMBER",
    "cantidad": "NUMBER",
    "quantidade": "NUMBER",
    "percent": "PERCENT",
    "percentage": "PERCENT",
    "porcentaje": "PERCENT",
    "porcentagem": "PERCENT",
    "%": "PERCENT",
    "days": "DAYS",
    "dias": "DAYS",
}
SEX_WORDS: dict[str, str] = {
    "_t": "_T",
    "t": "_T",
    "total": "_T",
    "ambos sexos": "_T",
    "ambos": "_T",
    "both sexes": "_T",
    "f": "F",
    "female": "F",
    "mujer": "F",
    "mujeres": "F",
    "femenino": "F",
    "femenina": "F",
    "feminino": "F",
    "mulher": "F",
    "mulheres": "F",
    "m": "M",
    "male": "M",
    "hombre": "M",
    "hombres": "M",
    "masculino": "M",
    "homem": "M",
    "homens": "M",
    "_u": "_U",
    "unknown": "_U",
    "desconocido": "_U",
    "desconhecido": "_U",
    "_x": "_X",
    "no especificado": "_X",
    "nao especificado": "_X",
    "not specified": "_X",
}
STATUS_WORDS: dict[str, str] = {
    "normal": "A",
    "normal value": "A",
    "valor normal": "A",
    "estimado": "E",
    "estimada": "E",
    "estimated": "E",
    "estimativa": "E",
    "estimate": "E",
    "provisional": "P",
    "provisorio": "P",
    "provisoria": "P",
    "preliminar": "P",
    "preliminary": "P",
}
SDMX_OBS_STATUS = {"A", "B", "D", "E", "F", "G", "I", "K", "L", "M", "N", "O", "P", "Q", "S", "U", "V"}
EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}

_AGE_CODE = re.compile(r"^(_T|_U|_X|Y\d+T\d+|Y_LT\d+|Y_LE\d+|Y_GE\d+|M\d+T\d+|M_LT\d+)$")
# Patterns apply to the text after _word_key (accents removed, lower-case).
_AGE_BAND = re.compile(r"^(\d+)\s*(?:-|–|a|to|ate|hasta)\s*(\d+)(?:\s*(?:anos|years|y))?$")
_AGE_PLUS = re.compile(r"^(\d+)\s*(?:\+|(?:anos|years)?\s*(?:y mas|e mais|or more|and over|and older|o mas|ou mais))$")
_AGE_UNDER = re.compile(r"^(?:menores de|menor de|menos de|under|less than|<)\s*(\d+)(?:\s*(?:anos|years))?$")


def header_key(text: object) -> str:
    """Normalised header name: accents removed, case-folded, spaces/_/- unified."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[\s_\-]+", "_", s.strip().casefold())
    return s.strip("_")


_ALIAS_INDEX: dict[str, str] = {header_key(alias): col for col, aliases in HEADER_ALIASES.items() for alias in aliases}


def _word_key(text: str) -> str:
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", s.strip().casefold())


def _as_text(value: Any) -> str:
    if type(value) is str:  # every CSV cell: the common case first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _column_letter(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class _Grid:
    """The rows a reader took from a file.

    ``rows[i]`` holds the cell values of the row a person sees as row ``numbers[i]``: text for
    CSV, the cached values for XLSX, None where the row has no cell. ``formulas[i]`` maps the
    columns of row ``i`` that hold a formula with no cached value (XLSX) to its text. ``typed``:
    the values have types (XLSX), so that ``True``, ``1`` and ``1.0`` are different cells.
    """

    numbers: np.ndarray
    rows: list[list[Any]]
    formulas: dict[int, dict[int, str]] = field(default_factory=dict)
    typed: bool = False
    #: A plain CSV read by columns (:mod:`sources.parsers.csv_columns`): ``rows`` ends with the
    #: header and the records after it are these arrays, one per column, numbered on from it.
    body_columns: list[Any] | None = None

    def blank(self, i: int, stop: int | None = None, start: int = 0) -> bool:
        """Whether row ``i`` holds no text and no formula in its columns ``start:stop``."""
        end = len(self.rows[i]) if stop is None else stop
        return all(_as_text(v) == "" for v in self.rows[i][start:end]) and not any(
            start <= col < end for col in self.formulas.get(i, ())
        )


# --------------------------------------------------------------------------- numbers

_SPACE_GROUPED = re.compile(r"^\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _number_shape(text: str) -> tuple[str, Any, str | None]:
    """Classify a number written as text.

    Returns ``(kind, payload, decimal_evidence)``: kind ``"ok"`` with the float,
    ``"ambiguous"`` with ``(sep, int_part, frac_part, sign)``, or ``"bad"``;
    ``decimal_evidence`` is ``"."``/``","`` when the text shows the decimal separator.
    """
    s = text.strip()
    if s.endswith("%"):
        s = s[:-1].rstrip()
    sign = ""
    if s and s[0] in "+-":
        sign, s = s[0], s[1:].lstrip()
    if _SPACE_GROUPED.match(s):
        s = re.sub(r"[ \u00a0\u202f]", "", s)
    if not s or not re.fullmatch(r"[\d.,]+", s) or not re.search(r"\d", s):
        return "bad", None, None
    neg = -1.0 if sign == "-" else 1.0
    has_dot, has_comma = "." in s, "," in s
    if not has_dot and not has_comma:
        return "ok", neg * float(s), None
    if has_dot and has_comma:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        int_part, frac = s.rsplit(dec, 1)
        if not frac.isdigit() or not re.fullmatch(r"\d{1,3}(?:" + re.escape(thou) + r"\d{3})*", int_part):
            return "bad", None, None
        return "ok", neg * float(int_part.replace(thou, "") + "." + frac), dec
    sep = "." if has_dot else ","
    other = "," if sep == "." else "."
    if s.count(sep) >= 2:
        if re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+", s):
            return "ok", neg * float(s.replace(sep, "")), other
        return "bad", None, None
    int_part, frac = s.split(sep)
    if not frac:
        return "bad", None, None
    if int_part == "" or len(frac) != 3 or int_part.startswith("0") or len(int_part) > 3:
        return "ok", neg * float((int_part or "0") + "." + frac), sep
    return "ambiguous", (sep, int_part, frac, neg), None


def _read_number(text: str, convention: str | None, mixed_note: str) -> tuple[float | None, str]:
    kind, payload, _ = _number_shape(text)
    if kind == "ok":
        return payload, ""
    if kind == "ambiguous":
        sep, int_part, frac, neg = payload
        if convention == sep:
            return neg * float(f"{int_part}.{frac}"), ""
        if convention is not None:
            return neg * float(int_part + frac), ""
        name = "decimal point" if sep == "." else "decimal comma"
        return None, (
            f"ambiguous number '{text}': thousands separator or {name}? {mixed_note} "
            f"Write it without a thousands separator (e.g. {int_part}{frac}) or with a number of decimals "
            f"other than three (e.g. {int_part}{sep}{frac}0)."
        )
    if text.strip().upper() in EXCEL_ERRORS:
        return None, f"the cell shows the spreadsheet error {text.strip()}, not a number; fix the formula."
    return None, (
        f"'{text}' is not a number. Write the figure with digits only (e.g. 1234 or 12,5); "
        "leave out rows that have no figure."
    )


# --------------------------------------------------------------------------- reading


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise SourceFileError(
            path,
            "the file is not a text CSV file (it contains binary data).",
            hint="Save the table as CSV (UTF-8) or as an Excel .xlsx workbook.",
            code="file_not_text",
        )
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _find_header(grid: _Grid) -> tuple[int | None, dict[str, int], tuple[int, int, dict]]:
    """(index in the grid of the header, canonical -> column index, best partial match)."""
    best: tuple[int, int, dict] = (-1, 0, {})
    for pos, (row_number, values) in enumerate(zip(grid.numbers, grid.rows)):
        if row_number > HEADER_SEARCH_ROWS:
            break
        found: dict[str, int] = {}
        for col, value in enumerate(values):
            if value is None:
                continue
            canonical = _ALIAS_INDEX.get(header_key(_as_text(value)))
            if canonical and canonical not in found:
                found[canonical] = col
        if all(c in found for c in REQUIRED_COLUMNS):
            return pos, found, best
        if len(found) > best[1]:
            best = (pos, len(found), found)
    return None, {}, best


def _csv_grid(records: list[list[str]]) -> _Grid:
    return _Grid(np.arange(1, len(records) + 1), records)  # LOC_ROW: the record number


def _grid_from_csv(path: Path, data: bytes, facts: dict[str, Any]) -> _Grid:
    text, encoding = _decode(path, data)
    facts["encoding"] = encoding
    if not text.strip():
        raise SourceFileError(
            path, "the file is empty (no header row, no data).", hint=TEMPLATE_HINT, code="file_empty"
        )
    limits = load_limits()["rows"]
    best_delim, best_score = ",", -1
    for delim in (";", ",", "\t"):  # the delimiter that yields the header, from the first records only
        head = read_records(path, text, delimiter=delim, limit=HEADER_SEARCH_ROWS)
        pos, found, partial = _find_header(_csv_grid(head))
        score = 100 if pos is not None else partial[1]
        if score > best_score:
            best_delim, best_score = delim, score
    facts["delimiter"] = best_delim
    if COLUMNAR_CSV and csv_columns.plain(text):
        grid = _columnar_csv_grid(path, text, best_delim, limits)
        if grid is not None:
            return grid
    records = read_records(path, text, delimiter=best_delim, limit=limits["max_rows"] + HEADER_SEARCH_ROWS + 1)
    check_cells(path, rows=len(records) - HEADER_SEARCH_ROWS)
    grid = _csv_grid(records)
    pos, _, _ = _find_header(grid)
    if pos is not None:
        # A cell holds a line break only when its record spans several lines of the text, or
        # when it is the last record, its quote still open at the end: count the lines first.
        lines = text.count("\n") + text.count("\r") - text.count("\r\n") + (not text.endswith(("\n", "\r")))
        first = pos + 1 if len(records) < lines else max(pos + 1, len(records) - 1)
        _refuse_swallowed_lines(path, grid, first, best_delim, records[pos])
    return grid


#: Read plain CSV files by columns (:mod:`sources.parsers.csv_columns`); the records are the
#: same either way (tests/test_parser_generic.py reads every bundled CSV both ways).
COLUMNAR_CSV = True


def _columnar_csv_grid(path: Path, text: str, delim: str, limits: dict[str, Any]) -> _Grid | None:
    """The grid of a plain CSV (no quoting: a record is a line), its records after the header
    read by columns; None when it has no header in its first records, no record after the
    header, records of different widths or reaches a limit (then it is read record by record,
    which says where)."""
    head = read_records(path, text, delimiter=delim, limit=HEADER_SEARCH_ROWS)
    pos, _, _ = _find_header(_csv_grid(head))
    start = None if pos is None else csv_columns.line_start(text, pos + 1)
    if start is None:
        return None
    columns = csv_columns.read_columns(
        text[start:],
        delim,
        limits,
        max_records=limits["max_rows"] + HEADER_SEARCH_ROWS - (pos + 1),
        cells_before=sum(map(len, head[: pos + 1])),
    )
    if columns is None:
        return None
    return _Grid(np.arange(1, pos + 2), head[: pos + 1], body_columns=columns)


def _refuse_swallowed_lines(path: Path, grid: _Grid, first: int, delim: str, header: list[str]) -> None:
    """A quote opened in a cell and closed lines later swallows whole records into that cell.

    A cell may hold a line break (Alt+Enter in a spreadsheet), but not a line that is itself a
    record of the table (as many delimiters as the header): then the file is refused, never
    read short. Rows ``first`` on are looked at.
    """
    width = len(header)
    for i in range(first, len(grid.rows)):
        for col, value in enumerate(grid.rows[i]):
            value = value or ""
            if "\n" not in value and "\r" not in value:
                continue
            lines = value.splitlines()[1:]
            swallowed = [line for line in lines if line.count(delim) >= max(width - 1, 1)]
            if swallowed:
                name = _as_text(header[col]) if col < len(header) else _column_letter(col)
                raise SourceFileError(
                    path,
                    f'a quote (") opens in column {name} and is not closed on that line, so the next '
                    f"{len(lines)} line(s) of the file, {len(swallowed)} of them rows of the table, were "
                    "read into that one cell; the file is not read, so that no row is lost.",
                    where=f"row {grid.numbers[i]}",
                    hint='Close the quote in that cell (write "" for a quote inside a quoted cell), '
                    "or remove it, and save the file again.",
                    code="file_unterminated_quote",
                    params={"column": name, "lines": len(lines), "rows": len(swallowed)},
                )


def _ole2_error(path: Path, data: bytes) -> SourceFileError:
    code = "file_encrypted_or_xls"
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        problem = "the workbook is password-protected (encrypted), so it cannot be read."
        code = "file_encrypted"
    else:
        problem = (
            "the file is an OLE2 compound file: a password-protected (encrypted) workbook or an old "
            "Excel 97-2003 .xls file. Neither can be read."
        )
    return SourceFileError(
        path,
        problem,
        hint="Open it in Excel or LibreOffice, remove the password if it has one, and save it as an "
        ".xlsx workbook (or as CSV) without protection.",
        code=code,
    )


def _grid_from_xlsx(path: Path, facts: dict[str, Any]) -> tuple[_Grid, str]:
    """The chosen sheet's non-blank rows, read in openpyxl's streaming (read-only) mode.

    The package is checked first (:func:`~sources.parsers.limits.check_xlsx_package`). The
    sheet's stated dimension is ignored (a stray formatted cell at XFD1048576 would make it
    a billion cells): only the rows and cells the sheet's XML holds are read, blank rows are
    not kept, and cells beyond ``max_columns`` are noted in ``facts["outside_cells"]``.
    """
    import openpyxl  # local import: CSV-only users need not pay for it

    package = check_xlsx_package(path)
    facts["hidden_sheets"] = package.hidden_sheets
    facts["external_links"] = package.external_links
    damaged_hint = (
        "Open it in Excel or LibreOffice and save it again as an .xlsx workbook; "
        "if it does not open, ask the sender for a new copy."
    )
    try:
        wb_values = openpyxl.load_workbook(path, data_only=True, read_only=True)
        wb_formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except zipfile.BadZipFile:
        raise SourceFileError(
            path, "the workbook is damaged (its ZIP package cannot be read).", hint=damaged_hint, code="file_corrupt"
        ) from None
    except Exception as exc:  # openpyxl raises many kinds of errors on broken packages
        raise SourceFileError(
            path,
            f"the workbook is damaged or is not an Excel .xlsx file ({type(exc).__name__}: {exc}).",
            hint=damaged_hint,
            code="file_corrupt",
        ) from None
    try:
        sheets = wb_values.worksheets
        if not sheets:
            raise SourceFileError(path, "the workbook has no worksheet.", hint=TEMPLATE_HINT, code="file_no_sheet")
        chosen = next((ws for ws in sheets if ws.title.strip().casefold() in DATA_SHEET_NAMES), sheets[0])
        facts["sheet"] = chosen.title
        facts["sheets"] = [ws.title for ws in sheets]
        ws_f = wb_formulas[chosen.title]
        for ws in (chosen, ws_f):
            ws.reset_dimensions()  # read what the XML holds, not the stated dimension
        return _sheet_grid(path, chosen.iter_rows(), ws_f.iter_rows(), facts), chosen.title
    except SourceFileError:
        raise
    except Exception as exc:
        raise SourceFileError(
            path,
            f"the workbook is damaged or is not an Excel .xlsx file ({type(exc).__name__}: {exc}).",
            hint=damaged_hint,
            code="file_corrupt",
        ) from None
    finally:
        wb_values.close()
        wb_formulas.close()


def _sheet_grid(path: Path, rows_v, rows_f, facts: dict[str, Any]) -> _Grid:
    limits = load_limits()["rows"]
    max_columns, max_chars = limits["max_columns"], limits["max_cell_characters"]
    numbers: list[int] = []
    rows: list[list[Any]] = []
    formulas: dict[int, dict[int, str]] = {}
    outside: list[str] = []
    blank_runs: list[tuple[int, int]] = []  # (the non-blank row after a run of blank rows, its length)
    pending_blank = total_cells = 0
    for row_number, (row_v, row_f) in enumerate(zip(rows_v, rows_f), start=1):
        values: list[Any] = []
        for index, (cv, cf) in enumerate(zip(row_v, row_f)):
            value = cv.value
            formula = None
            if value is None and cf.data_type == "f":
                formula = str(getattr(cf.value, "text", None) or cf.value)
                if not formula.startswith("="):
                    formula = "=" + formula
            if value is None and formula is None:
                continue
            if index >= max_columns:
                outside.append(f"{_column_letter(index)}{row_number}")
                continue
            if isinstance(value, str) and len(value) > max_chars:
                check_cells(
                    path,
                    longest=len(value),
                    where=f"sheet '{facts['sheet']}', row {row_number}",
                    cell=f"{_column_letter(index)}{row_number}",
                )
            values.extend([None] * (index - len(values)))
            values.append(value)
            if formula is not None:
                formulas.setdefault(len(rows), {})[index] = formula
        if not values:
            pending_blank += 1
            continue
        if pending_blank and rows:
            blank_runs.append((row_number, pending_blank))
        pending_blank = 0
        numbers.append(row_number)
        rows.append(values)
        total_cells += len(values)
        check_cells(path, rows=len(rows) - HEADER_SEARCH_ROWS, cells=total_cells, where=f"sheet '{facts['sheet']}'")
    facts["blank_runs"] = blank_runs
    facts["outside_cells"] = outside
    return _Grid(np.array(numbers, dtype=np.int64), rows, formulas, typed=True)


# --------------------------------------------------------------------------- codes


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _unit(text: str) -> str:
    key = _word_key(text)
    return UNIT_WORDS.get(key, re.sub(r"\s+", "_", text.strip()).upper())


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _sex(text: str) -> tuple[str, str]:
    if not text:
        return "_T", ""
    code = SEX_WORDS.get(_word_key(text))
    if code:
        return code, ""
    return "", (
        f"SEX '{text}' is not understood. Write _T (total), F (female) or M (male), or Total/Mujer/Mulher/Hombre/Homem."
    )


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _age(text: str) -> tuple[str, str]:
    if not text:
        return "_T", ""
    upper = text.strip().upper()
    if _AGE_CODE.match(upper):
        return upper, ""
    key = _word_key(text)
    if key in ("total", "todas", "todos", "todas las edades", "todas as idades", "all ages", "all"):
        return "_T", ""
    for pattern, build in (
        (_AGE_BAND, lambda a, b: f"Y{int(a)}T{int(b)}"),
        (_AGE_PLUS, lambda a: f"Y_GE{int(a)}"),
        (_AGE_UNDER, lambda a: f"Y_LT{int(a)}"),
    ):
        match = pattern.match(key)
        if match:
            return build(*match.groups()), ""
    return "", (
        f"AGE '{text}' is not understood. Write an age band such as 0-17, 18-29 or 18+, "
        "or a code such as Y_LT18 or _T (all ages)."
    )


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _disaggregation(text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    pairs: dict[str, str] = {}
    for part in text.split("|"):
        if "=" not in part:
            break
        key, _, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not key or not value or key in pairs:
            break
        pairs[key] = value
    else:
        return disaggregation_key(pairs), ""
    return "", (
        f"DISAGGREGATION '{text}' must be written Key=Value, several joined by | "
        "(e.g. Tipo=Explotación sexual|Región=Norte), each key once."
    )


@lru_cache(maxsize=65536)  # pure: a file repeats the same few codes on every row
def _status(text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    if text.strip().upper() in SDMX_OBS_STATUS:
        return text.strip().upper(), ""
    code = STATUS_WORDS.get(_word_key(text))
    if code:
        return code, ""
    return "", (
        f"OBS_STATUS '{text}' is not understood. Write A (normal), E (estimated) or P (provisional), or leave it blank."
    )


# --------------------------------------------------------------------------- columns


def _distinct(values: np.ndarray, typed: bool) -> tuple[list[Any], np.ndarray]:
    """The distinct values of a column, in order of first appearance, and each row's index
    among them; a missing cell (None) is the last distinct value when it occurs (CSV: index -1).
    ``typed`` (XLSX): values of different types stay apart, so True, 1 and 1.0 are three values."""
    if not typed:
        codes, uniques = pd.factorize(values)
        return [*uniques, None], codes
    index: dict[Any, int] = {}
    uniques: list[Any] = []
    codes = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = value if value is None or type(value) is str else (type(value), repr(value))
        code = index.get(key)
        if code is None:
            code = index[key] = len(uniques)
            uniques.append(value)
        codes[i] = code
    return uniques, codes


@dataclass
class _Column:
    """One template column of the data rows, read once per distinct value."""

    uniques: list[Any]
    codes: np.ndarray
    formulas: np.ndarray  # per row, the formula with no cached value of its cell (XLSX), else None

    @cached_property
    def formula(self) -> np.ndarray:
        """The rows whose cell is a formula with no cached value."""
        return pd.notna(self.formulas)

    def each(self, fn) -> list[Any]:
        return [fn(value) for value in self.uniques]

    def rows(self, per_value: list[Any], dtype: Any = object) -> np.ndarray:
        """Per row, the item of ``per_value`` (one per distinct value) for its cell."""
        out = np.empty(len(per_value), dtype=dtype)
        out[:] = per_value
        return out[self.codes]

    def texts(self) -> np.ndarray:
        return self.rows(self.each(_as_text))

    def select(self, keep: np.ndarray) -> _Column:
        return _Column(self.uniques, self.codes[keep], self.formulas[keep])


def _columns(grid: _Grid, body: range, columns: dict[str, int]) -> dict[str, _Column]:
    """The template columns of the rows ``body`` of the grid."""
    table = pd.DataFrame(grid.rows[body.start : body.stop], dtype=object)
    out = {}
    for canonical, col in columns.items():
        if col < table.shape[1]:
            values = table[col].to_numpy()
        else:
            values = np.full(len(body), None, dtype=object)
        formulas = np.full(len(body), None, dtype=object)
        for i, cells in grid.formulas.items():
            if col in cells and i in body:
                formulas[i - body.start] = cells[col]
        out[canonical] = _Column(*_distinct(values, grid.typed), formulas)
    return out


def _body_of_rows(
    grid: _Grid, pos: int, width: int, columns: dict[str, int], outside: list[str]
) -> tuple[np.ndarray, dict[str, _Column], int]:
    """The data rows below the header at ``pos``: (their row numbers, their template
    ``columns``, how many blank rows were left out); the non-blank cells right of the table's
    ``width`` are added to ``outside``."""
    body = range(pos + 1, len(grid.rows))
    for i in [i for i in body if len(grid.rows[i]) > width]:
        n = grid.numbers[i]
        outside.extend(
            f"{_column_letter(c)}{n}" for c in range(width, len(grid.rows[i])) if not grid.blank(i, c + 1, c)
        )
    # A row is blank when its template columns are (few are) and then its other columns too.
    cols = _columns(grid, body, columns)
    empty = np.ones(len(body), dtype=bool)
    for column in cols.values():
        empty &= (column.texts() == "") & ~column.formula
    keep = np.ones(len(body), dtype=bool)
    keep[[j for j in np.flatnonzero(empty) if grid.blank(body[j], width)]] = False
    if not keep.all():
        cols = {canonical: column.select(keep) for canonical, column in cols.items()}
    return grid.numbers[body.start : body.stop][keep], cols, len(body) - int(keep.sum())


def _body_of_columns(
    grid: _Grid, pos: int, width: int, columns: dict[str, int], outside: list[str]
) -> tuple[np.ndarray, dict[str, _Column], int]:
    """What :func:`_body_of_rows` gives, for a plain CSV whose records after the header were
    read by columns (``grid.body_columns``): each column is looked at once per distinct cell."""
    arrays = grid.body_columns
    n = len(arrays[0])
    numbers = np.arange(pos + 2, pos + 2 + n)
    distinct = [csv_columns.distinct(a) for a in arrays]

    def blank_cells(c: int) -> np.ndarray:
        uniques, codes = distinct[c]
        return np.array([_as_text(u) == "" for u in uniques], dtype=bool)[codes]

    right = [(np.flatnonzero(~blank_cells(c)), c) for c in range(width, len(arrays))]
    if right:
        at = np.concatenate([r for r, _ in right])
        col = np.concatenate([np.full(len(r), c) for r, c in right])
        order = np.lexsort((col, at))  # row by row, left to right
        outside.extend(f"{_column_letter(int(c))}{numbers[r]}" for r, c in zip(at[order], col[order]))
    blank = np.ones(n, dtype=bool)
    for c in range(min(width, len(arrays))):
        blank &= blank_cells(c)
    keep = ~blank
    no_formulas = np.full(n, None, dtype=object)
    cols = {}
    for canonical, c in columns.items():
        if c < len(arrays):
            uniques, codes = distinct[c]
            column = _Column([*uniques, None], codes, no_formulas)
        else:
            column = _Column([None], np.full(n, -1), no_formulas)
        cols[canonical] = column.select(keep) if blank.any() else column
    return numbers[keep], cols, int(blank.sum())


def _value_of(raw: Any, convention: str | None, mixed_note: str) -> tuple[float | None, str]:
    """OBS_VALUE of a cell that is not a formula: the number, or why there is none."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "OBS_VALUE is blank"
    if isinstance(raw, bool):
        return None, f"OBS_VALUE {_as_text(raw)} is a true/false cell, not a number"
    if isinstance(raw, (int, float)):
        value = float(raw)
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"OBS_VALUE {raw} is not a finite number"
        return value, ""
    if isinstance(raw, (dt.datetime, dt.date, dt.time)):
        return None, f"OBS_VALUE is a date ({_as_text(raw)}), not a number: format the cell as a number"
    return _read_number(str(raw), convention, mixed_note)


def _decimal_convention(value: _Column, numbers: np.ndarray, delimiter: str | None) -> tuple[str | None, str, str]:
    """(convention, rule, note for ambiguous numbers) from the unambiguous text values of OBS_VALUE."""
    shown = value.rows([_number_shape(v)[2] or "" if isinstance(v, str) else "" for v in value.uniques])
    evidence: dict[str, int] = {}  # separator -> the first row that shows it
    for dec in (",", "."):
        rows = np.flatnonzero((shown == dec) & ~value.formula)
        if len(rows):
            evidence[dec] = int(numbers[rows[0]])
    if len(evidence) == 1:
        convention, rule = next(iter(evidence)), "cells"
    elif len(evidence) == 2:
        convention, rule = None, "mixed"
    elif delimiter == ";":
        convention, rule = ",", "delimiter"
    else:
        convention, rule = None, "unknown"
    if rule == "mixed":
        mixed_note = (
            f"The file uses both decimal commas (e.g. row {evidence[',']}) and decimal points "
            f"(e.g. row {evidence['.']}), so its convention is unknown."
        )
    else:
        mixed_note = "Nothing else in the file shows whether it uses a decimal point or a decimal comma."
    return convention, rule, mixed_note


def _rows_frame(n: int, columns: dict[str, Any]) -> pd.DataFrame:
    """What :func:`make_rows` builds, from whole columns: the same columns, dtypes and neutral
    values (OBS_STATUS A, CONF_STATUS F, "" for the other text, <NA> locations)."""
    missing = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    neutral = {"OBS_STATUS": "A", "CONF_STATUS": "F", "LOC_PAGE": missing, "LOC_LINE": missing.copy()}
    frame = {col: columns.get(col, neutral.get(col, "")) for col in PARSED_COLUMNS}
    # copy=False: the columns are new arrays; it also keeps them apart, instead of copying the
    # text columns into one block (a second of a million-row file)
    return pd.DataFrame(frame, index=pd.RangeIndex(n), copy=False)


def _read_rows(
    cols: dict[str, _Column], columns: dict[str, int], numbers: np.ndarray, sheet: str, facts: dict[str, Any]
) -> pd.DataFrame:
    """The parsed rows of the data rows (their columns ``cols``, row numbers ``numbers``)."""
    n = len(numbers)
    convention, rule, mixed_note = _decimal_convention(cols["OBS_VALUE"], numbers, facts.get("delimiter"))
    facts["decimal_separator"] = convention
    facts["decimal_rule"] = rule

    # The row's problems, in the order of its PARSE_ERROR: (rows that have it, its text or texts).
    problems: list[tuple[np.ndarray, Any]] = []
    for canonical, col in columns.items():
        formula = cols[canonical].formula
        if formula.any():
            texts = np.full(n, "", dtype=object)
            for i in np.flatnonzero(formula):
                texts[i] = (
                    f"{canonical} (cell {_column_letter(col)}{numbers[i]}) holds the formula "
                    f"'{cols[canonical].formulas[i]}' with no saved result; "
                    "open the file in Excel or LibreOffice, let it calculate and save it again"
                )
            problems.append((formula, texts))
    text = {canonical: column.texts() for canonical, column in cols.items()}
    for canonical in ("REF_AREA", "TIME_PERIOD", "MEASURE", "UNIT_MEASURE"):
        problems.append(((text[canonical] == "") & ~cols[canonical].formula, f"{canonical} is blank"))
    value_col = cols["OBS_VALUE"]
    read = value_col.each(lambda raw: _value_of(raw, convention, mixed_note))
    value_problem = value_col.rows([p for _, p in read])
    problems.append(((value_problem != "") & ~value_col.formula, value_problem))
    codes: dict[str, Any] = {"SEX": "", "AGE": "", "DISAGGREGATION": "", "OBS_STATUS": "A"}
    for canonical, fn in (("SEX", _sex), ("AGE", _age), ("DISAGGREGATION", _disaggregation), ("OBS_STATUS", _status)):
        if canonical in cols:
            coded = [fn(_as_text(raw)) for raw in cols[canonical].uniques]
            codes[canonical] = cols[canonical].rows([c or codes[canonical] for c, _ in coded])
            problem = cols[canonical].rows([p for _, p in coded])
            problems.append((problem != "", problem))

    failed = np.zeros(n, dtype=bool)
    for rows, _ in problems:
        failed |= rows
    errors = np.full(n, "", dtype=object)
    for i in np.flatnonzero(failed):
        errors[i] = "; ".join(p if isinstance(p, str) else p[i] for rows, p in problems if rows[i])
    value = value_col.rows([np.nan if v is None else v for v, _ in read], dtype=np.float64)
    value[failed] = np.nan

    facts["comments"] = []
    if "COMMENT" in cols:
        has = text["COMMENT"] != ""
        facts["comments"] = [
            {"row": r, "comment": c} for r, c in zip(numbers[has].tolist(), text["COMMENT"][has].tolist())
        ]
    units = cols["UNIT_MEASURE"]
    return _rows_frame(
        n,
        {
            "MEASURE": cols["MEASURE"].rows([t.upper() for t in cols["MEASURE"].each(_as_text)]),
            "AREA_RAW": text["REF_AREA"],
            "TIME_PERIOD_RAW": text["TIME_PERIOD"],
            "OBS_VALUE": value,
            "VALUE_RAW": text["OBS_VALUE"],
            "UNIT_MEASURE": units.rows([_unit(t) if t else "" for t in units.each(_as_text)]),
            **codes,
            "LOC_SHEET": sheet,
            "LOC_ROW": pd.array(numbers, dtype="Int64"),
            "PARSE_ERROR": errors,
        },
    )


# --------------------------------------------------------------------------- main


def parse(path: Path) -> ParseResult:
    """Parse one file of the generic observations template (XLSX or CSV)."""
    with gc_paused():  # a list per record, no reference cycles: see limits.gc_paused
        return _parse(Path(path))


def _parse(path: Path) -> ParseResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(
            path,
            f"the file cannot be opened ({exc.strerror or exc}).",
            hint="Check that the file exists and is readable.",
            code="file_cannot_open",
        ) from None
    facts: dict[str, Any] = {"file": path.name}
    suffix = path.suffix.lower()
    if not data:
        raise SourceFileError(path, "the file is empty (0 bytes).", hint=TEMPLATE_HINT, code="file_empty")
    if data.startswith(OLE2_MAGIC):
        raise _ole2_error(path, data)
    sheet = ""
    if data.startswith(ZIP_MAGIC):
        facts["format"] = "xlsx"
        grid, sheet = _grid_from_xlsx(path, facts)
        where_prefix = f"sheet '{sheet}', "
    elif suffix in XLSX_SUFFIXES or suffix == ".xls":
        raise SourceFileError(
            path,
            f"the file is named {suffix} but is not an Excel workbook (it is damaged, or a different "
            "kind of file was renamed).",
            hint="Open it in Excel or LibreOffice and save it as an .xlsx workbook, or ask the sender for a new copy.",
            code="file_corrupt",
        )
    else:
        facts["format"] = "csv"
        grid = _grid_from_csv(path, data, facts)
        where_prefix = ""

    if all(grid.blank(i) for i in range(len(grid.rows))):
        what = f"the sheet '{sheet}' is empty" if sheet else "the file is empty (only blank lines)"
        raise SourceFileError(path, what + " (no header row, no data).", hint=TEMPLATE_HINT, code="file_empty")

    pos, columns, best = _find_header(grid)
    if pos is None:
        best_pos, best_count, best_found = best
        if best_count >= 2:
            row_number, values = int(grid.numbers[best_pos]), grid.rows[best_pos]
            missing = [c for c in REQUIRED_COLUMNS if c not in best_found]
            found = [_as_text(v) for v in values if _as_text(v)]
            raise SourceFileError(
                path,
                f"the required column(s) {', '.join(missing)} are missing. The header row has: "
                f"{', '.join(found)}. Expected header: {EXPECTED_HEADER_TEXT}.",
                where=f"{where_prefix}row {row_number}",
                hint="Add the missing column(s) with one of the accepted names. " + TEMPLATE_HINT,
                code="file_missing_column",
                params={"columns": ", ".join(missing), "found": ", ".join(found)},
            )
        raise SourceFileError(
            path,
            f"no header row was found in the first {HEADER_SEARCH_ROWS} rows. Expected a row with "
            f"{EXPECTED_HEADER_TEXT}.",
            where=(f"sheet '{sheet}'" if sheet else ""),
            hint=TEMPLATE_HINT,
            code="file_wrong_sheet" if len(facts.get("sheets", [])) > 1 else "file_no_header",
            params={"rows": HEADER_SEARCH_ROWS, "sheet": sheet, "sheets": ", ".join(facts.get("sheets", []))},
        )

    header_row, header = int(grid.numbers[pos]), grid.rows[pos]
    # The same column given twice (e.g. PAIS and REF_AREA) is an error: which one is meant?
    seen: dict[str, int] = {}
    extra: list[str] = []
    for col, value in enumerate(header):
        text = _as_text(value)
        if not text:
            continue
        canonical = _ALIAS_INDEX.get(header_key(text))
        if canonical is None:
            extra.append(text)
        elif canonical in seen:
            raise SourceFileError(
                path,
                f"the columns '{_as_text(header[seen[canonical]])}' ({_column_letter(seen[canonical])}) "
                f"and '{text}' ({_column_letter(col)}) both stand for {canonical}.",
                where=f"{where_prefix}row {header_row}",
                hint="Keep one of them, or rename the other.",
                code="file_duplicate_column",
                params={"first": _as_text(header[seen[canonical]]), "second": text, "column": canonical},
            )
        else:
            seen[canonical] = col
    facts["header_row"] = header_row
    facts["columns"] = {c: _as_text(header[i]) for c, i in sorted(columns.items(), key=lambda x: x[1])}
    facts["extra_columns"] = extra

    width = max(i for i, v in enumerate(header) if _as_text(v)) + 1  # the table's columns
    read_body = _body_of_rows if grid.body_columns is None else _body_of_columns
    numbers, cols, blank = read_body(grid, pos, width, columns, facts.setdefault("outside_cells", []))
    facts["blank_rows"] = blank + sum(count for n, count in facts.pop("blank_runs", []) if n > header_row)
    if not len(numbers):
        raise SourceFileError(
            path,
            f"the file has a header row (row {header_row}) but no data rows below it.",
            where=(f"sheet '{sheet}'" if sheet else ""),
            hint="Fill in one row per observation below the header.",
            code="file_header_only",
        )
    rows = _read_rows(cols, columns, numbers, sheet, facts)
    facts["rows_with_errors"] = int((rows["PARSE_ERROR"] != "").sum())
    return ParseResult(rows=rows, rows_read=len(rows), facts=facts)
