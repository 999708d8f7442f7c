"""The SOAP 1.1 protocol of the service: spyne's ``Soap11`` with the contract's wire rules.

- Instants are written in UTC with ``Z`` (``2024-05-01T17:03:00Z``); spyne's ``Soap11`` would
  write ``+00:00`` whatever format is asked for.
- Schema violations of the request become ``Client.SolicitudInvalida`` faults, and so does
  base64 that is not strictly base64 (libxml2's ``xs:base64Binary`` check skips stray characters,
  and spyne's decoder would silently drop them).
- The parser accepts huge text nodes (``huge_tree``: a 100 MB ZIP in base64 is one text node,
  over libxml2's 10 MB default) but never loads a DTD, resolves entities or touches the network;
  the WSGI guard refuses any DOCTYPE before the parser sees it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from spyne.model.binary import ByteArray
from spyne.model.fault import Fault
from spyne.model.primitive import DateTime
from spyne.protocol.soap import Soap11

from mec_ws.soap import faults


def utc_z(value: datetime) -> str:
    """``value`` as an ``xs:dateTime`` in UTC with ``Z``; a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def strict_base64(text: str | None) -> tuple[bytes, ...] | None:
    """Decode ``text`` as base64, refusing any character outside the alphabet; empty is ``None``."""
    if text is None:
        return None
    compact = "".join(text.split())
    if not compact:
        return None
    try:
        return (base64.b64decode(compact, validate=True),)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def etree_local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


SOAP_ENV_PREFIX = "soapenv"


def use_soapenv_prefix(interface: Any) -> None:
    """Bind the SOAP 1.1 envelope namespace to ``soapenv`` (spyne says ``soap11env``).

    Fault codes are QNames in text (``soapenv:Client.Autenticacion``): the prefix written there
    must be the one the envelope declares.
    """
    for prefix, uri in list(interface.nsmap.items()):
        if uri == Soap11.ns_soap_env:
            del interface.nsmap[prefix]
    interface.nsmap[SOAP_ENV_PREFIX] = Soap11.ns_soap_env
    interface.prefmap[Soap11.ns_soap_env] = SOAP_ENV_PREFIX


class MecSoap11(Soap11):
    """``Soap11`` with UTC ``Z`` instants, contract faults for schema violations, hardened parsing."""

    soap_env = SOAP_ENV_PREFIX

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("huge_tree", True)
        kwargs["resolve_entities"] = False
        kwargs["load_dtd"] = False
        kwargs["dtd_validation"] = False
        kwargs["no_network"] = True
        super().__init__(*args, **kwargs)
        self._to_unicode_handlers[DateTime] = lambda cls, value, **_: utc_z(value)
        self.deserialization_handlers[ByteArray] = self._byte_array_from_element

    def _byte_array_from_element(self, ctx: Any, cls: Any, element: Any) -> tuple[bytes, ...] | None:
        """Strict base64 (whitespace and line breaks allowed), as spyne's shape: chunks or ``None``."""
        try:
            return strict_base64(element.text)
        except ValueError:
            name = etree_local_name(element.tag)
            mensaje = f"La solicitud no es válida: el contenido de {name} no es base64."
            raise faults.solicitud_invalida(self.app.interface.get_tns(), mensaje) from None

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        """spyne's, refusing an envelope whose Body has no element (spyne crashes on it)."""
        envelope_xml, _xmlids = ctx.in_document
        body = envelope_xml.find(f"{{{self.ns_soap_env}}}Body")
        if body is not None and not any(isinstance(child.tag, str) for child in body):
            mensaje = "La solicitud no es válida: el cuerpo (Body) del sobre SOAP está vacío."
            raise faults.solicitud_invalida(self.app.interface.get_tns(), mensaje)
        super().decompose_incoming_envelope(ctx, message)

    def validate_body(self, ctx: Any, message: Any) -> None:
        try:
            super().validate_body(ctx, message)
        except faults.MecFault:
            raise
        except Fault as fault:
            tns = self.app.interface.get_tns()
            detalle = schema_error_text(fault.faultstring)
            mensaje = f"{faults.MENSAJE_SOLICITUD_INVALIDA} Detalle: {detalle}"
            raise faults.solicitud_invalida(tns, mensaje) from None


def schema_error_text(raw: object, limit: int = 300) -> str:
    """The schema validator's message without libxml2's location prefix, trimmed.

    spyne hands it over as ASCII bytes with character references, prefixed with
    ``<string>:LINE:COL:ERROR:SCHEMASV:SCHEMAV_...:``; what remains names the element and the
    rule it breaks.
    """
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
    parts = text.strip().split(":", 6)
    message = parts[6] if len(parts) == 7 and parts[3].strip() == "ERROR" else text
    return message.strip()[:limit]
