"""Downloads: per-figure CSV files, all data as one zip, SDMX-CSV and SDMX-ML 2.1.

Every file holds only rows of the edition's sharing levels (the caller filters), text
cells are neutralised against spreadsheet formulas (:func:`sources.exports.neutralise_formulas`),
and the bytes are a pure function of the inputs (sorted rows, fixed zip timestamps, the
SDMX header's ``Prepared`` date taken from the data).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import pandas as pd

from sources.exports import neutralise_formulas

#: Columns of every indicator CSV (the figures of one chart and its table).
CSV_COLUMNS = ["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION", "OBS_VALUE",
               "UNIT_MEASURE", "OBS_STATUS", "COVERAGE", "SHARING", "SYNTHETIC", "SOURCE_IDS",
               "NUMERATOR", "DENOMINATOR"]

SDMX_DIMENSIONS = ["INDICATOR", "REF_AREA", "SEX", "AGE", "DISAGGREGATION"]
SDMX_ATTRIBUTES = ["UNIT_MEASURE", "OBS_STATUS", "SHARING"]
AGENCY = "CLAC"
DATAFLOW = "DF_CLAC_INDICATORS"
DSD = "DSD_CLAC_INDICATORS"

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def csv_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The published columns of indicator rows (missing columns are left empty)."""
    frame = pd.DataFrame({c: rows[c] if c in rows.columns else "" for c in CSV_COLUMNS})
    if "CONF_STATUS" in rows.columns:  # values withheld by disclosure control
        withheld = rows["CONF_STATUS"].isin(["C", "D"])
        frame.loc[withheld, ["OBS_VALUE", "NUMERATOR", "DENOMINATOR"]] = None
        frame.loc[withheld, "OBS_STATUS"] = "Q"
    return frame.reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    neutralise_formulas(frame).to_csv(buffer, index=False, lineterminator="\n")
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


def _code(value) -> str:
    """A dimension value: an empty disaggregation is SDMX's ``_Z`` (not applicable)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "":
        return "_Z"
    return str(value)


def sdmx_prepared(values: pd.DataFrame) -> dt.datetime:
    """The header's ``Prepared`` date: the end of the latest year in the data (never 'now')."""
    years = pd.to_numeric(values["TIME_PERIOD"].astype(str).str[:4], errors="coerce").dropna() \
        if len(values) else pd.Series(dtype=float)
    year = int(years.max()) if len(years) else 1970
    return dt.datetime(year, 12, 31, 0, 0, 0)


def sdmx_documents(values: pd.DataFrame) -> tuple[bytes, bytes]:
    """(SDMX-CSV 1.0, structure-specific SDMX-ML 2.1) of indicator values, with sdmx1.

    Missing values are NaN (written ``NaN`` in the XML, empty in the CSV)."""
    import sdmx
    from sdmx import message
    from sdmx.format.csv.common import Attributes
    from sdmx.format.csv.v1 import FormatOptions
    from sdmx.model import common, v21

    maintainer = common.Agency(id=AGENCY)
    dsd = v21.DataStructureDefinition(id=DSD, maintainer=maintainer, version="1.0")
    flow = v21.DataflowDefinition(id=DATAFLOW, maintainer=maintainer, version="1.0", structure=dsd)
    for order, dim in enumerate(SDMX_DIMENSIONS):
        dsd.dimensions.getdefault(id=dim, order=order)
    dsd.dimensions.append(v21.TimeDimension(id="TIME_PERIOD", order=len(SDMX_DIMENSIONS)))
    measure = dsd.measures.getdefault(id="OBS_VALUE")
    attributes = {a: dsd.attributes.getdefault(id=a) for a in SDMX_ATTRIBUTES}
    dataset = v21.StructureSpecificDataSet(described_by=flow, structured_by=dsd)

    frame = csv_frame(values).sort_values(SDMX_DIMENSIONS + ["TIME_PERIOD"], kind="mergesort")
    for key_values, group in frame.groupby(SDMX_DIMENSIONS, sort=True, dropna=False):
        key = dsd.make_key(v21.SeriesKey, {d: _code(v) for d, v in zip(SDMX_DIMENSIONS, key_values)})
        observations = []
        for row in group.itertuples(index=False):
            value = row.OBS_VALUE
            value = float("nan") if value is None or pd.isna(value) else float(value)
            observations.append(v21.Observation(
                dimension=dsd.make_key(common.Key, {"TIME_PERIOD": str(row.TIME_PERIOD)}),
                value_for=measure, value=value,
                attached_attribute={a: common.AttributeValue(value=_code(getattr(row, a)), value_for=attributes[a])
                                    for a in SDMX_ATTRIBUTES},
            ))
        dataset.add_obs(observations, key)
    header = message.Header(id="CLAC_INDICATOR_VALUES", prepared=sdmx_prepared(values), sender=maintainer,
                            test=False)
    msg = message.DataMessage(dataflow=flow, data=[dataset], header=header)
    xml = sdmx.to_xml(msg, pretty_print=True).replace(b'OBS_VALUE="nan"', b'OBS_VALUE="NaN"')
    table = sdmx.to_csv(dataset, rtype=pd.DataFrame, format_options=FormatOptions(), attributes=Attributes.all)
    return csv_bytes(table), xml
