"""One test per operation: zeep → WSGI app → spyne → the real services → the test database (SQLite
and PostgreSQL) and back, over the real XML path.  Uploads are processed by the real worker."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import zeep

from mec_ws.programs import program_to_xml
from mec_ws.services import dto
from tests.services.world import World, make_zip
from tests.soap.conftest import OTHER_INSTITUTION, Recorder, client_of


def items(wrapper: object, member: str) -> list:
    """The items of a wrapped list; zeep reads an empty wrapper (``<errores/>``) as ``None``."""
    return [] if wrapper is None else list(getattr(wrapper, member))


def upload(client: zeep.Client, auth: dict, folio: str, content: bytes, name: str = "a.xml") -> Any:
    return client.service.cargaCertificados(
        autenticacion=auth, folioPago=folio, nombreArchivo=name, archivoBase64=content
    )


def accept(client: zeep.Client, auth: dict, world: World, files: dict[str, bytes], *, zipped: bool) -> Any:
    """Upload ``files`` (one XML, or a ZIP), let the worker accept them; the accepted batch."""
    folio = world.folio(len(files))
    if zipped:
        r = upload(client, auth, folio, make_zip(files), "lote.zip")
    else:
        ((name, content),) = files.items()
        r = upload(client, auth, folio, content, name)
    world.drain()
    status = client.service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)
    (lote,) = status.lotes.lote
    assert (lote.numeroLote, lote.estatus) == (r.numeroLote, "ACEPTADO"), lote
    return lote


def test_carga_certificados_stores_a_batch_and_retry_is_idempotent(
    client: zeep.Client, auth: dict, world: World, recorder: Recorder
) -> None:
    folio = world.folio(2)
    content = make_zip({"a.xml": world.certificate(1), "b.xml": world.certificate(2)})
    r = upload(client, auth, folio, content, "lote.zip")
    assert (r.folioPago, r.intento, r.intentosRestantes, r.estatus) == (folio, 1, 1, "RECIBIDO")
    assert r.numeroLote >= 1 and r.mensaje
    assert recorder.calls[-1] == ("carga_certificados", (folio, "lote.zip", content))
    again = upload(client, auth, folio, content, "lote.zip")
    assert (again.numeroLote, again.intento, again.intentosRestantes) == (r.numeroLote, 1, 1)


def test_consulta_estatus_carga_lists_batches_files_and_findings(
    client: zeep.Client, auth: dict, world: World
) -> None:
    folio = world.folio(1)
    received = world.clock.now
    upload(client, auth, folio, b"<a/>")
    world.clock.advance(minutes=1)
    world.drain()
    upload(client, auth, folio, world.certificate(1), "b.xml")
    r = client.service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)
    # used: judged batches only; the pending second attempt is not used yet but holds the last one
    assert (r.folioPago, r.cantidadCertificados, r.intentosUsados, r.intentosRestantes) == (folio, 1, 1, 0)
    assert r.estatusFolio == "EN_PROCESO"
    primero, segundo = r.lotes.lote
    assert (primero.intento, primero.estatus, primero.nombreArchivo) == (1, "RECHAZADO", "a.xml")
    assert primero.fechaCarga == received
    assert primero.fechaProceso == received + timedelta(minutes=1)
    assert (primero.totalArchivos, primero.archivosConError) == (1, 1)
    assert primero.mensaje
    (malo,) = primero.detalle.archivo
    assert (malo.nombre, malo.estatus) == ("a.xml", "CON_ERRORES")
    errores = items(malo.errores, "error")
    assert errores and all(e.codigo and e.mensaje for e in errores)
    assert (segundo.intento, segundo.estatus, segundo.fechaProceso) == (2, "RECIBIDO", None)
    assert items(segundo.detalle, "archivo") == []


def test_an_accepted_file_has_its_folio_control_and_no_errors(
    client: zeep.Client, auth: dict, world: World
) -> None:
    lote = accept(client, auth, world, {"uno.xml": world.certificate(1)}, zipped=False)
    (bueno,) = lote.detalle.archivo
    assert (bueno.nombre, bueno.folioControl, bueno.estatus) == ("uno.xml", "UAV-2024-000101", "CORRECTO")
    assert items(bueno.errores, "error") == []


def test_descarga_resultado_carga_returns_the_zip(client: zeep.Client, auth: dict, world: World) -> None:
    lote = accept(client, auth, world, {"uno.xml": world.certificate(1)}, zipped=False)
    r = client.service.descargaResultadoCarga(autenticacion=auth, numeroLote=lote.numeroLote)
    assert r.numeroLote == lote.numeroLote and r.nombreArchivo.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(r.archivoBase64)) as zf:
        text = zf.read("resultado.csv").decode("utf-8")
    assert text.startswith("\ufeff") and "uno.xml" in text and "UAV-2024-000101" in text


def test_consulta_certificados_filters_pages_and_scopes_to_the_institution(
    client: zeep.Client, auth: dict, operator_auth: dict, certificates: None, recorder: Recorder
) -> None:
    r = client.service.consultaCertificados(autenticacion=auth, filtro={}, pagina=1, registrosPorPagina=1)
    assert (r.totalRegistros, r.pagina, r.registrosPorPagina) == (2, 1, 1)
    (c,) = r.certificados.certificado
    assert (c.folioControl, c.nombre, c.estatus, c.curp) == (
        "FC-1",
        "ANA PÉREZ LÓPEZ",
        "VIGENTE",
        "CURP000000HDFAAA01",
    )
    assert c.fechaExpedicion == date(2024, 3, 15)
    assert c.fechaCarga == datetime(2024, 4, 1, 10, tzinfo=UTC)
    page2 = client.service.consultaCertificados(autenticacion=auth, pagina=2, registrosPorPagina=1)
    assert [x.folioControl for x in page2.certificados.certificado] == ["FC-2"]
    filtered = client.service.consultaCertificados(
        autenticacion=auth,
        filtro={
            "curp": "CURP000000HDFAAA02",
            "fechaExpedicionDesde": date(2024, 3, 16),
            "estatus": "VIGENTE",
        },
        pagina=1,
        registrosPorPagina=500,
    )
    assert [x.folioControl for x in filtered.certificados.certificado] == ["FC-2"]
    assert recorder.calls[-1] == (
        "consulta_certificados",
        (
            dto.FiltroCertificados(
                curp="CURP000000HDFAAA02",
                fecha_expedicion_desde=date(2024, 3, 16),
                estatus=dto.EstatusCertificado.VIGENTE,
            ),
            1,
            500,
        ),
    )
    operator = client.service.consultaCertificados(
        autenticacion=operator_auth,
        filtro={"idInstitucion": OTHER_INSTITUTION},
        pagina=1,
        registrosPorPagina=10,
    )
    assert [x.folioControl for x in operator.certificados.certificado] == ["FC-9"]


def test_descarga_certificado_xml_and_pdf(client: zeep.Client, auth: dict, world: World) -> None:
    lote = accept(client, auth, world, {"uno.xml": world.certificate(1)}, zipped=False)
    (archivo,) = lote.detalle.archivo
    xml = client.service.descargaCertificado(
        autenticacion=auth, folioControl=archivo.folioControl, formato="XML"
    )
    assert xml.nombreArchivo == f"{archivo.folioControl}.xml"
    assert xml.archivoBase64.lstrip().startswith(b"<") and b"folioControl" in xml.archivoBase64
    pdf = client.service.descargaCertificado(
        autenticacion=auth, folioControl=archivo.folioControl, formato="PDF"
    )
    assert pdf.nombreArchivo == f"{archivo.folioControl}.pdf" and pdf.archivoBase64.startswith(b"%PDF")


def test_carga_programa_estudios_accepted_and_rejected(client: zeep.Client, auth: dict, world: World) -> None:
    program = dataclasses.replace(world.scenario.program, clave_plan="2024")
    ok = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=program_to_xml(program)
    )
    assert (ok.estatus, ok.idCarrera, ok.clavePlan, items(ok.errores, "error")) == (
        "ACEPTADO",
        "1021",
        "2024",
        [],
    )
    bad = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=b"<Programa/>"
    )
    assert (bad.estatus, bad.idCarrera, bad.clavePlan) == ("RECHAZADO", None, None)
    assert all(e.codigo and e.mensaje for e in bad.errores.error)


def test_consulta_programas_estudios_lists_registered_programs(
    client: zeep.Client, auth: dict, other_auth: dict, world: World
) -> None:
    (p,) = client.service.consultaProgramasEstudios(autenticacion=auth)
    program = world.scenario.program
    assert (p.idCarrera, p.clavePlan, p.numeroRvoe, p.fechaRvoe) == (
        "1021",
        "2019",
        program.numero_rvoe,
        program.fecha_rvoe,
    )
    assert p.numeroAsignaturas == 48 and Decimal(p.totalCreditos) == program.total_creditos
    assert p.nombreCarrera == "LICENCIATURA EN DERECHO" and p.fechaRegistro.tzinfo is not None
    (other,) = client.service.consultaProgramasEstudios(autenticacion=other_auth)  # its own, not ours
    assert other.idCarrera == world.other_scenario.program.id_carrera


def test_exporta_certificados_csv_and_xlsx_hold_every_match(
    client: zeep.Client, auth: dict, certificates: None, recorder: Recorder
) -> None:
    csv_file = client.service.exportaCertificados(autenticacion=auth, formato="CSV")
    assert csv_file.nombreArchivo.endswith(".csv")
    text = csv_file.archivoBase64.decode("utf-8")
    assert text.startswith("\ufeffINSTITUCION,CAMPUS,NOMBRE,CURP")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[6] for r in rows[1:]] == ["FC-1", "FC-2"]  # not FC-9: another institution's
    assert rows[1][2] == "ANA PÉREZ LÓPEZ"
    assert recorder.calls[-1] == (
        "exporta_certificados",
        (dto.FiltroCertificados(), dto.FormatoExportacion.CSV),
    )
    xlsx = client.service.exportaCertificados(
        autenticacion=auth, filtro={"curp": "CURP000000HDFAAA02"}, formato="XLSX"
    )
    assert xlsx.nombreArchivo.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.archivoBase64)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    assert values[0][:3] == ["INSTITUCION", "CAMPUS", "NOMBRE"]
    assert [row[6] for row in values[1:]] == ["FC-2"]


def test_solicita_cancelacion_returns_the_pending_request(
    client: zeep.Client, auth: dict, world: World, certificates: None, recorder: Recorder
) -> None:
    r = client.service.solicitaCancelacion(
        autenticacion=auth, folioControl="FC-1", motivo="C1", observaciones="Error en la CURP."
    )
    assert (r.folioControl, r.estatus) == ("FC-1", "CANCELACION_SOLICITADA")
    assert r.fechaSolicitud == world.clock.now
    assert r.fechaEfectiva == world.clock.now + timedelta(hours=world.settings.cancelacion_horas)
    assert r.mensaje
    assert recorder.calls[-1] == ("solicita_cancelacion", ("FC-1", "C1", "Error en la CURP.", None))
    listed = client.service.consultaCertificados(
        autenticacion=auth, filtro={"estatus": "CANCELACION_SOLICITADA"}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioControl for c in listed.certificados.certificado] == ["FC-1"]
    # observaciones is optional: absent reaches the service as None
    client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-2", motivo="R5")
    assert recorder.calls[-1] == ("solicita_cancelacion", ("FC-2", "R5", None, None))


def test_consulta_documentos_and_descarga_documento_agree(
    client: zeep.Client, auth: dict, recorder: Recorder
) -> None:
    # zeep unwraps the response's only child (documentos) down to its list of documento; every
    # document is downloaded in tests/test_soap_real_services.py, one is enough here
    documentos = client.service.consultaDocumentos(autenticacion=auth)
    names = [d.nombre for d in documentos]
    assert len(names) == len(set(names)) and all(d.descripcion for d in documentos)
    (catalog,) = [d for d in documentos if d.nombre == "catalogo_motivo_cancelacion.csv"]
    r = client.service.descargaDocumento(autenticacion=auth, nombre=catalog.nombre)
    assert r.nombreArchivo == catalog.nombre
    assert (len(r.archivoBase64), hashlib.sha256(r.archivoBase64).hexdigest()) == (
        catalog.tamano,
        catalog.sha256,
    )
    assert recorder.calls[-1] == ("descarga_documento", (catalog.nombre,))


def test_concluye_pruebas_after_ten_accepted_with_xml_and_zip(pruebas: World, auth: dict) -> None:
    client = client_of(pruebas)
    accept(client, auth, pruebas, {f"c{n}.xml": pruebas.certificate(n) for n in range(1, 10)}, zipped=True)
    accept(client, auth, pruebas, {"c10.xml": pruebas.certificate(10)}, zipped=False)
    r = client.service.concluyePruebas(autenticacion=auth)
    assert r.estatus == "CONCLUIDAS" and r.mensaje
