"""The later operations end to end over the real XML path and the real services: zeep →
requests-wsgi-adapter → the WSGI app → spyne → :class:`MecApp` → the test database, and back.

Certificates are accepted the way production accepts them: uploaded through the SOAP edge and
processed by the worker (:class:`tests.services.world.World`).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import inspect
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
import wsgiadapter
import zeep
import zeep.exceptions
from sqlalchemy import Engine, select
from zeep.transports import Transport

from mec_ws.config import DEFAULT_PUBLIC_URL
from mec_ws.services.app import MecApp
from mec_ws.services.protocol import MecServices
from mec_ws.web.wsgi import make_wsgi_app
from models import CancellationRequest, EstatusCancelacion
from tests.services.world import PASSWORD, World, build_world, make_zip

BASE = "http://127.0.0.1:8000"
WSDL_URL = f"{BASE}/mec/ws?wsdl"
IPES = {"usuario": "ipes1", "password": PASSWORD}
OTHER = {"usuario": "ipes2", "password": PASSWORD}
OPERATOR = {"usuario": "operador", "password": PASSWORD}


def soap_client(app: MecApp) -> zeep.Client:
    assert app.settings.public_url == DEFAULT_PUBLIC_URL
    session = requests.Session()
    session.mount(BASE, wsgiadapter.WSGIAdapter(make_wsgi_app(app, app.settings)))
    return zeep.Client(WSDL_URL, transport=Transport(session=session))


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


@pytest.fixture
def client(world: World) -> zeep.Client:
    return soap_client(world.app)


def fault_code(call: Callable[[], Any]) -> tuple[str, str]:
    """(errorMec/codigo, faultstring) of the fault ``call`` raises."""
    with pytest.raises(zeep.exceptions.Fault) as info:
        call()
    fault = info.value
    codigo = fault.detail.find(".//{*}errorMec/{*}codigo").text
    assert fault.code.rpartition(":")[2] == f"Client.{codigo}"
    return codigo, fault.message


def accept(client: zeep.Client, world: World, files: dict[str, bytes], *, zipped: bool) -> list[str]:
    """Upload ``files`` (one XML, or a ZIP) through SOAP, let the worker accept them; their folios."""
    folio = world.folio(len(files))
    if zipped:
        name, content = "lote.zip", make_zip(files)
    else:
        ((name, content),) = files.items()
    r = client.service.cargaCertificados(
        autenticacion=IPES, folioPago=folio, nombreArchivo=name, archivoBase64=content
    )
    world.drain()
    status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
    (lote,) = status.lotes.lote
    assert (lote.numeroLote, lote.estatus) == (r.numeroLote, "ACEPTADO"), lote
    return [a.folioControl for a in lote.detalle.archivo]


@pytest.fixture
def accepted(client: zeep.Client, world: World) -> list[str]:
    """Three accepted certificates of institution 000001: one single-XML upload, one ZIP of two."""
    single = accept(client, world, {"uno.xml": world.certificate(1)}, zipped=False)
    pair = accept(
        client, world, {"dos.xml": world.certificate(2), "tres.xml": world.certificate(3)}, zipped=True
    )
    return single + pair


def test_mec_app_implements_every_protocol_method() -> None:
    wanted = {n for n, _ in inspect.getmembers(MecServices, inspect.isfunction) if not n.startswith("_")}
    assert len(wanted) == 14  # authenticate and the thirteen operations
    for name in sorted(wanted):
        ours, theirs = inspect.signature(getattr(MecApp, name)), inspect.signature(getattr(MecServices, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert ours.return_annotation == theirs.return_annotation, name


# --- exportaCertificados ----------------------------------------------------------------------------


def test_exporta_certificados_csv_and_xlsx_match_the_query(client: zeep.Client, accepted: list[str]) -> None:
    page = client.service.consultaCertificados(autenticacion=IPES, pagina=1, registrosPorPagina=500)
    listed = [c.folioControl for c in page.certificados.certificado]
    assert sorted(listed) == sorted(accepted)

    r = client.service.exportaCertificados(autenticacion=IPES, formato="CSV")
    assert r.nombreArchivo.endswith(".csv")
    assert r.archivoBase64.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.archivoBase64.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == len(listed)
    column = next(i for i, name in enumerate(header) if "folio" in name.lower() and "control" in name.lower())
    assert [row[column] for row in body] == listed

    only = client.service.exportaCertificados(
        autenticacion=IPES, filtro={"folioControl": listed[1]}, formato="XLSX"
    )
    assert only.nombreArchivo.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(only.archivoBase64), read_only=True).worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    assert listed[1] in values[-1] and len([v for v in values if listed[1] in v]) == 1


def test_exporta_certificados_sees_only_the_callers_institution(
    client: zeep.Client, accepted: list[str]
) -> None:
    r = client.service.exportaCertificados(autenticacion=OTHER, formato="CSV")
    text = r.archivoBase64.decode("utf-8-sig")
    assert not any(folio in text for folio in accepted)


# --- descargaCertificado as PDF -----------------------------------------------------------------------


def test_descarga_certificado_pdf(client: zeep.Client, accepted: list[str]) -> None:
    r = client.service.descargaCertificado(autenticacion=IPES, folioControl=accepted[0], formato="PDF")
    assert r.nombreArchivo.endswith(".pdf")
    assert r.archivoBase64.startswith(b"%PDF-") and b"%%EOF" in r.archivoBase64[-1024:]
    xml = client.service.descargaCertificado(autenticacion=IPES, folioControl=accepted[0], formato="XML")
    assert xml.archivoBase64.startswith(b"<?xml") or xml.archivoBase64.lstrip().startswith(b"<")


def test_descarga_certificado_pdf_of_a_foreign_certificate_is_not_found(
    client: zeep.Client, accepted: list[str]
) -> None:
    codigo, _ = fault_code(
        lambda: client.service.descargaCertificado(
            autenticacion=OTHER, folioControl=accepted[0], formato="PDF"
        )
    )
    assert codigo == "CertificadoInexistente"


# --- solicitaCancelacion ------------------------------------------------------------------------------


def test_solicita_cancelacion_then_the_certificate_is_pending_everywhere(
    client: zeep.Client, world: World, accepted: list[str]
) -> None:
    folio = accepted[0]
    r = client.service.solicitaCancelacion(
        autenticacion=IPES, folioControl=folio, motivo="C1", observaciones="Error en la CURP."
    )
    assert (r.folioControl, r.estatus) == (folio, "CANCELACION_SOLICITADA")
    assert r.fechaSolicitud == world.clock.now
    assert r.fechaEfectiva == world.clock.now + timedelta(hours=world.settings.cancelacion_horas)
    assert r.mensaje
    page = client.service.consultaCertificados(
        autenticacion=IPES, filtro={"estatus": "CANCELACION_SOLICITADA"}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioControl for c in page.certificados.certificado] == [folio]
    with world.sessions() as s:
        (request,) = s.scalars(select(CancellationRequest)).all()
        assert (request.motivo, request.observaciones, request.estatus) == (
            "C1",
            "Error en la CURP.",
            EstatusCancelacion.PENDIENTE,
        )
    codigo, mensaje = fault_code(
        lambda: client.service.solicitaCancelacion(autenticacion=IPES, folioControl=folio, motivo="C2")
    )
    assert codigo == "CancelacionNoPermitida" and folio in mensaje


def test_solicita_cancelacion_faults(client: zeep.Client, accepted: list[str]) -> None:
    def cancel(auth: dict[str, str], folio: str, motivo: str = "C1") -> Callable[[], Any]:
        return lambda: client.service.solicitaCancelacion(
            autenticacion=auth, folioControl=folio, motivo=motivo
        )

    assert fault_code(cancel(IPES, "NO-EXISTE"))[0] == "CertificadoInexistente"
    assert fault_code(cancel(OTHER, accepted[0]))[0] == "CertificadoInexistente"
    assert fault_code(cancel(IPES, accepted[0], motivo="ZZ"))[0] == "SolicitudInvalida"
    assert fault_code(cancel(OPERATOR, accepted[0]))[0] == "CancelacionNoPermitida"


# --- consultaDocumentos / descargaDocumento -----------------------------------------------------------


def test_documentos_are_listed_and_downloaded_with_their_digest(client: zeep.Client) -> None:
    documentos = client.service.consultaDocumentos(autenticacion=IPES)
    names = [d.nombre for d in documentos]
    assert len(names) == len(set(names)) >= 6
    assert any(n.endswith(".xsd") for n in names) and any(
        n.endswith(".xslt") or n.endswith(".xsl") for n in names
    )
    assert any(n.endswith(".csv") for n in names) and any(n.endswith(".wsdl") for n in names)
    for d in documentos:
        r = client.service.descargaDocumento(autenticacion=IPES, nombre=d.nombre)
        assert r.nombreArchivo == d.nombre
        assert (len(r.archivoBase64), hashlib.sha256(r.archivoBase64).hexdigest()) == (d.tamano, d.sha256)
        assert d.descripcion


def test_the_published_wsdl_is_the_one_served(client: zeep.Client) -> None:
    (wsdl,) = [d for d in client.service.consultaDocumentos(autenticacion=IPES) if d.nombre.endswith(".wsdl")]
    published = client.service.descargaDocumento(autenticacion=IPES, nombre=wsdl.nombre).archivoBase64
    served = client.transport.session.get(WSDL_URL).content
    assert published == served


@pytest.mark.parametrize("nombre", ["no-existe.pdf", "../setup.cfg", "/etc/passwd"])
def test_unknown_document_is_documento_inexistente(client: zeep.Client, nombre: str) -> None:
    codigo, _ = fault_code(lambda: client.service.descargaDocumento(autenticacion=IPES, nombre=nombre))
    assert codigo == "DocumentoInexistente"


# --- concluyePruebas ----------------------------------------------------------------------------------


@pytest.fixture
def pruebas(world: World) -> tuple[World, zeep.Client]:
    """The same world, served as the test environment (MEC_AMBIENTE=pruebas)."""
    settings = dataclasses.replace(world.settings, ambiente="pruebas")
    app = MecApp(settings, world.sessions, storage=world.app.storage, clock=world.clock)
    world = dataclasses.replace(world, settings=settings, app=app)
    return world, soap_client(app)


def test_concluye_pruebas_refused_until_ten_with_xml_and_zip(pruebas: tuple[World, zeep.Client]) -> None:
    world, client = pruebas
    codigo, mensaje = fault_code(lambda: client.service.concluyePruebas(autenticacion=IPES))
    assert codigo == "PruebasIncompletas" and "10" in mensaje

    accept(client, world, {f"c{n}.xml": world.certificate(n) for n in range(1, 10)}, zipped=True)
    codigo, mensaje = fault_code(lambda: client.service.concluyePruebas(autenticacion=IPES))
    assert codigo == "PruebasIncompletas"  # nine, all in a ZIP: one more, as a single XML
    assert "XML" in mensaje

    accept(client, world, {"c10.xml": world.certificate(10)}, zipped=False)
    r = client.service.concluyePruebas(autenticacion=IPES)
    assert r.estatus and r.mensaje

    # the other institution has done nothing yet
    assert fault_code(lambda: client.service.concluyePruebas(autenticacion=OTHER))[0] == "PruebasIncompletas"


def test_concluye_pruebas_is_refused_outside_the_test_environment(client: zeep.Client, world: World) -> None:
    assert not world.settings.pruebas
    with pytest.raises(zeep.exceptions.Fault) as info:
        client.service.concluyePruebas(autenticacion=IPES)
    assert info.value.code.rpartition(":")[2].startswith("Client.")
