"""The WSGI guard in front of spyne: what spyne would answer badly, answered with a SOAP fault.

spyne gives no reply to an empty POST, crashes into an HTML 500 on a DOCTYPE in the envelope (in
lxml's schema validation), and reads a body of any size into memory.  The guard reads the body
once, bounded, and refuses with a ``Client.*`` fault (HTTP 500, ``text/xml``):

- an empty body, or one that is not XML at all → ``Client.SolicitudInvalida``;
- a multipart body (SwA/MTOM attachments, which the contract does not use) →
  ``Client.SolicitudInvalida``;
- a body that cannot be decoded: an unknown ``charset`` in Content-Type, or bytes that are not
  valid in the declared (or detected) encoding → ``Client.SolicitudInvalida``;
- a DOCTYPE or ENTITY declaration anywhere in it → ``Client.SolicitudInvalida`` (entity
  expansion attacks; the parser runs with ``huge_tree`` so it must never see one);
- a body over :func:`max_request_bytes` → ``Client.ArchivoInvalido`` naming the limit in MB.

**One decoding.**  spyne decodes the body with the ``charset`` of Content-Type when there is one
(``bytes.decode(charset)``, strictly) and otherwise hands the bytes to lxml, which looks for a
byte-order mark, then the XML declaration's ``encoding``, then assumes UTF-8.  The guard decodes
the same way (:func:`decode_body`), checks the *text*, and passes spyne that text re-encoded as
UTF-8 with ``charset=utf-8`` and without the XML declaration, so spyne parses exactly what the
guard checked (a UTF-16LE body without a BOM, declared in Content-Type, cannot hide a DOCTYPE).

**Over-limit bodies are drained.**  Answering before the client has finished sending makes the
server close a socket with unread data, which the client sees as a connection reset instead of
the fault (Python's ``urllib`` does).  So the rest of the body is read and discarded — at most
:data:`DRAIN_MAX_BYTES` (256 MB) and :data:`DRAIN_MAX_SECONDS` (60 s); past either bound the
connection is simply closed — and the fault goes out with ``Connection: close``.

**Large bodies stream.**  A body over :data:`~mec_ws.soap.stream.SPOOL_THRESHOLD` is not held:
it is decoded and checked as it arrives, the upload of ``cargaCertificados``,
``validaCertificados`` and ``cargaProgramaEstudios`` decoded into a spool file (see
:mod:`mec_ws.soap.stream`); a refusal midway drains the rest like an over-limit body.

**Slow bodies are cut.**  Reading the body has a deadline that grows with what arrived
(:func:`body_deadline`: 60 s plus one second per 256 KB received) and, on gunicorn, the socket gets a
:data:`IDLE_SECONDS` timeout for each read, so a client trickling or stalling its body frees its
thread; it gets ``Client.SolicitudInvalida`` (if it is still listening).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from mec_ws.soap import faults
from mec_ws.soap.stream import INCOMING_KEY, SPOOL_THRESHOLD, Refused, StreamingBody

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
ENVELOPE_SLACK = 1024 * 1024
"""Room for the envelope, the other fields and the base64 line breaks some clients add."""

DRAIN_MAX_BYTES = 256 * 1024 * 1024
DRAIN_MAX_SECONDS = 60.0
IDLE_SECONDS = 30.0
"""Longest wait for the next bytes of a body (on gunicorn, where the socket is reachable)."""

_READ_BLOCK = 64 * 1024
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_XML_SPACE = " \t\r\n"
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECLARATION = re.compile(r"^<\?xml\s[^>]*\?>")


class BodyTooSlow(Exception):
    """The body did not arrive within its deadline."""


def body_deadline(received_bytes: int) -> float:
    """Seconds a body may have taken once ``received_bytes`` of it arrived: 60 s plus 1 s per
    256 KB received (a big upload must keep ≥ 256 KB/s on average; a small one gets a minute)."""
    return 60.0 + received_bytes / (256 * 1024)


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


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, as spyne reads it (``cgi.parse_header``)."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, eq, value = part.partition("=")
        if eq and key.strip().lower() == "charset":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def body_encoding(head: bytes, charset: str | None) -> tuple[str, str]:
    """The encoding spyne (with ``charset``) or lxml (without, from the first bytes ``head``) would
    decode the body with, and where it comes from in Spanish; :class:`ValueError` when unknown."""
    if charset:
        encoding = charset
        origin = f"el juego de caracteres «{charset}» de Content-Type"
    else:
        encoding, origin = _sniff(head)
    try:
        if not codecs.lookup(encoding)._is_text_encoding:
            raise LookupError(encoding)
    except LookupError:
        raise ValueError(f"La solicitud declara {origin}, que no se reconoce: use charset=utf-8.") from None
    return encoding, origin


def decode_body(body: bytes, charset: str | None) -> str:
    """The body as text, decoded as spyne (with ``charset``) or lxml (without) would.

    Raises :class:`ValueError` with a Spanish message when it cannot be decoded.
    """
    encoding, origin = body_encoding(body, charset)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"La solicitud tiene bytes no válidos para {origin} (posición {exc.start}): "
            "envíela en UTF-8 con charset=utf-8."
        ) from None
    return text


def _sniff(body: bytes) -> tuple[str, str]:
    """lxml's choice for bytes without a declared charset: BOM, XML declaration, UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, f"la marca de orden de bytes ({name.upper()})"
    match = _DECLARED_ENCODING.match(body.lstrip(b" \t\r\n"))
    if match:
        name = match.group(1).decode("ascii")
        return name, f"la codificación «{name}» de la declaración XML"
    return "utf-8", "UTF-8 (la codificación por omisión de XML)"


def refusal_of_text(text: str) -> str | None:
    """Why the decoded body must not reach the XML parser, in Spanish; ``None`` when it may."""
    stripped = text.lstrip("\ufeff" + _XML_SPACE)
    if not stripped:
        return "La solicitud está vacía: envíe un sobre SOAP 1.1."
    if not stripped.startswith("<"):
        return "La solicitud no es un documento XML: envíe un sobre SOAP 1.1 (text/xml)."
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return "La solicitud contiene una declaración DOCTYPE o ENTITY, que el servicio no admite."
    return None


def refusal(body: bytes, charset: str | None = None) -> str | None:
    """Why ``body`` must not reach the XML parser, in Spanish; ``None`` when it may."""
    if not body.strip(b" \t\r\n"):
        return "La solicitud está vacía: envíe un sobre SOAP 1.1."
    try:
        return refusal_of_text(decode_body(body, charset))
    except ValueError as exc:
        return str(exc)


def normalized(text: str) -> bytes:
    """The checked text as spyne gets it: UTF-8, without BOM or XML declaration."""
    stripped = text.lstrip("\ufeff" + _XML_SPACE)
    return _XML_DECLARATION.sub("", stripped, count=1).encode("utf-8")


def _utf8_content_type(content_type: str | None) -> str:
    media = (content_type or "text/xml").split(";", 1)[0].strip() or "text/xml"
    return f"{media}; charset=utf-8"


class RequestGuard:
    """WSGI middleware for the POSTs to the SOAP endpoint."""

    def __init__(
        self,
        inner: WsgiApp,
        tns: str,
        max_upload_mb: int,
        max_upload_bytes: int,
        data_dir: Path | None = None,
    ) -> None:
        self.inner = inner
        self.tns = tns
        self.max_upload_mb = max_upload_mb
        self.limit = max_request_bytes(max_upload_bytes)
        self.data_dir = data_dir
        self.spool_threshold = SPOOL_THRESHOLD
        """Bodies over this many bytes stream (only with a ``data_dir`` to spool into)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = _content_length(environ)
        stream = environ.get("wsgi.input")
        _set_idle_timeout(environ)
        if declared is not None and declared > self.limit:
            return self._too_large(start_response, stream, declared, already=0)
        body_reader = _BodyReader(stream, declared, self.limit + 1)
        try:
            body = body_reader.read(self.spool_threshold + 1 if self.data_dir is not None else self.limit + 1)
        except (BodyTooSlow, OSError):
            return self._too_slow(start_response)
        if len(body) > self.limit:
            return self._too_large(start_response, stream, declared, already=len(body))
        content_type = environ.get("CONTENT_TYPE")
        media = str(content_type or "").split(";", 1)[0].strip().lower()
        if media.startswith("multipart/"):  # SwA/MTOM: spyne would split parts the guard never saw
            return self._refuse(
                start_response,
                "La solicitud trae adjuntos (multipart: SwA/MTOM), que el servicio no admite: envíe el "
                "archivo en base64 dentro del sobre SOAP (text/xml).",
                body_reader if not body_reader.done else None,
            )
        if not body_reader.done:
            return self._streamed(environ, start_response, body_reader, body)
        text: str | None = None
        try:
            text = decode_body(body, header_charset(content_type))
            reason = refusal_of_text(text)
        except ValueError as exc:
            reason = str(exc)
        if reason is not None:
            return self._refuse(start_response, reason, None)
        assert text is not None
        return self.inner(self._inner_environ(environ, normalized(text)), start_response)

    def _streamed(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        body_reader: _BodyReader,
        head: bytes,
    ) -> Iterable[bytes]:
        """A body over :data:`~mec_ws.soap.stream.SPOOL_THRESHOLD`: see :mod:`mec_ws.soap.stream`."""
        assert self.data_dir is not None
        try:
            encoding, origin = body_encoding(head, header_charset(environ.get("CONTENT_TYPE")))
        except ValueError as exc:
            return self._refuse(start_response, str(exc), body_reader)
        body = StreamingBody(encoding, origin, self.data_dir)
        try:
            body.feed(head)
            for block in body_reader.blocks():
                if body_reader.received > self.limit:
                    body.discard()
                    return self._too_large(
                        start_response, body_reader.stream, body_reader.declared, already=body_reader.received
                    )
                body.feed(block)
            envelope, incoming = body.finish()
        except Refused as exc:
            body.discard()
            return self._refuse(start_response, str(exc), body_reader)
        except (BodyTooSlow, OSError):
            body.discard()
            return self._too_slow(start_response)
        except BaseException:
            body.discard()
            raise
        inner_environ = self._inner_environ(environ, envelope)
        if incoming is not None:
            inner_environ[INCOMING_KEY] = incoming
        try:
            answer = self.inner(inner_environ, start_response)
        except BaseException:
            body.discard()
            raise
        return _Closing(answer, body.discard)

    def _inner_environ(self, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
        inner_environ = dict(environ)
        inner_environ["CONTENT_TYPE"] = _utf8_content_type(environ.get("CONTENT_TYPE"))
        inner_environ["wsgi.input"] = io.BytesIO(body)
        inner_environ["CONTENT_LENGTH"] = str(len(body))
        return inner_environ

    def _refuse(
        self, start_response: Callable[..., Any], reason: str, unread: _BodyReader | None
    ) -> list[bytes]:
        """``Client.SolicitudInvalida``; with ``unread``, the rest of the body is drained first and
        the connection closed (the client reads the fault, not a reset)."""
        logger.info("Solicitud SOAP rechazada por el filtro: %s", reason)
        fault = faults.solicitud_invalida(self.tns, reason)
        if unread is None:
            return send_fault(start_response, fault)
        _drain(unread.stream, unread.declared, unread.received)
        return send_fault(start_response, fault, extra_headers=[("Connection", "close")])

    def _too_slow(self, start_response: Callable[..., Any]) -> list[bytes]:
        logger.info("Solicitud SOAP cortada: el cuerpo no llegó a tiempo")
        return send_fault(
            start_response,
            faults.solicitud_invalida(
                self.tns, "El cuerpo de la solicitud no llegó a tiempo; vuelva a enviarla."
            ),
            extra_headers=[("Connection", "close")],
        )

    def _too_large(
        self, start_response: Callable[..., Any], stream: Any, declared: int | None, *, already: int
    ) -> list[bytes]:
        mensaje = (
            f"La solicitud excede el límite de {self.max_upload_mb} MB para el archivo; "
            "divida la carga en archivos más pequeños."
        )
        drained = _drain(stream, declared, already)
        logger.info(
            "Solicitud SOAP rechazada por tamaño (límite %d bytes; %d bytes descartados)", self.limit, drained
        )
        return send_fault(
            start_response,
            faults.archivo_invalido(self.tns, mensaje),
            extra_headers=[("Connection", "close")],
        )


class _Closing:
    """A WSGI answer that runs ``cleanup`` when the server closes it (or when it is exhausted)."""

    def __init__(self, answer: Iterable[bytes], cleanup: Callable[[], None]) -> None:
        self.answer = answer
        self.cleanup = cleanup

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.answer
        finally:
            self.cleanup()

    def close(self) -> None:
        try:
            close = getattr(self.answer, "close", None)
            if close is not None:
                close()
        finally:
            self.cleanup()


class _BodyReader:
    """Reads the body in blocks, at most ``cap`` bytes (the declared length when there is one),
    within :func:`body_deadline` (:class:`BodyTooSlow` past it)."""

    def __init__(self, stream: Any, declared: int | None, cap: int) -> None:
        self.stream = stream
        self.declared = declared
        self.wanted = 0 if stream is None else cap if declared is None else min(declared, cap)
        self.received = 0
        self._eof = False
        self._started = time.monotonic()

    @property
    def done(self) -> bool:
        return self._eof or self.received >= self.wanted

    def _block(self, most: int) -> bytes:
        if time.monotonic() - self._started > body_deadline(self.received):
            raise BodyTooSlow
        chunk: bytes = self.stream.read(min(_READ_BLOCK, most, self.wanted - self.received))
        if not chunk:
            self._eof = True
        self.received += len(chunk)
        return chunk

    def read(self, most: int) -> bytes:
        """Up to ``most`` bytes (fewer only at the end of the body)."""
        chunks: list[bytes] = []
        got = 0
        while got < most and not self.done:
            chunk = self._block(most - got)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def blocks(self) -> Iterator[bytes]:
        """The rest of the body, block by block."""
        while not self.done:
            chunk = self._block(_READ_BLOCK)
            if chunk:
                yield chunk


def _set_idle_timeout(environ: dict[str, Any]) -> None:
    """On gunicorn, bound each wait for body bytes (the socket is otherwise fully blocking)."""
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed by the peer: the read will say so
            sock.settimeout(IDLE_SECONDS)


def _drain(stream: Any, declared: int | None, already: int) -> int:
    """Read and discard the rest of the body, within :data:`DRAIN_MAX_BYTES` and
    :data:`DRAIN_MAX_SECONDS`, so that the client can read the answer; the bytes drained."""
    if stream is None:
        return 0
    remaining = DRAIN_MAX_BYTES if declared is None else min(declared - already, DRAIN_MAX_BYTES)
    stop_at = time.monotonic() + DRAIN_MAX_SECONDS
    drained = 0
    try:
        while drained < remaining and time.monotonic() < stop_at:
            chunk = stream.read(min(_READ_BLOCK, remaining - drained))
            if not chunk:
                break
            drained += len(chunk)
    except OSError:  # the client went away or stalled: nothing left to be polite to
        pass
    return drained


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None
