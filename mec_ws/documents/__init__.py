""" "Descargas archivos IPES": the documents an institution downloads (``consultaDocumentos``).

Every generated document is built from the very source the service uses (the shipped XSDs and
XSLTs, the catalog CSVs, the WSDL served under ``settings.public_url``, and an integrator's manual
generated from that WSDL and the code tables), so what an institution downloads never drifts from
what the service checks.  :func:`generated_documents` lists them; the service adds the SEP's own
uploaded documents (``models.Document``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from mec_ws import catalogs, programs
from mec_ws.certificate import cadena, schema
from mec_ws.config import Settings
from mec_ws.documents.manual import MANUAL_NAME, build_manual

WSDL_NAME = "mec.wsdl"


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    nombre: str
    descripcion: str
    media_type: str
    build: Callable[[Settings], bytes]


def _wsdl(settings: Settings) -> bytes:
    from mec_ws.soap.app import build_wsdl  # spyne is imported only when a WSDL is needed

    return build_wsdl(settings)


def _const(data: Callable[[], bytes]) -> Callable[[Settings], bytes]:
    return lambda _settings: data()


def _xslt(name: str) -> Callable[[Settings], bytes]:
    return lambda _settings: cadena.xslt_bytes(name)


def _catalog(name: str) -> Callable[[Settings], bytes]:
    return lambda _settings: catalogs.csv_bytes(name)


_XSLT_DESCRIPTIONS = {
    "cadena_dec.xslt": "XSLT de la cadena original del certificado (la que firma la institución).",
    "cadena_dreoe.xslt": "XSLT de la cadena original del nodo Dreoe (sello de la SEP).",
    "cadena_sepipes.xslt": "XSLT de la cadena original del nodo SepIpes (sello de la SEP).",
}


def document_specs() -> tuple[DocumentSpec, ...]:
    """Every generated document, sorted by name."""
    specs: list[DocumentSpec] = [
        DocumentSpec(
            schema.XSD_UPLOAD,
            "Esquema XSD del certificado electrónico (Dec 3.0) que carga la institución.",
            "application/xml",
            _const(lambda: schema.xsd_bytes(schema.XSD_UPLOAD)),
        ),
        DocumentSpec(
            schema.XSD_STAMPED,
            "Esquema XSD del certificado sellado por la SEP (con los nodos Dreoe y SepIpes).",
            "application/xml",
            _const(lambda: schema.xsd_bytes(schema.XSD_STAMPED)),
        ),
        DocumentSpec(
            programs.XSD_NAME,
            "Esquema XSD del programa de estudios (cargaProgramaEstudios).",
            "application/xml",
            _const(programs.xsd_bytes),
        ),
        *(
            DocumentSpec(
                name,
                _XSLT_DESCRIPTIONS[name],
                "application/xslt+xml",
                _xslt(name),
            )
            for name in cadena.XSLT_FILES
        ),
        *(
            DocumentSpec(
                f"catalogo_{name}.csv",
                f"Catálogo: {description} (CSV UTF-8, columnas ID y DESCRIPCION).",
                "text/csv",
                _catalog(name),
            )
            for name, description in catalogs.CATALOGS.items()
        ),
        DocumentSpec(
            WSDL_NAME,
            "WSDL del servicio (SOAP 1.1, document/literal wrapped) con la dirección de este servicio.",
            "application/wsdl+xml",
            _wsdl,
        ),
        DocumentSpec(
            MANUAL_NAME,
            "Manual de integración en español (Markdown): operaciones, campos, fallas, ejemplos con zeep "
            "y códigos de hallazgo.",
            "text/markdown",
            build_manual,
        ),
    ]
    return tuple(sorted(specs, key=lambda s: s.nombre))


def generated_names() -> frozenset[str]:
    return frozenset(s.nombre for s in document_specs())


@dataclass(frozen=True, slots=True)
class GeneratedDocument:
    nombre: str
    descripcion: str
    media_type: str
    content: bytes


@lru_cache(maxsize=8)
def generated_documents(settings: Settings) -> tuple[GeneratedDocument, ...]:
    """The generated documents with their bytes for ``settings`` (cached: built once per process)."""
    return tuple(
        GeneratedDocument(s.nombre, s.descripcion, s.media_type, s.build(settings)) for s in document_specs()
    )


__all__ = [
    "MANUAL_NAME",
    "WSDL_NAME",
    "DocumentSpec",
    "GeneratedDocument",
    "build_manual",
    "document_specs",
    "generated_documents",
    "generated_names",
]
