"""The contract every parser follows: a received file in, tidy rows with locations out.

A parser turns one received file into a :class:`ParseResult`:

* ``rows``: a pandas DataFrame with exactly :data:`PARSED_COLUMNS`, one row per
  observation *as written in the source* (area and period not yet harmonised);
* ``facts``: figures the document states about itself (e.g. NCMEC's worldwide total in
  the introduction), used by reconciliation checks downstream;
* ``rows_read``: how many data rows the parser saw, so that conservation
  (read = staged + quarantined) can be proved per file.

A row the parser can locate but not read (text in a numeric cell, a blank value) is
*not dropped*: it is returned with ``PARSE_ERROR`` set to a message a person
understands, and the pipeline sends it to quarantine.

A file that cannot be read at all (not a PDF, truncated, wrong layout, encrypted) raises
:class:`SourceFileError`, which the CLI prints as one clear message, never a traceback.

Parsers are pure: they read only the path they are given and never touch the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

#: Columns of ``ParseResult.rows``, in order.
PARSED_COLUMNS: list[str] = [
    "MEASURE",  # measure code, e.g. CYBERTIPLINE_REPORTS, VC_VAW_SXVLN
    "AREA_RAW",  # area exactly as written: a name ("Brasil") or a code ("076", "BRA")
    "TIME_PERIOD_RAW",  # period exactly as written: "2019", "2024-Q3", "2018/19", "2020-2021"
    "OBS_VALUE",  # float, or NaN when PARSE_ERROR is set
    "VALUE_RAW",  # the value cell as written ("398,069", "12,5"), for messages and audit
    "UNIT_MEASURE",  # NUMBER, PERCENT, PER_100000_POP, ...
    "OBS_STATUS",  # SDMX observation status: A normal, E estimated, P provisional, ...
    "SEX",  # _T total, F, M, or "" when the source has no sex dimension
    "AGE",  # _T total or an age band code like Y18T29, "" when absent
    "DISAGGREGATION",  # other breakdowns as "Key=Value|Key=Value" sorted by key, "" = headline
    "NATURE",  # SDG nature of data (C country, E estimated, M modelled, ...), "" if none
    "LOC_PAGE",  # PDF page number (1-based), <NA> otherwise
    "LOC_LINE",  # line on the PDF page (1-based), <NA> otherwise
    "LOC_SHEET",  # spreadsheet sheet name, "" otherwise
    "LOC_ROW",  # spreadsheet/CSV row number as a person sees it (header = row 1)
    "PARSE_ERROR",  # "" when the row parsed; otherwise why it could not be read
    # Values that exist without a number (docs: SCHEMA decision "values that exist without a number"):
    "OBS_TEXT",  # the published text when the cell is not a number ("<5"); "" otherwise
    "CONF_STATUS",  # SDMX CL_CONF_STATUS: F free (default), A withheld by the publisher (small counts)
    "COMMENT_OBS",  # the publisher's footnotes on this value, in words ("" if none)
]


class SourceFileError(Exception):
    """A whole file cannot be read. Carries what a person needs to fix it.

    ``where`` is the location when known (e.g. ``"page 3"``, ``"sheet Data, row 4"``);
    ``hint`` says what to do (e.g. "Export the sheet again as .xlsx").

    ``code`` (optional) names the kind of problem (``file_empty``, ``file_truncated``, ...)
    and ``params`` its values, so that the message can be given in Spanish, English or
    Portuguese (templates in ``sources/validation/messages.yaml``, rendered by
    :func:`sources.validation.messages.file_problem`); without a code the English text
    above is used in every language.
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        where: str = "",
        hint: str = "",
        code: str = "",
        params: dict[str, Any] | None = None,
    ):
        self.path = Path(path)
        self.problem = problem
        self.where = where
        self.hint = hint
        self.code = code
        self.params = dict(params or {})
        super().__init__(self.message())

    def message(self) -> str:
        parts = [f"{self.path.name}"]
        if self.where:
            parts.append(self.where)
        text = ", ".join(parts) + f": {self.problem}"
        if self.hint:
            text += f" What to do: {self.hint}"
        return text


@dataclass
class ParseResult:
    rows: pd.DataFrame
    rows_read: int
    facts: dict[str, Any] = field(default_factory=dict)


class Parser(Protocol):
    def __call__(self, path: Path, **options: Any) -> ParseResult: ...


def empty_rows() -> pd.DataFrame:
    """A correctly typed, empty rows frame."""
    return make_rows([])


def make_rows(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Build a rows frame from dicts, filling absent columns with their neutral value.

    Every parser uses this so that column order and dtypes are identical everywhere.
    """
    frame = pd.DataFrame.from_records(records, columns=PARSED_COLUMNS)
    text_cols = [
        "MEASURE",
        "AREA_RAW",
        "TIME_PERIOD_RAW",
        "VALUE_RAW",
        "UNIT_MEASURE",
        "OBS_STATUS",
        "SEX",
        "AGE",
        "DISAGGREGATION",
        "NATURE",
        "LOC_SHEET",
        "PARSE_ERROR",
        "OBS_TEXT",
        "CONF_STATUS",
        "COMMENT_OBS",
    ]
    for col in text_cols:
        frame[col] = frame[col].fillna("").astype(str)
    frame["OBS_STATUS"] = frame["OBS_STATUS"].replace("", "A")
    frame["CONF_STATUS"] = frame["CONF_STATUS"].replace("", "F")
    frame["OBS_VALUE"] = pd.to_numeric(frame["OBS_VALUE"], errors="coerce").astype("float64")
    for col in ["LOC_PAGE", "LOC_LINE", "LOC_ROW"]:
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def disaggregation_key(pairs: dict[str, str]) -> str:
    """Canonical text for a set of breakdowns: ``Key=Value|Key=Value`` sorted by key.

    Empty values are left out, so a headline row (no breakdown) gives ``""``.
    """
    items = sorted((k.strip(), str(v).strip()) for k, v in pairs.items() if str(v).strip())
    return "|".join(f"{k}={v}" for k, v in items)
