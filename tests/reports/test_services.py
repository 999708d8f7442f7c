"""exportaCertificados and descargaCertificado(PDF) against the database (SQLite, and PostgreSQL
when MEC_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from mec_ws import errors
from mec_ws.reports.export import EXPORT_COLUMNS
from mec_ws.reports.pdf import verification_url
from mec_ws.services import query
from mec_ws.services.dto import (
    EstatusCertificado,
    FiltroCertificados,
    FormatoCertificado,
    FormatoExportacion,
    Principal,
)
from mec_ws.services.export import exporta_certificados, iter_certificados
from models import Certificate
from tests.reports.conftest import Stamped, add_certificate, pdf_text, stamped_certificate
from tests.services.world import World

T = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)


@contextmanager
def _session(world: World) -> Iterator[Session]:
    with world.sessions() as s:
        yield s


@pytest.fixture
def seeded(world: World) -> World:
    add_certificate(world, "A-1", fecha_carga=T, curp="GAMA000101HDFRRR01")
    add_certificate(world, "A-2", fecha_carga=T, campus_id="000102", fecha_expedicion=date(2024, 8, 1))
    add_certificate(
        world,
        "A-3",
        fecha_carga=datetime(2025, 7, 1, 5, 30, tzinfo=UTC),  # 30 June, 23:30 in Mexico City
        estatus=EstatusCertificado.CANCELADO,
    )
    add_certificate(
        world,
        "A-4",
        fecha_carga=datetime(2025, 7, 1, 6, 30, tzinfo=UTC),
        fecha_expedicion=date(2024, 9, 30),
        estatus=EstatusCertificado.CANCELACION_SOLICITADA,
    )
    add_certificate(world, "B-1", fecha_carga=T, institution_id="000002", campus_id="000201")
    return world


def _csv_rows(world: World, who: Principal, filtro: FiltroCertificados) -> list[dict[str, str]]:
    with _session(world) as s:
        archivo = exporta_certificados(s, who, filtro, FormatoExportacion.CSV, settings=world.settings)
    assert re.fullmatch(r"certificados-\d{8}-\d{6}\.csv", archivo.nombre_archivo)
    assert archivo.contenido.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(archivo.contenido.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return list(reader)


def _consulta(world: World, who: Principal, filtro: FiltroCertificados) -> list[str]:
    page = world.app.consulta_certificados(who, filtro, 1, 500)
    return [c.folio_control for c in page.certificados]


FILTERS = [
    {},
    {"id_institucion": "000002"},
    {"id_campus": "000102"},
    {"folio_control": "A-3"},
    {"curp": "gama000101hdfrrr01"},
    {"estatus": EstatusCertificado.CANCELADO},
    {"estatus": EstatusCertificado.CANCELACION_SOLICITADA},
    {"fecha_expedicion_desde": date(2024, 8, 1)},
    {"fecha_expedicion_hasta": date(2024, 8, 1)},
    {"fecha_carga_desde": date(2025, 6, 30), "fecha_carga_hasta": date(2025, 6, 30)},
    {"fecha_carga_desde": date(2025, 7, 1)},
    {"fecha_carga_hasta": date(2025, 6, 10)},
    {"id_campus": "000101", "estatus": EstatusCertificado.VIGENTE},
    {"folio_control": "NO-EXISTE"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "sin-filtro")
@pytest.mark.parametrize("who", ["ipes", "other", "operator"])
def test_export_matches_consulta_for_every_filter(
    seeded: World, filters: dict[str, object], who: str
) -> None:
    principal = getattr(seeded, who)
    filtro = FiltroCertificados(**filters)  # type: ignore[arg-type]
    expected = _consulta(seeded, principal, filtro)
    assert [r["FOLIO CONTROL"] for r in _csv_rows(seeded, principal, filtro)] == expected


def test_folio_filters_and_isolation(seeded: World) -> None:
    with _session(seeded) as s:
        a1 = s.query(Certificate).filter_by(folio_control="A-1").one()
    w = seeded
    assert [
        r["FOLIO CONTROL"] for r in _csv_rows(w, w.ipes, FiltroCertificados(folio_pago=a1.folio_pago))
    ] == ["A-1"]
    assert [
        r["FOLIO CONTROL"] for r in _csv_rows(w, w.ipes, FiltroCertificados(folio_digital=a1.folio_digital))
    ] == ["A-1"]
    assert [r["FOLIO CONTROL"] for r in _csv_rows(w, w.ipes, FiltroCertificados())] == [
        "A-1",
        "A-2",
        "A-3",
        "A-4",
    ]
    assert [r["FOLIO CONTROL"] for r in _csv_rows(w, w.other, FiltroCertificados())] == ["B-1"]
    # an IPES user cannot widen its view with idInstitucion: another institution's id finds nothing,
    # its own changes nothing
    assert _csv_rows(w, w.ipes, FiltroCertificados(id_institucion="000002")) == []
    assert [
        r["FOLIO CONTROL"] for r in _csv_rows(w, w.ipes, FiltroCertificados(id_institucion="000001"))
    ] == [
        "A-1",
        "A-2",
        "A-3",
        "A-4",
    ]
    assert [r["FOLIO CONTROL"] for r in _csv_rows(w, w.operator, FiltroCertificados())] == [
        "A-1",
        "A-2",
        "B-1",
        "A-3",
        "A-4",
    ]


def test_export_rows_carry_the_consulta_fields(seeded: World) -> None:
    page = seeded.app.consulta_certificados(seeded.ipes, FiltroCertificados(), 1, 500)
    rows = _csv_rows(seeded, seeded.ipes, FiltroCertificados())
    for c, row in zip(page.certificados, rows, strict=True):
        assert row["INSTITUCION"] == c.institucion == seeded.scenario.institution.name
        assert (row["CAMPUS"], row["NOMBRE"], row["CURP"], row["CARRERA"]) == (
            c.campus,
            c.nombre,
            c.curp,
            c.carrera,
        )
        assert (row["FOLIO PAGO"], row["FOLIO DIGITAL"], row["LUGAR EXPEDICION"]) == (
            c.folio_pago,
            c.folio_digital,
            c.lugar_expedicion,
        )
        assert row["FECHA EXPEDICION"] == c.fecha_expedicion.isoformat()
        assert row["ESTATUS"] == c.estatus.value
    assert rows[0]["FECHA CARGA"] == "2025-06-10 11:00:00-06:00"  # 17:00 UTC in Mexico City
    assert [r["ESTATUS"] for r in rows] == ["VIGENTE", "VIGENTE", "CANCELADO", "CANCELACION_SOLICITADA"]


def test_xlsx_export(seeded: World) -> None:
    with _session(seeded) as s:
        archivo = exporta_certificados(
            s,
            seeded.operator,
            FiltroCertificados(id_institucion="000001"),
            FormatoExportacion.XLSX,
            settings=seeded.settings,
        )
    assert re.fullmatch(r"certificados-\d{8}-\d{6}\.xlsx", archivo.nombre_archivo)
    sheet = openpyxl.load_workbook(io.BytesIO(archivo.contenido))["Certificados"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS
    assert [r[EXPORT_COLUMNS.index("FOLIO CONTROL")] for r in rows[1:]] == ["A-1", "A-2", "A-3", "A-4"]
    assert rows[1][EXPORT_COLUMNS.index("FECHA EXPEDICION")] == datetime(2024, 7, 12)
    assert rows[1][EXPORT_COLUMNS.index("FECHA CARGA")] == datetime(2025, 6, 10, 11, 0)
    assert rows[3][-1] == "CANCELADO"


def test_invalid_range_is_refused(seeded: World) -> None:
    with _session(seeded) as s, pytest.raises(errors.SolicitudInvalida):
        exporta_certificados(
            s,
            seeded.ipes,
            FiltroCertificados(fecha_carga_desde=date(2025, 7, 2), fecha_carga_hasta=date(2025, 7, 1)),
            FormatoExportacion.CSV,
            settings=seeded.settings,
        )


def test_streams_in_chunks_in_order(world: World) -> None:
    expected = []
    for i in range(11):
        folio = f"S-{i:02d}"
        add_certificate(world, folio, fecha_carga=T + timedelta(minutes=i // 3))
        expected.append(folio)
    with _session(world) as s:
        rows = iter_certificados(s, world.ipes, FiltroCertificados(), chunk_rows=3)
        assert next(rows).folio_control == "S-00"
        assert [r.folio_control for r in rows] == expected[1:]


def test_export_never_selects_the_stored_xml(world: World) -> None:
    add_certificate(world, "X-1", fecha_carga=T)
    statements: list[str] = []
    engine = world.sessions.kw["bind"]

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with _session(world) as s:
            exporta_certificados(
                s, world.ipes, FiltroCertificados(), FormatoExportacion.CSV, settings=world.settings
            )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    selects = [st for st in statements if "certificates" in st]
    assert selects and not any("stamped_xml" in st for st in selects)


# --- descargaCertificado with formato=PDF -----------------------------------------------------------


@pytest.fixture
def with_pdfs(world: World) -> tuple[World, Stamped, Stamped]:
    vigente = stamped_certificate(world.scenario, 11, folio_control="PDF/001")
    cancelado = stamped_certificate(world.scenario, 12, folio_control="PDF-002")
    add_certificate(world, "PDF/001", fecha_carga=T, document=vigente)
    add_certificate(world, "PDF-002", fecha_carga=T, document=cancelado, estatus=EstatusCertificado.CANCELADO)
    return world, vigente, cancelado


def test_descarga_pdf(with_pdfs: tuple[World, Stamped, Stamped], tmp_path: Path) -> None:
    world, vigente, _ = with_pdfs
    with _session(world) as s:
        archivo = query.descarga_certificado(
            s, world.ipes, "PDF/001", FormatoCertificado.PDF, settings=world.settings
        )
        xml = query.descarga_certificado(s, world.ipes, "PDF/001", FormatoCertificado.XML)
    assert archivo.nombre_archivo == "PDF_001.pdf" and xml.nombre_archivo == "PDF_001.xml"
    assert archivo.contenido.startswith(b"%PDF-")
    assert xml.contenido == vigente.xml
    text = pdf_text(archivo.contenido, tmp_path)
    url = verification_url(world.settings, vigente.folio_digital)
    assert url == f"http://127.0.0.1:8000/verificacion/{vigente.folio_digital}"
    assert url in text and "VIGENTE" in text and "CANCELADO" not in text


def test_descarga_pdf_of_a_cancelled_certificate(
    with_pdfs: tuple[World, Stamped, Stamped], tmp_path: Path
) -> None:
    world, _, cancelado = with_pdfs
    with _session(world) as s:
        archivo = query.descarga_certificado(
            s, world.operator, "PDF-002", FormatoCertificado.PDF, settings=world.settings
        )
    text = pdf_text(archivo.contenido, tmp_path)
    assert "CERTIFICADO CANCELADO" in text and cancelado.folio_digital in text


def test_descarga_pdf_settings_default_to_the_environment(
    with_pdfs: tuple[World, Stamped, Stamped], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, vigente, _ = with_pdfs
    monkeypatch.setenv("MEC_PUBLIC_URL", "https://certificados.example.mx/mec/ws")
    with _session(world) as s:
        archivo = query.descarga_certificado(s, world.ipes, "PDF/001", FormatoCertificado.PDF)
    assert f"https://certificados.example.mx/verificacion/{vigente.folio_digital}" in pdf_text(
        archivo.contenido, tmp_path
    )


def test_descarga_pdf_isolation(with_pdfs: tuple[World, Stamped, Stamped]) -> None:
    world = with_pdfs[0]
    with _session(world) as s, pytest.raises(errors.CertificadoInexistente):
        query.descarga_certificado(s, world.other, "PDF/001", FormatoCertificado.PDF, settings=world.settings)


@pytest.mark.parametrize("stored", [b"<Dec folioControl='ROTO'/>", b"\x00 no es XML", b""])
def test_a_stored_certificate_that_cannot_become_a_pdf_is_our_fault(
    world: World, stored: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """The stored XML is ours (it was stamped by this service): if it cannot be printed, the fault
    is ``Interno`` (the client did nothing wrong), logged with the certificate, and the XML itself
    can still be downloaded as stored."""
    cert = add_certificate(world, "ROTO", fecha_carga=T)
    with world.sessions() as s:
        s.execute(update(Certificate).where(Certificate.id == cert.id).values(stamped_xml=stored))
        s.commit()
    with _session(world) as s, pytest.raises(errors.Interno) as raised:
        query.descarga_certificado(s, world.ipes, "ROTO", FormatoCertificado.PDF, settings=world.settings)
    assert "PDF" in raised.value.mensaje and "XML" in raised.value.mensaje
    assert any(cert.folio_digital in r.getMessage() for r in caplog.records)
    with _session(world) as s:
        xml = query.descarga_certificado(s, world.ipes, "ROTO", FormatoCertificado.XML)
    assert xml.contenido == stored


def test_the_export_is_named_after_the_apps_clock(world: World) -> None:
    """``certificados-<yyyymmdd-hhmmss>`` in Mexico City time, from the app's clock (not the machine's)."""
    world.clock.now = datetime(2025, 6, 30, 18, 0, 5, tzinfo=UTC)  # 12:00:05 in Mexico City
    archivo = world.app.exporta_certificados(world.ipes, FiltroCertificados(), FormatoExportacion.CSV)
    assert archivo.nombre_archivo == "certificados-20250630-120005.csv"
