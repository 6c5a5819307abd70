"""Parser for the UN SDG Global Database as exported in DDF (Gapminder's "DDF-CSV").

Layout of a DDF extract (folder ``un-sdg-global-database-2020/``)
-----------------------------------------------------------------
* one datapoints file per series and set of dimensions, named
  ``ddf--datapoints--<series>--by--<dim>--<dim>--...--year.csv``; its header is the
  dimension columns (the same names as in the file name, in any order) followed by
  one value column named after the series (``vc_vaw_sxvln``);
* ``ddf--entities--<dim>.csv`` files list the codes of each dimension;
* ``ddf--concepts--continuous.csv`` describes every series (name, indicator, target).

What :func:`parse` returns for one datapoints file
--------------------------------------------------
===================  ==========================================================
``MEASURE``          the series code upper-case (``VC_VAW_SXVLN``)
``AREA_RAW``         the ``geo_area`` M49 numeric code, as text, as written
                     (``"388"``); resolved to an area elsewhere
``TIME_PERIOD_RAW``  ``year`` as written
``UNIT_MEASURE``     ``units`` upper-case: it *is* the SDMX unit code
                     (``percent`` -> ``PERCENT``, ``per_100000_pop`` ->
                     ``PER_100000_POP``); "" if the file has no ``units``
``SEX``              :data:`SEX_CODES` (below); "" if the file has no ``sex``
``AGE``              :func:`age_code` (below); "" if the file has no ``age``
``NATURE``           :data:`NATURE_CODES`; "" if the file has no ``nature``
``DISAGGREGATION``   every other dimension, ``dim=value`` (see
                     :func:`sources.parsers.base.disaggregation_key`)
``OBS_STATUS``       "" (the DDF export carries none; the row frame fills ``A``)
``LOC_ROW``          CSV row number, header = row 1
===================  ==========================================================

Code mappings (DDF code -> observatory/SDMX code)
-------------------------------------------------
Sex (:data:`SEX_CODES`): ``bothsex`` -> ``_T``; ``female`` -> ``F``; ``male`` ->
``M``; ``u`` -> ``_U`` (unknown); ``o`` -> ``_O`` (other, 2023 release); ``x`` -> ``_X``; ``notspec`` ("not specified")
-> ``_X``, the SDMX generic code for *unspecified* (so ``notspec`` and ``x`` meet).

Age (:func:`age_code`), one rule per shape of code, which maps every code of
``ddf--entities--age.csv`` deterministically:

* ``allage`` -> ``_T``;
* ``A_B`` (a closed band in years, ``18_29``) -> ``YATB`` (``Y18T29``);
* ``A`` (a bare number, "A and over": the entities file names it ``15+``) ->
  ``Y_GEA`` (``Y_GE15``);
* ``ltAy`` ("under A years", ``lt18y``) -> ``Y_LTA`` (``Y_LT18``);
* ``lt_Ay`` (named ``<=45Y``: A years or under) -> ``Y_LEA`` (``Y_LE45``);
* ``ltAm`` ("under A months", ``lt1m``) -> ``M_LTA`` (``M_LT1``);
* ``mAtB`` (a band in months, ``m36t47``) -> ``MATB`` (``M36T47``), the code the
  SDG database itself uses;
* ``u`` -> ``_U``; ``x`` and ``notspec`` -> ``_X`` (as for sex).

A code matching none of these (not in the 2020 entities file) is kept upper-case
and listed in ``facts["unmapped_codes"]`` so that the mapping can be extended; the
row is not an error, since the statistic itself was read.

Nature (:data:`NATURE_CODES`): ``c``, ``ca``, ``e``, ``g``, ``m``, ``n`` ->
upper-case (C country data, CA country adjusted, E estimated, G global monitoring,
M modelled, N non-relevant); ``notspec`` -> "" (the source states no nature, which
the observatory records exactly as a source without a nature column).

Any other dimension of a datapoints file (the database has e.g. ``location``,
``education_level``) goes to ``DISAGGREGATION`` as ``dim=value`` with the DDF
code as written.

Errors
------
A wrong file name, a header that does not match it, an empty file or a file with
no data rows raise :class:`SourceFileError`. A data row that can be located but
not read (wrong number of cells, a blank or non-numeric value, a blank dimension
code) is returned with ``PARSE_ERROR`` set.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sources.parsers.base import (
    ParseResult,
    SourceFileError,
    disaggregation_key,
    empty_rows,
    make_rows,
)
from sources.parsers.limits import check_cells, read_records

#: The series the observatory takes from the SDG database (lower-case DDF codes).
PROJECT_SERIES: list[str] = [
    "vc_vaw_sxvln",  # 16.2.3
    "vc_vaw_phypyv",  # 16.2.1
    "vc_htf_detv",  # 16.2.2
    "vc_htf_detvsx",  # 16.2.2
    "vc_vaw_marr",  # 5.2.1
    "vc_prr_sexv",  # 16.3.1
    "vc_vov_sexl",  # 16.1.3
]

#: Series added with the December 2023 release (un-sdg-global-database-2023-12/).
SERIES_ADDED_2023: list[str] = [
    "vc_htf_detvr",  # 16.2.2, victims per 100,000
    "vc_htf_detvsxr",  # 16.2.2, victims of sexual exploitation per 100,000
    "it_use_ii99",  # 17.8.1, internet use (context, goal 6)
    "se_adt_acts",  # 4.4.1, ICT skills (context, goal 7)
]

#: Dimensions that have a column of their own in the parsed rows.
KNOWN_DIMENSIONS = {"age", "geo_area", "nature", "sex", "units", "year"}

SEX_CODES: dict[str, str] = {
    "bothsex": "_T",
    "female": "F",
    "male": "M",
    "u": "_U",
    "x": "_X",
    "notspec": "_X",
    "o": "_O",  # "other" (2023 release, trafficking victims; the entities file names it _O)
}

NATURE_CODES: dict[str, str] = {
    "c": "C",
    "ca": "CA",
    "e": "E",
    "g": "G",
    "m": "M",
    "n": "N",
    "notspec": "",
}

_SPECIAL_AGE = {"allage": "_T", "u": "_U", "x": "_X", "notspec": "_X"}
_AGE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d+)_(\d+)$"), "Y{0}T{1}"),
    (re.compile(r"^(\d+)$"), "Y_GE{0}"),
    (re.compile(r"^lt(\d+)y$"), "Y_LT{0}"),
    (re.compile(r"^lt_(\d+)y$"), "Y_LE{0}"),
    (re.compile(r"^lt(\d+)m$"), "M_LT{0}"),
    (re.compile(r"^m(\d+)t(\d+)$"), "M{0}T{1}"),
]

_FILE_NAME = re.compile(r"^ddf--datapoints--(?P<series>[a-z0-9_]+)--by--(?P<dims>[a-z0-9_\-]+)\.csv$")


def age_code(code: str) -> str | None:
    """SDMX-style age code for a DDF age code, or ``None`` if no rule applies."""
    key = code.strip().lower()
    if key in _SPECIAL_AGE:
        return _SPECIAL_AGE[key]
    for pattern, template in _AGE_RULES:
        match = pattern.match(key)
        if match:
            return template.format(*match.groups())
    return None


def _split_file_name(path: Path) -> tuple[str, list[str]]:
    match = _FILE_NAME.match(path.name.lower())
    if not match:
        raise SourceFileError(
            path,
            "this is not a DDF datapoints file name.",
            hint=(
                "Give one datapoints file of the SDG DDF extract, named "
                "'ddf--datapoints--<series>--by--<dimension>--...--year.csv' "
                "(e.g. ddf--datapoints--vc_vaw_sxvln--by--age--geo_area--nature--sex--units--year.csv)."
            ),
            code="file_wrong_name",
            params={"expected": "ddf--datapoints--<series>--by--<dimensions>.csv"},
        )
    dims = [d for d in match.group("dims").split("--") if d]
    return match.group("series"), dims


def _read_text(path: Path) -> str:
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
            hint="Use the CSV file exactly as downloaded from the DDF repository.",
            code="file_not_text",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            path,
            f"the file is not valid UTF-8 (byte {exc.start + 1} cannot be read).",
            hint="DDF files are UTF-8; download the file again without converting it.",
            code="file_encoding",
            params={"encoding": "UTF-8", "byte": exc.start + 1},
        ) from None


def _parse_number(raw: str) -> tuple[float | None, str]:
    text = raw.strip()
    if not text:
        return None, "the value cell is blank"
    try:
        value = float(text)
    except ValueError:
        return None, f"'{raw}' is not a number (DDF values are written with a decimal point, e.g. 12.5)"
    if value != value or value in (float("inf"), float("-inf")):
        return None, f"'{raw}' is not a finite number"
    return value, ""


def parse(path: Path, *, series: list[str] | None = None) -> ParseResult:
    """Parse one DDF datapoints CSV of the SDG database into observation rows.

    ``series``: if given, the file's series must be one of them (case-insensitive);
    otherwise :class:`SourceFileError` says which series the file holds.
    """
    path = Path(path)
    series_code, dims_from_name = _split_file_name(path)
    if series is not None:
        wanted = {s.strip().lower() for s in series}
        if series_code not in wanted:
            raise SourceFileError(
                path,
                f"this file holds series '{series_code}', which is not among the series asked for "
                f"({', '.join(sorted(wanted))}).",
                hint="Pass the datapoints file of one of those series, or add this series to the list.",
            )

    text = _read_text(path)
    records = read_records(path, text, hint="Download the datapoints file again.")
    check_cells(path, rows=len(records) - 1)
    # Trailing blank lines are not rows.
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    if not records:
        raise SourceFileError(
            path,
            "the file is empty (no header, no data).",
            hint="Download the datapoints file again.",
            code="file_empty",
        )
    header = [h.strip().lower() for h in records[0]]
    expected = set(dims_from_name) | {series_code}
    if set(header) != expected or len(header) != len(expected):
        missing = sorted(expected - set(header))
        extra = sorted(set(header) - expected)
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            detail.append(f"unexpected column(s) {', '.join(extra)}")
        if len(header) != len(set(header)):
            detail.append("a column name is repeated")
        raise SourceFileError(
            path,
            "the header does not match the file name: "
            + "; ".join(detail)
            + f". Expected the columns {', '.join(dims_from_name)}, {series_code}.",
            where="row 1",
            hint="Use the datapoints file unchanged: its name lists its dimension columns.",
            code="file_missing_column" if missing else "file_header_mismatch",
            params={"columns": ", ".join(missing), "found": ", ".join(header), "detail": "; ".join(detail)},
        )
    data_records = records[1:]
    if not data_records:
        raise SourceFileError(
            path,
            "the file has a header row but no data rows.",
            hint="Download the datapoints file again; a series file always has data.",
            code="file_header_only",
        )

    index = {name: i for i, name in enumerate(header)}
    value_col = index[series_code]
    other_dims = sorted(d for d in dims_from_name if d not in KNOWN_DIMENSIONS)
    measure = series_code.upper()
    unmapped: dict[str, set[str]] = {}

    def note_unmapped(dim: str, code: str) -> None:
        unmapped.setdefault(dim, set()).add(code)

    out: list[dict[str, Any]] = []
    for offset, record in enumerate(data_records):
        row_number = offset + 2  # header is row 1
        errors: list[str] = []
        if not any(cell.strip() for cell in record):
            out.append(
                {
                    "MEASURE": measure,
                    "LOC_ROW": row_number,
                    "PARSE_ERROR": "the row is blank in the middle of the file",
                }
            )
            continue
        if len(record) != len(header):
            errors.append(f"the row has {len(record)} cells but the header has {len(header)} columns")
        cell = {name: (record[i].strip() if i < len(record) else "") for name, i in index.items()}

        value: float | None = None
        value_raw = record[value_col] if value_col < len(record) else ""
        if not errors:
            value, problem = _parse_number(value_raw)
            if problem:
                errors.append(problem)

        for dim in ("geo_area", "year"):
            if dim in index and not cell[dim]:
                errors.append(f"the {dim} cell is blank")

        sex = ""
        if "sex" in index:
            code = cell["sex"].lower()
            if not code:
                errors.append("the sex cell is blank")
            else:
                sex = SEX_CODES.get(code, code.upper())
                if code not in SEX_CODES:
                    note_unmapped("sex", code)
        age = ""
        if "age" in index:
            code = cell["age"].lower()
            if not code:
                errors.append("the age cell is blank")
            else:
                mapped = age_code(code)
                if mapped is None:
                    note_unmapped("age", code)
                    mapped = code.upper()
                age = mapped
        nature = ""
        if "nature" in index:
            code = cell["nature"].lower()
            if code:
                nature = NATURE_CODES.get(code, code.upper())
                if code not in NATURE_CODES:
                    note_unmapped("nature", code)
        unit = cell["units"].upper() if "units" in index else ""

        out.append(
            {
                "MEASURE": measure,
                "AREA_RAW": cell.get("geo_area", ""),
                "TIME_PERIOD_RAW": cell.get("year", ""),
                "OBS_VALUE": value if not errors else None,
                "VALUE_RAW": value_raw,
                "UNIT_MEASURE": unit,
                "OBS_STATUS": "",
                "SEX": sex,
                "AGE": age,
                "DISAGGREGATION": disaggregation_key({d: cell[d] for d in other_dims}),
                "NATURE": nature,
                "LOC_ROW": row_number,
                "PARSE_ERROR": "; ".join(errors),
            }
        )

    rows = make_rows(out) if out else empty_rows()
    facts: dict[str, Any] = {
        "file": path.name,
        "series": series_code,
        "measure": measure,
        "dimensions": dims_from_name,
        "rows_with_errors": int((rows["PARSE_ERROR"] != "").sum()),
        "unmapped_codes": {dim: sorted(codes) for dim, codes in sorted(unmapped.items())},
    }
    return ParseResult(rows=rows, rows_read=len(data_records), facts=facts)


def _series_files(folder: Path, series_code: str) -> list[Path]:
    prefix = f"ddf--datapoints--{series_code}--by--"
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.lower().startswith(prefix) and p.name.lower().endswith(".csv")
    )


def parse_dataset(folder: Path, series: list[str]) -> ParseResult:
    """Parse the datapoints files of the listed series in a DDF folder, concatenated.

    A series may be split over several datapoints files (one per set of dimensions);
    all of them are read. ``facts["files"]`` lists, in the order of the rows, each
    file read with its series, its number of rows and the half-open range
    ``[first_row, end_row)`` of its rows in the combined frame (``LOC_ROW`` is the row
    within that file). A listed series with no file raises :class:`SourceFileError`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceFileError(
            folder,
            "this is not a folder.",
            hint="Give the folder of the DDF extract (the one holding ddf--datapoints--*.csv).",
        )
    if not series:
        raise SourceFileError(
            folder, "no series were asked for.", hint=f"List the series to read, e.g. {', '.join(PROJECT_SERIES[:2])}."
        )
    frames: list[pd.DataFrame] = []
    files: list[dict[str, Any]] = []
    unmapped: dict[str, set[str]] = {}
    rows_read = 0
    position = 0
    seen: list[str] = []
    for name in series:
        code = name.strip().lower()
        if code in seen:
            continue
        seen.append(code)
        paths = _series_files(folder, code)
        if not paths:
            raise SourceFileError(
                folder,
                f"no datapoints file for series '{code}' (looked for 'ddf--datapoints--{code}--by--*.csv').",
                hint="Check the series code against ddf--concepts--continuous.csv, or add the file to the folder.",
            )
        for p in paths:
            result = parse(p)
            frames.append(result.rows)
            n = len(result.rows)
            files.append({"file": p.name, "series": code, "rows": n, "first_row": position, "end_row": position + n})
            position += n
            rows_read += result.rows_read
            for dim, codes in result.facts["unmapped_codes"].items():
                unmapped.setdefault(dim, set()).update(codes)
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    facts = {
        "folder": folder.name,
        "series": seen,
        "files": files,
        "rows_with_errors": int((rows["PARSE_ERROR"] != "").sum()),
        "unmapped_codes": {dim: sorted(codes) for dim, codes in sorted(unmapped.items())},
    }
    return ParseResult(rows=rows, rows_read=rows_read, facts=facts)


def series_metadata(folder: Path, series: list[str] | None = None) -> pd.DataFrame:
    """Series descriptions from ``ddf--concepts--continuous.csv``, for the measures dimension.

    Columns: ``MEASURE`` (upper-case series code), ``SERIES`` (DDF code),
    ``DESCRIPTION``, ``SDG_GOAL``, ``SDG_TARGET``, ``SDG_INDICATOR`` (text, as
    written: ``"16.2.3"``). Only concepts of type ``measure``; if ``series`` is given,
    only those series (in that order), and a listed series that is absent raises
    :class:`SourceFileError`.
    """
    path = Path(folder) / "ddf--concepts--continuous.csv"
    if not path.is_file():
        raise SourceFileError(
            path,
            "the concepts file is missing from the DDF folder.",
            hint="Copy ddf--concepts--continuous.csv from the DDF extract into the folder.",
        )
    text = _read_text(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFileError(
            path,
            f"the concepts file cannot be read as CSV ({exc}).",
            hint="Download ddf--concepts--continuous.csv again.",
        ) from None
    needed = {"concept", "concept_type", "description", "goal", "indicator", "target"}
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise SourceFileError(
            path,
            f"the concepts file lacks the column(s) {', '.join(missing)}.",
            where="row 1",
            hint="Use the ddf--concepts--continuous.csv of the SDG DDF extract unchanged.",
        )
    frame = frame[frame["concept_type"].str.strip().str.lower() == "measure"]
    out = pd.DataFrame(
        {
            "MEASURE": frame["concept"].str.strip().str.upper(),
            "SERIES": frame["concept"].str.strip().str.lower(),
            "DESCRIPTION": frame["description"].str.strip(),
            "SDG_GOAL": frame["goal"].str.strip(),
            "SDG_TARGET": frame["target"].str.strip(),
            "SDG_INDICATOR": frame["indicator"].str.strip(),
        }
    )
    if series is not None:
        wanted = [s.strip().lower() for s in series]
        absent = [s for s in wanted if s not in set(out["SERIES"])]
        if absent:
            raise SourceFileError(
                path,
                f"no description for series {', '.join(absent)}.",
                hint="Check the series codes against the concepts file.",
            )
        out = (
            out.set_index("SERIES")
            .loc[wanted]
            .reset_index()[["MEASURE", "SERIES", "DESCRIPTION", "SDG_GOAL", "SDG_TARGET", "SDG_INDICATOR"]]
        )
    return out.reset_index(drop=True)
