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
