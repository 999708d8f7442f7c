"""The SOAP application: spyne wired to ``MecServices``, its WSDL pinned and canonical.

:func:`make_soap_app` returns the WSGI app of the endpoint (``/mec/ws``): ``GET ?wsdl`` answers
the WSDL built once at start-up for ``settings.public_url`` (never from the request's URL), a
POST goes through the :class:`~mec_ws.soap.guard.RequestGuard` to spyne, and any fault spyne
produces by itself is rewritten to the contract's ``errorMec`` codes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree
from spyne import Application
from spyne import const as spyne_const
from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication

from mec_ws.config import Settings
from mec_ws.services.protocol import MecServices
from mec_ws.soap import faults
from mec_ws.soap.guard import ENVELOPE_SLACK, RequestGuard, max_request_bytes, send_fault
from mec_ws.soap.protocol import MecSoap11, use_soapenv_prefix
from mec_ws.soap.service import build_service
from mec_ws.soap.stream import OUTGOING_KEY, StreamedAnswer
from mec_ws.soap.types import build_types

logger = logging.getLogger(__name__)

PORT_NAME = "MecServicePort"
WSDL_CONTENT_TYPE = "text/xml; charset=utf-8"

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"

SCHEMA_DOCUMENTATION = (
    "Servicio MEC de certificados (SOAP 1.1, document/literal wrapped). Convenciones: toda "
    "solicitud lleva primero el elemento autenticacion; los campos obligatorios tienen "
    "minOccurs=1 y no admiten xsi:nil; los instantes (xs:dateTime) van en UTC con sufijo Z; las "
    "fechas de los filtros (xs:date) son fechas de la Ciudad de México, ambos extremos inclusive; "
    "los archivos viajan en xs:base64Binary dentro del cuerpo (sin MTOM); las listas van envueltas "
    "en un elemento con nombre (lotes/lote). Toda falla SOAP lleva faultcode Client.<codigo> o "
    "Server.<codigo> y en detail un elemento errorMec con codigo y mensaje."
)

# spyne logs whole failed requests (personal data) and every client fault with a traceback.
_QUIET_LOGGERS = (
    "spyne.protocol.xml",
    "spyne.protocol.soap.soap11",
    "spyne.protocol.soap.soap11.invalid",
    "spyne.server.wsgi",
    "spyne.server._base",
    "spyne.application",
    "spyne.application.client",
    "spyne.util.appreg",
)


def quiet_spyne_loggers() -> None:
    """Raise spyne's loggers above ERROR; the guard and the fault mapping log what matters."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class MecApplication(Application):
    """A spyne ``Application`` that carries the ``MecServices`` its operations call."""

    def __init__(self, *args: Any, mec_services: MecServices | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mec_services = mec_services


class MecWsgiApplication(WsgiApplication):
    """spyne's WSGI server whose own faults (parse errors, unknown operation...) use our codes."""

    def handle_error(self, p_ctx: Any, others: Any, error: Any, start_response: Any) -> Any:
        tns = self.app.interface.get_tns()
        if isinstance(error, Fault):
            mapped = faults.from_spyne_fault(tns, error)
        else:
            logger.error("Error inesperado de spyne: %r", error)
            mapped = faults.interno(tns)
        p_ctx.out_error = mapped
        p_ctx.transport.resp_code = None  # SOAP 1.1: every fault is HTTP 500
        return super().handle_error(p_ctx, others, mapped, start_response)


def build_application(settings: Settings, services: MecServices | None) -> MecApplication:
    quiet_spyne_loggers()
    # spyne runs a full gc.collect() after a request whenever a second has passed since the last
    # one (to close its File handles, which this service does not use): a pause that grows with
    # the process's heap (seconds in a large test process, tens of ms in a busy gunicorn worker).
    spyne_const.MIN_GC_INTERVAL = math.inf
    types = build_types(settings.namespace)
    error_mec = faults.build_error_mec(settings.namespace)
    app = MecApplication(
        [build_service(types, error_mec)],
        tns=settings.namespace,
        name=PORT_NAME,
        in_protocol=MecSoap11(validator="lxml"),
        out_protocol=MecSoap11(),
        mec_services=services,
    )
    use_soapenv_prefix(app.interface)
    return app


def _spyne_server(settings: Settings, services: MecServices | None) -> MecWsgiApplication:
    limit = max_request_bytes(settings.max_upload_bytes) + ENVELOPE_SLACK
    return MecWsgiApplication(build_application(settings, services), max_content_length=limit)


def _interface_document(server: WsgiApplication, public_url: str) -> bytes:
    server.doc.wsdl11.build_interface_document(public_url)
    raw: bytes = server.doc.wsdl11.get_interface_document()
    return canonical_wsdl(raw)


def build_wsdl(settings: Settings) -> bytes:
    """The canonical WSDL served under ``settings.public_url`` (what ``mec-ws wsdl`` writes)."""
    return _interface_document(_spyne_server(settings, None), settings.public_url)


# --- canonical form ----------------------------------------------------------------------------------

_SCHEMA_ORDER = {
    f"{{{XS}}}import": 0,
    f"{{{XS}}}simpleType": 1,
    f"{{{XS}}}complexType": 2,
    f"{{{XS}}}element": 3,
}
_WSDL_ORDER = {
    f"{{{WSDL}}}documentation": 0,
    f"{{{WSDL}}}types": 1,
    f"{{{WSDL}}}message": 2,
    f"{{{WSDL}}}portType": 3,
    f"{{{WSDL}}}binding": 4,
    f"{{{WSDL}}}service": 5,
}


def canonical_wsdl(raw: bytes) -> bytes:
    """spyne's WSDL in one canonical order, so its bytes are the same in every process.

    Schema components are sorted by kind then name; the WSDL sections come in the usual order
    (types, messages by name, portType, binding, service); operations keep their declaration
    order.  A schema-level ``xs:documentation`` states the conventions the contract leaves open.
    """
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(raw, parser)
    for schema in root.iter(f"{{{XS}}}schema"):
        components = sorted(schema, key=lambda c: (_SCHEMA_ORDER.get(c.tag, 9), c.get("name") or ""))
        for child in list(schema):
            schema.remove(child)
        annotation = etree.SubElement(schema, f"{{{XS}}}annotation")
        etree.SubElement(annotation, f"{{{XS}}}documentation").text = SCHEMA_DOCUMENTATION
        schema.extend(components)
    sections = sorted(
        root,
        key=lambda c: (
            _WSDL_ORDER.get(c.tag, 9),
            (c.get("name") or "") if c.tag == f"{{{WSDL}}}message" else "",
        ),
    )
    for child in list(root):
        root.remove(child)
    root.extend(sections)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- the endpoint ---------------------------------------------------------------------------------


def is_wsdl_query(query_string: str) -> bool:
    return any(key.lower() == "wsdl" for key, _ in parse_qsl(query_string, keep_blank_values=True))


class SoapEndpoint:
    """The WSGI app of ``/mec/ws``: the pinned WSDL on ``GET ?wsdl``, guarded SOAP on POST."""

    def __init__(self, server: MecWsgiApplication, wsdl: bytes, settings: Settings) -> None:
        self.server = server
        self.wsdl = wsdl
        self.tns = settings.namespace
        self.guard = RequestGuard(
            self._call_spyne, self.tns, settings.max_upload_mb, settings.max_upload_bytes, settings.data_dir
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if method in ("GET", "HEAD") and is_wsdl_query(str(environ.get("QUERY_STRING", ""))):
            start_response(
                "200 OK", [("Content-Type", WSDL_CONTENT_TYPE), ("Content-Length", str(len(self.wsdl)))]
            )
            return [] if method == "HEAD" else [self.wsdl]
        if method != "POST":
            mensaje = "Las operaciones se invocan con POST; el WSDL está en ?wsdl."
            return send_fault(
                start_response,
                faults.solicitud_invalida(self.tns, mensaje),
                status="405 Method Not Allowed",
                extra_headers=[("Allow", "GET, POST")],
            )
        return self.guard(environ, start_response)

    def _call_spyne(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """spyne's answer; one that carries a large file goes out streamed (:data:`OUTGOING_KEY`)."""
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            started.append((status, headers))
            return start_response(status, headers) if OUTGOING_KEY not in environ else (lambda _data: None)

        try:
            answer = self.server(environ, capture)
        except Exception:
            logger.exception("spyne falló fuera de su manejo de fallas")
            self._drop_outgoing(environ)
            return send_fault(start_response, faults.interno(self.tns))
        archivo = environ.pop(OUTGOING_KEY, None)
        if archivo is None:
            return answer
        status, headers = started[-1]
        try:
            document = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        try:
            streamed = StreamedAnswer(document, archivo)
        except ValueError:
            archivo.close()
            if status.startswith("200"):
                logger.error("La respuesta de %s no trae la marca del archivo", environ.get("PATH_INFO"))
                return send_fault(start_response, faults.interno(self.tns))
            start_response(status, headers)  # a fault after the file was made: it carries no file
            return [document]
        kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*kept, ("Content-Length", str(streamed.length))])
        return streamed

    @staticmethod
    def _drop_outgoing(environ: dict[str, Any]) -> None:
        archivo = environ.pop(OUTGOING_KEY, None)
        if archivo is not None:
            archivo.close()


def make_soap_app(services: MecServices, settings: Settings) -> SoapEndpoint:
    """The WSGI app of the SOAP endpoint, its WSDL built now for ``settings.public_url``."""
    server = _spyne_server(settings, services)
    wsdl = _interface_document(server, settings.public_url)
    return SoapEndpoint(server, wsdl, settings)
