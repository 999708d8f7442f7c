"""Every domain error reaches the client as a typed ``errorMec`` fault with the right faultcode."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import zeep
import zeep.exceptions
from lxml import etree
from zeep.plugins import HistoryPlugin

from mec_ws import errors
from mec_ws.config import DEFAULT_NAMESPACE
from mec_ws.services import dto
from mec_ws.soap.faults import MENSAJE_INTERNO
from tests.soap.fake import PROGRAMA, FakeMec


def fault_of(client: zeep.Client, call: Callable[[], Any]) -> tuple[str, Any, zeep.exceptions.Fault]:
    """(faultcode local part, errorMec parsed by zeep as its declared type, the zeep fault)."""
    with pytest.raises(zeep.exceptions.Fault) as info:
        call()
    fault = info.value
    local = fault.code.rpartition(":")[2]
    (detail,) = list(fault.detail)
    assert detail.tag == f"{{{DEFAULT_NAMESPACE}}}errorMec"
    typed = client.get_element(f"{{{DEFAULT_NAMESPACE}}}errorMec").parse(detail, client.wsdl.types)
    assert typed.mensaje == fault.message
    return local, typed, fault


def upload(client: zeep.Client, auth: dict, content: bytes, folio: str = "F-001") -> Any:
    return client.service.cargaCertificados(
        autenticacion=auth, folioPago=folio, nombreArchivo="a.xml", archivoBase64=content
    )


REJECTED = (dto.ArchivoDetalle("a.xml", None, dto.EstatusArchivo.CON_ERRORES, (dto.Error("X", "mal"),)),)
ACCEPTED = (dto.ArchivoDetalle("a.xml", "FC-1", dto.EstatusArchivo.CORRECTO),)


def test_wrong_password_is_client_autenticacion(client: zeep.Client) -> None:
    bad = {"usuario": "ipes1", "password": "otra"}
    code, typed, fault = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    assert (code, typed.codigo) == ("Client.Autenticacion", "Autenticacion")
    assert fault.message == "Usuario o contraseña incorrectos."


def test_repeated_failures_lock_the_account(client: zeep.Client, auth: dict) -> None:
    bad = {"usuario": "ipes1", "password": "otra"}
    for _ in range(3):
        fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    code, typed, _ = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.CuentaBloqueada", "CuentaBloqueada")


@pytest.mark.parametrize("folio", ["NO-EXISTE", "F-002"])  # F-002 belongs to another institution
def test_unknown_or_foreign_folio_is_folio_inexistente(client: zeep.Client, auth: dict, folio: str) -> None:
    code, typed, _ = fault_of(
        client, lambda: client.service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)
    )
    assert (code, typed.codigo) == ("Client.FolioInexistente", "FolioInexistente")


def test_two_rejected_attempts_spend_the_folio(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    upload(client, auth, b"<uno/>")
    fake.procesar(1, REJECTED)
    upload(client, auth, b"<dos/>")
    fake.procesar(2, REJECTED)
    code, typed, _ = fault_of(client, lambda: upload(client, auth, b"<tres/>"))
    assert (code, typed.codigo) == ("Client.FolioAgotado", "FolioAgotado")


def test_accepted_folio_cannot_be_loaded_again(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    upload(client, auth, b"<uno/>")
    fake.procesar(1, ACCEPTED)
    code, typed, _ = fault_of(client, lambda: upload(client, auth, b"<otro/>"))
    assert (code, typed.codigo) == ("Client.FolioAceptado", "FolioAceptado")


def test_new_bytes_while_an_attempt_is_pending_is_carga_en_proceso(client: zeep.Client, auth: dict) -> None:
    upload(client, auth, b"<uno/>")
    code, typed, _ = fault_of(client, lambda: upload(client, auth, b"<otro/>"))
    assert (code, typed.codigo) == ("Client.CargaEnProceso", "CargaEnProceso")


def test_empty_file_reaches_the_service_as_empty_bytes(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    code, typed, fault = fault_of(client, lambda: upload(client, auth, b""))
    assert (code, typed.codigo, fault.message) == (
        "Client.ArchivoInvalido",
        "ArchivoInvalido",
        "El archivo está vacío.",
    )
    assert fake.calls[-1] == ("carga_certificados", ("F-001", "a.xml", b""))


def test_unknown_batch_is_lote_inexistente(client: zeep.Client, auth: dict) -> None:
    code, typed, _ = fault_of(
        client, lambda: client.service.descargaResultadoCarga(autenticacion=auth, numeroLote=999)
    )
    assert (code, typed.codigo) == ("Client.LoteInexistente", "LoteInexistente")


def test_foreign_certificate_is_certificado_inexistente(client: zeep.Client, auth: dict) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.descargaCertificado(autenticacion=auth, folioControl="FC-9", formato="XML"),
    )
    assert (code, typed.codigo) == ("Client.CertificadoInexistente", "CertificadoInexistente")


def test_unreadable_program_is_programa_invalido(client: zeep.Client, auth: dict) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.cargaProgramaEstudios(
            autenticacion=auth, nombreArchivo="p.xml", archivoBase64=b"no xml"
        ),
    )
    assert (code, typed.codigo) == ("Client.ProgramaInvalido", "ProgramaInvalido")
    assert client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=PROGRAMA
    )


def test_service_side_solicitud_invalida(client: zeep.Client, auth: dict) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.consultaCertificados(
            autenticacion=auth, filtro={"idInstitucion": "090002"}, pagina=1, registrosPorPagina=10
        ),
    )
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")


CLIENT_ERRORS = [
    cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ClientError)
]


@pytest.mark.parametrize(
    "error_class", [c for c in CLIENT_ERRORS if c is not errors.XmlReadError], ids=lambda c: c.__name__
)
def test_every_client_error_maps_to_its_code(
    client: zeep.Client, auth: dict, fake: FakeMec, error_class: type
) -> None:
    fake.fail_next = error_class("Mensaje en español para la persona.")
    code, typed, fault = fault_of(
        client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth)
    )
    assert code == f"Client.{error_class.codigo}"
    assert (typed.codigo, typed.mensaje, fault.message) == (
        error_class.codigo,
        "Mensaje en español para la persona.",
        "Mensaje en español para la persona.",
    )


def test_every_contract_code_has_a_client_error_or_is_interno() -> None:
    mapped = {c.codigo for c in CLIENT_ERRORS} | {"Interno"}
    assert set(errors.FAULT_CODES) <= mapped


def test_xml_read_error_is_archivo_invalido(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    fake.fail_next = errors.XmlReadError("XML_MAL_FORMADO", "El archivo no es XML bien formado.")
    code, typed, _ = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.ArchivoInvalido", "ArchivoInvalido")


@pytest.mark.parametrize(
    "error",
    [
        errors.Interno("detalle interno 42"),
        errors.ConfigurationError("MEC_X mal configurada 42"),
        RuntimeError("secreto 42"),
    ],
    ids=["Interno", "ConfigurationError", "RuntimeError"],
)
def test_server_side_errors_are_generic_server_interno(
    client: zeep.Client, auth: dict, fake: FakeMec, error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    history = HistoryPlugin()
    client.plugins.append(history)
    fake.fail_next = error
    with caplog.at_level(logging.ERROR, logger="mec_ws"):
        code, typed, fault = fault_of(
            client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth)
        )
    assert (code, typed.codigo, fault.message) == ("Server.Interno", "Interno", MENSAJE_INTERNO)
    assert "42" in caplog.text  # logged for us...
    sent = etree.tostring(history.last_received["envelope"])
    assert b"42" not in sent and b"Traceback" not in sent  # ...never sent


@pytest.mark.parametrize("folio", ["NO-EXISTE", "FC-9"])  # FC-9 belongs to another institution
def test_cancelling_an_unknown_or_foreign_certificate_is_certificado_inexistente(
    client: zeep.Client, auth: dict, folio: str
) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.solicitaCancelacion(autenticacion=auth, folioControl=folio, motivo="C1"),
    )
    assert (code, typed.codigo) == ("Client.CertificadoInexistente", "CertificadoInexistente")


def test_cancelling_twice_is_cancelacion_no_permitida(client: zeep.Client, auth: dict) -> None:
    client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-1", motivo="C1")
    code, typed, fault = fault_of(
        client,
        lambda: client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-1", motivo="C2"),
    )
    assert (code, typed.codigo) == ("Client.CancelacionNoPermitida", "CancelacionNoPermitida")
    assert "FC-1" in fault.message


def test_unknown_document_is_documento_inexistente(client: zeep.Client, auth: dict) -> None:
    code, typed, _ = fault_of(
        client, lambda: client.service.descargaDocumento(autenticacion=auth, nombre="../etc/passwd")
    )
    assert (code, typed.codigo) == ("Client.DocumentoInexistente", "DocumentoInexistente")


def test_concluding_tests_too_early_is_pruebas_incompletas_saying_what_is_missing(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    upload(client, auth, b"<Dec/>")
    fake.procesar(1, ACCEPTED)
    code, typed, fault = fault_of(client, lambda: client.service.concluyePruebas(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.PruebasIncompletas", "PruebasIncompletas")
    assert "9 certificados aceptados más" in fault.message
    assert "ZIP" in fault.message and "un solo XML" not in fault.message
    assert fake.pruebas_concluidas == set()


def test_download_of_a_foreign_certificate_as_pdf_is_certificado_inexistente(
    client: zeep.Client, auth: dict
) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.descargaCertificado(autenticacion=auth, folioControl="FC-9", formato="PDF"),
    )
    assert (code, typed.codigo) == ("Client.CertificadoInexistente", "CertificadoInexistente")


def test_exporting_by_institution_as_an_ipes_user_is_solicitud_invalida(
    client: zeep.Client, auth: dict
) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.exportaCertificados(
            autenticacion=auth, filtro={"idInstitucion": "090002"}, formato="CSV"
        ),
    )
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")


def test_concluding_tests_outside_the_test_environment_is_solicitud_invalida(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    fake.ambiente_pruebas = False
    code, typed, _ = fault_of(client, lambda: client.service.concluyePruebas(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
