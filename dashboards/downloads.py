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

from dashboards.precision import round_column, whole_if_whole
from sources.exports import neutralise_formulas

#: Columns of every indicator CSV (the figures of one chart and its table).
CSV_COLUMNS = ["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION", "OBS_VALUE",
               "UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS", "COVERAGE", "SHARING", "SYNTHETIC", "SOURCE_IDS",
               "NUMERATOR", "DENOMINATOR"]

SDMX_DIMENSIONS = ["INDICATOR", "REF_AREA", "SEX", "AGE", "DISAGGREGATION"]
SDMX_ATTRIBUTES = ["UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS", "SHARING"]
AGENCY = "CLAC"
DATAFLOW = "DF_CLAC_INDICATORS"
DSD = "DSD_CLAC_INDICATORS"

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def csv_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The published columns of indicator rows (missing columns are left empty).

    ``CONF_STATUS`` (SDMX code list CL_CONF_STATUS): F free, C withheld small count,
    D withheld to protect a C; a withheld row's value, numerator and denominator are empty."""
    frame = pd.DataFrame({c: rows[c] if c in rows.columns else "" for c in CSV_COLUMNS})
    if "CONF_STATUS" in rows.columns:  # values withheld by disclosure control
        frame["CONF_STATUS"] = rows["CONF_STATUS"].fillna("F")
        withheld = frame["CONF_STATUS"].isin(["C", "D"])
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
    """(SDMX-CSV 1.0, structure-specific SDMX-ML 2.1) of indicator values.

    Written with the standard library, in the layout the ``sdmx1`` package writes
    (``sdmx.to_csv`` with SDMX-CSV 1.0 options; ``sdmx.to_xml`` of a
    ``StructureSpecificDataSet``): sdmx1 needs lxml, and lxml installed makes openpyxl
    write different workbook bytes, which breaks the bundled templates' reproducibility.
    Missing values are NaN (``NaN`` in the XML, empty in the CSV)."""
    from xml.etree import ElementTree as ET

    frame = csv_frame(values).sort_values(SDMX_DIMENSIONS + ["TIME_PERIOD"], kind="mergesort")
    dims = {d: [_code(v) for v in frame[d]] for d in SDMX_DIMENSIONS}
    attrs = {a: [_code(v) for v in frame[a]] for a in SDMX_ATTRIBUTES}
    periods = [str(p) for p in frame["TIME_PERIOD"]]
    numbers = [float("nan") if v is None or pd.isna(v) else float(v) for v in frame["OBS_VALUE"]]

    # SDMX-CSV 1.0: DATAFLOW, dimensions, TIME_PERIOD, OBS_VALUE, attributes
    table = pd.DataFrame({"DATAFLOW": f"{AGENCY}:{DATAFLOW}(1.0)", **{d: dims[d] for d in SDMX_DIMENSIONS},
                          "TIME_PERIOD": periods, "OBS_VALUE": numbers, **attrs})

    ns = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
          "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
          "ss": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific",
          "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
    for prefix, uri in ns.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{{{ns['mes']}}}StructureSpecificData")
    root.set("xmlns:ss", ns["ss"])  # the prefix of the xsi:type value below (not a tag: declare it)
    header = ET.SubElement(root, f"{{{ns['mes']}}}Header")
    ET.SubElement(header, f"{{{ns['mes']}}}ID").text = "CLAC_INDICATOR_VALUES"
    ET.SubElement(header, f"{{{ns['mes']}}}Test").text = "false"
    ET.SubElement(header, f"{{{ns['mes']}}}Prepared").text = sdmx_prepared(values).isoformat()
    ET.SubElement(header, f"{{{ns['mes']}}}Sender", id=AGENCY)
    structure = ET.SubElement(header, f"{{{ns['mes']}}}Structure", {
        "structureID": DSD, "namespace": f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD}(1.0)",
        "dimensionAtObservation": "TIME_PERIOD"})
    com = ET.SubElement(structure, f"{{{ns['com']}}}Structure")
    ET.SubElement(com, "Ref", id=DSD, version="1.0", agencyID=AGENCY, package="datastructure", **{"class": "DataStructure"})
    dataset = ET.SubElement(root, f"{{{ns['mes']}}}DataSet", {
        "structureRef": DSD, f"{{{ns['xsi']}}}type": f"ss:{DSD}"})
    series = None
    last_key = None
    for i in range(len(frame)):
        key = tuple(dims[d][i] for d in SDMX_DIMENSIONS)
        if key != last_key:
            series = ET.SubElement(dataset, "Series", dict(zip(SDMX_DIMENSIONS, key)))
            last_key = key
        value = numbers[i]
        obs = {"TIME_PERIOD": periods[i], "OBS_VALUE": "NaN" if math.isnan(value) else repr(value)}
        obs.update({a: attrs[a][i] for a in SDMX_ATTRIBUTES})
        ET.SubElement(series, "Obs", obs)
    ET.indent(root, space="  ")
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return csv_bytes(table), xml
