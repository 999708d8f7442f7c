"""The hardened XML reader: every XML that comes from outside goes through here.

No DTD, no entities, no network, no huge trees, a size limit.  A UTF-8 BOM is fine; a document
that declares another encoding, or whose bytes are not UTF-8, is a finding (``XML_CODIFICACION``)
rather than a crash.  Errors are :class:`mec_ws.errors.XmlReadError` carrying the finding code.
"""

from __future__ import annotations

import re

from lxml import etree

from mec_ws.errors import XmlReadError

UTF8_BOM = b"\xef\xbb\xbf"
_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.S)
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


def hardened_parser() -> etree.XMLParser:
    """A fresh parser that resolves nothing and loads nothing (lxml parsers are not thread-safe)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )


def too_large(size: int, max_bytes: int) -> XmlReadError:
    """The error of an XML of ``size`` bytes over ``max_bytes`` (known before reading it)."""
    return XmlReadError(
        "XML_DEMASIADO_GRANDE", f"El XML mide {size:,} bytes; el máximo permitido es {max_bytes:,} bytes."
    )


def read_xml(data: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> etree._ElementTree:
    """Parse untrusted bytes into a tree, or raise :class:`XmlReadError` with a finding code."""
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if not data.strip():
        raise XmlReadError("XML_MAL_FORMADO", "El archivo está vacío.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise XmlReadError("XML_CODIFICACION", "El XML está en UTF-16; debe estar en UTF-8.")
    body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    match = _DECL.match(body[:512])
    if match is not None:
        declared = match.group(1).decode("ascii").lower()
        if declared not in ("utf-8", "utf8"):
            raise XmlReadError(
                "XML_CODIFICACION",
                f"El XML declara la codificación {match.group(1).decode('ascii')}; debe ser UTF-8.",
            )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlReadError(
            "XML_CODIFICACION",
            f"El XML contiene bytes que no son UTF-8 válido (posición {exc.start}).",
        ) from None
    if b"<!" in body and any(marker in body for marker in _FORBIDDEN):  # every marker starts "<!"
        raise XmlReadError(
            "XML_DTD_PROHIBIDO", "El XML contiene una declaración DOCTYPE o ENTITY; no se permiten."
        )
    try:
        tree = etree.ElementTree(etree.fromstring(body, parser=hardened_parser()))
    except etree.XMLSyntaxError as exc:
        raise XmlReadError("XML_MAL_FORMADO", f"El XML no está bien formado: {exc.msg}.") from None
    if tree.docinfo.doctype:
        raise XmlReadError("XML_DTD_PROHIBIDO", "El XML contiene una declaración DOCTYPE; no se permite.")
    return tree
