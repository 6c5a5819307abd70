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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sources.parsers.base import ParseResult, SourceFileError, disaggregation_key, make_rows
from sources.parsers.limits import check_cells, check_xlsx_package, load_limits, read_records

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


@dataclass(slots=True)  # one per cell read: slots make them cheaper to create
class _Cell:
    value: Any = None  # str for CSV; cached value for XLSX
    formula: str | None = None  # formula text when the cell is a formula with no cached value


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


def _find_header(rows: list[tuple[int, list[_Cell]]]) -> tuple[int | None, dict[str, int], tuple[int, int, dict]]:
    """(index in rows of the header, canonical -> column index, best partial match)."""
    best: tuple[int, int, dict] = (-1, 0, {})
    for pos, (row_number, cells) in enumerate(rows):
        if row_number > HEADER_SEARCH_ROWS:
            break
        found: dict[str, int] = {}
        for col, cell in enumerate(cells):
            if cell.value is None:
                continue
            canonical = _ALIAS_INDEX.get(header_key(_as_text(cell.value)))
            if canonical and canonical not in found:
                found[canonical] = col
        if all(c in found for c in REQUIRED_COLUMNS):
            return pos, found, best
        if len(found) > best[1]:
            best = (pos, len(found), found)
    return None, {}, best


def _is_blank(cells: list[_Cell]) -> bool:
    return all(c.formula is None and _as_text(c.value) == "" for c in cells)


def _grid_from_csv(path: Path, data: bytes, facts: dict[str, Any]) -> list[tuple[int, list[_Cell]]]:
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
        pos, found, partial = _find_header([(i + 1, [_Cell(v) for v in rec]) for i, rec in enumerate(head)])
        score = 100 if pos is not None else partial[1]
        if score > best_score:
            best_delim, best_score = delim, score
    facts["delimiter"] = best_delim
    records = read_records(path, text, delimiter=best_delim, limit=limits["max_rows"] + HEADER_SEARCH_ROWS + 1)
    check_cells(path, rows=len(records) - HEADER_SEARCH_ROWS)
    grid = [(i + 1, [_Cell(v) for v in rec]) for i, rec in enumerate(records)]
    pos, _, _ = _find_header(grid)
    if pos is not None:
        _refuse_swallowed_lines(path, grid[pos + 1 :], len(grid[pos][1]), best_delim, grid[pos][1])
    return grid


def _refuse_swallowed_lines(
    path: Path, body: list[tuple[int, list[_Cell]]], width: int, delim: str, header: list[_Cell]
) -> None:
    """A quote opened in a cell and closed lines later swallows whole records into that cell.

    A cell may hold a line break (Alt+Enter in a spreadsheet), but not a line that is itself a
    record of the table (as many delimiters as the header): then the file is refused, never
    read short.
    """
    for row_number, cells in body:
        for col, cell in enumerate(cells):
            value = cell.value or ""
            if "\n" not in value and "\r" not in value:
                continue
            lines = value.splitlines()[1:]
            swallowed = [line for line in lines if line.count(delim) >= max(width - 1, 1)]
            if swallowed:
                name = _as_text(header[col].value) if col < len(header) else _column_letter(col)
                raise SourceFileError(
                    path,
                    f'a quote (") opens in column {name} and is not closed on that line, so the next '
                    f"{len(lines)} line(s) of the file, {len(swallowed)} of them rows of the table, were "
                    "read into that one cell; the file is not read, so that no row is lost.",
                    where=f"row {row_number}",
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


def _grid_from_xlsx(path: Path, facts: dict[str, Any]) -> tuple[list[tuple[int, list[_Cell]]], str]:
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


def _sheet_grid(path: Path, rows_v, rows_f, facts: dict[str, Any]) -> list[tuple[int, list[_Cell]]]:
    limits = load_limits()["rows"]
    max_columns, max_chars = limits["max_columns"], limits["max_cell_characters"]
    grid: list[tuple[int, list[_Cell]]] = []
    outside: list[str] = []
    blank_runs: list[tuple[int, int]] = []  # (the non-blank row after a run of blank rows, its length)
    pending_blank = total_cells = 0
    for row_number, (row_v, row_f) in enumerate(zip(rows_v, rows_f), start=1):
        cells: list[_Cell] = []
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
            cells.extend(_Cell(None) for _ in range(index - len(cells)))
            cells.append(_Cell(value, formula))
        if not cells:
            pending_blank += 1
            continue
        if pending_blank and grid:
            blank_runs.append((row_number, pending_blank))
        pending_blank = 0
        grid.append((row_number, cells))
        total_cells += len(cells)
        check_cells(path, rows=len(grid) - HEADER_SEARCH_ROWS, cells=total_cells, where=f"sheet '{facts['sheet']}'")
    facts["blank_runs"] = blank_runs
    facts["outside_cells"] = outside
    return grid


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


# --------------------------------------------------------------------------- main


def parse(path: Path) -> ParseResult:
    """Parse one file of the generic observations template (XLSX or CSV)."""
    path = Path(path)
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

    if all(_is_blank(cells) for _, cells in grid):
        what = f"the sheet '{sheet}' is empty" if sheet else "the file is empty (only blank lines)"
        raise SourceFileError(path, what + " (no header row, no data).", hint=TEMPLATE_HINT, code="file_empty")

    pos, columns, best = _find_header(grid)
    if pos is None:
        best_pos, best_count, best_found = best
        if best_count >= 2:
            row_number, cells = grid[best_pos]
            missing = [c for c in REQUIRED_COLUMNS if c not in best_found]
            found = [_as_text(c.value) for c in cells if _as_text(c.value)]
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

    header_row, header_cells = grid[pos]
    # The same column given twice (e.g. PAIS and REF_AREA) is an error: which one is meant?
    seen: dict[str, int] = {}
    extra: list[str] = []
    for col, cell in enumerate(header_cells):
        text = _as_text(cell.value)
        if not text:
            continue
        canonical = _ALIAS_INDEX.get(header_key(text))
        if canonical is None:
            extra.append(text)
        elif canonical in seen:
            raise SourceFileError(
                path,
                f"the columns '{_as_text(header_cells[seen[canonical]].value)}' ({_column_letter(seen[canonical])}) "
                f"and '{text}' ({_column_letter(col)}) both stand for {canonical}.",
                where=f"{where_prefix}row {header_row}",
                hint="Keep one of them, or rename the other.",
                code="file_duplicate_column",
                params={"first": _as_text(header_cells[seen[canonical]].value), "second": text, "column": canonical},
            )
        else:
            seen[canonical] = col
    facts["header_row"] = header_row
    facts["columns"] = {c: _as_text(header_cells[i].value) for c, i in sorted(columns.items(), key=lambda x: x[1])}
    facts["extra_columns"] = extra

    body = grid[pos + 1 :]
    width = max(i for i, c in enumerate(header_cells) if _as_text(c.value)) + 1  # the table's columns
    for n, cells in body:
        facts.setdefault("outside_cells", []).extend(
            f"{_column_letter(i)}{n}" for i in range(width, len(cells)) if not _is_blank(cells[i : i + 1])
        )
    data_rows = [(n, cells) for n, cells in body if not _is_blank(cells[:width])]
    facts["blank_rows"] = (
        len(body) - len(data_rows) + sum(count for n, count in facts.pop("blank_runs", []) if n > header_row)
    )
    if not data_rows:
        raise SourceFileError(
            path,
            f"the file has a header row (row {header_row}) but no data rows below it.",
            where=(f"sheet '{sheet}'" if sheet else ""),
            hint="Fill in one row per observation below the header.",
            code="file_header_only",
        )

    def cell_of(cells: list[_Cell], canonical: str) -> _Cell:
        col = columns.get(canonical)
        if col is None or col >= len(cells):
            return _Cell(None)
        return cells[col]

    # Decimal convention from the unambiguous text values of OBS_VALUE.
    evidence: dict[str, int] = {}
    for n, cells in data_rows:
        value = cell_of(cells, "OBS_VALUE").value
        if isinstance(value, str):
            _, _, dec = _number_shape(value)
            if dec and dec not in evidence:
                evidence[dec] = n
    if len(evidence) == 1:
        convention, rule = next(iter(evidence)), "cells"
    elif len(evidence) == 2:
        convention, rule = None, "mixed"
    elif facts.get("delimiter") == ";":
        convention, rule = ",", "delimiter"
    else:
        convention, rule = None, "unknown"
    facts["decimal_separator"] = convention
    facts["decimal_rule"] = rule
    if rule == "mixed":
        mixed_note = (
            f"The file uses both decimal commas (e.g. row {evidence[',']}) and decimal points "
            f"(e.g. row {evidence['.']}), so its convention is unknown."
        )
    else:
        mixed_note = "Nothing else in the file shows whether it uses a decimal point or a decimal comma."

    comments: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for row_number, cells in data_rows:
        errors: list[str] = []
        text: dict[str, str] = {}
        for canonical in columns:
            cell = cell_of(cells, canonical)
            if cell.formula is not None:
                ref = f"{_column_letter(columns[canonical])}{row_number}"
                errors.append(
                    f"{canonical} (cell {ref}) holds the formula '{cell.formula}' with no saved result; "
                    "open the file in Excel or LibreOffice, let it calculate and save it again"
                )
            text[canonical] = _as_text(cell.value)

        for canonical in ("REF_AREA", "TIME_PERIOD", "MEASURE", "UNIT_MEASURE"):
            if not text[canonical] and cell_of(cells, canonical).formula is None:
                errors.append(f"{canonical} is blank")

        value: float | None = None
        value_cell = cell_of(cells, "OBS_VALUE")
        raw = value_cell.value
        if value_cell.formula is None:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                errors.append("OBS_VALUE is blank")
            elif isinstance(raw, bool):
                errors.append(f"OBS_VALUE {_as_text(raw)} is a true/false cell, not a number")
            elif isinstance(raw, (int, float)):
                value = float(raw)
                if value != value or value in (float("inf"), float("-inf")):
                    value = None
                    errors.append(f"OBS_VALUE {raw} is not a finite number")
            elif isinstance(raw, (dt.datetime, dt.date, dt.time)):
                errors.append(f"OBS_VALUE is a date ({_as_text(raw)}), not a number: format the cell as a number")
            else:
                value, problem = _read_number(str(raw), convention, mixed_note)
                if problem:
                    errors.append(problem)

        sex = age = disagg = status = ""
        if "SEX" in columns:
            sex, problem = _sex(text["SEX"])
            if problem:
                errors.append(problem)
        if "AGE" in columns:
            age, problem = _age(text["AGE"])
            if problem:
                errors.append(problem)
        if "DISAGGREGATION" in columns:
            disagg, problem = _disaggregation(text["DISAGGREGATION"])
            if problem:
                errors.append(problem)
        if "OBS_STATUS" in columns:
            status, problem = _status(text["OBS_STATUS"])
            if problem:
                errors.append(problem)
        if "COMMENT" in columns and text["COMMENT"]:
            comments.append({"row": row_number, "comment": text["COMMENT"]})

        out.append(
            {
                "MEASURE": text["MEASURE"].upper(),
                "AREA_RAW": text["REF_AREA"],
                "TIME_PERIOD_RAW": text["TIME_PERIOD"],
                "OBS_VALUE": value if not errors else None,
                "VALUE_RAW": _as_text(raw),
                "UNIT_MEASURE": _unit(text["UNIT_MEASURE"]) if text["UNIT_MEASURE"] else "",
                "OBS_STATUS": status,
                "SEX": sex,
                "AGE": age,
                "DISAGGREGATION": disagg,
                "NATURE": "",
                "LOC_SHEET": sheet,
                "LOC_ROW": row_number,
                "PARSE_ERROR": "; ".join(errors),
            }
        )

    rows = make_rows(out)
    facts["comments"] = comments
    facts["rows_with_errors"] = int((rows["PARSE_ERROR"] != "").sum())
    return ParseResult(rows=rows, rows_read=len(data_rows), facts=facts)
