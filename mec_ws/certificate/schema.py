"""XSD validation of the certificate: the upload form and the SEP-stamped form.

``xsd/dec-3.0.xsd`` is what an institution uploads (no ``Dreoe``/``SepIpes``, or only their empty
placeholders at the end; ``folioControl`` optional, as in the SEP's XSD);
``xsd/dec-3.0-sellado.xsd`` is the stamped file the SEP returns.  Both are published for download
(:func:`xsd_bytes`).  The XSDs type the values (dates, decimals, entity keys, 18-character CURPs);
finer judgements (CURP check digit, catalogs, totals) are rules.

lxml ``XMLSchema`` objects keep their ``error_log`` on the object, so one validator shared by
threads would mix errors of concurrent runs: each thread compiles its own (once).
"""

from __future__ import annotations

import threading
from importlib import resources

from lxml import etree

from mec_ws.certificate.document import NS
from mec_ws.certificate.reader import hardened_parser
from mec_ws.findings import Finding
from mec_ws.xsd_errors import schema_errors

XSD_UPLOAD = "dec-3.0.xsd"
XSD_STAMPED = "dec-3.0-sellado.xsd"
XSD_FILES: tuple[str, ...] = (XSD_UPLOAD, XSD_STAMPED)

_local = threading.local()


def xsd_bytes(name: str) -> bytes:
    """The XSD file as shipped (for ``descargaDocumento``)."""
    if name not in XSD_FILES:
        raise KeyError(name)
    return resources.files(__package__).joinpath("xsd", name).read_bytes()


def _schema(name: str) -> etree.XMLSchema:
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(name)
    if schema is None:
        doc = etree.fromstring(xsd_bytes(name), parser=hardened_parser())
        schema = cache[name] = etree.XMLSchema(doc)
    return schema


def _validate(root: etree._Element, name: str) -> list[Finding]:
    return [
        Finding(
            code="XSD_INVALIDO",
            message=f"No cumple el esquema {name}: {e.spanish} (detalle: {e.detail})",
            location=f"{e.location} (línea {e.line})",
        )
        for e in schema_errors(_schema(name), root, root_name="Dec")
    ]


def validate_upload(root: etree._Element) -> list[Finding]:
    """``XSD_INVALIDO`` findings (one per libxml2 error) against the upload schema ``dec-3.0.xsd``."""
    return _validate(root, XSD_UPLOAD)


def validate_stamped(root: etree._Element) -> list[Finding]:
    """``XSD_INVALIDO`` findings against the stamped schema ``dec-3.0-sellado.xsd``."""
    return _validate(root, XSD_STAMPED)


__all__ = ["NS", "XSD_FILES", "XSD_STAMPED", "XSD_UPLOAD", "validate_stamped", "validate_upload", "xsd_bytes"]
