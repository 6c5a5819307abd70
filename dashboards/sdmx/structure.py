"""The SDMX-ML 2.1 structure message of an edition, built with sdmx1's information model.

Agency ``CLAC``; concept scheme ``CS_CLAC``; code lists (indicators, measures, sources,
areas with es/en/pt names, units, sex, age, observation status, confidentiality status,
sharing level); two data structure definitions and their dataflows:

``DF_CLAC_INDICATOR_VALUES`` (DSD ``DSD_CLAC_INDICATOR_VALUES``)
    INDICATOR, REF_AREA, SEX, AGE, DISAGGREGATION, TIME_PERIOD; OBS_VALUE; attributes
    UNIT_MEASURE, OBS_STATUS, CONF_STATUS, SHARING.
``DF_CLAC_OBSERVATIONS`` (DSD ``DSD_CLAC_OBSERVATIONS``)
    SOURCE_ID, MEASURE, REF_AREA, SEX, AGE, DISAGGREGATION, TIME_PERIOD; OBS_VALUE;
    attributes OBS_STATUS, CONF_STATUS, SHARING.

Every artefact carries the edition's version (:func:`structure_version`): a structure
message is published with every edition, and a consumer can tell editions apart.
Code lists hold the codes the edition uses (plus the cross-domain codes of the status
lists), so each data message is valid against its structure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sdmx
from sdmx import message
from sdmx.model import common, v21

AGENCY_ID = "CLAC"
#: SDMX cross-domain code lists (SDMX Global Registry, CL_OBS_STATUS 2.2, CL_CONF_STATUS 1.3).
OBS_STATUS_CODES = {
    "A": {"en": "Normal value", "es": "Valor normal", "pt": "Valor normal"},
    "B": {"en": "Time series break", "es": "Ruptura de serie", "pt": "Quebra de série"},
    "D": {"en": "Definition differs", "es": "Definición diferente", "pt": "Definição diferente"},
    "E": {"en": "Estimated value", "es": "Valor estimado", "pt": "Valor estimado"},
    "F": {"en": "Forecast value", "es": "Valor previsto", "pt": "Valor previsto"},
    "G": {"en": "Experimental value", "es": "Valor experimental", "pt": "Valor experimental"},
    "I": {"en": "Imputed value", "es": "Valor imputado", "pt": "Valor imputado"},
    "K": {
        "en": "Data included in another category",
        "es": "Dato incluido en otra categoría",
        "pt": "Dado incluído em outra categoria",
    },
    "L": {
        "en": "Missing value; data exist but were not collected",
        "es": "Valor faltante; los datos existen pero no se recogieron",
        "pt": "Valor ausente; os dados existem mas não foram recolhidos",
    },
    "M": {
        "en": "Missing value; data cannot exist",
        "es": "Valor faltante; el dato no puede existir",
        "pt": "Valor ausente; o dado não pode existir",
    },
    "N": {"en": "Not significant", "es": "No significativo", "pt": "Não significativo"},
    "O": {"en": "Missing value", "es": "Valor faltante", "pt": "Valor ausente"},
    "P": {"en": "Provisional value", "es": "Valor provisional", "pt": "Valor provisório"},
    "Q": {"en": "Missing value; suppressed", "es": "Valor faltante; suprimido", "pt": "Valor ausente; suprimido"},
    "S": {
        "en": "Strike and other special events",
        "es": "Huelga y otros eventos especiales",
        "pt": "Greve e outros eventos especiais",
    },
    "U": {"en": "Low reliability", "es": "Baja fiabilidad", "pt": "Baixa confiabilidade"},
    "V": {"en": "Unvalidated value", "es": "Valor no validado", "pt": "Valor não validado"},
}
CONF_STATUS_CODES = {
    "F": {"en": "Free (may be published)", "es": "Libre (publicable)", "pt": "Livre (publicável)"},
    "A": {
        "en": "Primary confidentiality due to small counts",
        "es": "Confidencialidad primaria por recuentos pequeños",
        "pt": "Confidencialidade primária por contagens pequenas",
    },
    "C": {
        "en": "Confidential statistical information",
        "es": "Información estadística confidencial",
        "pt": "Informação estatística confidencial",
    },
    "D": {
        "en": "Secondary confidentiality set by the sender, not for publication",
        "es": "Confidencialidad secundaria fijada por el emisor, no publicable",
        "pt": "Confidencialidade secundária definida pelo emissor, não publicável",
    },
    "N": {
        "en": "Not for publication, restricted for internal use only",
        "es": "No publicable, solo para uso interno",
        "pt": "Não publicável, apenas para uso interno",
    },
}
SHARING_CODES = {
    "CLEAR": {"en": "Public (TLP:CLEAR)", "es": "Público (TLP:CLEAR)", "pt": "Público (TLP:CLEAR)"},
    "GREEN": {
        "en": "CLAC members (TLP:GREEN)",
        "es": "Miembros de la CLAC (TLP:GREEN)",
        "pt": "Membros da CLAC (TLP:GREEN)",
    },
    "AMBER": {
        "en": "Secretariat and data owners (TLP:AMBER)",
        "es": "Secretaría y titulares (TLP:AMBER)",
        "pt": "Secretaria e titulares (TLP:AMBER)",
    },
    "RED": {
        "en": "Named recipients only (TLP:RED)",
        "es": "Solo destinatarios nombrados (TLP:RED)",
        "pt": "Apenas destinatários nomeados (TLP:RED)",
    },
}
#: Generic codes used by the observatory's SEX and AGE columns (SDMX cross-domain CL_SEX / CL_AGE).
GENERIC_CODES = {
    "_T": {"en": "Total", "es": "Total", "pt": "Total"},
    "_Z": {"en": "Not applicable", "es": "No aplicable", "pt": "Não aplicável"},
    "_X": {"en": "Not specified", "es": "No especificado", "pt": "Não especificado"},
    "_U": {"en": "Unknown", "es": "Desconocido", "pt": "Desconhecido"},
    "F": {"en": "Female", "es": "Mujeres", "pt": "Mulheres"},
    "M": {"en": "Male", "es": "Hombres", "pt": "Homens"},
}

CONCEPTS = {
    "INDICATOR": {"en": "Indicator", "es": "Indicador", "pt": "Indicador"},
    "SOURCE_ID": {"en": "Source", "es": "Fuente", "pt": "Fonte"},
    "MEASURE": {"en": "Measure counted by the source", "es": "Medida de la fuente", "pt": "Medida da fonte"},
    "REF_AREA": {"en": "Reference area", "es": "Área de referencia", "pt": "Área de referência"},
    "SEX": {"en": "Sex", "es": "Sexo", "pt": "Sexo"},
    "AGE": {"en": "Age", "es": "Edad", "pt": "Idade"},
    "DISAGGREGATION": {
        "en": "Other categories of the source",
        "es": "Otras categorías de la fuente",
        "pt": "Outras categorias da fonte",
    },
    "TIME_PERIOD": {"en": "Time period", "es": "Período", "pt": "Período"},
    "OBS_VALUE": {"en": "Observation value", "es": "Valor", "pt": "Valor"},
    "UNIT_MEASURE": {"en": "Unit of measure", "es": "Unidad de medida", "pt": "Unidade de medida"},
    "OBS_STATUS": {"en": "Observation status", "es": "Estado de la observación", "pt": "Estado da observação"},
    "CONF_STATUS": {
        "en": "Confidentiality status",
        "es": "Estado de confidencialidad",
        "pt": "Estado de confidencialidade",
    },
    "SHARING": {
        "en": "Sharing level (Traffic Light Protocol)",
        "es": "Nivel de difusión (TLP)",
        "pt": "Nível de partilha (TLP)",
    },
}


@dataclass(frozen=True)
class FlowSpec:
    """One dataflow: its id, the DSD's dimensions (without TIME_PERIOD) and attributes."""

    flow_id: str
    dsd_id: str
    dimensions: tuple[str, ...]
    attributes: tuple[str, ...]
    name: dict[str, str]


VALUES_FLOW = FlowSpec(
    "DF_CLAC_INDICATOR_VALUES",
    "DSD_CLAC_INDICATOR_VALUES",
    ("INDICATOR", "REF_AREA", "SEX", "AGE", "DISAGGREGATION"),
    ("UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS", "SHARING"),
    {
        "en": "CLAC indicator values",
        "es": "Valores de los indicadores de la CLAC",
        "pt": "Valores dos indicadores da CLAC",
    },
)
OBSERVATIONS_FLOW = FlowSpec(
    "DF_CLAC_OBSERVATIONS",
    "DSD_CLAC_OBSERVATIONS",
    ("SOURCE_ID", "MEASURE", "REF_AREA", "SEX", "AGE", "DISAGGREGATION"),
    ("OBS_STATUS", "CONF_STATUS", "SHARING"),
    {
        "en": "CLAC source observations",
        "es": "Observaciones de las fuentes de la CLAC",
        "pt": "Observações das fontes da CLAC",
    },
)
FLOWS = (VALUES_FLOW, OBSERVATIONS_FLOW)

#: Code list of each enumerated concept.
CODELIST_OF = {
    "INDICATOR": "CL_INDICATOR",
    "SOURCE_ID": "CL_SOURCE",
    "MEASURE": "CL_MEASURE",
    "REF_AREA": "CL_AREA",
    "SEX": "CL_SEX",
    "AGE": "CL_AGE",
    "UNIT_MEASURE": "CL_UNIT_MEASURE",
    "OBS_STATUS": "CL_OBS_STATUS",
    "CONF_STATUS": "CL_CONF_STATUS",
    "SHARING": "CL_SHARING",
}


def structure_version(edition: str) -> str:
    """The version of every artefact of an edition: ``1.0.<yyyymmdd>`` of its date, or 1.0."""
    digits = "".join(ch for ch in str(edition or "") if ch.isdigit())[:8]
    return f"1.0.{int(digits)}" if len(digits) == 8 else "1.0"


def _codelist(
    cl_id: str, name: dict[str, str], codes: dict[str, dict[str, str]], version: str, agency: common.Agency
) -> common.Codelist:
    cl = common.Codelist(
        id=cl_id, version=version, maintainer=agency, is_final=True, is_external_reference=False, name=name
    )
    for code_id in codes:
        cl.append(common.Code(id=code_id, name=codes[code_id]))
    return cl


def _labels_of(values, known: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Codes used in ``values`` (sorted), named from ``known`` or by themselves."""
    return {code: known.get(code, {"en": code}) for code in sorted({str(v) for v in values if str(v)})}


def prepared_date(*frames: pd.DataFrame) -> dt.datetime:
    """A header's ``Prepared`` date: the end of the latest year in the data (never 'now', so
    the same edition gives the same bytes)."""
    years = [int(p[:4]) for frame in frames for p in frame["TIME_PERIOD"].astype(str) if p[:4].isdigit()]
    return dt.datetime(max(years) if years else 1970, 12, 31)


def build_structures(data, coded: dict, edition: str = "") -> message.StructureMessage:
    """The structure message for the edition's published tables (``data``: a :class:`SiteData`;
    ``coded``: its rows as SDMX codes per dataflow, :func:`dashboards.sdmx.messages.frames`).

    ``data.values`` / ``data.observations`` give the codes used; the registry, areas,
    sources and indicators/translations.yaml give their es/en/pt names."""
    from dashboards.i18n import registry_labels

    version = structure_version(edition)
    agency = common.Agency(
        id=AGENCY_ID,
        name={
            "en": "CLAC indicators observatory",
            "es": "Observatorio de indicadores de la CLAC",
            "pt": "Observatório de indicadores da CLAC",
        },
    )
    values, observations = coded[VALUES_FLOW.flow_id], coded[OBSERVATIONS_FLOW.flow_id]

    used = {c: set() for c in CODELIST_OF}
    for frame, flow in ((values, VALUES_FLOW), (observations, OBSERVATIONS_FLOW)):
        for column in flow.dimensions + flow.attributes:
            if column in used:
                used[column] |= set(frame[column].astype(str))
    indicators = {
        i: {lang: getattr(ind.name, lang) for lang in ("es", "en", "pt")}
        for i, ind in sorted(data.registry.items())
        if i in used["INDICATOR"]
    }
    area_names = {
        row["REF_AREA"]: {lang: str(row[f"NAME_{lang.upper()}"] or row["REF_AREA"]) for lang in ("es", "en", "pt")}
        for _, row in data.areas.iterrows()
    }
    source_names = {}
    if "NAME" in data.sources.columns:
        source_names = {s: {"en": str(n)} for s, n in zip(data.sources["SOURCE_ID"], data.sources["NAME"])}
    code_sets = {
        "INDICATOR": indicators | _labels_of(used["INDICATOR"] - set(indicators), {}),
        "SOURCE_ID": _labels_of(used["SOURCE_ID"], source_names),
        "MEASURE": _labels_of(used["MEASURE"], {}),
        "REF_AREA": _labels_of(used["REF_AREA"], area_names),
        "SEX": _labels_of(used["SEX"] | {"_T"}, GENERIC_CODES),
        "AGE": _labels_of(used["AGE"] | {"_T"}, GENERIC_CODES),
        "UNIT_MEASURE": _labels_of(used["UNIT_MEASURE"], registry_labels().get("units", {})),
        "OBS_STATUS": OBS_STATUS_CODES,
        "CONF_STATUS": CONF_STATUS_CODES,
        "SHARING": SHARING_CODES,
    }
    codelists = {
        CODELIST_OF[c]: _codelist(CODELIST_OF[c], CONCEPTS[c], codes, version, agency) for c, codes in code_sets.items()
    }

    scheme = common.ConceptScheme(
        id="CS_CLAC",
        version=version,
        maintainer=agency,
        is_final=True,
        is_external_reference=False,
        name={"en": "CLAC concepts", "es": "Conceptos de la CLAC", "pt": "Conceitos da CLAC"},
    )
    for concept_id, name in CONCEPTS.items():
        scheme.append(common.Concept(id=concept_id, name=name))

    msg = message.StructureMessage(
        header=message.Header(
            id=f"CLAC_STRUCTURES_{version.replace('.', '_')}",
            prepared=prepared_date(values, observations),
            sender=agency,
            test=False,
        )
    )
    msg.add(scheme)
    for cl in codelists.values():
        msg.add(cl)
    for flow in FLOWS:
        dsd = _dsd(flow, scheme, codelists, version, agency)
        msg.add(dsd)
        msg.add(
            v21.DataflowDefinition(
                id=flow.flow_id,
                version=version,
                maintainer=agency,
                is_final=True,
                is_external_reference=False,
                name=flow.name,
                structure=dsd,
            )
        )
    return msg


def _representation(concept_id: str, codelists: dict[str, common.Codelist]) -> common.Representation:
    if concept_id in CODELIST_OF:
        return common.Representation(enumerated=codelists[CODELIST_OF[concept_id]])
    return common.Representation(non_enumerated=[common.Facet(value_type=common.FacetValueType.string)])


def _dsd(
    flow: FlowSpec,
    scheme: common.ConceptScheme,
    codelists: dict[str, common.Codelist],
    version: str,
    agency: common.Agency,
) -> v21.DataStructureDefinition:
    dsd = v21.DataStructureDefinition(
        id=flow.dsd_id, version=version, maintainer=agency, is_final=True, is_external_reference=False, name=flow.name
    )
    dsd.dimensions.id, dsd.attributes.id, dsd.measures.id = (
        "DimensionDescriptor",
        "AttributeDescriptor",
        "MeasureDescriptor",
    )  # the fixed SDMX 2.1 ids
    for order, dim_id in enumerate(flow.dimensions, start=1):
        dsd.dimensions.getdefault(
            dim_id,
            cls=common.Dimension,
            order=order,
            concept_identity=scheme[dim_id],
            local_representation=_representation(dim_id, codelists),
        )
    dsd.dimensions.getdefault(
        "TIME_PERIOD",
        cls=common.TimeDimension,
        order=len(flow.dimensions) + 1,
        concept_identity=scheme["TIME_PERIOD"],
        local_representation=common.Representation(
            non_enumerated=[common.Facet(value_type=common.FacetValueType.observationalTimePeriod)]
        ),
    )
    dsd.measures.getdefault(
        "OBS_VALUE",
        cls=v21.PrimaryMeasure,
        concept_identity=scheme["OBS_VALUE"],
        local_representation=common.Representation(
            non_enumerated=[common.Facet(value_type=common.FacetValueType.double)]
        ),
    )
    for attr_id in flow.attributes:
        dsd.attributes.getdefault(
            attr_id,
            cls=common.DataAttribute,
            concept_identity=scheme[attr_id],
            local_representation=_representation(attr_id, codelists),
            usage_status=common.UsageStatus.mandatory,
            related_to=v21.PrimaryMeasureRelationship(),
        )
    return dsd


def structure_xml(msg: message.StructureMessage) -> bytes:
    """The structure message as SDMX-ML 2.1 (sdmx1's writer)."""
    return sdmx.to_xml(msg, pretty_print=True)
