"""The raw HTTP/XML contract: Z instants, fault envelopes, and the guard in front of spyne, over the
real services on the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import logging
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from mec_ws.config import DEFAULT_NAMESPACE
from mec_ws.services import dto
from mec_ws.services.app import MecApp
from mec_ws.soap.guard import max_request_bytes
from mec_ws.web.wsgi import make_wsgi_app
from models import Certificate
from tests.services.world import PASSWORD, World, add_certificate
from tests.soap.conftest import BASE, MAX_UPLOAD_MB, Recorder, mount

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = {"s": SOAP_ENV, "m": DEFAULT_NAMESPACE}
AUTH = f"<m:autenticacion><m:usuario>ipes1</m:usuario><m:password>{PASSWORD}</m:password></m:autenticacion>"

Post = Callable[..., requests.Response]


def envelope(operation: str, fields: str = "", auth: str = AUTH) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{DEFAULT_NAMESPACE}"><s:Body>'
        f"<m:{operation}>{auth}{fields}</m:{operation}></s:Body></s:Envelope>"
    ).encode()


def soap_fault(response: requests.Response) -> tuple[str, str, str, str]:
    """(faultcode local part, faultstring, errorMec/codigo, errorMec/mensaje) of a proper fault reply."""
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    (fault,) = root.xpath("/s:Envelope/s:Body/s:Fault", namespaces=NS)
    code_text = fault.findtext("faultcode")
    prefix, _, local = code_text.partition(":")
    assert (
        prefix == "soapenv" and fault.nsmap.get(prefix) == SOAP_ENV
    )  # a real QName, as contract.md writes it
    (detail,) = fault.xpath("detail/m:errorMec", namespaces=NS)
    return (
        local,
        fault.findtext("faultstring"),
        detail.findtext("m:codigo", namespaces=NS),
        detail.findtext("m:mensaje", namespaces=NS),
    )


def z(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_zip(size: int) -> bytes:
    """A ZIP of exactly ``size`` bytes: one stored (uncompressed) member padded to fit."""

    def build(n: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("a.xml", bytes(range(256)) * (n // 256) + b"\x01" * (n % 256))
        return buffer.getvalue()

    data = build(size - len(build(0)))
    assert len(data) == size
    return data


def test_instants_are_utc_with_z(post: Post, world: World) -> None:
    folio = world.folio(1)
    world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(1))
    received = world.clock.now
    world.clock.advance(minutes=1)
    world.drain()
    response = post(envelope("consultaEstatusCarga", f"<m:folioPago>{folio}</m:folioPago>"))
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.xpath("//m:lote/m:estatus/text()", namespaces=NS) == ["ACEPTADO"]
    assert root.xpath("//m:lote/m:fechaCarga/text()", namespaces=NS) == [z(received)]
    assert root.xpath("//m:lote/m:fechaProceso/text()", namespaces=NS) == [z(world.clock.now)]
    assert b"+00:00" not in response.content
    # an empty list is still its (required) wrapper element
    assert len(root.xpath("//m:archivo/m:errores[not(*)]", namespaces=NS)) == 1


def test_cancellation_instants_are_utc_with_z(post: Post, world: World) -> None:
    add_certificate(world, "FC-1", fecha_carga=world.clock.now - timedelta(days=1))
    fields = "<m:folioControl>FC-1</m:folioControl><m:motivo>C1</m:motivo>"
    response = post(envelope("solicitaCancelacion", fields))
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    (answer,) = root.xpath("//m:solicitaCancelacionResponse", namespaces=NS)
    assert answer.findtext("m:fechaSolicitud", namespaces=NS) == z(world.clock.now)
    efectiva = world.clock.now + timedelta(hours=world.settings.cancelacion_horas)
    assert answer.findtext("m:fechaEfectiva", namespaces=NS) == z(efectiva)
    assert [c.tag.rpartition("}")[2] for c in answer] == [
        "folioControl",
        "estatus",
        "fechaSolicitud",
        "fechaEfectiva",
        "mensaje",
        "folioDigital",
    ]


def test_old_style_requests_with_only_folio_control_still_validate(
    post: Post, recorder: Recorder, certificates: None
) -> None:
    """Clients written before folioDigital existed send folioControl alone, in the same place."""
    response = post(
        envelope("descargaCertificado", "<m:folioControl>FC-1</m:folioControl><m:formato>XML</m:formato>")
    )
    assert response.status_code == 200, response.text
    assert recorder.calls[-1] == ("descarga_certificado", ("FC-1", dto.FormatoCertificado.XML, None))


def test_folio_digital_after_folio_control_reaches_the_service(
    post: Post, recorder: Recorder, world: World, certificates: None
) -> None:
    with world.sessions() as s:
        digital = s.scalar(select(Certificate.folio_digital).where(Certificate.folio_control == "FC-1"))
    fields = f"<m:folioDigital>{digital}</m:folioDigital><m:formato>XML</m:formato>"
    assert post(envelope("descargaCertificado", fields)).status_code == 200
    assert recorder.calls[-1] == ("descarga_certificado", (None, dto.FormatoCertificado.XML, digital))
    # the sequence order is part of the contract: folioDigital before folioControl is a schema error
    swapped = f"<m:folioDigital>{digital}</m:folioDigital><m:folioControl>FC-1</m:folioControl>"
    code, *_ = soap_fault(post(envelope("descargaCertificado", swapped + "<m:formato>XML</m:formato>")))
    assert code == "Client.SolicitudInvalida"


def test_documents_are_a_wrapped_list(post: Post, world: World) -> None:
    root = etree.fromstring(post(envelope("consultaDocumentos")).content)
    documentos = root.xpath("//m:consultaDocumentosResponse/m:documentos/m:documento", namespaces=NS)
    expected = world.app.consulta_documentos(world.ipes)
    assert len(expected) >= 2
    assert [d.findtext("m:nombre", namespaces=NS) for d in documentos] == [d.nombre for d in expected]
    assert [d.findtext("m:tamano", namespaces=NS) for d in documentos] == [str(d.tamano) for d in expected]


def test_response_element_is_named_after_the_operation(post: Post) -> None:
    response = post(envelope("consultaProgramasEstudios"))
    root = etree.fromstring(response.content)
    assert [c.tag for c in root.find(f"{{{SOAP_ENV}}}Body")] == [
        f"{{{DEFAULT_NAMESPACE}}}consultaProgramasEstudiosResponse"
    ]
    assert b"Result" not in response.content


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        ("consultaEstatusCarga", ""),  # folioPago missing
        ("consultaEstatusCarga", "<m:folioPago>F-001</m:folioPago><m:sobra>1</m:sobra>"),  # unknown element
        ("descargaResultadoCarga", "<m:numeroLote>abc</m:numeroLote>"),  # not an xs:long
        (
            "descargaCertificado",
            "<m:folioControl>FC-1</m:folioControl><m:formato>DOCX</m:formato>",
        ),  # not in the enum
        ("consultaCertificados", "<m:pagina>1</m:pagina><m:registrosPorPagina>501</m:registrosPorPagina>"),
        ("consultaCertificados", "<m:pagina>0</m:pagina><m:registrosPorPagina>10</m:registrosPorPagina>"),
        (
            "cargaProgramaEstudios",
            "<m:nombreArchivo>p.xml</m:nombreArchivo><m:archivoBase64>***</m:archivoBase64>",
        ),
        ("exportaCertificados", ""),  # formato missing
        (
            "exportaCertificados",
            "<m:formato>PDF</m:formato>",
        ),  # a FormatoCertificado, not a FormatoExportacion
        ("solicitaCancelacion", "<m:folioControl>FC-1</m:folioControl>"),  # motivo missing
        ("descargaDocumento", ""),  # nombre missing
        ("concluyePruebas", "<m:sobra/>"),  # unknown element
        ("noExiste", ""),  # not an operation of this WSDL
    ],
)
def test_schema_violation_is_solicitud_invalida(
    post: Post, recorder: Recorder, operation: str, fields: str
) -> None:
    code, faultstring, codigo, mensaje = soap_fault(post(envelope(operation, fields)))
    assert (code, codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert faultstring == mensaje and faultstring.startswith("La solicitud")
    assert recorder.calls == []  # nothing reached the services


def test_request_without_autenticacion_is_rejected_by_the_schema(post: Post, recorder: Recorder) -> None:
    code, *_ = soap_fault(post(envelope("consultaEstatusCarga", "<m:folioPago>F-001</m:folioPago>", auth="")))
    assert code == "Client.SolicitudInvalida" and recorder.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \r\n",
        b"esto no es XML",
        b"%PDF-1.7 binario",
        b"<s:Envelope xmlns:s='" + SOAP_ENV.encode() + b"'><s:Body><sin cerrar></s:Body>",
        b"<?xml version='1.0'?><otro/>",
    ],
    ids=["empty", "blank", "text", "binary", "malformed", "not-an-envelope"],
)
def test_unusable_body_gets_a_soap_fault_not_html(post: Post, body: bytes) -> None:
    code, faultstring, codigo, _ = soap_fault(post(body))
    assert (code, codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert "<html" not in faultstring.lower()


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE s:Envelope [<!ENTITY x "y">]>',
        b'<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>',
        b'<!DOCTYPE s:Envelope SYSTEM "http://127.0.0.1:1/ext.dtd">',
    ],
)
def test_doctype_envelope_gets_a_soap_fault(post: Post, recorder: Recorder, prolog: bytes) -> None:
    response = post(prolog + envelope("consultaProgramasEstudios"))
    code, faultstring, codigo, _ = soap_fault(response)
    assert (code, codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert "DOCTYPE" in faultstring
    assert recorder.calls == []


def test_doctype_in_utf16_is_also_refused(post: Post) -> None:
    body = ('<!DOCTYPE x [<!ENTITY a "b">]>' + envelope("consultaProgramasEstudios").decode()).encode(
        "utf-16"
    )
    code, faultstring, *_ = soap_fault(post(body, "text/xml"))  # the BOM says UTF-16
    assert code == "Client.SolicitudInvalida" and "DOCTYPE" in faultstring


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_doctype_in_a_bomless_encoding_declared_in_content_type_is_refused(
    post: Post, recorder: Recorder, encoding: str
) -> None:
    """spyne decodes with Content-Type's charset; the guard checks that same text."""
    body = ('<!DOCTYPE x [<!ENTITY a "b">]>' + envelope("consultaProgramasEstudios").decode()).encode(
        encoding
    )
    code, faultstring, *_ = soap_fault(post(body, f"text/xml; charset={encoding}"))
    assert code == "Client.SolicitudInvalida" and "DOCTYPE" in faultstring
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            envelope("consultaProgramasEstudios").replace(b"ipes1", b"ipes\xff\xfe1"),
            "text/xml; charset=utf-8",
            "UTF",
        ),
        (envelope("consultaProgramasEstudios"), "text/xml; charset=x-no-existe", "x-no-existe"),
        (envelope("consultaProgramasEstudios"), "text/xml; charset=base64", "base64"),
        (
            b'<?xml version="1.0" encoding="x-inventada"?>' + envelope("consultaProgramasEstudios"),
            "text/xml",
            "x-inventada",
        ),
        (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>'.encode(), "text/xml; charset=utf-8", ""),
        (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body></s:Body></s:Envelope>'.encode(), "text/xml", ""),
        (f'<s:Envelope xmlns:s="{SOAP_ENV}"/>'.encode(), "text/xml", ""),
        (
            b'--b\r\nContent-Type: text/xml\r\n\r\n<!DOCTYPE x [<!ENTITY a "b">]>'
            + envelope("consultaProgramasEstudios")
            + b"\r\n--b--\r\n",
            'multipart/related; type="text/xml"; boundary=b',
            "multipart",
        ),
    ],
    ids=[
        "bad-utf8",
        "unknown-charset",
        "bytes-codec",
        "unknown-declared",
        "empty-body",
        "blank-body",
        "no-body",
        "multipart",
    ],
)
def test_undecodable_or_empty_requests_are_the_callers_fault(
    post: Post, recorder: Recorder, body: bytes, content_type: str, expected: str
) -> None:
    code, faultstring, codigo, _ = soap_fault(post(body, content_type))
    assert (code, codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida"), faultstring
    assert expected in faultstring
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("latin-1", "text/xml; charset=ISO-8859-1"),
        ("utf-16-le", "text/xml; charset=utf-16le"),
        ("utf-16", "text/xml"),
        ("cp1252", 'text/xml; charset="windows-1252"'),
    ],
)
def test_other_encodings_still_work(post: Post, recorder: Recorder, encoding: str, content_type: str) -> None:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    body = (
        declaration + envelope("consultaEstatusCarga", "<m:folioPago>F-ñ01</m:folioPago>").decode()
    ).encode(encoding)
    _code, faultstring, codigo, _ = soap_fault(post(body, content_type))
    assert codigo == "FolioInexistente", faultstring  # decoded correctly, reached the service
    assert "F-ñ01" in faultstring


def test_oversize_body_gets_archivo_invalido_naming_the_limit(post: Post, recorder: Recorder) -> None:
    limit = max_request_bytes(MAX_UPLOAD_MB * 1024 * 1024)
    big = base64.b64encode(b"\0" * (limit // 4 * 3 + 3)).decode()
    fields = (
        "<m:folioPago>F-001</m:folioPago><m:nombreArchivo>a.zip</m:nombreArchivo>"
        f"<m:archivoBase64>{big}</m:archivoBase64>"
    )
    code, faultstring, codigo, _ = soap_fault(post(envelope("cargaCertificados", fields)))
    assert (code, codigo) == ("Client.ArchivoInvalido", "ArchivoInvalido")
    assert f"excede el límite de {MAX_UPLOAD_MB} MB" in faultstring
    assert recorder.calls == []


def test_file_at_the_limit_passes_the_guard(post: Post, recorder: Recorder, world: World) -> None:
    content = stored_zip(MAX_UPLOAD_MB * 1024 * 1024)
    folio = world.folio(1)
    fields = (
        f"<m:folioPago>{folio}</m:folioPago><m:nombreArchivo>a.zip</m:nombreArchivo>"
        f"<m:archivoBase64>{base64.encodebytes(content).decode()}</m:archivoBase64>"  # wrapped at 76 columns
    )
    response = post(envelope("cargaCertificados", fields))
    assert response.status_code == 200, response.text
    assert recorder.calls[-1] == ("carga_certificados", (folio, "a.zip", content))
    answer = etree.fromstring(response.content)
    assert answer.xpath("//m:cargaCertificadosResponse/m:estatus/text()", namespaces=NS) == ["RECIBIDO"]


def test_huge_base64_text_node_is_parsed(world: World) -> None:
    """Over libxml2's 10 MB text-node limit: streamed to a spool file (mec_ws.soap.stream), never
    parsed whole; with streaming off (the threshold above the body), spyne's huge_tree parser."""
    settings = dataclasses.replace(world.settings, max_upload_mb=12, max_xml_mb=12)
    recorder = Recorder(MecApp(settings, world.sessions, clock=world.clock))
    router = make_wsgi_app(recorder, settings)
    session = mount(router)
    content = stored_zip(11 * 1024 * 1024)
    folio = world.folio(1)
    fields = (
        f"<m:folioPago>{folio}</m:folioPago><m:nombreArchivo>a.zip</m:nombreArchivo>"
        f"<m:archivoBase64>{base64.b64encode(content).decode()}</m:archivoBase64>"
    )
    response = session.post(
        f"{BASE}/mec/ws", data=envelope("cargaCertificados", fields), headers={"Content-Type": "text/xml"}
    )
    assert response.status_code == 200, response.text[:500]
    name, (folio_seen, nombre, incoming) = recorder.calls[-1]
    assert (name, folio_seen, nombre) == ("carga_certificados", folio, "a.zip")
    assert incoming.size == len(content) and incoming.sha256 == hashlib.sha256(content).hexdigest()
    router.routes["/mec/ws"].guard.spool_threshold = 10**9
    response = session.post(
        f"{BASE}/mec/ws",
        data=envelope("cargaCertificados", fields.replace(folio, world.folio(1))),
        headers={"Content-Type": "text/xml"},
    )
    assert response.status_code == 200, response.text[:500]
    assert recorder.calls[-1][1][2] == content


def test_get_without_wsdl_is_a_405_soap_fault(http: requests.Session) -> None:
    response = http.get(f"{BASE}/mec/ws")
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("text/xml")
    assert b"Client.SolicitudInvalida" in response.content


def test_unknown_path_is_a_small_plain_404(http: requests.Session) -> None:
    response = http.get(f"{BASE}/no/existe")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "/mec/ws" in response.text and "<html" not in response.text.lower()


def test_extra_routes_are_served_next_to_the_endpoint(world: World) -> None:
    def salud(environ: dict, start_response: Callable) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    session = mount(make_wsgi_app(world.app, world.settings, routes={"/salud": salud}))
    assert session.get(f"{BASE}/salud").text == "ok"
    assert session.get(f"{BASE}/mec/ws?wsdl").status_code == 200


def test_spyne_does_not_log_failed_requests(post: Post, caplog: pytest.LogCaptureFixture) -> None:
    """Certificates and CURPs are personal data: a failed request's content never reaches the logs."""
    secret = "CURP-SECRETA-PEPA800101HDFRRR09"
    with caplog.at_level(logging.DEBUG):
        post(envelope("consultaEstatusCarga", f"<m:folioPago>{secret}</m:folioPago><m:sobra/>"))
        post(f"<m:roto>{secret}".encode())
        post(envelope("descargaResultadoCarga", f"<m:numeroLote>{secret}</m:numeroLote>"))
    spyne_records = [r for r in caplog.records if r.name.startswith("spyne") and r.levelno >= logging.ERROR]
    assert spyne_records == []
    assert secret not in caplog.text


def test_request_limit_allows_wrapped_base64_and_the_envelope() -> None:
    limit = max_request_bytes(100 * 1024 * 1024)
    wrapped = len(base64.encodebytes(b"\0" * 3 * 1024))  # 76-column lines
    assert limit >= (100 * 1024 * 1024) * wrapped // (3 * 1024) + 512 * 1024
    assert limit < 100 * 1024 * 1024 * 1.4 + 2 * 1024 * 1024
