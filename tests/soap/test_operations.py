"""One test per operation: zeep → WSGI app → spyne → FakeMec and back, over the real XML path."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import zeep

from mec_ws.services import dto
from tests.soap.fake import PROGRAMA, FakeMec


def items(wrapper: object, member: str) -> list:
    """The items of a wrapped list; zeep reads an empty wrapper (``<errores/>``) as ``None``."""
    return [] if wrapper is None else list(getattr(wrapper, member))


def test_carga_certificados_stores_a_batch_and_retry_is_idempotent(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    r = client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-001", nombreArchivo="lote.zip", archivoBase64=b"PK\x03\x04datos"
    )
    assert (r.numeroLote, r.folioPago, r.intento, r.intentosRestantes, r.estatus) == (
        1,
        "F-001",
        1,
        1,
        "RECIBIDO",
    )
    assert r.mensaje
    assert fake.calls[-1] == ("carga_certificados", ("F-001", "lote.zip", b"PK\x03\x04datos"))
    again = client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-001", nombreArchivo="lote.zip", archivoBase64=b"PK\x03\x04datos"
    )
    assert (again.numeroLote, again.intentosRestantes) == (1, 1)


def test_consulta_estatus_carga_lists_batches_files_and_findings(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-001", nombreArchivo="a.xml", archivoBase64=b"<a/>"
    )
    fake.procesar(
        1,
        (
            dto.ArchivoDetalle(
                "a.xml",
                "FC-77",
                dto.EstatusArchivo.CON_ERRORES,
                (dto.Error("CURP_INVALIDA", "La CURP no es válida.", "Dec/Alumno/@curp"),),
            ),
            dto.ArchivoDetalle("b.xml", None, dto.EstatusArchivo.CORRECTO),
        ),
    )
    client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-001", nombreArchivo="b.xml", archivoBase64=b"<b/>"
    )
    r = client.service.consultaEstatusCarga(autenticacion=auth, folioPago="F-001")
    assert (r.folioPago, r.cantidadCertificados, r.intentosUsados, r.intentosRestantes) == ("F-001", 1, 2, 0)
    assert r.estatusFolio == "EN_PROCESO"
    primero, segundo = r.lotes.lote
    assert (primero.numeroLote, primero.intento, primero.estatus) == (1, 1, "RECHAZADO")
    assert primero.fechaCarga == datetime(2024, 5, 1, 17, 3, tzinfo=UTC)
    assert primero.fechaProceso == datetime(2024, 5, 1, 17, 4, tzinfo=UTC)
    assert (primero.totalArchivos, primero.archivosConError) == (2, 1)
    malo, bueno = primero.detalle.archivo
    assert (malo.nombre, malo.folioControl, malo.estatus) == ("a.xml", "FC-77", "CON_ERRORES")
    (error,) = malo.errores.error
    assert (error.codigo, error.mensaje, error.ubicacion) == (
        "CURP_INVALIDA",
        "La CURP no es válida.",
        "Dec/Alumno/@curp",
    )
    assert (bueno.folioControl, bueno.estatus, items(bueno.errores, "error")) == (None, "CORRECTO", [])
    assert (segundo.intento, segundo.estatus, segundo.fechaProceso) == (2, "RECIBIDO", None)
    assert items(segundo.detalle, "archivo") == []


def test_descarga_resultado_carga_returns_the_zip(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-001", nombreArchivo="a.xml", archivoBase64=b"<a/>"
    )
    fake.procesar(1, (dto.ArchivoDetalle("a.xml", "FC-1", dto.EstatusArchivo.CORRECTO),))
    r = client.service.descargaResultadoCarga(autenticacion=auth, numeroLote=1)
    assert (r.numeroLote, r.nombreArchivo) == (1, "resultado_1.zip")
    with zipfile.ZipFile(io.BytesIO(r.archivoBase64)) as zf:
        assert zf.read("resultado.csv").decode("utf-8").startswith("\ufeffarchivo,estatus")


def test_consulta_certificados_filters_pages_and_scopes_to_the_institution(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    r = client.service.consultaCertificados(autenticacion=auth, filtro={}, pagina=1, registrosPorPagina=1)
    assert (r.totalRegistros, r.pagina, r.registrosPorPagina) == (2, 1, 1)
    (c,) = r.certificados.certificado
    assert (c.folioControl, c.nombre, c.estatus) == ("FC-1", "ANA PÉREZ LÓPEZ", "VIGENTE")
    assert c.fechaExpedicion == date(2024, 3, 15)
    assert c.fechaCarga == datetime(2024, 4, 1, 10, tzinfo=UTC)
    page2 = client.service.consultaCertificados(autenticacion=auth, pagina=2, registrosPorPagina=1)
    assert [x.folioControl for x in page2.certificados.certificado] == ["FC-2"]
    filtered = client.service.consultaCertificados(
        autenticacion=auth,
        filtro={
            "curp": "CURP000000HDFAAA02",
            "fechaExpedicionDesde": date(2024, 3, 15),
            "estatus": "VIGENTE",
        },
        pagina=1,
        registrosPorPagina=500,
    )
    assert [x.folioControl for x in filtered.certificados.certificado] == ["FC-2"]
    sent = fake.calls[-1][1][0]
    assert sent == dto.FiltroCertificados(
        curp="CURP000000HDFAAA02",
        fecha_expedicion_desde=date(2024, 3, 15),
        estatus=dto.EstatusCertificado.VIGENTE,
    )
    operator = client.service.consultaCertificados(
        autenticacion={"usuario": "sep", "password": "operador"},
        filtro={"idInstitucion": "090002"},
        pagina=1,
        registrosPorPagina=10,
    )
    assert [x.folioControl for x in operator.certificados.certificado] == ["FC-9"]


def test_descarga_certificado_xml_and_pdf(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    xml = client.service.descargaCertificado(autenticacion=auth, folioControl="FC-1", formato="XML")
    assert (xml.nombreArchivo, xml.archivoBase64) == ("FC-1.xml", b"<Dec/>")
    pdf = client.service.descargaCertificado(autenticacion=auth, folioControl="FC-1", formato="PDF")
    assert pdf.nombreArchivo == "FC-1.pdf" and pdf.archivoBase64.startswith(b"%PDF")
    assert fake.calls[-1] == ("descarga_certificado", ("FC-1", dto.FormatoCertificado.PDF))


def test_carga_programa_estudios_accepted_and_rejected(client: zeep.Client, auth: dict) -> None:
    ok = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=PROGRAMA
    )
    assert (ok.estatus, ok.idCarrera, ok.clavePlan, items(ok.errores, "error")) == (
        "ACEPTADO",
        "C-10",
        "2020",
        [],
    )
    bad = client.service.cargaProgramaEstudios(
        autenticacion=auth, nombreArchivo="p.xml", archivoBase64=b"<Programa/>"
    )
    assert (bad.estatus, bad.idCarrera, bad.clavePlan) == ("RECHAZADO", None, None)
    assert [e.ubicacion for e in bad.errores.error] == ["Programa/@idCarrera", "Programa/@clavePlan"]


def test_consulta_programas_estudios_lists_registered_programs(client: zeep.Client, auth: dict) -> None:
    # zeep unwraps the response's only child (programas) down to its list of programa
    assert client.service.consultaProgramasEstudios(autenticacion=auth) is None
    client.service.cargaProgramaEstudios(autenticacion=auth, nombreArchivo="p.xml", archivoBase64=PROGRAMA)
    (p,) = client.service.consultaProgramasEstudios(autenticacion=auth)
    assert (p.idCarrera, p.claveCarrera, p.nombreCarrera, p.clavePlan, p.numeroRvoe) == (
        "C-10",
        "LD",
        "Derecho",
        "2020",
        "RVOE-1",
    )
    assert (p.fechaRvoe, p.numeroAsignaturas, p.totalCreditos) == (date(2020, 8, 1), 2, Decimal("350.50"))
    assert p.fechaRegistro == datetime(2024, 5, 1, 17, 3, tzinfo=UTC)


def test_exporta_certificados_csv_and_xlsx_hold_every_match(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    csv_file = client.service.exportaCertificados(autenticacion=auth, formato="CSV")
    assert csv_file.nombreArchivo == "certificados.csv"
    text = csv_file.archivoBase64.decode("utf-8")
    assert text.startswith("\ufeffINSTITUCION,CAMPUS,NOMBRE,CURP")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[6] for r in rows[1:]] == ["FC-1", "FC-2"]  # not FC-9: another institution's
    assert rows[1][2] == "ANA PÉREZ LÓPEZ"
    assert fake.calls[-1] == ("exporta_certificados", (dto.FiltroCertificados(), dto.FormatoExportacion.CSV))
    xlsx = client.service.exportaCertificados(
        autenticacion=auth, filtro={"curp": "CURP000000HDFAAA02"}, formato="XLSX"
    )
    assert xlsx.nombreArchivo == "certificados.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.archivoBase64)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["INSTITUCION", "CAMPUS", "NOMBRE"]
    assert [row[6] for row in values[1:]] == ["FC-2"]
    assert fake.calls[-1][1] == (
        dto.FiltroCertificados(curp="CURP000000HDFAAA02"),
        dto.FormatoExportacion.XLSX,
    )


def test_solicita_cancelacion_returns_the_pending_request(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    r = client.service.solicitaCancelacion(
        autenticacion=auth, folioControl="FC-1", motivo="C1", observaciones="Error en la CURP."
    )
    assert (r.folioControl, r.estatus) == ("FC-1", "CANCELACION_SOLICITADA")
    assert r.fechaSolicitud == datetime(2024, 5, 1, 17, 3, tzinfo=UTC)
    assert r.fechaEfectiva == datetime(2024, 5, 3, 17, 3, tzinfo=UTC)
    assert r.mensaje
    assert fake.calls[-1] == ("solicita_cancelacion", ("FC-1", "C1", "Error en la CURP."))
    listed = client.service.consultaCertificados(
        autenticacion=auth, filtro={"estatus": "CANCELACION_SOLICITADA"}, pagina=1, registrosPorPagina=10
    )
    assert [c.folioControl for c in listed.certificados.certificado] == ["FC-1"]
    # observaciones is optional: absent (or empty) reaches the service as None
    client.service.solicitaCancelacion(autenticacion=auth, folioControl="FC-2", motivo="R5")
    assert fake.calls[-1] == ("solicita_cancelacion", ("FC-2", "R5", None))


def test_consulta_documentos_lists_name_description_size_and_digest(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    # zeep unwraps the response's only child (documentos) down to its list of documento
    documentos = client.service.consultaDocumentos(autenticacion=auth)
    assert [d.nombre for d in documentos] == ["certificado-1.0.xsd", "motivo_cancelacion.csv"]
    xsd = documentos[0]
    content = fake.documentos["certificado-1.0.xsd"][1]
    assert (xsd.descripcion, xsd.tamano, xsd.sha256) == (
        "Esquema XSD del certificado electrónico.",
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    fake.documentos.clear()
    assert client.service.consultaDocumentos(autenticacion=auth) is None


def test_descarga_documento_returns_the_listed_bytes(client: zeep.Client, auth: dict, fake: FakeMec) -> None:
    r = client.service.descargaDocumento(autenticacion=auth, nombre="motivo_cancelacion.csv")
    assert (r.nombreArchivo, r.archivoBase64) == (
        "motivo_cancelacion.csv",
        fake.documentos["motivo_cancelacion.csv"][1],
    )
    assert fake.calls[-1] == ("descarga_documento", ("motivo_cancelacion.csv",))


def test_concluye_pruebas_after_ten_accepted_with_xml_and_zip(
    client: zeep.Client, auth: dict, fake: FakeMec
) -> None:
    fake.add_folio("F-XML", "090001", 1)
    fake.add_folio("F-ZIP", "090001", 9)
    client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-XML", nombreArchivo="a.xml", archivoBase64=b"<Dec/>"
    )
    fake.procesar(1, (dto.ArchivoDetalle("a.xml", "FC-100", dto.EstatusArchivo.CORRECTO),))
    client.service.cargaCertificados(
        autenticacion=auth, folioPago="F-ZIP", nombreArchivo="b.zip", archivoBase64=b"PK\x03\x04zip"
    )
    fake.procesar(
        2, tuple(dto.ArchivoDetalle(f"{i}.xml", f"FC-{i}", dto.EstatusArchivo.CORRECTO) for i in range(9))
    )
    r = client.service.concluyePruebas(autenticacion=auth)
    assert (r.estatus, r.mensaje) == ("CONCLUIDAS", "Fase de pruebas concluida.")
    assert fake.pruebas_concluidas == {"090001"}
