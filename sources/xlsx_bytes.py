"""Reproducible .xlsx bytes: the same workbook gives the same file, with or without lxml.

openpyxl stamps save times in the ZIP entries and in ``docProps/core.xml``, and serialises
XML with lxml when it is installed and with the standard library otherwise (the two differ
in bytes only). :func:`deterministic_xlsx` fixes the times and writes every XML part in
canonical form, so generated templates and SYNTHETIC examples can be compared byte for byte.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def canonical_xml(data: bytes) -> bytes:
    """An XML part in canonical form (W3C C14N 2.0, standard library), with an XML declaration."""
    return _XML_DECLARATION + ElementTree.canonicalize(data.decode("utf-8")).encode("utf-8")


def deterministic_xlsx(raw: bytes, stamp: str) -> bytes:
    """``raw`` rewritten with fixed ZIP times, the document dates set to ``stamp``
    (``YYYY-MM-DDTHH:MM:SSZ``) and every XML part in canonical form."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            if info.filename.endswith((".xml", ".rels")):
                data = canonical_xml(data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()
