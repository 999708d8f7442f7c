"""The one exceptions module of mec-ws.

Domain code raises these; the SOAP edge maps ``MecError`` subclasses to ``errorMec`` faults by
their ``codigo`` and the CLI prints their Spanish message.  Problems *inside* an uploaded
certificate are never exceptions: they are :class:`mec_ws.findings.Finding` objects.
"""

from __future__ import annotations


class MecError(Exception):
    """Base class: a coded, Spanish, user-facing error.

    ``codigo`` is the fault code of the wire contract (``contract.md``); ``cliente`` tells whether
    it is the caller's mistake (``soapenv:Client.<codigo>``) or ours (``soapenv:Server.<codigo>``).
    """

    codigo: str = "Interno"
    cliente: bool = False

    def __init__(self, mensaje: str) -> None:
        super().__init__(mensaje)
        self.mensaje = mensaje


class ClientError(MecError):
    cliente = True


class XmlReadError(ClientError):
    """An XML from outside could not be read safely; ``finding_code`` says why."""

    codigo = "ArchivoInvalido"

    def __init__(self, finding_code: str, mensaje: str) -> None:
        super().__init__(mensaje)
        self.finding_code = finding_code


class ConfigurationError(MecError):
    codigo = "Configuracion"


# --- the fault codes of the wire contract (contract.md, "Errors") -------------------------------


class Autenticacion(ClientError):
    codigo = "Autenticacion"


class CuentaBloqueada(ClientError):
    codigo = "CuentaBloqueada"


class FolioInexistente(ClientError):
    codigo = "FolioInexistente"


class FolioAgotado(ClientError):
    codigo = "FolioAgotado"


class FolioAceptado(ClientError):
    codigo = "FolioAceptado"


class CargaEnProceso(ClientError):
    codigo = "CargaEnProceso"


class ArchivoInvalido(ClientError):
    codigo = "ArchivoInvalido"


class PaqueteInvalido(ArchivoInvalido):
    """``ArchivoInvalido`` for a package fault; ``hallazgos`` are the finding codes behind it
    (``ZIP_DIRECTORIO``, ``XML_DEMASIADO_GRANDE``, ...), the same the worker would report."""

    def __init__(self, mensaje: str, hallazgos: tuple[str, ...] = ()) -> None:
        super().__init__(mensaje)
        self.hallazgos = hallazgos


class CantidadNoCoincide(ClientError):
    """The upload does not hold the number of certificates its folio de pago covers."""

    codigo = "CantidadNoCoincide"


class LoteInexistente(ClientError):
    codigo = "LoteInexistente"


class CertificadoInexistente(ClientError):
    codigo = "CertificadoInexistente"


class CancelacionNoPermitida(ClientError):
    codigo = "CancelacionNoPermitida"


class ProgramaInvalido(ClientError):
    codigo = "ProgramaInvalido"


class DocumentoInexistente(ClientError):
    codigo = "DocumentoInexistente"


class PruebasIncompletas(ClientError):
    codigo = "PruebasIncompletas"


class SolicitudInvalida(ClientError):
    codigo = "SolicitudInvalida"


class Interno(MecError):
    """Our fault (``soapenv:Server.Interno``); the message never carries internals."""

    codigo = "Interno"


FAULT_CODES: tuple[str, ...] = (
    "Autenticacion",
    "CuentaBloqueada",
    "FolioInexistente",
    "FolioAgotado",
    "FolioAceptado",
    "CargaEnProceso",
    "CantidadNoCoincide",
    "ArchivoInvalido",
    "LoteInexistente",
    "CertificadoInexistente",
    "CancelacionNoPermitida",
    "ProgramaInvalido",
    "DocumentoInexistente",
    "PruebasIncompletas",
    "SolicitudInvalida",
    "Interno",
)
