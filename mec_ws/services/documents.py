"""``consultaDocumentos`` / ``descargaDocumento``: "Descargas archivos IPES".

The list is the generated documents of :mod:`mec_ws.documents` (XSDs, XSLTs, catalogs, the WSDL
for ``settings.public_url`` and the integrator's manual) plus the documents the SEP uploaded
(``models.Document``), sorted by name.  Size and SHA-256 are computed from the exact bytes
``descargaDocumento`` serves.  A generated name is reserved: an uploaded row with the same name is
not listed nor served (what the service checks must be what institutions download).  Every
authenticated user, of an institution or of the SEP, sees the same documents.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.documents import generated_documents, generated_names
from mec_ws.errors import DocumentoInexistente
from mec_ws.services.dto import Archivo, Documento, Principal
from models import Document


def _documento(nombre: str, descripcion: str, content: bytes) -> Documento:
    return Documento(
        nombre=nombre,
        descripcion=descripcion,
        tamano=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def consulta_documentos(session: Session, who: Principal, *, settings: Settings) -> list[Documento]:
    del who  # every user sees the same documents
    listed = [_documento(d.nombre, d.descripcion, d.content) for d in generated_documents(settings)]
    reserved = generated_names()
    try:
        uploaded = session.execute(
            select(Document.nombre, Document.descripcion, Document.content).order_by(Document.nombre)
        ).all()
    finally:
        session.rollback()
    listed += [_documento(n, d, c) for n, d, c in uploaded if n not in reserved]
    return sorted(listed, key=lambda d: d.nombre)


def descarga_documento(session: Session, who: Principal, nombre: str, *, settings: Settings) -> Archivo:
    del who
    for doc in generated_documents(settings):
        if doc.nombre == nombre:
            return Archivo(nombre_archivo=doc.nombre, contenido=doc.content)
    try:
        content = session.scalar(select(Document.content).where(Document.nombre == nombre))
    finally:
        session.rollback()
    if content is None or nombre in generated_names():
        shown = nombre if len(nombre) <= 100 else nombre[:100] + "…"
        raise DocumentoInexistente(
            f"No existe el documento '{shown}'; consulte los nombres disponibles con consultaDocumentos."
        )
    return Archivo(nombre_archivo=nombre, contenido=content)
