"""Structure rules: the root element, version, certificate type, SEP nodes, '|' in cadena values."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from mec_ws.certificate.document import (
    DEC_TAG,
    NS,
    SEP_TAGS,
    TIPO_CERTIFICADO_IPES,
    VERSION,
    DecDocument,
    is_placeholder,
)
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error
from mec_ws.rules.common import pipe_fields


def check_root(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    if doc.root.tag != DEC_TAG:
        tag = doc.root.tag if isinstance(doc.root.tag, str) else "?"
        yield error(
            "XML_RAIZ_INVALIDA",
            f"El elemento raíz es {tag}; debe ser Dec en el espacio de nombres {NS}.",
            "Dec",
        )


def check_version(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    version = doc.dec.get("version")
    if version is None:
        yield error(
            "VERSION_NO_SOPORTADA",
            "El certificado no indica su versión; debe ser 3.0.",
            doc.dec.loc("version"),
        )
    elif version.strip() != VERSION:
        yield error(
            "VERSION_NO_SOPORTADA",
            f"La versión del certificado es '{version}'; solo se acepta la versión {VERSION}.",
            doc.dec.loc("version"),
        )


def check_tipo_certificado(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    tipo = doc.dec.get("tipoCertificado")
    if tipo is None or tipo.strip() != TIPO_CERTIFICADO_IPES:
        shown = "no viene" if tipo is None else f"es '{tipo}'"
        yield error(
            "TIPO_CERTIFICADO_INVALIDO",
            f"tipoCertificado {shown}; debe ser {TIPO_CERTIFICADO_IPES} (certificado de IPES).",
            doc.dec.loc("tipoCertificado"),
        )


def check_sep_nodes(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    """Only the SEP fills ``Dreoe``/``SepIpes``; empty placeholders (``<Dreoe/>``) are allowed."""
    seen: dict[str, int] = {}
    for el in doc.root:
        if el.tag not in SEP_TAGS:
            continue
        name = etree.QName(el).localname
        seen[name] = seen.get(name, 0) + 1
        if is_placeholder(el):
            continue
        path = f"Dec/{name}" if seen[name] == 1 else f"Dec/{name}[{seen[name]}]"
        yield error(
            "NODOS_SEP_PRESENTES",
            f"El certificado ya trae el nodo {name} con atributos o contenido; ese nodo solo lo llena "
            f"la SEP al sellar. Cárguelo sin él, o vacío (<{name}/>).",
            path,
        )


def check_pipes(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    for location in pipe_fields(doc):
        yield error(
            "VALOR_CON_BARRA",
            "El valor contiene el carácter '|', que separa los campos de la cadena original; no se permite.",
            location,
        )


STRUCTURE_RULES: tuple[Rule, ...] = (
    Rule("elemento raíz", ("XML_RAIZ_INVALIDA",), check_root),
    Rule("versión", ("VERSION_NO_SOPORTADA",), check_version),
    Rule("tipo de certificado", ("TIPO_CERTIFICADO_INVALIDO",), check_tipo_certificado),
    Rule("nodos de la SEP", ("NODOS_SEP_PRESENTES",), check_sep_nodes),
    Rule("carácter '|' en la cadena", ("VALOR_CON_BARRA",), check_pipes),
)
