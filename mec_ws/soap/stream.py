"""Streaming intake: a large SOAP upload is decoded into a spool file while it arrives.

spyne reads a whole request, parses it into a tree and validates it (the base64 text included),
then decodes the base64: a 95 MiB upload cost a gunicorn process about 7 times its size.  For a
body over :data:`SPOOL_THRESHOLD`, the guard (:mod:`mec_ws.soap.guard`) instead feeds the decoded
text, block by block, to :class:`EnvelopeFilter`: a hardened expat reader (no DTD, no entities,
no network) that writes the envelope back out unchanged except for the ``archivoBase64`` text of
:data:`UPLOAD_OPERATIONS`, which :class:`Base64Sink` decodes in pieces straight into a spool file
(:mod:`mec_ws.incoming`) while hashing it.  spyne then gets that small envelope (with an empty
``archivoBase64``) and the operation takes the spooled :class:`~mec_ws.incoming.IncomingFile`
from the WSGI environment (:data:`INCOMING_KEY`): authentication, faults, the answer and the WSDL
are spyne's as for any other request.

The base64 text is checked as it streams: only the base64 alphabet and XML white space, padding
only at the end, a length that is a multiple of 4; anything else is ``Client.SolicitudInvalida``
(what spyne answers for a value that is not base64).  Smaller bodies take spyne's own path.

Answers go the other way: an operation whose file (an export, a result ZIP, a PDF…) is over
:data:`STREAM_ANSWER_OVER` gives spyne :data:`OUTGOING_MARKER` instead of the file and leaves the
file under :data:`OUTGOING_KEY`; the endpoint (:mod:`mec_ws.soap.app`) sends spyne's document
around it with the file's base64 streamed in its place (:class:`StreamedAnswer`).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from pyexpat import ExpatError, ParserCreate, errors
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from mec_ws.incoming import IncomingFile, discard, new_spool_file
from mec_ws.services.dto import Archivo

logger = logging.getLogger(__name__)

SPOOL_THRESHOLD = 2 * 1024 * 1024
"""Bodies up to this size are read into memory and handed to spyne whole."""

UPLOAD_OPERATIONS = frozenset({"cargaCertificados", "validaCertificados", "cargaProgramaEstudios"})
FIELD = "archivoBase64"
INCOMING_KEY = "mec.incoming"
"""WSGI environment key of the spooled :class:`~mec_ws.incoming.IncomingFile`."""

OUTGOING_KEY = "mec.outgoing"
"""WSGI environment key of the :class:`~mec_ws.services.dto.Archivo` an answer streams."""
STREAM_ANSWER_OVER = 1024 * 1024
"""Files larger than this go out streamed (see :class:`StreamedAnswer`)."""
OUTGOING_MARKER = os.urandom(24)
"""What spyne serializes in place of a streamed file (its base64 is found and replaced)."""
_ANSWER_BLOCK = 3 * 256 * 1024

NOT_BASE64 = "La solicitud no es válida: el contenido de archivoBase64 no es base64."

LEADING = "\ufeff \t\r\n"
XML_DECLARATION = re.compile(r"^<\?xml\s[^>]*\?>")
_ATTRIBUTE_ENTITIES = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_WHITESPACE = str.maketrans("", "", " \t\r\n")
_NOT_ALPHABET = re.compile(r"[^A-Za-z0-9+/=]")
_TEXT_BUFFER = 256 * 1024


class Refused(ValueError):
    """The body cannot be accepted; the message is the Spanish reason for the fault."""


class Base64Sink:
    """Decodes base64 text that arrives in pieces into ``out``, hashing and counting the bytes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0
        self._pending = ""
        self._padded = False

    def write(self, text: str) -> None:
        chars = text.translate(_WHITESPACE)
        if not chars:
            return
        if _NOT_ALPHABET.search(chars) or (self._padded and chars.strip("=")):
            raise Refused(NOT_BASE64)
        if "=" in chars:
            tail = chars.partition("=")[2]
            if tail.strip("="):
                raise Refused(NOT_BASE64)
            self._padded = True
        pending = self._pending + chars
        whole = len(pending) // 4 * 4
        self._pending = pending[whole:]
        if whole:
            self._decode(pending[:whole])

    def _decode(self, quads: str) -> None:
        try:
            block = base64.b64decode(quads, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(NOT_BASE64) from None
        self.out.write(block)
        self.digest.update(block)
        self.size += len(block)

    def close(self) -> None:
        """The text is complete: a dangling partial group is not base64."""
        if self._pending:
            raise Refused(NOT_BASE64)
        self.out.flush()


class EnvelopeFilter:
    """Re-writes a SOAP envelope fed in UTF-8 pieces, diverting upload text to a :class:`Base64Sink`.

    Elements, attributes (namespace declarations included) and text come out as they went in,
    escaped; comments and processing instructions are dropped (spyne ignores them).  A DOCTYPE or
    an entity declaration is :class:`Refused`; malformed XML is :class:`Refused` with expat's
    position.
    """

    def __init__(self, sink_factory: Callable[[], Base64Sink]) -> None:
        self._sink_factory = sink_factory
        self.sink: Base64Sink | None = None
        self._out = io.StringIO()
        self._stack: list[str] = []
        self._diverting = False
        parser = ParserCreate(encoding="UTF-8")
        parser.buffer_text = True
        parser.buffer_size = _TEXT_BUFFER
        parser.ordered_attributes = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        self._parser = parser

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(data, final)
        except ExpatError as exc:
            raise Refused(
                f"La solicitud no es un documento XML bien formado (línea {exc.lineno}, columna "
                f"{exc.offset}): {errors.messages[exc.code]}."
            ) from None

    def envelope(self) -> bytes:
        """The rewritten envelope, in UTF-8 (after the final :meth:`feed`)."""
        return self._out.getvalue().encode("utf-8")

    def _refuse_dtd(self, *_: object) -> None:
        raise Refused("La solicitud contiene una declaración DOCTYPE o ENTITY, que el servicio no admite.")

    def _start(self, name: str, attributes: list[str]) -> None:
        local = name.rpartition(":")[2]
        self._diverting = local == FIELD and bool(self._stack) and self._stack[-1] in UPLOAD_OPERATIONS
        if self._diverting and self.sink is None:
            self.sink = self._sink_factory()
        self._stack.append(local)
        pairs = "".join(
            f" {attributes[i]}={quoteattr(attributes[i + 1], _ATTRIBUTE_ENTITIES)}"
            for i in range(0, len(attributes), 2)
        )
        self._out.write(f"<{name}{pairs}>")

    def _end(self, name: str) -> None:
        self._stack.pop()
        self._diverting = False
        self._out.write(f"</{name}>")

    def _text(self, data: str) -> None:
        if self._diverting:
            assert self.sink is not None
            self.sink.write(data)
        else:
            self._out.write(escape(data, {"\r": "&#13;"}))


class StreamingBody:
    """The body of a large request, fed in raw blocks: decoded with ``encoding`` (strictly), checked
    like the guard checks a small body, rewritten by :class:`EnvelopeFilter`, the upload spooled
    below ``data_dir``.  Every problem is :class:`Refused` with the Spanish reason."""

    def __init__(self, encoding: str, origin: str, data_dir: Path) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._origin = origin
        self._data_dir = data_dir
        self._offset = 0
        self._started = False
        self._tail = ""
        self._spool: tuple[BinaryIO, Path] | None = None
        self.filter = EnvelopeFilter(self._new_sink)

    def _new_sink(self) -> Base64Sink:
        self._spool = new_spool_file(self._data_dir)
        return Base64Sink(self._spool[0])

    def feed(self, block: bytes, final: bool = False) -> None:
        try:
            text = self._decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            raise Refused(
                f"La solicitud tiene bytes no válidos para {self._origin} (posición "
                f"{self._offset + exc.start}): envíela en UTF-8 con charset=utf-8."
            ) from None
        self._offset += len(block)
        if not self._started:
            text = text.lstrip(LEADING)
            if not text and not final:
                return
            if not text:
                raise Refused("La solicitud está vacía: envíe un sobre SOAP 1.1.")
            if not text.startswith("<"):
                raise Refused("La solicitud no es un documento XML: envíe un sobre SOAP 1.1 (text/xml).")
            text = XML_DECLARATION.sub("", text, count=1)
            self._started = True
        window = self._tail + text
        if "<!DOCTYPE" in window or "<!ENTITY" in window:
            raise Refused(
                "La solicitud contiene una declaración DOCTYPE o ENTITY, que el servicio no admite."
            )
        self._tail = window[-8:]
        self.filter.feed(text.encode("utf-8"), final)

    def finish(self) -> tuple[bytes, IncomingFile | None]:
        """The rewritten envelope and the spooled upload (``None`` when there was none)."""
        self.feed(b"", final=True)
        sink = self.filter.sink
        if sink is None or self._spool is None:
            return self.filter.envelope(), None
        sink.close()
        self._spool[0].close()
        incoming = IncomingFile(size=sink.size, sha256=sink.digest.hexdigest(), path=self._spool[1])
        return self.filter.envelope(), incoming

    def discard(self) -> None:
        """Close and delete the spool file (after a refusal, or once the request is answered)."""
        if self._spool is not None:
            self._spool[0].close()
            discard(self._spool[1])


# --- answers ------------------------------------------------------------------------------------


def base64_length(size: int) -> int:
    return -(-size // 3) * 4


class StreamedAnswer:
    """The SOAP answer spyne serialized with :data:`OUTGOING_MARKER` in place of ``archivo``'s
    base64, sent as: the document up to the marker, the file's base64 piece by piece, the rest.

    Its length is known in advance (``Content-Length``); nothing but one piece of the file and its
    base64 is in memory at a time; the file is closed at the end (or when the server closes the
    answer).
    """

    def __init__(self, document: bytes, archivo: Archivo) -> None:
        marker = base64.b64encode(OUTGOING_MARKER)
        if document.count(marker) != 1:
            raise ValueError("la respuesta no contiene exactamente una marca del archivo")
        self.prefix, _, self.suffix = document.partition(marker)
        self.archivo = archivo
        self.length = len(self.prefix) + base64_length(archivo.tamano) + len(self.suffix)

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield self.prefix
            for block in self.archivo.partes(_ANSWER_BLOCK):
                yield base64.b64encode(block)
            yield self.suffix
        finally:
            self.archivo.close()

    def close(self) -> None:
        self.archivo.close()
