"""The ``errorMec`` fault: the one typed SOAP fault of the contract.

A fault carries ``faultcode`` ``soapenv:Client.<codigo>`` (the caller's mistake) or
``soapenv:Server.<codigo>`` (ours), a Spanish ``faultstring``, and a ``detail`` holding one
namespace-qualified ``errorMec`` element with ``codigo`` and ``mensaje``.  The model class
(:func:`build_error_mec`) is what every operation declares in ``_throws`` so that Java and .NET
generate a typed exception; the raised class (:class:`MecFault`) is field-less and puts a
qualified lxml element in ``detail`` (a dict detail would come out unqualified).
"""

from __future__ import annotations

import logging

from lxml import etree
from spyne import ComplexModel, Unicode
from spyne.model.fault import Fault

from mec_ws import errors
from mec_ws.soap.types import complex_type, required

logger = logging.getLogger(__name__)

ERROR_MEC = "errorMec"

MENSAJE_INTERNO = (
    "Ocurrió un error interno del servicio; intente de nuevo más tarde y, si persiste, "
    "comuníquese con la SEP."
)
MENSAJE_SOLICITUD_INVALIDA = "La solicitud no cumple con el esquema del servicio (WSDL)."


def build_error_mec(tns: str) -> type[ComplexModel]:
    """The ``errorMec`` model declared as ``wsdl:fault`` on every operation."""
    return complex_type(
        tns,
        ERROR_MEC,
        [
            (
                "codigo",
                required(
                    Unicode,
                    "Código de la falla, igual a la parte local de faultcode sin el prefijo "
                    "Client./Server.: Autenticacion, CuentaBloqueada, FolioInexistente, "
                    "FolioAgotado, FolioAceptado, CargaEnProceso, CantidadNoCoincide, ArchivoInvalido, "
                    "LoteInexistente, "
                    "CertificadoInexistente, CancelacionNoPermitida, ProgramaInvalido, "
                    "DocumentoInexistente, PruebasIncompletas, SolicitudInvalida, Interno.",
                ),
            ),
            ("mensaje", required(Unicode, "Descripción en español, la misma que faultstring.")),
        ],
        "Detalle de toda falla SOAP del servicio.",
    )


class MecFault(Fault):
    """A contract fault, ready to serialise.  Build it with :func:`mec_fault`."""

    def __init__(self, tns: str, codigo: str, mensaje: str, cliente: bool) -> None:
        detail = etree.Element(f"{{{tns}}}{ERROR_MEC}", nsmap={"tns": tns})
        etree.SubElement(detail, f"{{{tns}}}codigo").text = codigo
        etree.SubElement(detail, f"{{{tns}}}mensaje").text = mensaje
        side = "Client" if cliente else "Server"
        super().__init__(faultcode=f"{side}.{codigo}", faultstring=mensaje, detail=detail)
        self.codigo = codigo
        self.mensaje = mensaje
        self.cliente = cliente


def mec_fault(tns: str, error: errors.MecError) -> MecFault:
    """The fault for a domain error (its ``codigo``, ``cliente`` and Spanish ``mensaje``)."""
    if not error.cliente:
        # Our own coded errors (e.g. Configuracion) are logged, and the caller gets no internals.
        logger.error("Error del servicio %s: %s", error.codigo, error.mensaje)
        return interno(tns)
    return MecFault(tns, error.codigo, error.mensaje, cliente=True)


def solicitud_invalida(tns: str, mensaje: str = MENSAJE_SOLICITUD_INVALIDA) -> MecFault:
    return MecFault(tns, errors.SolicitudInvalida.codigo, mensaje, cliente=True)


def archivo_invalido(tns: str, mensaje: str) -> MecFault:
    return MecFault(tns, errors.ArchivoInvalido.codigo, mensaje, cliente=True)


def interno(tns: str) -> MecFault:
    return MecFault(tns, errors.Interno.codigo, MENSAJE_INTERNO, cliente=False)


def from_spyne_fault(tns: str, fault: Fault) -> MecFault:
    """Map any fault spyne raises by itself to the contract's codes.

    spyne's own client-side codes (``Client.SchemaValidationError``, ``Client.XMLSyntaxError``,
    ``Client.SoapError``, ``Client.ResourceNotFound``, ...) become ``Client.SolicitudInvalida``;
    anything else becomes ``Server.Interno`` with a generic message.
    """
    if isinstance(fault, MecFault):
        return fault
    code = str(fault.faultcode or "")
    if code == "Client" or code.startswith("Client."):
        return solicitud_invalida(tns, _spanish_client_message(code))
    logger.error("Falla interna de spyne %s: %s", code, fault.faultstring)
    return interno(tns)


_CLIENT_MESSAGES = {
    "Client.XMLSyntaxError": "La solicitud no es un documento XML bien formado.",
    "Client.SoapError": "La solicitud no es un sobre SOAP 1.1 válido.",
    "Client.ResourceNotFound": "La operación solicitada no existe en este servicio.",
    "Client.RequestNotAllowed": "Las operaciones se invocan con POST y Content-Type text/xml.",
    "Client.RequestTooLong": "La solicitud excede el tamaño permitido.",
}


def _spanish_client_message(code: str) -> str:
    return _CLIENT_MESSAGES.get(code, MENSAJE_SOLICITUD_INVALIDA)
