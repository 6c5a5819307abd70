"""Downloads: per-figure CSV files and all data as one zip (SDMX: :mod:`dashboards.sdmx`).

Every file holds only rows of the edition's sharing levels (the caller filters), text
cells are neutralised against spreadsheet formulas (:func:`warehouse.exports.neutralise_formulas`),
and the bytes are a pure function of the inputs (sorted rows, fixed zip timestamps).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from dashboards.precision import round_column, whole_if_whole
from warehouse.exports import neutralise_formulas

#: Columns of every indicator CSV (the figures of one chart and its table).
CSV_COLUMNS = [
    "INDICATOR",
    "REF_AREA",
    "TIME_PERIOD",
    "SEX",
    "AGE",
    "DISAGGREGATION",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "OBS_STATUS",
    "CONF_STATUS",
    "COVERAGE",
    "SHARING",
    "SYNTHETIC",
    "SOURCE_IDS",
    "NUMERATOR",
    "DENOMINATOR",
    "OBS_TEXT",
    "N_WITHHELD_AT_SOURCE",
]


_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def csv_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The published columns of indicator rows (missing columns are left empty).

    ``CONF_STATUS`` (SDMX code list CL_CONF_STATUS): F free, C withheld small count,
    D withheld to protect a C, A withheld at source by the publisher (``OBS_TEXT`` holds its
    published text, e.g. "<5"); a withheld row's value, numerator and denominator are empty.
    ``N_WITHHELD_AT_SOURCE``: inputs of the value (for an aggregate, countries) withheld at source."""
    frame = pd.DataFrame({c: rows[c] if c in rows.columns else "" for c in CSV_COLUMNS})
    if "CONF_STATUS" in rows.columns:  # values withheld by disclosure control
        frame["CONF_STATUS"] = rows["CONF_STATUS"].fillna("F")
        withheld = frame["CONF_STATUS"].isin(["C", "D", "A"])
        frame.loc[withheld, ["OBS_VALUE", "NUMERATOR", "DENOMINATOR"]] = None
    else:
        frame["CONF_STATUS"] = "F"
    # one precision rule per unit (dashboards.precision): no float noise, counts whole
    if "OBS_VALUE" in rows.columns and len(frame):
        frame["OBS_VALUE"] = round_column(frame["OBS_VALUE"], frame["UNIT_MEASURE"].astype(str))
        for column in ("NUMERATOR", "DENOMINATOR"):
            frame[column] = whole_if_whole(frame[column])
        if "COVERAGE" in rows.columns:
            frame["COVERAGE"] = round_column(frame["COVERAGE"], "RATIO")
    return frame.reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    safe = neutralise_formulas(frame)
    for column in ("OBS_VALUE", "COVERAGE"):  # numbers, never formulas: keep ints as ints (no "329.0")
        if column in frame.columns and frame[column].dtype == object:
            safe[column] = frame[column]
    safe.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_bytes(path, csv_bytes(frame))


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip of ``{name: bytes}`` with sorted names and fixed timestamps (same inputs, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()
