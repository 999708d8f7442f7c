"""Every domain error reaches the client as a typed ``errorMec`` fault with the right faultcode.

Against the real services on the test database (SQLite and PostgreSQL): each fault is provoked by
real requests and real state (uploads processed by the real worker), except the mapping of every
error class, which :class:`tests.soap.conftest.Recorder` injects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import zeep
import zeep.exceptions
from lxml import etree
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport

from mec_ws import errors
from mec_ws.config import DEFAULT_NAMESPACE
from mec_ws.programs import program_to_xml
from mec_ws.services.auth import MAX_FAILED_LOGINS, MENSAJE_AUTENTICACION
from mec_ws.soap.faults import MENSAJE_INTERNO
from mec_ws.web.wsgi import make_wsgi_app
from tests.services.world import World
from tests.soap.conftest import (
    OTHER_INSTITUTION,
    WSDL_URL,
    Recorder,
    client_of,
    make_settings,
    mount,
    unbound_services,
)


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


def upload(client: zeep.Client, auth: dict, folio: str, content: bytes, name: str = "a.xml") -> Any:
    return client.service.cargaCertificados(
        autenticacion=auth, folioPago=folio, nombreArchivo=name, archivoBase64=content
    )


def status_of(client: zeep.Client, auth: dict, folio: str) -> list[str]:
    r = client.service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)
    return [lote.estatus for lote in r.lotes.lote]


def test_wrong_password_is_client_autenticacion(client: zeep.Client) -> None:
    bad = {"usuario": "ipes1", "password": "otra"}
    code, typed, fault = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    assert (code, typed.codigo) == ("Client.Autenticacion", "Autenticacion")
    assert fault.message == MENSAJE_AUTENTICACION == "Usuario o contraseña incorrectos."


def test_unknown_user_gets_the_same_fault_as_a_wrong_password(client: zeep.Client) -> None:
    nobody = {"usuario": "nadie", "password": "otra"}
    code, _, fault = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=nobody))
    assert (code, fault.message) == ("Client.Autenticacion", MENSAJE_AUTENTICACION)


def test_repeated_failures_lock_the_account(client: zeep.Client, auth: dict, other_auth: dict) -> None:
    assert MAX_FAILED_LOGINS == 5
    bad = {"usuario": "ipes1", "password": "otra"}
    for _ in range(MAX_FAILED_LOGINS - 1):
        code, _, _ = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
        assert code == "Client.Autenticacion"
    assert client.service.consultaDocumentos(autenticacion=auth)  # a success resets the count
    for _ in range(MAX_FAILED_LOGINS - 1):
        fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    code, typed, fault = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    assert (code, typed.codigo) == ("Client.CuentaBloqueada", "CuentaBloqueada")
    assert "Ciudad de México" in fault.message
    code, typed, _ = fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.CuentaBloqueada", "CuentaBloqueada")  # even the right one
    assert client.service.consultaDocumentos(autenticacion=other_auth)  # other accounts unaffected


def test_the_lock_ends_after_its_time(client: zeep.Client, auth: dict, world: World) -> None:
    bad = {"usuario": "ipes1", "password": "otra"}
    for _ in range(MAX_FAILED_LOGINS):
        fault_of(client, lambda: client.service.consultaProgramasEstudios(autenticacion=bad))
    world.clock.advance(minutes=16)
    assert client.service.consultaDocumentos(autenticacion=auth)


def test_unknown_or_foreign_folio_is_folio_inexistente(client: zeep.Client, auth: dict, world: World) -> None:
    foreign = world.folio(1, OTHER_INSTITUTION)
    for folio in ("NO-EXISTE", foreign):
        code, typed, fault = fault_of(
            client,
            lambda folio=folio: client.service.consultaEstatusCarga(autenticacion=auth, folioPago=folio),
        )
        assert (code, typed.codigo) == ("Client.FolioInexistente", "FolioInexistente")
        assert folio in fault.message
        code, _, _ = fault_of(client, lambda folio=folio: upload(client, auth, folio, world.certificate(1)))
        assert code == "Client.FolioInexistente"


def test_two_rejected_attempts_spend_the_folio(client: zeep.Client, auth: dict, world: World) -> None:
    folio = world.folio(1)
    upload(client, auth, folio, b"<uno/>")
    world.drain()
    upload(client, auth, folio, b"<dos/>")
    world.drain()
    assert status_of(client, auth, folio) == ["RECHAZADO", "RECHAZADO"]
    code, typed, _ = fault_of(client, lambda: upload(client, auth, folio, world.certificate(1)))
    assert (code, typed.codigo) == ("Client.FolioAgotado", "FolioAgotado")


def test_accepted_folio_cannot_be_loaded_again(client: zeep.Client, auth: dict, world: World) -> None:
    folio = world.folio(1)
    upload(client, auth, folio, world.certificate(1))
    world.drain()
    assert status_of(client, auth, folio) == ["ACEPTADO"]
    code, typed, _ = fault_of(client, lambda: upload(client, auth, folio, world.certificate(2)))
    assert (code, typed.codigo) == ("Client.FolioAceptado", "FolioAceptado")


def test_new_bytes_while_an_attempt_is_pending_is_carga_en_proceso(
    client: zeep.Client, auth: dict, world: World
) -> None:
    folio = world.folio(1)
    first = upload(client, auth, folio, world.certificate(1))
    code, typed, _ = fault_of(client, lambda: upload(client, auth, folio, world.certificate(2)))
    assert (code, typed.codigo) == ("Client.CargaEnProceso", "CargaEnProceso")
    again = upload(client, auth, folio, world.certificate(1))  # the same bytes: a retry, not a fault
    assert (again.numeroLote, again.intento) == (first.numeroLote, 1)


def test_empty_file_reaches_the_service_as_empty_bytes(
    client: zeep.Client, auth: dict, world: World, recorder: Recorder
) -> None:
    folio = world.folio(1)
    code, typed, fault = fault_of(client, lambda: upload(client, auth, folio, b""))
    assert (code, typed.codigo) == ("Client.ArchivoInvalido", "ArchivoInvalido")
    assert "vacío" in fault.message
    assert recorder.calls[-1] == ("carga_certificados", (folio, "a.xml", b""))


@pytest.mark.parametrize("content", [b"%PDF-1.7 binario", b"PK\x03\x04roto"], ids=["not-xml", "corrupt-zip"])
def test_unusable_file_is_archivo_invalido_and_spends_nothing(
    client: zeep.Client, auth: dict, world: World, content: bytes
) -> None:
    folio = world.folio(1)
    code, typed, _ = fault_of(client, lambda: upload(client, auth, folio, content))
    assert (code, typed.codigo) == ("Client.ArchivoInvalido", "ArchivoInvalido")
    assert upload(client, auth, folio, world.certificate(1)).intento == 1


def test_unknown_or_foreign_batch_is_lote_inexistente(
    client: zeep.Client, auth: dict, other_auth: dict, world: World
) -> None:
    foreign = upload(client, other_auth, world.folio(1, OTHER_INSTITUTION), world.certificate(1, other=True))
    for numero in (999_999, foreign.numeroLote):
        code, typed, _ = fault_of(
            client,
            lambda numero=numero: client.service.descargaResultadoCarga(
                autenticacion=auth, numeroLote=numero
            ),
        )
        assert (code, typed.codigo) == ("Client.LoteInexistente", "LoteInexistente")


def test_result_of_an_unprocessed_batch_is_carga_en_proceso(
    client: zeep.Client, auth: dict, world: World
) -> None:
    r = upload(client, auth, world.folio(1), world.certificate(1))
    code, typed, _ = fault_of(
        client, lambda: client.service.descargaResultadoCarga(autenticacion=auth, numeroLote=r.numeroLote)
    )
    assert (code, typed.codigo) == ("Client.CargaEnProceso", "CargaEnProceso")


@pytest.mark.parametrize("formato", ["XML", "PDF"])
@pytest.mark.parametrize("folio", ["NO-EXISTE", "FC-9"])  # FC-9 belongs to another institution
def test_unknown_or_foreign_certificate_is_certificado_inexistente(
    client: zeep.Client, auth: dict, certificates: None, folio: str, formato: str
) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.descargaCertificado(autenticacion=auth, folioControl=folio, formato=formato),
    )
    assert (code, typed.codigo) == ("Client.CertificadoInexistente", "CertificadoInexistente")


def test_unreadable_program_is_a_rejection_not_a_fault(client: zeep.Client, auth: dict) -> None:
    r = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=b"no xml"
    )
    assert r.estatus == "RECHAZADO" and r.errores.error


def test_replacing_a_program_in_use_is_a_rejection(client: zeep.Client, auth: dict, world: World) -> None:
    program = program_to_xml(world.scenario.program)
    ok = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=program
    )
    assert ok.estatus == "ACEPTADO"  # not used yet: replaced
    folio = world.folio(1)
    upload(client, auth, folio, world.certificate(1))
    world.drain()
    assert status_of(client, auth, folio) == ["ACEPTADO"]
    r = client.service.cargaProgramaEstudios(autenticacion=auth, nombreArchivo="p.xml", archivoBase64=program)
    assert r.estatus == "RECHAZADO"
    assert [e.codigo for e in r.errores.error] == ["PROGRAMA_EN_USO"]


def test_an_operator_registering_a_program_is_solicitud_invalida(
    client: zeep.Client, operator_auth: dict, world: World
) -> None:
    program = program_to_xml(world.scenario.program)
    code, typed, _ = fault_of(
        client,
        lambda: client.service.cargaProgramaEstudios(
            autenticacion=operator_auth, nombreArchivo="p.xml", archivoBase64=program
        ),
    )
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")


# --- idInstitucion from an IPES user ------------------------------------------------------------------
# One contract, one behaviour: the filter is applied within what the caller may see.  For an IPES user
# its own id changes nothing, another institution's id matches nothing (an empty page or export, never
# a fault that would tell "exists but forbidden" apart from "not found", and never the caller's own
# certificates as though the filter had been ignored).


@pytest.mark.parametrize(("institucion", "expected"), [("000001", ["FC-1", "FC-2"]), ("000002", [])])
def test_an_ipes_filter_by_institution_is_applied_within_its_own_data(
    client: zeep.Client, auth: dict, certificates: None, institucion: str, expected: list[str]
) -> None:
    r = client.service.consultaCertificados(
        autenticacion=auth, filtro={"idInstitucion": institucion}, pagina=1, registrosPorPagina=10
    )
    assert r.totalRegistros == len(expected)
    assert [c.folioControl for c in (r.certificados.certificado if expected else [])] == expected
    assert r.certificados is None or not expected or len(r.certificados.certificado) == len(expected)
    export = client.service.exportaCertificados(
        autenticacion=auth, filtro={"idInstitucion": institucion}, formato="CSV"
    )
    text = export.archivoBase64.decode("utf-8-sig")
    assert [f for f in ("FC-1", "FC-2", "FC-9") if f in text] == expected


def test_an_operator_filters_by_any_institution(
    client: zeep.Client, operator_auth: dict, certificates: None
) -> None:
    r = client.service.consultaCertificados(
        autenticacion=operator_auth, filtro={"idInstitucion": "000002"}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioControl for c in r.certificados.certificado] == ["FC-9"]
    everything = client.service.consultaCertificados(
        autenticacion=operator_auth, pagina=1, registrosPorPagina=10
    )
    assert everything.totalRegistros == 3


def test_inverted_date_range_is_solicitud_invalida(client: zeep.Client, auth: dict) -> None:
    code, typed, fault = fault_of(
        client,
        lambda: client.service.consultaCertificados(
            autenticacion=auth,
            filtro={"fechaExpedicionDesde": "2024-05-02", "fechaExpedicionHasta": "2024-05-01"},
            pagina=1,
            registrosPorPagina=10,
        ),
    )
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert "fechaExpedicion" in fault.message


# --- the mapping of every error class -----------------------------------------------------------------
# The injected error is raised by the first service call (authenticate): no database is needed, so
# these run once, over services bound to none.


@pytest.fixture
def offline() -> tuple[zeep.Client, Recorder]:
    settings = make_settings()
    recorder = Recorder(unbound_services(settings))
    return zeep.Client(
        WSDL_URL, transport=Transport(session=mount(make_wsgi_app(recorder, settings)))
    ), recorder


CLIENT_ERRORS = [
    cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ClientError)
]


@pytest.mark.parametrize(
    "error_class", [c for c in CLIENT_ERRORS if c is not errors.XmlReadError], ids=lambda c: c.__name__
)
def test_every_client_error_maps_to_its_code(
    offline: tuple[zeep.Client, Recorder], auth: dict, error_class: type
) -> None:
    client, recorder = offline
    recorder.fail_next = error_class("Mensaje en español para la persona.")
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


def test_xml_read_error_is_archivo_invalido(offline: tuple[zeep.Client, Recorder], auth: dict) -> None:
    client, recorder = offline
    recorder.fail_next = errors.XmlReadError("XML_MAL_FORMADO", "El archivo no es XML bien formado.")
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
    offline: tuple[zeep.Client, Recorder], auth: dict, error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    client, recorder = offline
    history = HistoryPlugin()
    client.plugins.append(history)
    recorder.fail_next = error
    with caplog.at_level(logging.ERROR, logger="mec_ws"):
        code, typed, fault = fault_of(
            client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth)
        )
    assert (code, typed.codigo, fault.message) == ("Server.Interno", "Interno", MENSAJE_INTERNO)
    assert "42" in caplog.text  # logged for us...
    sent = etree.tostring(history.last_received["envelope"])
    assert b"42" not in sent and b"Traceback" not in sent  # ...never sent


def test_a_database_that_went_away_is_server_interno(world: World, auth: dict) -> None:
    """The real failure, not an injected one: the services' database is gone mid-flight."""
    client = client_of(world)
    with world.sessions() as s:
        conn = s.connection()
        cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""  # other tables refer to it
        conn.exec_driver_sql(f"DROP TABLE users{cascade}")
        s.commit()
    code, typed, fault = fault_of(
        client, lambda: client.service.consultaProgramasEstudios(autenticacion=auth)
    )
    assert (code, typed.codigo, fault.message) == ("Server.Interno", "Interno", MENSAJE_INTERNO)


# --- cancellations, documents, tests phase -------------------------------------------------------------


@pytest.mark.parametrize("folio", ["NO-EXISTE", "FC-9"])  # FC-9 belongs to another institution
def test_cancelling_an_unknown_or_foreign_certificate_is_certificado_inexistente(
    client: zeep.Client, auth: dict, certificates: None, folio: str
) -> None:
    code, typed, _ = fault_of(
        client,
        lambda: client.service.solicitaCancelacion(autenticacion=auth, folioControl=folio, motivo="C1"),
    )
    assert (code, typed.codigo) == ("Client.CertificadoInexistente", "CertificadoInexistente")


def test_cancelling_twice_is_cancelacion_no_permitida(
    client: zeep.Client, auth: dict, certificates: None
) -> None:
    client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-1", motivo="C1")
    code, typed, fault = fault_of(
        client,
        lambda: client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-1", motivo="C2"),
    )
    assert (code, typed.codigo) == ("Client.CancelacionNoPermitida", "CancelacionNoPermitida")
    assert "FC-1" in fault.message


def test_unknown_cancellation_reason_is_solicitud_invalida(
    client: zeep.Client, auth: dict, certificates: None
) -> None:
    code, typed, fault = fault_of(
        client,
        lambda: client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-1", motivo="ZZ"),
    )
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert "ZZ" in fault.message


@pytest.mark.parametrize("nombre", ["no-existe.pdf", "../etc/passwd"])
def test_unknown_document_is_documento_inexistente(client: zeep.Client, auth: dict, nombre: str) -> None:
    code, typed, _ = fault_of(
        client, lambda: client.service.descargaDocumento(autenticacion=auth, nombre=nombre)
    )
    assert (code, typed.codigo) == ("Client.DocumentoInexistente", "DocumentoInexistente")


def test_concluding_tests_too_early_is_pruebas_incompletas_saying_what_is_missing(
    pruebas: World, auth: dict
) -> None:
    client = client_of(pruebas)
    upload(client, auth, pruebas.folio(1), pruebas.certificate(1))
    pruebas.drain()
    code, typed, fault = fault_of(client, lambda: client.service.concluyePruebas(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.PruebasIncompletas", "PruebasIncompletas")
    assert "faltan 9 certificados aceptados" in fault.message
    assert "ZIP" in fault.message and "XML individual" not in fault.message


def test_concluding_tests_outside_the_test_environment_is_solicitud_invalida(
    client: zeep.Client, auth: dict, world: World
) -> None:
    assert not world.settings.pruebas
    code, typed, _ = fault_of(client, lambda: client.service.concluyePruebas(autenticacion=auth))
    assert (code, typed.codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
