"""Files of real Dec 3.0 generators, end to end over SOAP against the real services (issue 7, item 7).

Public generators end ``Dec`` with empty ``<Dreoe/>`` ``<SepIpes/>`` placeholders and may leave the
(optional) ``folioControl`` out.  Such certificates are uploaded through the SOAP edge, accepted by
the worker (placeholders replaced by the stamp), found in every listing with ``folioControl``
absent, downloaded and cancelled by ``folioDigital``; ``folioControl`` keeps working for the
clients that send it alone.  zeep → requests-wsgi-adapter → the WSGI app → spyne → ``MecApp`` →
the test database (SQLite, and PostgreSQL with ``MEC_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
import wsgiadapter
import zeep
from lxml import etree
from sqlalchemy import Engine, select

from mec_ws.certificate.document import q
from mec_ws.certificate.stamp import verify_stamped
from mec_ws.testdata.pki import default_pki
from mec_ws.web.verification import verification_app
from mec_ws.web.wsgi import make_wsgi_app
from models import Certificate
from tests.reports.conftest import pdf_text
from tests.services.world import World, build_world, make_zip
from tests.test_soap_real_services import BASE, IPES, OPERATOR, OTHER, fault_code, soap_client

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


@pytest.fixture
def client(world: World) -> zeep.Client:
    return soap_client(world.app)


class Accepted:
    """One ZIP of three generator files, accepted: ``sin`` has no folioControl (and placeholders),
    ``con`` has placeholders and a folioControl, ``normal`` is an ordinary certificate."""

    def __init__(self, client: zeep.Client, world: World) -> None:
        files = {
            "normal.xml": world.certificate(1),
            "con-marcadores.xml": world.certificate(2, folio_control="GEN-0002", placeholders=True),
            "sin-folio.xml": world.certificate(3, folio_control=None, placeholders=True),
        }
        assert b"<Dreoe/><SepIpes/>" in files["sin-folio.xml"]
        assert b"folioControl" not in files["sin-folio.xml"]
        folio = world.folio(3)
        r = client.service.cargaCertificados(
            autenticacion=IPES, folioPago=folio, nombreArchivo="lote.zip", archivoBase64=make_zip(files)
        )
        world.drain()
        self.numero_lote = r.numeroLote
        self.folio_pago = folio
        self.status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
        with world.sessions() as s:
            rows = s.execute(select(Certificate.folio_control, Certificate.folio_digital)).all()
        self.digital = {fc: fd for fc, fd in rows}
        assert len(self.digital) == 3  # the NULL one is its own key
        self.sin = self.digital[None]


@pytest.fixture
def accepted(client: zeep.Client, world: World) -> Accepted:
    return Accepted(client, world)


def test_the_generator_batch_is_accepted_and_stored_with_null_folio(world: World, accepted: Accepted) -> None:
    (lote,) = accepted.status.lotes.lote
    assert lote.estatus == "ACEPTADO", lote.mensaje
    detail = {a.nombre: a for a in lote.detalle.archivo}
    assert detail["sin-folio.xml"].folioControl is None
    assert detail["con-marcadores.xml"].folioControl == "GEN-0002"
    assert all(a.estatus == "CORRECTO" for a in detail.values())
    with world.sessions() as s:
        stored = s.scalars(select(Certificate).where(Certificate.folio_control.is_(None))).one()
        assert stored.folio_digital == accepted.sin
        root = etree.fromstring(stored.stamped_xml)
    assert len(root.findall(q("Dreoe"))) == 1 and len(root.findall(q("SepIpes"))) == 1
    assert root.get("folioControl") is None
    verification = verify_stamped(stored.stamped_xml, default_pki().sep_signer.certificate)
    assert verification.ok, verification.problems
    assert verification.folio_digital == accepted.sin


def test_result_zip_names_and_describes_the_file_without_folio(
    client: zeep.Client, accepted: Accepted
) -> None:
    r = client.service.descargaResultadoCarga(autenticacion=IPES, numeroLote=accepted.numero_lote)
    with zipfile.ZipFile(io.BytesIO(r.archivoBase64)) as zf:
        rows = list(csv.reader(io.StringIO(zf.read("resultado.csv").decode("utf-8-sig"))))
        members = {n: zf.read(n) for n in zf.namelist() if n.startswith("certificados/")}
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["sin-folio.xml"][2] == ""
    assert accepted.sin in by_name["sin-folio.xml"][4]
    assert accepted.digital["GEN-0002"] in by_name["con-marcadores.xml"][4]
    assert set(members) == {
        "certificados/normal.xml",
        "certificados/con-marcadores.xml",
        "certificados/sin-folio.xml",
    }
    sep = default_pki().sep_signer.certificate
    assert verify_stamped(members["certificados/sin-folio.xml"], sep).folio_digital == accepted.sin


def test_consulta_lists_it_with_folio_control_absent_on_the_wire(
    client: zeep.Client, accepted: Accepted
) -> None:
    page = client.service.consultaCertificados(autenticacion=IPES, pagina=1, registrosPorPagina=10)
    listed = [(c.folioControl, c.folioDigital) for c in page.certificados.certificado]
    assert (None, accepted.sin) in listed and len(listed) == 3
    assert listed[-1] == (None, accepted.sin)  # same fechaCarga: certificates without folio go last
    by_digital = client.service.consultaCertificados(
        autenticacion=IPES, filtro={"folioDigital": accepted.sin}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioDigital for c in by_digital.certificados.certificado] == [accepted.sin]
    with client.settings(raw_response=True):
        raw = client.service.consultaCertificados(
            autenticacion=IPES, filtro={"folioDigital": accepted.sin}, pagina=1, registrosPorPagina=10
        )
    (cert,) = etree.fromstring(raw.content).xpath("//*[local-name()='certificado']")
    names = [etree.QName(el).localname for el in cert]
    assert "folioControl" not in names and "folioDigital" in names  # omitted, not empty nor nil


def test_export_csv_and_xlsx_show_an_empty_cell(client: zeep.Client, accepted: Accepted) -> None:
    r = client.service.exportaCertificados(autenticacion=IPES, formato="CSV")
    rows = list(csv.reader(io.StringIO(r.archivoBase64.decode("utf-8-sig"))))
    header = rows[0]
    control, digital = header.index("FOLIO CONTROL"), header.index("FOLIO DIGITAL")
    (row,) = [row for row in rows[1:] if row[digital] == accepted.sin]
    assert row[control] == ""
    x = client.service.exportaCertificados(autenticacion=IPES, formato="XLSX")
    sheet = openpyxl.load_workbook(io.BytesIO(x.archivoBase64), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    (xrow,) = [v for v in values[1:] if v[digital] == accepted.sin]
    assert xrow[control] in (None, "")


def test_descarga_by_folio_digital_xml_and_pdf(
    client: zeep.Client, accepted: Accepted, tmp_path: Path
) -> None:
    xml = client.service.descargaCertificado(autenticacion=IPES, folioDigital=accepted.sin, formato="XML")
    assert xml.nombreArchivo == f"{accepted.sin}.xml"
    assert verify_stamped(xml.archivoBase64, default_pki().sep_signer.certificate).ok
    pdf = client.service.descargaCertificado(autenticacion=IPES, folioDigital=accepted.sin, formato="PDF")
    assert pdf.nombreArchivo == f"{accepted.sin}.pdf"
    assert pdf.archivoBase64.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = pdf_text(pdf.archivoBase64, tmp_path)
        assert "sin folio de control" in text and "None" not in text
    # an SEP operator names one certificate unambiguously by its folioDigital
    op = client.service.descargaCertificado(autenticacion=OPERATOR, folioDigital=accepted.sin, formato="XML")
    assert op.archivoBase64 == xml.archivoBase64
    # and a certificate that has a folioControl is reachable both ways
    con = accepted.digital["GEN-0002"]
    a = client.service.descargaCertificado(autenticacion=IPES, folioControl="GEN-0002", formato="XML")
    b = client.service.descargaCertificado(autenticacion=IPES, folioDigital=con, formato="XML")
    assert a.archivoBase64 == b.archivoBase64 and a.nombreArchivo == "GEN-0002.xml"


def test_both_or_neither_key_is_solicitud_invalida(client: zeep.Client, accepted: Accepted) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: client.service.descargaCertificado(autenticacion=IPES, formato="XML"),
        lambda: client.service.descargaCertificado(
            autenticacion=IPES, folioControl="GEN-0002", folioDigital=accepted.sin, formato="XML"
        ),
        lambda: client.service.descargaCertificado(
            autenticacion=IPES, folioControl="  ", folioDigital="", formato="PDF"
        ),
        lambda: client.service.solicitaCancelacion(autenticacion=IPES, motivo="C1"),
        lambda: client.service.solicitaCancelacion(
            autenticacion=IPES, folioControl="GEN-0002", folioDigital=accepted.sin, motivo="C1"
        ),
    ]
    for call in calls:
        codigo, mensaje = fault_code(call)
        assert codigo == "SolicitudInvalida"
        assert "folioControl" in mensaje and "folioDigital" in mensaje


def test_another_institution_asking_by_folio_digital_gets_not_found(
    client: zeep.Client, accepted: Accepted
) -> None:
    codigo, mensaje = fault_code(
        lambda: client.service.descargaCertificado(
            autenticacion=OTHER, folioDigital=accepted.sin, formato="PDF"
        )
    )
    assert codigo == "CertificadoInexistente" and accepted.sin in mensaje
    codigo, _ = fault_code(
        lambda: client.service.solicitaCancelacion(
            autenticacion=OTHER, folioDigital=accepted.sin, motivo="C1"
        )
    )
    assert codigo == "CertificadoInexistente"


def test_cancel_by_folio_digital(client: zeep.Client, world: World, accepted: Accepted) -> None:
    r = client.service.solicitaCancelacion(autenticacion=IPES, folioDigital=accepted.sin, motivo="C1")
    assert (r.folioControl, r.folioDigital, r.estatus) == (None, accepted.sin, "CANCELACION_SOLICITADA")
    page = client.service.consultaCertificados(
        autenticacion=IPES, filtro={"estatus": "CANCELACION_SOLICITADA"}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioDigital for c in page.certificados.certificado] == [accepted.sin]
    codigo, mensaje = fault_code(
        lambda: client.service.solicitaCancelacion(autenticacion=IPES, folioDigital=accepted.sin, motivo="C2")
    )
    assert codigo == "CancelacionNoPermitida" and accepted.sin in mensaje
    # an old-style request (folioControl alone) still works for a certificate that has one
    old = client.service.solicitaCancelacion(autenticacion=IPES, folioControl="GEN-0002", motivo="C1")
    assert (old.folioControl, old.folioDigital) == ("GEN-0002", accepted.digital["GEN-0002"])


def test_old_style_raw_request_without_folio_digital(world: World, accepted: Accepted) -> None:
    """The exact bytes a client built from the previous WSDL sends (no folioDigital element)."""
    session = requests.Session()
    session.mount(BASE, wsgiadapter.WSGIAdapter(make_wsgi_app(world.app, world.app.settings)))
    ns = world.app.settings.namespace
    body = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{ns}"><s:Body><m:descargaCertificado>'
        f"<m:autenticacion><m:usuario>{IPES['usuario']}</m:usuario>"
        f"<m:password>{IPES['password']}</m:password></m:autenticacion>"
        "<m:folioControl>GEN-0002</m:folioControl><m:formato>XML</m:formato>"
        "</m:descargaCertificado></s:Body></s:Envelope>"
    ).encode()
    response = session.post(f"{BASE}/mec/ws", data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 200, response.text
    assert b"GEN-0002.xml" in response.content


def test_verification_page_shows_the_certificate_without_folio(world: World, accepted: Accepted) -> None:
    session = requests.Session()
    routes = {"/verificacion/": verification_app(world.sessions, world.clock)}
    session.mount(BASE, wsgiadapter.WSGIAdapter(make_wsgi_app(world.app, world.app.settings, routes)))
    page = session.get(f"{BASE}/verificacion/{accepted.sin}")
    assert page.status_code == 200, page.text
    assert accepted.sin in page.text
    data = session.get(f"{BASE}/verificacion/{accepted.sin}?formato=json").json()
    assert data["folioDigital"] == accepted.sin
    assert data["estatus"] == "VIGENTE"
