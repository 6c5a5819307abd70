"""Write an edition's SDMX files: downloads and the SDMX REST 2.1 layout.

``downloads/sdmx/``
    ``structure.xml`` (the structure message), ``<dataflow>.xml`` (structure-specific
    data), ``<dsd>.xsd`` (its DSD-specific schema), ``<dataflow>.csv`` (SDMX-CSV 2.0).
``sdmx/`` (SDMX REST 2.1 paths, files without extension)
    ``dataflow|datastructure|codelist|conceptscheme/CLAC/all/latest`` and
    ``<resource>/CLAC/<id>/latest``: structure messages; ``data/<dataflow>`` (what
    ``Client.data(<dataflow>)`` asks for): the dataflow's data (a static host cannot
    answer a key: fetch the flow and select in pandas). Any static host serves them; it must send
    :data:`MEDIA_TYPES` (``clac serve`` does), since sdmx1 chooses its reader by the
    response's content type.
"""

from __future__ import annotations

from pathlib import Path

from dashboards import site_cache
from dashboards.sdmx import messages, structure

#: Content type of each REST resource (the first path segment under sdmx/).
MEDIA_TYPES = {
    "data": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
    "structure": "application/vnd.sdmx.structure+xml;version=2.1",
}
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


def _partial(structures, **artefacts) -> bytes:
    """A structure message holding only ``artefacts`` (``codelist=[...]`` ...)."""
    from sdmx import message

    msg = message.StructureMessage(header=structures.header)
    for items in artefacts.values():
        for item in items:
            msg.add(item)
    return structure.structure_xml(msg)


def sdmx_files(data) -> dict[str, bytes]:
    """``{path relative to the site: bytes}`` of every SDMX file of the edition (``data``:
    its :class:`~dashboards.data.SiteData`). The same tables give the same bytes.

    Dataflow and data structure queries get the whole structure message (sdmx1 asks them
    with ``references=all``); code list and concept scheme queries only those artefacts."""
    coded = messages.frames(data)
    structures = structure.build_structures(data, coded)
    full = structure.structure_xml(structures)
    files = {"downloads/sdmx/structure.xml": full}
    for flow_id, frame in coded.items():
        flow = next(f for f in structure.FLOWS if f.flow_id == flow_id)
        msg = messages.data_message(frame, flow, structures, structure.prepared_date(frame))
        xml = messages.data_xml(msg, flow)
        files[f"downloads/sdmx/{flow_id}.xml"] = xml
        files[f"downloads/sdmx/{messages.schema_location(flow)}"] = messages.dsd_schema(flow, structures)
        files[f"downloads/sdmx/{flow_id}.csv"] = messages.csv_bytes(messages.csv_frame(msg))
        files[f"sdmx/data/{flow_id}"] = xml
    rest = f"sdmx/{{}}/{structure.AGENCY_ID}/{{}}/latest"
    for resource, ids in (
        ("dataflow", [f.flow_id for f in structure.FLOWS]),
        ("datastructure", [f.dsd_id for f in structure.FLOWS]),
    ):
        for artefact in ["all"] + ids:
            files[rest.format(resource, artefact)] = full
    files[rest.format("codelist", "all")] = _partial(structures, codelist=structures.codelist.values())
    for cl in structures.codelist.values():
        files[rest.format("codelist", cl.id)] = _partial(structures, codelist=[cl])
    schemes = list(structures.concept_scheme.values())
    files[rest.format("conceptscheme", "all")] = _partial(structures, concept_scheme=schemes)
    for scheme in schemes:
        files[rest.format("conceptscheme", scheme.id)] = _partial(structures, concept_scheme=[scheme])
    return files


#: What the SDMX files are made from: the fields of SiteData they read.
SDMX_INPUTS = ("values", "observations", "registry", "areas", "sources", "allowed_sharing", "audience", "threshold")


def sdmx_key(data) -> str | None:
    """The key the SDMX files are kept under: their inputs (:data:`SDMX_INPUTS`) and code."""
    return site_cache.part_key(data, SDMX_INPUTS)


def write_sdmx(
    data, out_dir: Path, *, cache_dir: Path | None = None, reused: list[str] | None = None, key: str | None = None
) -> dict[str, bytes]:
    """Write :func:`sdmx_files` under ``out_dir``; returns them (for the all-data zip).

    ``cache_dir``: the files made from the same :data:`SDMX_INPUTS` before are copied from there
    (:mod:`dashboards.site_cache`), and "sdmx" is added to ``reused``; else made and kept there.
    ``key``: :func:`sdmx_key`, when the caller has it already."""
    key = (key or sdmx_key(data)) if cache_dir is not None else None
    files = site_cache.lookup(cache_dir, key) if key else None
    if files is not None and reused is not None:
        reused.append("sdmx")
    if files is None:
        files = sdmx_files(data)
        if key:
            site_cache.store(cache_dir, key, files)
    for rel, payload in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    return files
