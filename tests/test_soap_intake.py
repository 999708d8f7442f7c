"""Issue 7 over the real SOAP path (zeep → WSGI → spyne → MecApp → the test database): package
faults and the count spend nothing, the same bytes return the earlier batch, validaCertificados,
and one count of attempts behind ``consultaEstatusCarga`` and ``mec-ws admin list-folios``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import zeep
from sqlalchemy import Engine, func, select

from mec_ws import cli
from models import Batch
from tests.batches.packages import CASES, LIMITS_ENV
from tests.services.world import World, build_world, make_zip, with_env
from tests.test_soap_real_services import IPES, OTHER, fault_code, soap_client

NOT_A_CERT = b'<?xml version="1.0" encoding="UTF-8"?><Otro/>'


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return with_env(build_world(engine, tmp_path / "data"), {**LIMITS_ENV, "MEC_VALIDA_MAX_ARCHIVOS": "3"})


@pytest.fixture
def client(world: World) -> zeep.Client:
    return soap_client(world.app)


def _batches(world: World) -> int:
    with world.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Batch)) or 0)


def _tampered(data: bytes) -> bytes:
    return data.replace(b'numeroControl="', b'numeroControl="9', 1)


def test_package_faults_and_count_are_faults_that_spend_nothing(client: zeep.Client, world: World) -> None:
    folio = world.folio(2)
    for case in CASES:
        data = case.build(world.certificate(0))
        codigo, message = fault_code(
            lambda data=data: client.service.cargaCertificados(
                autenticacion=IPES, folioPago=folio, nombreArchivo="lote.zip", archivoBase64=data
            )
        )
        assert codigo == "ArchivoInvalido", case.id
        assert all(f"[{code}]" in message for code in case.codes), (case.id, message)
    one = make_zip({"a.xml": world.certificate(0)})
    codigo, message = fault_code(
        lambda: client.service.cargaCertificados(
            autenticacion=IPES, folioPago=folio, nombreArchivo="lote.zip", archivoBase64=one
        )
    )
    assert codigo == "CantidadNoCoincide"
    assert f"La carga contiene 1 certificado(s) y el folio de pago «{folio}» ampara 2." in message
    status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
    assert (status.intentosUsados, status.intentosRestantes, status.estatusFolio) == (0, 2, "DISPONIBLE")
    assert _batches(world) == 0


def test_same_bytes_of_a_rejected_batch_return_it(client: zeep.Client, world: World) -> None:
    folio = world.folio(1)
    first = client.service.cargaCertificados(
        autenticacion=IPES, folioPago=folio, nombreArchivo="a.xml", archivoBase64=NOT_A_CERT
    )
    world.drain()
    again = client.service.cargaCertificados(
        autenticacion=IPES, folioPago=folio, nombreArchivo="a.xml", archivoBase64=NOT_A_CERT
    )
    assert (again.numeroLote, again.intento, again.estatus, again.intentosRestantes) == (
        first.numeroLote,
        1,
        "RECHAZADO",
        1,
    )
    status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
    assert (status.intentosUsados, status.intentosRestantes, len(status.lotes.lote)) == (1, 1, 1)


def test_valida_certificados_over_soap(client: zeep.Client, world: World) -> None:
    good = make_zip({"a.xml": world.certificate(0), "b.xml": world.certificate(1)})
    r = client.service.validaCertificados(autenticacion=IPES, nombreArchivo="lote.zip", archivoBase64=good)
    assert (r.totalArchivos, r.archivosConError) == (2, 0)
    assert [(a.nombre, a.folioControl, a.estatus) for a in r.detalle.archivo] == [
        ("a.xml", "UAV-2024-000100", "CORRECTO"),
        ("b.xml", "UAV-2024-000101", "CORRECTO"),
    ]
    bad = make_zip({"a.xml": world.certificate(0), "m.xml": _tampered(world.certificate(1))})
    r = client.service.validaCertificados(autenticacion=IPES, nombreArchivo="lote.zip", archivoBase64=bad)
    assert r.archivosConError == 1
    (wrong,) = [a for a in r.detalle.archivo if a.estatus == "CON_ERRORES"]
    assert "SELLO_INVALIDO" in {e.codigo for e in wrong.errores.error}
    assert _batches(world) == 0

    folio = world.folio(2)
    r = client.service.validaCertificados(
        autenticacion=IPES, nombreArchivo="lote.zip", archivoBase64=good, folioPago=folio
    )
    assert r.archivosConError == 0
    calls = {
        "ArchivoInvalido": lambda: client.service.validaCertificados(
            autenticacion=IPES,
            nombreArchivo="lote.zip",
            archivoBase64=make_zip({f"{n}.xml": world.certificate(n) for n in range(4)}),
        ),
        "FolioInexistente": lambda: client.service.validaCertificados(
            autenticacion=OTHER, nombreArchivo="lote.zip", archivoBase64=good, folioPago=folio
        ),
        "CantidadNoCoincide": lambda: client.service.validaCertificados(
            autenticacion=IPES, nombreArchivo="a.xml", archivoBase64=world.certificate(0), folioPago=folio
        ),
    }
    assert fault_code(calls["ArchivoInvalido"])[0] == "ArchivoInvalido"  # MEC_MAX_ZIP_ENTRIES=3 here
    with_limit = with_env(world, {"MEC_VALIDA_MAX_ARCHIVOS": "3"})
    codigo, message = fault_code(
        lambda: soap_client(with_limit.app).service.validaCertificados(
            autenticacion=IPES,
            nombreArchivo="lote.zip",
            archivoBase64=make_zip({f"{n}.xml": world.certificate(n) for n in range(4)}),
        )
    )
    assert codigo == "ArchivoInvalido" and "máximo por validación es 3" in message
    assert fault_code(calls["FolioInexistente"])[0] == "FolioInexistente"
    codigo, message = fault_code(calls["CantidadNoCoincide"])
    assert codigo == "CantidadNoCoincide" and "ampara 2" in message
    status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
    assert (status.intentosUsados, status.intentosRestantes) == (0, 2)
    assert _batches(world) == 0


def _listed(world: World, monkeypatch: pytest.MonkeyPatch, capsys, folio: str) -> tuple[int, int, str]:
    monkeypatch.setenv("MEC_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("MEC_DATA_DIR", str(world.settings.data_dir))
    capsys.readouterr()
    assert cli.main(["admin", "list-folios", "--institution", "000001"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith(folio + " ")]
    match = re.search(r"intentos usados (\d+)  restantes (\d+)  (\w+)$", line)
    assert match, line
    return int(match[1]), int(match[2]), match[3]


def test_admin_list_folios_and_soap_status_agree(
    client: zeep.Client, world: World, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    rejected, accepted, pending = world.folio(1), world.folio(1), world.folio(1)
    uploads = {
        rejected: NOT_A_CERT,
        accepted: world.certificate(0),
    }
    for folio, data in uploads.items():
        client.service.cargaCertificados(
            autenticacion=IPES, folioPago=folio, nombreArchivo="a.xml", archivoBase64=data
        )
    world.drain()
    client.service.cargaCertificados(
        autenticacion=IPES, folioPago=pending, nombreArchivo="b.xml", archivoBase64=world.certificate(1)
    )
    expected = {rejected: (1, 1, "DISPONIBLE"), accepted: (1, 0, "ACEPTADO"), pending: (0, 1, "EN_PROCESO")}
    for folio, wanted in expected.items():
        status = client.service.consultaEstatusCarga(autenticacion=IPES, folioPago=folio)
        soap = (status.intentosUsados, status.intentosRestantes, status.estatusFolio)
        assert soap == _listed(world, monkeypatch, capsys, folio) == wanted, folio
