"""consultaDocumentos / descargaDocumento: the generated documents come from the sources the service
uses (the WSDL for the configured public URL, the manual), plus the SEP's uploaded documents."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from mec_ws import catalogs, errors, programs
from mec_ws.certificate import cadena, schema
from mec_ws.config import Settings
from mec_ws.documents import build_manual
from mec_ws.services.documents import consulta_documentos, descarga_documento
from mec_ws.services.dto import Principal
from mec_ws.soap.app import build_wsdl
from models import Document
from tests.db import rows

IPES = Principal(1, "ipes1", "000001", False)
OPERATOR = Principal(2, "operador", None, True)

GENERATED = sorted(
    [
        "dec-3.0.xsd",
        "dec-3.0-sellado.xsd",
        "programa-1.0.xsd",
        "cadena_dec.xslt",
        "cadena_dreoe.xslt",
        "cadena_sepipes.xslt",
        *(f"catalogo_{name}.csv" for name in catalogs.CATALOGS),
        "mec.wsdl",
        "manual-integracion.md",
    ]
)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return replace(Settings.from_env({}), public_url="https://mec.example.gob.mx/mec/ws")


@pytest.fixture
def db(session: Session) -> Session:
    rows.institution(session, "000001")
    session.commit()
    return session


def upload(session: Session, nombre: str, content: bytes, descripcion: str = "Circular de la SEP") -> None:
    session.add(
        Document(
            nombre=nombre,
            descripcion=descripcion,
            media_type="application/pdf",
            content=content,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
    )
    session.commit()


def test_every_generated_document_is_listed_sorted_with_size_and_hash_of_the_served_bytes(
    db: Session, settings: Settings
) -> None:
    listed = consulta_documentos(db, IPES, settings=settings)
    assert [d.nombre for d in listed] == GENERATED
    for doc in listed:
        served = descarga_documento(db, IPES, doc.nombre, settings=settings)
        assert served.nombre_archivo == doc.nombre
        assert doc.tamano == len(served.contenido) > 0
        assert doc.sha256 == hashlib.sha256(served.contenido).hexdigest()
        assert doc.descripcion.endswith(".")
    assert consulta_documentos(db, OPERATOR, settings=settings) == listed


def test_the_files_are_the_ones_the_service_uses(db: Session, settings: Settings) -> None:
    def served(nombre: str) -> bytes:
        return descarga_documento(db, IPES, nombre, settings=settings).contenido

    assert served("dec-3.0.xsd") == schema.xsd_bytes(schema.XSD_UPLOAD)
    assert served("dec-3.0-sellado.xsd") == schema.xsd_bytes(schema.XSD_STAMPED)
    assert served("programa-1.0.xsd") == programs.xsd_bytes()
    for name in cadena.XSLT_FILES:
        assert served(name) == cadena.xslt_bytes(name)
    for name in catalogs.CATALOGS:
        assert served(f"catalogo_{name}.csv") == catalogs.csv_bytes(name)


def test_the_wsdl_is_the_one_served_for_the_public_url(db: Session, settings: Settings) -> None:
    wsdl = descarga_documento(db, IPES, "mec.wsdl", settings=settings).contenido
    assert wsdl == build_wsdl(settings)
    assert b'location="https://mec.example.gob.mx/mec/ws"' in wsdl
    default = Settings.from_env({})
    assert descarga_documento(db, IPES, "mec.wsdl", settings=default).contenido == build_wsdl(default)


def test_the_served_manual_is_build_manual(db: Session, settings: Settings) -> None:
    manual = descarga_documento(db, IPES, "manual-integracion.md", settings=settings).contenido
    assert manual == build_manual(settings)
    assert "https://mec.example.gob.mx/mec/ws" in manual.decode("utf-8")


def test_sep_uploaded_documents_are_listed_and_served(db: Session, settings: Settings) -> None:
    upload(db, "aviso-2026.pdf", b"%PDF-1.4 aviso")
    upload(db, "zz-guia.pdf", b"%PDF-1.4 guia", "Guía rápida")
    listed = consulta_documentos(db, IPES, settings=settings)
    assert [d.nombre for d in listed] == sorted([*GENERATED, "aviso-2026.pdf", "zz-guia.pdf"])
    aviso = next(d for d in listed if d.nombre == "aviso-2026.pdf")
    assert (aviso.descripcion, aviso.tamano) == ("Circular de la SEP", len(b"%PDF-1.4 aviso"))
    assert aviso.sha256 == hashlib.sha256(b"%PDF-1.4 aviso").hexdigest()
    got = descarga_documento(db, OPERATOR, "zz-guia.pdf", settings=settings)
    assert (got.nombre_archivo, got.contenido) == ("zz-guia.pdf", b"%PDF-1.4 guia")


def test_a_generated_name_cannot_be_shadowed_by_an_upload(db: Session, settings: Settings) -> None:
    upload(db, "mec.wsdl", b"<otro/>")
    listed = consulta_documentos(db, IPES, settings=settings)
    assert [d.nombre for d in listed] == GENERATED
    assert descarga_documento(db, IPES, "mec.wsdl", settings=settings).contenido == build_wsdl(settings)


@pytest.mark.parametrize("nombre", ["no-existe.pdf", "", "DEC-3.0.XSD", "../mec_ws/config.py", "x" * 300])
def test_unknown_document(db: Session, settings: Settings, nombre: str) -> None:
    with pytest.raises(errors.DocumentoInexistente) as exc:
        descarga_documento(db, IPES, nombre, settings=settings)
    assert "consultaDocumentos" in exc.value.mensaje
    assert len(exc.value.mensaje) < 250
