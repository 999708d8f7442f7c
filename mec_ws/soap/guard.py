"""The WSGI guard in front of spyne: what spyne would answer badly, answered with a SOAP fault.

spyne gives no reply to an empty POST, crashes into an HTML 500 on a DOCTYPE in the envelope (in
lxml's schema validation), and reads a body of any size into memory.  The guard reads the body
once, bounded, and refuses with a ``Client.*`` fault (HTTP 500, ``text/xml``):

- an empty body, or one that is not XML at all → ``Client.SolicitudInvalida``;
- a DOCTYPE or ENTITY declaration anywhere in it → ``Client.SolicitudInvalida`` (entity
  expansion attacks; the parser runs with ``huge_tree`` so it must never see one);
- a body over :func:`max_request_bytes` → ``Client.ArchivoInvalido`` naming the limit in MB.

Everything else goes on to spyne with the body already read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from mec_ws.soap import faults

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
ENVELOPE_SLACK = 1024 * 1024
"""Room for the envelope, the other fields and the base64 line breaks some clients add."""

_READ_BLOCK = 64 * 1024
_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
_XML_SPACE = b" \t\r\n"


def max_request_bytes(max_upload_bytes: int) -> int:
    """The largest SOAP request accepted for a file of ``max_upload_bytes``.

    base64 turns 3 bytes into 4 characters; clients that wrap base64 at 76 columns add two more
    per line; the envelope and the other fields get :data:`ENVELOPE_SLACK`.
    """
    base64_chars = -(-max_upload_bytes // 3) * 4
    wrapped = base64_chars + -(-base64_chars // 76) * 2
    return wrapped + ENVELOPE_SLACK


def fault_body(fault: faults.MecFault) -> bytes:
    """A complete SOAP 1.1 envelope carrying ``fault`` (without going through spyne)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soapenv:{fault.faultcode}"
    etree.SubElement(element, "faultstring").text = fault.faultstring
    detail = etree.SubElement(element, "detail")
    detail.append(fault.detail)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def send_fault(
    start_response: Callable[..., Any],
    fault: faults.MecFault,
    status: str = "500 Internal Server Error",
    extra_headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    payload = fault_body(fault)
    headers = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(payload))), *extra_headers]
    start_response(status, headers)
    return [payload]


def refusal(body: bytes) -> str | None:
    """Why ``body`` must not reach the XML parser, in Spanish; ``None`` when it may."""
    if not body.strip(_XML_SPACE):
        return "La solicitud está vacía: envíe un sobre SOAP 1.1."
    text: bytes | str
    if body.startswith(_BOMS_UTF16):
        try:
            text = body.decode("utf-16")
        except UnicodeDecodeError:
            return "La solicitud no es un documento XML."
        start = text.lstrip("\ufeff \t\r\n")[:1]
        markers: tuple[Any, ...] = ("<!DOCTYPE", "<!ENTITY")
        first_is_tag = start == "<"
    else:
        text = body[len(_UTF8_BOM) :] if body.startswith(_UTF8_BOM) else body
        first_is_tag = text.lstrip(_XML_SPACE)[:1] == b"<"
        markers = (b"<!DOCTYPE", b"<!ENTITY")
    if not first_is_tag:
        return "La solicitud no es un documento XML: envíe un sobre SOAP 1.1 (text/xml)."
    if any(marker in text for marker in markers):
        return "La solicitud contiene una declaración DOCTYPE o ENTITY, que el servicio no admite."
    return None


class RequestGuard:
    """WSGI middleware for the POSTs to the SOAP endpoint."""

    def __init__(self, inner: WsgiApp, tns: str, max_upload_mb: int, max_upload_bytes: int) -> None:
        self.inner = inner
        self.tns = tns
        self.max_upload_mb = max_upload_mb
        self.limit = max_request_bytes(max_upload_bytes)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = _content_length(environ)
        if declared is not None and declared > self.limit:
            return self._too_large(start_response)
        body = _read_bounded(environ.get("wsgi.input"), declared, self.limit + 1)
        if len(body) > self.limit:
            return self._too_large(start_response)
        reason = refusal(body)
        if reason is not None:
            logger.info("Solicitud SOAP rechazada por el filtro: %s", reason)
            return send_fault(start_response, faults.solicitud_invalida(self.tns, reason))
        inner_environ = dict(environ)
        inner_environ["wsgi.input"] = io.BytesIO(body)
        inner_environ["CONTENT_LENGTH"] = str(len(body))
        return self.inner(inner_environ, start_response)

    def _too_large(self, start_response: Callable[..., Any]) -> list[bytes]:
        mensaje = (
            f"La solicitud excede el límite de {self.max_upload_mb} MB para el archivo; "
            "divida la carga en archivos más pequeños."
        )
        logger.info("Solicitud SOAP rechazada por tamaño (límite %d bytes)", self.limit)
        return send_fault(start_response, faults.archivo_invalido(self.tns, mensaje))


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def _read_bounded(stream: Any, declared: int | None, cap: int) -> bytes:
    """At most ``cap`` bytes of the body (the declared length when there is one)."""
    if stream is None:
        return b""
    wanted = cap if declared is None else min(declared, cap)
    chunks: list[bytes] = []
    read = 0
    while read < wanted:
        chunk = stream.read(min(_READ_BLOCK, wanted - read))
        if not chunk:
            break
        chunks.append(chunk)
        read += len(chunk)
    return b"".join(chunks)
