"""Parser for Open SDG national reporting platform data (``data/indicator_<id>.csv``).

An Open SDG data file is a tidy CSV: ``Year``, optional ``Units`` (some platforms
write ``Unit``), optional ``Series``, optional ``Observation status``, any number of
disaggregation columns, and ``Value``. A row whose disaggregation cells are all
empty is the headline series. Metadata lives beside the data in ``meta/<id>.md``.

Rules (what :func:`parse` returns)
----------------------------------
``MEASURE``
    ``"SDG_"`` + the indicator id of the file name, dashes to underscores,
    upper-case: ``indicator_16-2-1.csv`` -> ``SDG_16_2_1``. A ``Series`` column
    does **not** change the measure: its value goes to ``DISAGGREGATION`` as
    ``Series=<value>``, so every row of one file stays one measure of the measures
    code list and the series is still told apart.
``AREA_RAW``
    the ``area`` argument (the platform's country), for every row.
``TIME_PERIOD_RAW``
    ``Year`` as written.
``UNIT_MEASURE``
    from the ``Units``/``Unit`` cell through :data:`UNIT_LABELS` (a label not in
    it is kept as an upper-snake code, e.g. "Per 1,000 births" ->
    ``PER_1_000_BIRTHS``, and listed in ``facts["unmapped_units"]``); with no
    units column, the metadata file's unit (``computation_units``,
    ``unit_of_measure``, ``units`` or ``unit`` in ``../meta/<id>.md``) mapped the
    same way; otherwise "" and ``facts["unit_source"] == "none"``.
``SEX``
    from a column named ``Sex`` (case-insensitive): Male -> ``M``, Female ->
    ``F``, Total / Both sexes -> ``_T``, an empty cell -> ``_T`` (in Open SDG an
    empty disaggregation cell means "all"). A value that is not obviously one of
    these stays in ``DISAGGREGATION`` (``Sex=<value>``) with ``SEX`` "". A file
    with no sex column gives ``SEX`` "".
``AGE``
    from a column named ``Age``, ``Age Group`` or ``Age Groups``: ``2-4 years`` /
    ``1-2 Years Old`` / ``15-24`` -> ``Y2T4`` / ``Y1T2`` / ``Y15T24``; ``N years and
    under`` / ``N or younger`` -> ``Y_LT(N+1)``; ``N+`` / ``N and older`` / ``N or
    older`` -> ``Y_GEN``; ``under N`` / ``less than N`` -> ``Y_LTN``; empty or Total /
    All ages -> ``_T``; anything else stays in ``DISAGGREGATION``. Columns that
    merely mention an age (``Age at First Union``) are ordinary disaggregations.
Mixed column ``Disaggregation Level`` (or ``Disaggregation``)
    some platforms put several breakdowns in one column (Jamaica 16.2.2: Male,
    Female, Total, 17 Years and Under, Type of Exploitation - Sexual). Each value is
    routed on its own: an obvious sex value to ``SEX``, an obvious age band to
    ``AGE``, ``Total`` to nothing (headline), anything else to ``DISAGGREGATION``
    under the column's name. If any value of the column is a sex (age), ``SEX``
    (``AGE``) of the file's other rows is ``_T``.
Geography columns
    a column whose name contains "geograph" (``Geographical Area``,
    ``Geographical Region``, ``Geography``) or is ``Region``, ``Area``,
    ``Location`` or ``Parish``. A cell equal to the ``area`` argument
    (case-insensitive; Jamaica's 16-3-1 headline row writes "Jamaica" there while
    its breakdown rows leave it empty) is the national level: it is **not** a
    breakdown and is left out of ``DISAGGREGATION``. Any other value (``KMA``,
    ``Rural``) is a sub-national breakdown, ``Geographical Region=KMA``. The value
    ``Total`` in a geography column is kept as a breakdown, not merged with the
    national level, because a platform can carry both (Jamaica 5-2-2 has "Jamaica"
    and "Total" rows for the same breakdown with different values).
Other disaggregation columns
    value as written, ``Column Name=value``; the value ``Total`` (case-insensitive)
    means "all" and is left out, like an empty cell.
``DISAGGREGATION``
    :func:`sources.parsers.base.disaggregation_key` of the above; a headline row
    gives "". Column names are used as written.
``OBS_STATUS``
    from ``Observation status`` (or ``OBS_STATUS``): SDMX codes are kept, labels
    such as "Estimated value" are mapped (:data:`OBS_STATUS_LABELS`); an unknown
    label is kept as written and listed in ``facts["unmapped_obs_status"]``.
``LOC_ROW``
    CSV row number, header = row 1.

``facts`` also lists ``duplicate_rows``: pairs of CSV rows that give the same
period, unit, sex, age and breakdown (the source repeats itself; the pipeline keeps
the first and quarantines the second).

Metadata (:func:`read_metadata`)
--------------------------------
Open SDG ``meta/*.md`` files are YAML front matter; the bundled Jamaica files lack
the ``---`` delimiters, and a file may end with a block that is not YAML (Markdown
prose). When the whole file is not YAML, :func:`read_metadata` cuts before the first
Markdown heading (``# ...`` after a blank line) if what precedes it is a mapping, else
reads the longest leading part that is a YAML mapping; the rest is returned as text
under ``"_unparsed_text"``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from sources.parsers.base import ParseResult, SourceFileError, disaggregation_key, make_rows
from sources.parsers.limits import check_cells, read_records

#: Open SDG unit labels (lower-case, spaces collapsed, thousands commas/spaces removed)
#: -> SDMX unit codes.
UNIT_LABELS: dict[str, str] = {
    "percentage": "PERCENT",
    "percent": "PERCENT",
    "per cent": "PERCENT",
    "%": "PERCENT",
    "percentage (%)": "PERCENT",
    "pt": "PERCENT",  # SDMX CL_UNIT_MEASURE code for percent (UK platform)
    "proportion (%)": "PERCENT",
    "number": "NUMBER",
    "numbers": "NUMBER",
    "count": "NUMBER",
    "total number": "NUMBER",
    "rate per 100000": "PER_100000_POP",
    "rate per 100000 population": "PER_100000_POP",
    "per 100000 population": "PER_100000_POP",
    "per 100000 people": "PER_100000_POP",
    "per 100000": "PER_100000_POP",
    "rate per 1000 population": "PER_1000_POP",
    "per 1000 population": "PER_1000_POP",
}

#: Observation-status labels -> SDMX OBS_STATUS codes.
OBS_STATUS_LABELS: dict[str, str] = {
    "normal value": "A",
    "normal": "A",
    "estimated value": "E",
    "estimated": "E",
    "provisional value": "P",
    "provisional": "P",
    "forecast value": "F",
    "imputed value": "I",
    "break in series": "B",
    # SDMX CL_OBS_STATUS: O "missing value" (M is "missing, data cannot exist")
    "missing value": "O",
    "missing data": "O",
}
#: Qualifiers after ";" in a status label ("Missing value; suppressed", UK platform)
#: -> SDMX CL_CONF_STATUS codes (SCHEMA.md): suppressed by the publisher = C confidential.
CONF_STATUS_QUALIFIERS: dict[str, str] = {"suppressed": "C"}
#: Qualifiers that carry no status of their own (kept in ``facts["status_qualifiers"]``).
OTHER_QUALIFIERS = {"low reliability"}
#: SDMX observation statuses meaning "no number": a blank value with one of them is a
#: missing observation kept with its status (SCHEMA.md), not an error.
MISSING_OBS_STATUS = {"M", "O", "L"}
#: Unit multiplier cells meaning "as written" (SDMX UNIT_MULT 0); any other is refused.
UNIT_MULTIPLIER_ONE = {"", "units", "unit", "0", "1"}
_SDMX_OBS_STATUS = {"A", "B", "D", "E", "F", "G", "I", "K", "L", "M", "N", "O", "P", "Q", "S", "U", "V"}

SEX_LABELS: dict[str, str] = {
    "male": "M",
    "males": "M",
    "men": "M",
    "boys": "M",
    "m": "M",
    "female": "F",
    "females": "F",
    "women": "F",
    "girls": "F",
    "f": "F",
    "total": "_T",
    "both sexes": "_T",
    "both": "_T",
    "all": "_T",
    "_t": "_T",
}

_SPECIAL_COLUMNS = {
    "year": "year",
    "value": "value",
    "units": "units",
    "unit": "units",
    "unit_measure": "units",
    "unit measure": "units",
    "unit multiplier": "multiplier",
    "unit_mult": "multiplier",
    "geocode": "geocode",
    "series": "series",
    "observation status": "obs_status",
    "obs_status": "obs_status",
}
_SEX_COLUMNS = {"sex"}
_AGE_COLUMNS = {"age", "age group", "age groups"}
_MIXED_COLUMNS = {"disaggregation level", "disaggregation"}
_GEO_COLUMN_NAMES = {"region", "area", "location", "parish", "country"}
_SDMX_AGE = re.compile(r"^(?:_T|Y\d+T\d+|Y_GE\d+|Y_LT\d+|Y\d+)$")
#: A placeholder row: Open SDG writes one for an indicator without data
#: ("There is not data for this indicator yet,"): text in Year, nothing else.
_PLACEHOLDER_YEAR = re.compile(r"^[^0-9]*[A-Za-z][^0-9]*$")

_FILE_NAME = re.compile(r"^indicator_(?P<id>[0-9]+(?:-[0-9a-z]+){2,3})\.csv$", re.IGNORECASE)

_AGE_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # 15-24, 2-4 years, 1-2 Years Old, 15 to 24 years
    (re.compile(r"^(\d+)\s*(?:-|–|to)\s*(\d+)(?:\s*(?:years?|yrs?)(?:\s*old)?)?$"), lambda a, b: f"Y{int(a)}T{int(b)}"),
    # 17 Years and Under, 18 or younger, 17 and below
    (
        re.compile(r"^(\d+)\s*(?:years?\s*(?:old\s*)?)?(?:and|or)\s*(?:under|younger|below|less)$"),
        lambda a: f"Y_LT{int(a) + 1}",
    ),
    # 18 Years and Older, 19 or Older, 60+, 65 and over
    (
        re.compile(r"^(\d+)\s*(?:\+|(?:years?\s*(?:old\s*)?)?(?:and|or)\s*(?:older|over|above|more))(?:\s*years?)?$"),
        lambda a: f"Y_GE{int(a)}",
    ),
    # under 18, less than 18 years, <18
    (re.compile(r"^(?:under|less than|<)\s*(\d+)(?:\s*years?)?$"), lambda a: f"Y_LT{int(a)}"),
]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip()).lower()


def age_label_code(label: str) -> str | None:
    """SDMX-style age code for an Open SDG age label, ``None`` if not obvious."""
    key = _norm(label)
    if key in ("", "total", "all ages", "all"):
        return "_T"
    if _SDMX_AGE.match(label.strip()):
        return label.strip()  # already an SDMX age code (Y35T44, Y_GE65)
    for pattern, build in _AGE_PATTERNS:
        match = pattern.match(key)
        if match:
            return build(*match.groups())
    return None


def unit_code(label: str) -> tuple[str, bool]:
    """(SDMX unit code, whether the label was known) for a unit label."""
    key = _norm(label)
    key_nosep = re.sub(r"(?<=\d)[,\s](?=\d{3}\b)", "", key)
    if key_nosep in UNIT_LABELS:
        return UNIT_LABELS[key_nosep], True
    if re.fullmatch(r"[A-Z0-9_]+", label.strip()) and label.strip():
        return label.strip(), True  # already a code (NUMBER, PER_100000_POP)
    snake = re.sub(r"[^0-9A-Za-z]+", "_", label.strip()).strip("_").upper()
    return snake, False


def _is_geo_column(name: str) -> bool:
    key = _norm(name)
    return "geograph" in key or key in _GEO_COLUMN_NAMES


def read_metadata(path: Path) -> dict[str, Any]:
    """Read an Open SDG ``meta/*.md`` file into a dict.

    Accepts front matter with or without ``---`` delimiters. When the whole file is
    not YAML, cuts before the first Markdown heading that follows a blank line (if
    what precedes it is a mapping), else reads the longest leading block of lines
    that parses as a YAML mapping; the trailing block is returned as text under
    ``"_unparsed_text"`` (absent when the whole file is YAML). Raises :class:`SourceFileError` when no leading YAML mapping can
    be read at all.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(
            path,
            f"the metadata file cannot be opened ({exc.strerror or exc}).",
            hint="Check that the file exists and is readable.",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    # Front matter with delimiters: '---' first, then up to the next '---'.
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].strip() == "---":
        end = next((i for i in range(first + 1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            head = "\n".join(lines[first + 1 : end])
            body = "\n".join(lines[end + 1 :])
            result = _yaml_mapping(head)
            if result is None:
                raise SourceFileError(
                    path,
                    "the front matter between the '---' lines is not valid YAML.",
                    hint="Fix the YAML of the metadata header (key: value, one per line).",
                )
            if body.strip():
                result["_unparsed_text"] = body.strip("\n")
            return result
        lines = lines[first + 1 :]

    whole = _yaml_mapping("\n".join(lines))
    if whole is not None:
        return whole
    # A Markdown heading after a blank line usually starts the prose block: cut there
    # if what precedes it is a mapping.
    for cut in range(1, len(lines)):
        if re.match(r"#{1,6}\s", lines[cut]) and not lines[cut - 1].strip():
            result = _yaml_mapping("\n".join(lines[:cut]))
            if result:
                result["_unparsed_text"] = "\n".join(lines[cut:]).strip("\n")
                return result
            break
    # Otherwise the longest leading block that is a YAML mapping; cut only before a
    # line that starts at column 0 (a continuation line belongs to the key above it).
    for cut in range(len(lines) - 1, 0, -1):
        if lines[cut][:1] in (" ", "\t"):
            continue
        result = _yaml_mapping("\n".join(lines[:cut]))
        if result:
            # Blank and comment lines just above the cut belong to the prose block.
            while cut > 1 and (not lines[cut - 1].strip() or lines[cut - 1].lstrip().startswith("#")):
                cut -= 1
            rest = "\n".join(lines[cut:]).strip("\n")
            if rest.strip():
                result["_unparsed_text"] = rest
            return result
    raise SourceFileError(
        path,
        "no 'key: value' metadata could be read at the start of the file.",
        hint="An Open SDG metadata file starts with YAML lines such as 'reporting_status: complete'.",
    )


def _yaml_mapping(text: str) -> dict[str, Any] | None:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if isinstance(loaded, dict) and loaded:
        return {str(k): v for k, v in loaded.items()}
    return None


def _metadata_path(path: Path, indicator_id: str) -> Path | None:
    for candidate in (
        path.parent.parent / "meta" / f"{indicator_id}.md",
        path.parent / "meta" / f"{indicator_id}.md",
        path.parent / f"{indicator_id}.md",
    ):
        if candidate.is_file():
            return candidate
    return None


def indicators_without_data(root: Path) -> list[str]:
    """Indicator ids whose ``meta/<id>.md`` says ``reporting_status: complete`` but
    for which ``data/indicator_<id>.csv`` does not exist (e.g. Jamaica 16-2-3)."""
    root = Path(root)
    out = []
    for meta in sorted((root / "meta").glob("*.md")):
        status = str(read_metadata(meta).get("reporting_status") or "").strip().lower()
        if status == "complete" and not (root / "data" / f"indicator_{meta.stem}.csv").is_file():
            out.append(meta.stem)
    return out


def _series_only(disaggregation: str) -> bool:
    """Whether a DISAGGREGATION key holds nothing but the series (``Series=...``)."""
    return all(part.startswith("Series=") for part in disaggregation.split("|") if part)


def _is_placeholder(rec: list[str], roles: list[str]) -> bool:
    """A row that only says the indicator has no data yet (text in Year, nothing else)."""
    cells = dict(zip(roles, (c.strip() for c in rec)))
    others = [c.strip() for r, c in zip(roles, rec) if r != "year"]
    return bool(_PLACEHOLDER_YEAR.match(cells.get("year", ""))) and not any(others)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(
            path,
            f"the file cannot be opened ({exc.strerror or exc}).",
            hint="Check that the file exists and is readable.",
            code="file_cannot_open",
        ) from None
    if b"\x00" in data[:4096]:
        raise SourceFileError(
            path,
            "the file is not a text CSV file (it contains binary data).",
            hint="Use the indicator CSV exactly as published by the Open SDG platform.",
            code="file_not_text",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            path,
            f"the file is not valid UTF-8 (byte {exc.start + 1} cannot be read).",
            hint="Open SDG data files are UTF-8; download the file again without converting it.",
            code="file_encoding",
            params={"encoding": "UTF-8", "byte": exc.start + 1},
        ) from None
    records = read_records(path, text, hint="Download the indicator CSV again.")
    check_cells(path, rows=len(records) - 1)
    return records


def _status_codes(cell: str, unmapped: set[str], qualifiers: set[str]) -> tuple[str, str]:
    """(OBS_STATUS, CONF_STATUS) for an observation-status cell ("Missing value; suppressed")."""
    if cell.upper() in _SDMX_OBS_STATUS:
        return cell.upper(), "F"
    head, *rest = [part.strip() for part in cell.split(";")]
    status = OBS_STATUS_LABELS.get(_norm(head), head)
    if _norm(head) not in OBS_STATUS_LABELS:
        unmapped.add(cell)
    conf = "F"
    for part in rest:
        key = _norm(part)
        if key in CONF_STATUS_QUALIFIERS:
            conf = CONF_STATUS_QUALIFIERS[key]
        elif key in OTHER_QUALIFIERS:
            qualifiers.add(part)
        else:
            unmapped.add(cell)
    return status, conf


class _AreaCheck:
    """National level and contradictions for cells of geography / GeoCode columns.

    A cell that names (or codes) the catalogue's area is the national level; a cell
    that names another country makes the whole file suspect (refused); any other cell
    (England, E12000006, KMA) is a sub-national breakdown.
    """

    def __init__(self, path: Path, area: str):
        from sources.harmonise.areas import resolve  # local: the reference tables load lazily

        self.path, self.area, self._resolve = path, area, resolve
        self.area_code = resolve(area)
        self._cache: dict[str, str | None] = {}

    def is_national(self, cell: str, column: str, row_number: int) -> bool:
        if _norm(cell) == _norm(self.area):
            return True
        if cell not in self._cache:
            self._cache[cell] = self._resolve(cell)
        code = self._cache[cell]
        if code is None or self.area_code is None:
            return False
        if code == self.area_code:
            return True
        from sources.harmonise.areas import load_areas

        kinds = dict(zip(load_areas()["REF_AREA"], load_areas()["AREA_KIND"]))
        if kinds.get(code) != "country":
            return False
        raise SourceFileError(
            self.path,
            f"the column '{column}' says '{cell}' ({code}), but the catalogue entry is "
            f"for {self.area} ({self.area_code}).",
            where=f"row {row_number}, column {column}",
            hint="Check that the file belongs to this source; if it does, correct the 'area' "
            "parser option of its catalogue entry.",
            code="file_area_contradicts_catalogue",
            params={"column": column, "found": cell, "expected": self.area},
        )


def parse(path: Path, *, area: str = "Jamaica") -> ParseResult:
    """Parse one Open SDG ``indicator_<id>.csv`` file (see the module notes)."""
    path = Path(path)
    match = _FILE_NAME.match(path.name)
    if not match:
        raise SourceFileError(
            path,
            "this is not an Open SDG data file name.",
            hint="Open SDG data files are named indicator_<goal>-<target>-<indicator>.csv, e.g. indicator_16-2-1.csv.",
            code="file_wrong_name",
            params={"expected": "indicator_<goal>-<target>-<indicator>.csv"},
        )
    indicator_id = match.group("id").lower()
    measure = "SDG_" + indicator_id.replace("-", "_").upper()

    records = _read_csv(path)
    while records and not any(c.strip() for c in records[-1]):
        records.pop()
    if not records:
        raise SourceFileError(
            path, "the file is empty (no header, no data).", hint="Download the indicator CSV again.", code="file_empty"
        )
    header = [h.strip() for h in records[0]]
    roles: list[str] = []
    seen_special: dict[str, str] = {}
    for name in header:
        key = _norm(name)
        role = _SPECIAL_COLUMNS.get(key)
        if role:
            if role in seen_special:
                raise SourceFileError(
                    path,
                    f"the columns '{seen_special[role]}' and '{name}' both hold the {role}.",
                    where="row 1",
                    hint="Keep one of them.",
                )
            seen_special[role] = name
        elif not name:
            role = "blank"
        elif key in _SEX_COLUMNS:
            role = "sex"
        elif key in _AGE_COLUMNS:
            role = "age"
        elif key in _MIXED_COLUMNS:
            role = "mixed"
        elif _is_geo_column(name):
            role = "geo"
        else:
            role = "disagg"
        roles.append(role)
    missing = [c for c in ("Year", "Value") if c.lower() not in seen_special]
    if missing:
        raise SourceFileError(
            path,
            f"the header lacks the column(s) {', '.join(missing)}; it has {', '.join(header)}.",
            where="row 1",
            hint="An Open SDG data file has a 'Year' column, a 'Value' column and optional disaggregation columns.",
            code="file_missing_column",
            params={"columns": ", ".join(missing), "found": ", ".join(header)},
        )
    data_records = records[1:]
    placeholders = [i + 2 for i, rec in enumerate(data_records) if _is_placeholder(rec, roles)]
    data_records = [rec for i, rec in enumerate(data_records) if i + 2 not in placeholders]
    if not data_records and placeholders:
        return ParseResult(
            rows=make_rows([]),
            rows_read=0,
            facts={
                "file": path.name,
                "indicator": indicator_id.replace("-", "."),
                "measure": measure,
                "area": area,
                "placeholder_rows": placeholders,
                "headline_rows": 0,
            },
        )
    if not data_records:
        raise SourceFileError(
            path,
            "the file has a header row but no data rows.",
            where="row 1",
            hint="Download the indicator CSV again; a published indicator file has data.",
            code="file_header_only",
        )

    # Metadata unit, only needed when there is no units column.
    unit_source = "column" if "units" in seen_special else "none"
    meta_unit = ""
    meta_file = None
    unmapped_units: set[str] = set()
    if "units" not in seen_special:
        meta_file = _metadata_path(path, indicator_id)
        if meta_file is not None:
            try:
                meta = read_metadata(meta_file)
            except SourceFileError:
                meta = {}
            for key in ("computation_units", "unit_of_measure", "units", "unit"):
                value = meta.get(key)
                if isinstance(value, str) and value.strip():
                    meta_unit, known = unit_code(value)
                    if not known:
                        unmapped_units.add(value.strip())
                    unit_source = f"metadata:{key}"
                    break

    # Does a mixed column carry sex / age values? Then the file has those dimensions.
    has_sex = "sex" in roles
    has_age = "age" in roles
    for i, role in enumerate(roles):
        if role != "mixed":
            continue
        for rec in data_records:
            cell = rec[i].strip() if i < len(rec) else ""
            key = _norm(cell)
            if key and key != "total":
                if SEX_LABELS.get(key) in ("M", "F"):
                    has_sex = True
                elif age_label_code(cell) not in (None, "_T"):
                    has_age = True

    unmapped_status: set[str] = set()
    qualifiers: set[str] = set()
    area_check = _AreaCheck(path, area) if {"geo", "geocode"} & set(roles) else None
    area_in_file: set[str] = set()
    out: list[dict[str, Any]] = []
    keys_seen: dict[tuple, int] = {}
    duplicates: list[list[int]] = []
    for offset, rec in enumerate(data_records):
        row_number = offset + 2
        errors: list[str] = []
        if not any(c.strip() for c in rec):
            out.append(
                {
                    "MEASURE": measure,
                    "AREA_RAW": area,
                    "LOC_ROW": row_number,
                    "PARSE_ERROR": "the row is blank in the middle of the file",
                }
            )
            continue
        if len(rec) != len(header):
            errors.append(f"the row has {len(rec)} cells but the header has {len(header)} columns")
        cells = [(rec[i].strip() if i < len(rec) else "") for i in range(len(header))]

        year = value_raw = ""
        unit = meta_unit
        sex = "_T" if has_sex else ""
        age = "_T" if has_age else ""
        status, conf = "", "F"
        pairs: dict[str, str] = {}
        for name, role, cell in zip(header, roles, cells):
            if role == "year":
                year = cell
            elif role == "value":
                value_raw = cell
            elif role == "units":
                if cell:
                    unit, known = unit_code(cell)
                    if not known:
                        unmapped_units.add(cell)
                else:
                    unit = ""
            elif role == "series":
                pairs[name] = cell
            elif role == "obs_status":
                if cell:
                    status, conf = _status_codes(cell, unmapped_status, qualifiers)
            elif role == "multiplier":
                if _norm(cell) not in UNIT_MULTIPLIER_ONE:
                    errors.append(
                        f"the Unit multiplier '{cell}' is not supported (only 'Units', values "
                        "as written); the value would have to be rescaled"
                    )
            elif role == "sex":
                code = SEX_LABELS.get(_norm(cell)) if cell else "_T"
                if code:
                    sex = code
                else:
                    sex = ""
                    pairs[name] = cell
            elif role == "age":
                code = age_label_code(cell)
                if code:
                    age = code
                else:
                    age = ""
                    pairs[name] = cell
            elif role == "mixed":
                key = _norm(cell)
                if not key or key == "total":
                    continue
                sex_code = SEX_LABELS.get(key)
                age_code = age_label_code(cell)
                if sex_code in ("M", "F"):
                    sex = sex_code
                elif age_code not in (None, "_T"):
                    age = age_code
                else:
                    pairs[name] = cell
            elif role in ("geo", "geocode"):
                if cell and area_check.is_national(cell, name, row_number):
                    area_in_file.add(cell)
                elif cell:
                    pairs[name] = cell
            elif role == "disagg":
                if cell and _norm(cell) != "total":
                    pairs[name] = cell
            # "blank" header columns are ignored

        if not year:
            errors.append("the Year cell is blank")
        value: float | None = None
        if not errors:
            text = value_raw.strip()
            if not text and (status in MISSING_OBS_STATUS or conf != "F"):
                pass  # a missing observation, kept with its status (SCHEMA.md)
            elif not text:
                errors.append("the Value cell is blank")
            else:
                try:
                    value = float(text)
                except ValueError:
                    errors.append(f"'{value_raw}' is not a number (Open SDG values use a decimal point, e.g. 12.5)")
                else:
                    if not math.isfinite(value):  # 1e309, inf, nan: Python reads them, no statistic is one
                        value = None
                        errors.append(f"'{value_raw}' is not a finite number")
        disagg = disaggregation_key(pairs)
        if not errors:
            key = (year, unit, sex, age, disagg)
            if key in keys_seen:
                duplicates.append([keys_seen[key], row_number])
            else:
                keys_seen[key] = row_number
        out.append(
            {
                "MEASURE": measure,
                "AREA_RAW": area,  # the national level of the file (cells naming it checked above)
                "TIME_PERIOD_RAW": year,
                "OBS_VALUE": value if not errors else None,
                "VALUE_RAW": value_raw,
                "UNIT_MEASURE": unit,
                "OBS_STATUS": status,
                "CONF_STATUS": conf,
                "SEX": sex,
                "AGE": age,
                "DISAGGREGATION": disagg,
                "NATURE": "",
                "LOC_ROW": row_number,
                "PARSE_ERROR": "; ".join(errors),
            }
        )

    rows = make_rows(out)
    facts: dict[str, Any] = {
        "file": path.name,
        "indicator": indicator_id.replace("-", "."),
        "measure": measure,
        "area": area,
        "columns": {
            role: [n for n, r in zip(header, roles) if r == role]
            for role in ("geo", "sex", "age", "mixed", "disagg", "series", "units", "obs_status")
            if role in roles
        },
        "unit_source": unit_source,
        "metadata_file": meta_file.name if meta_file is not None else None,
        # a headline row has no breakdown but its series (geography naming the file's
        # area, GeoCode, units and unit multiplier are not breakdowns)
        "headline_rows": int(
            (
                rows["DISAGGREGATION"].map(_series_only)
                & (rows["SEX"].isin(["", "_T"]))
                & (rows["AGE"].isin(["", "_T"]))
                & (rows["PARSE_ERROR"] == "")
            ).sum()
        ),
        "rows_with_errors": int((rows["PARSE_ERROR"] != "").sum()),
        "duplicate_rows": duplicates,
        "unmapped_units": sorted(unmapped_units),
        "unmapped_obs_status": sorted(unmapped_status),
        "status_qualifiers": sorted(qualifiers),
        "placeholder_rows": placeholders,
        "area_in_file": sorted(area_in_file),
    }
    return ParseResult(rows=rows, rows_read=len(data_records), facts=facts)
