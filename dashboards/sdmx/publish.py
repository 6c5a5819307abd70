"""Write an edition's SDMX files: downloads and the SDMX REST 2.1 layout.

``downloads/sdmx/``
    ``structure.xml`` (the structure message), ``<dataflow>.xml`` (structure-specific
    data), ``<dsd>.xsd`` (its DSD-specific schema), ``<dataflow>.csv`` (SDMX-CSV 2.0).
``sdmx/`` (SDMX REST 2.1 paths, files without extension)
    ``dataflow|datastructure|codelist|conceptscheme/CLAC/all/latest`` and
    ``<resource>/CLAC/<id>/latest`` and ``.../<id>/<version>``: the structure message;
    ``data/<dataflow>`` (what ``Client.data(<dataflow>)`` asks for) and
    ``data/CLAC,<dataflow>,<version>/all``: the dataflow's data (a static host cannot
    answer a key: fetch the flow and select in pandas). Any static host serves them; it must send
    :data:`MEDIA_TYPES` (``clac serve`` does), since sdmx1 chooses its reader by the
    response's content type.
"""

from __future__ import annotations

from pathlib import Path

from dashboards.sdmx import messages, structure

#: Content type of each REST resource (the first path segment under sdmx/).
MEDIA_TYPES = {"data": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
               "structure": "application/vnd.sdmx.structure+xml;version=2.1"}
STRUCTURE_RESOURCES = ("dataflow", "datastructure", "codelist", "conceptscheme")


def media_type(rest_path: str) -> str | None:
    """The content type of a file under ``sdmx/`` (None: not an SDMX REST resource)."""
    parts = rest_path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "sdmx":
        return None
    if parts[1] == "data":
        return MEDIA_TYPES["data"]
    if parts[1] in STRUCTURE_RESOURCES:
        return MEDIA_TYPES["structure"]
    return None


def sdmx_files(data) -> dict[str, bytes]:
    """``{path relative to the site: bytes}`` of every SDMX file of the edition (``data``:
    its :class:`~dashboards.data.SiteData`). The same tables give the same bytes."""
    structures = structure.build_structures(data)
    structure_xml = structure.structure_xml(structures)
    version = structure.structure_version("")
    files = {"downloads/sdmx/structure.xml": structure_xml}
    for flow_id, frame in messages.frames(data).items():
        flow = next(f for f in structure.FLOWS if f.flow_id == flow_id)
        msg = messages.data_message(frame, flow, structures, structure.prepared_date(frame))
        xml = messages.data_xml(msg, flow)
        files[f"downloads/sdmx/{flow_id}.xml"] = xml
        files[f"downloads/sdmx/{messages.schema_location(flow)}"] = messages.dsd_schema(flow, structures)
        files[f"downloads/sdmx/{flow_id}.csv"] = messages.csv_bytes(messages.csv_frame(msg))
        for rest in (f"data/{flow_id}", f"data/{structure.AGENCY_ID},{flow_id},{version}/all"):
            files[f"sdmx/{rest}"] = xml
    ids = {"dataflow": [f.flow_id for f in structure.FLOWS], "datastructure": [f.dsd_id for f in structure.FLOWS],
           "codelist": list(structures.codelist), "conceptscheme": list(structures.concept_scheme)}
    for resource in STRUCTURE_RESOURCES:
        for artefact in ["all"] + ids[resource]:
            for ver in ("latest", version):
                files[f"sdmx/{resource}/{structure.AGENCY_ID}/{artefact}/{ver}"] = structure_xml
    return files


def write_sdmx(data, out_dir: Path) -> dict[str, bytes]:
    """Write :func:`sdmx_files` under ``out_dir``; returns them (for the all-data zip)."""
    files = sdmx_files(data)
    for rel, payload in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return files
