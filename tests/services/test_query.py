"""consultaCertificados (every filter, stable paging) and descargaCertificado."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from mec_ws import errors
from mec_ws.services.dto import EstatusCertificado, FiltroCertificados, FormatoCertificado, FormatoExportacion
from models import Certificate
from tests.services.world import World, add_certificate

_seq = itertools.count(1)


def _cert(world: World, folio_control: str, **kwargs: object) -> Certificate:
    return add_certificate(world, folio_control, folio_prefix="Q-", **kwargs)  # type: ignore[arg-type]


T = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)


def _folios(world: World, who: object, **filters: object) -> list[str]:
    page = world.app.consulta_certificados(who, FiltroCertificados(**filters), 1, 500)  # type: ignore[arg-type]
    assert page.total_registros == len(page.certificados)
    return [c.folio_control for c in page.certificados]


@pytest.fixture
def seeded(world: World) -> World:
    _cert(world, "A-1", fecha_carga=T, curp="GAMA000101HDFRRR01")
    _cert(world, "A-2", fecha_carga=T, campus_id="000102", fecha_expedicion=date(2024, 8, 1))
    # 23:30 on 30 June in Mexico City is already 1 July in UTC
    _cert(
        world,
        "A-3",
        fecha_carga=datetime(2025, 7, 1, 5, 30, tzinfo=UTC),
        estatus=EstatusCertificado.CANCELADO,
    )
    _cert(
        world, "A-4", fecha_carga=datetime(2025, 7, 1, 6, 30, tzinfo=UTC), fecha_expedicion=date(2024, 9, 30)
    )
    _cert(world, "B-1", fecha_carga=T, institution_id="000002", campus_id="000201")
    return world


def test_ipes_sees_only_its_certificates_in_order(seeded: World) -> None:
    assert _folios(seeded, seeded.ipes) == ["A-1", "A-2", "A-3", "A-4"]
    assert _folios(seeded, seeded.other) == ["B-1"]
    # idInstitucion applies within what the caller sees: another's finds nothing, its own changes nothing
    assert _folios(seeded, seeded.ipes, id_institucion="000002") == []
    assert _folios(seeded, seeded.ipes, id_institucion="000001") == ["A-1", "A-2", "A-3", "A-4"]


def test_operator_sees_all_or_one_institution(seeded: World) -> None:
    assert _folios(seeded, seeded.operator) == ["A-1", "A-2", "B-1", "A-3", "A-4"]
    assert _folios(seeded, seeded.operator, id_institucion="000002") == ["B-1"]


def test_each_filter(seeded: World) -> None:
    w, who = seeded, seeded.ipes
    with w.sessions() as s:
        a1 = s.query(Certificate).filter_by(folio_control="A-1").one()
    assert _folios(w, who, id_campus="000102") == ["A-2"]
    assert _folios(w, who, folio_pago=a1.folio_pago) == ["A-1"]
    assert _folios(w, who, folio_control="A-3") == ["A-3"]
    assert _folios(w, who, folio_digital=a1.folio_digital) == ["A-1"]
    assert _folios(w, who, curp="gama000101hdfrrr01") == ["A-1"]
    assert _folios(w, who, estatus=EstatusCertificado.CANCELADO) == ["A-3"]
    assert _folios(w, who, fecha_expedicion_desde=date(2024, 8, 1)) == ["A-2", "A-4"]
    assert _folios(w, who, fecha_expedicion_hasta=date(2024, 8, 1)) == ["A-1", "A-2", "A-3"]
    assert _folios(
        w, who, fecha_expedicion_desde=date(2024, 8, 1), fecha_expedicion_hasta=date(2024, 8, 1)
    ) == ["A-2"]
    assert _folios(w, who, id_campus="000101", estatus=EstatusCertificado.VIGENTE) == ["A-1", "A-4"]
    assert _folios(w, who, folio_control="NO-EXISTE") == []


def test_fecha_carga_is_a_mexico_city_calendar_date_inclusive(seeded: World) -> None:
    w, who = seeded, seeded.ipes
    assert _folios(w, who, fecha_carga_desde=date(2025, 6, 30), fecha_carga_hasta=date(2025, 6, 30)) == [
        "A-3"
    ]
    assert _folios(w, who, fecha_carga_desde=date(2025, 7, 1)) == ["A-4"]
    assert _folios(w, who, fecha_carga_hasta=date(2025, 6, 10)) == ["A-1", "A-2"]
    assert _folios(w, who, fecha_carga_desde=date(2025, 6, 10), fecha_carga_hasta=date(2025, 7, 1)) == [
        "A-1",
        "A-2",
        "A-3",
        "A-4",
    ]
    with pytest.raises(errors.SolicitudInvalida):
        _folios(w, who, fecha_carga_desde=date(2025, 7, 2), fecha_carga_hasta=date(2025, 7, 1))


def test_paging_is_stable_and_complete(world: World) -> None:
    expected = []
    for i in range(7):
        # three share one fechaCarga: folioControl breaks the tie
        when = T if i < 3 else T + timedelta(hours=i)
        folio = f"T-{'cba'[i]}" if i < 3 else f"P-{i}"
        _cert(world, folio, fecha_carga=when)
        expected.append(folio)
    expected[:3] = sorted(expected[:3])
    seen: list[str] = []
    for pagina in (1, 2, 3):
        page = world.app.consulta_certificados(world.ipes, FiltroCertificados(), pagina, 3)
        assert (page.total_registros, page.pagina, page.registros_por_pagina) == (7, pagina, 3)
        seen += [c.folio_control for c in page.certificados]
    assert seen == expected
    again = world.app.consulta_certificados(world.ipes, FiltroCertificados(), 2, 3)
    assert [c.folio_control for c in again.certificados] == expected[3:6]
    beyond = world.app.consulta_certificados(world.ipes, FiltroCertificados(), 9, 3)
    assert beyond.certificados == () and beyond.total_registros == 7


def test_result_fields(seeded: World) -> None:
    page = seeded.app.consulta_certificados(seeded.ipes, FiltroCertificados(folio_control="A-1"), 1, 10)
    (c,) = page.certificados
    assert c.institucion == seeded.scenario.institution.name
    assert c.campus == seeded.scenario.campus.name
    assert (c.curp, c.carrera, c.lugar_expedicion) == (
        "GAMA000101HDFRRR01",
        "LICENCIATURA EN DERECHO",
        "CIUDAD DE MÉXICO",
    )
    assert (c.fecha_carga, c.fecha_expedicion, c.estatus) == (
        T,
        date(2024, 7, 12),
        EstatusCertificado.VIGENTE,
    )
    assert c.folio_pago.startswith("Q-") and c.folio_digital


@pytest.mark.parametrize(("pagina", "size"), [(0, 10), (-1, 10), (1, 0), (1, 501)])
def test_paging_out_of_range_is_invalid(world: World, pagina: int, size: int) -> None:
    with pytest.raises(errors.SolicitudInvalida):
        world.app.consulta_certificados(world.ipes, FiltroCertificados(), pagina, size)


def test_page_size_limits_are_inclusive(world: World) -> None:
    for size in (1, 500):
        assert (
            world.app.consulta_certificados(world.ipes, FiltroCertificados(), 1, size).registros_por_pagina
            == size
        )


def test_descarga_certificado_xml(seeded: World) -> None:
    archivo = seeded.app.descarga_certificado(seeded.ipes, "A-1", FormatoCertificado.XML)
    assert archivo.nombre_archivo == "A-1.xml"
    assert archivo.contenido == b"<Dec folioControl='A-1'/>"
    assert seeded.app.descarga_certificado(
        seeded.operator, "B-1", FormatoCertificado.XML
    ).contenido.startswith(b"<Dec")
    with pytest.raises(errors.CertificadoInexistente):
        seeded.app.descarga_certificado(seeded.ipes, "B-1", FormatoCertificado.XML)
    with pytest.raises(errors.CertificadoInexistente):
        seeded.app.descarga_certificado(seeded.ipes, "NO-EXISTE", FormatoCertificado.XML)


# descargaCertificado with formato=PDF (real stamped certificates): tests/reports/test_services.py


def test_filter_dataclass_is_complete() -> None:
    """Every field of the filter is exercised above (a new filter must get a test)."""
    tested = {
        "id_institucion",
        "id_campus",
        "folio_pago",
        "folio_control",
        "folio_digital",
        "curp",
        "fecha_expedicion_desde",
        "fecha_expedicion_hasta",
        "fecha_carga_desde",
        "fecha_carga_hasta",
        "estatus",
    }
    assert {f.name for f in dataclasses.fields(FiltroCertificados)} == tested


# --- certificates without folioControl (optional in the XSD) ----------------------------------------


@dataclasses.dataclass(frozen=True)
class _Doc:
    folio_digital: str
    xml: bytes = b"<Dec/>"


def _digital(tag: str) -> str:
    return f"00000000-0000-4000-8000-{tag:0>12}"


def test_ordering_with_null_folio_control_is_total_and_stable(world: World) -> None:
    """fechaCarga, then folioControl with NULLs last (explicitly: SQLite puts them first by default,
    PostgreSQL last), then institution and row id (the insertion order): the same on every page and
    in the export, on both databases."""
    from mec_ws.services.export import iter_certificados

    rows = [  # (fechaCarga, folioControl, folioDigital tag), inserted in this (shuffled) order
        (T, None, "d"),
        (T, "Z-1", "1"),
        (T + timedelta(hours=1), None, "e"),
        (T, None, "a"),
        (T - timedelta(hours=1), None, "f"),
        (T, "A-1", "9"),
        (T, None, "c"),
        (T + timedelta(hours=1), "M-1", "0"),
        (T, None, "b"),
    ]
    for when, folio, tag in rows:
        _cert(world, folio, fecha_carga=when, document=_Doc(_digital(tag)))
    expected = [
        _digital("f"),
        _digital("9"),
        _digital("1"),  # Z-1
        _digital("d"),  # the four without folioControl at T, in the order they were stored
        _digital("a"),
        _digital("c"),
        _digital("b"),
        _digital("0"),  # M-1
        _digital("e"),
    ]
    for size in (1, 2, 4, 500):
        seen: list[str] = []
        for pagina in range(1, len(rows) // size + 2):
            page = world.app.consulta_certificados(world.ipes, FiltroCertificados(), pagina, size)
            seen += [c.folio_digital for c in page.certificados]
        assert seen == expected, size
    with world.sessions() as s:
        exported = [c.folio_digital for c in iter_certificados(s, world.ipes, FiltroCertificados())]
    assert exported == expected
    page = world.app.consulta_certificados(world.ipes, FiltroCertificados(folio_digital=_digital("c")), 1, 5)
    assert [(c.folio_control, c.folio_digital) for c in page.certificados] == [(None, _digital("c"))]


def test_descarga_by_exactly_one_key(world: World) -> None:
    _cert(world, None, fecha_carga=T, document=_Doc(_digital("1a")))
    _cert(world, "DOS", fecha_carga=T, document=_Doc(_digital("2a")))
    _cert(
        world,
        "DOS",
        fecha_carga=T,
        institution_id="000002",
        campus_id="000201",
        document=_Doc(_digital("2b")),
    )
    xml = FormatoCertificado.XML
    archivo = world.app.descarga_certificado(world.ipes, None, xml, _digital("1a"))
    assert archivo.nombre_archivo == f"{_digital('1a')}.xml"
    assert world.app.descarga_certificado(world.ipes, "DOS", xml).nombre_archivo == "DOS.xml"
    for control, digital in ((None, None), ("", "  "), ("DOS", _digital("2a"))):
        with pytest.raises(errors.SolicitudInvalida, match=r"folioControl o (el )?folioDigital"):
            world.app.descarga_certificado(world.ipes, control, xml, digital)
    with pytest.raises(errors.CertificadoInexistente):  # another institution's folioDigital
        world.app.descarga_certificado(world.ipes, None, xml, _digital("2b"))
    # an SEP operator: a folioControl of two institutions is ambiguous, a folioDigital never is
    with pytest.raises(errors.SolicitudInvalida, match="folioDigital"):
        world.app.descarga_certificado(world.operator, "DOS", xml)
    assert world.app.descarga_certificado(world.operator, None, xml, _digital("2b")).contenido == b"<Dec/>"


@pytest.mark.parametrize(
    "filters",
    [
        {"fecha_carga_hasta": date.max},
        {"fecha_carga_desde": date.min, "fecha_carga_hasta": date.max},
        {"fecha_carga_desde": date.min},
        {"fecha_expedicion_desde": date.min, "fecha_expedicion_hasta": date.max},
    ],
    ids=["hasta-9999-12-31", "whole-range", "desde-0001-01-01", "expedicion-whole-range"],
)
def test_extreme_dates_mean_no_bound(seeded: World, filters: dict[str, date]) -> None:
    """No overflow into Server.Interno: the last and first representable days are open ends."""
    assert _folios(seeded, seeded.ipes, **filters) == ["A-1", "A-2", "A-3", "A-4"]
    exported = seeded.app.exporta_certificados(
        seeded.ipes, FiltroCertificados(**filters), FormatoExportacion.CSV
    )
    assert exported.contenido.count(b"\n") == 5  # header + 4 rows


def test_page_past_the_end_is_empty_even_when_huge(seeded: World) -> None:
    for pagina in (2, 10**12, 10**30):
        page = seeded.app.consulta_certificados(seeded.ipes, FiltroCertificados(), pagina, 500)
        assert (page.total_registros, page.certificados) == (4, ())


def test_a_page_and_its_total_come_from_one_snapshot(seeded: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Certificates accepted between the count and the page (another transaction, committed) are in
    neither: the read is one snapshot on both databases (SQLite's WAL read transaction; PostgreSQL
    REPEATABLE READ), so ``totalRegistros`` always matches the pages."""
    from mec_ws.services import query

    world = seeded
    counted = query._total

    def count_then_another_batch_lands(*args: object, **kwargs: object) -> int:
        total = counted(*args, **kwargs)  # type: ignore[arg-type]
        _cert(world, "A-0-NUEVO", fecha_carga=T - timedelta(days=1))  # sorts first: would shift the page
        return total

    monkeypatch.setattr(query, "_total", count_then_another_batch_lands)
    page = world.app.consulta_certificados(world.ipes, FiltroCertificados(), 1, 500)
    assert "A-0-NUEVO" not in [c.folio_control for c in page.certificados]
    assert page.total_registros == len(page.certificados)
    monkeypatch.setattr(query, "_total", counted)
    assert "A-0-NUEVO" in _folios(world, world.ipes)  # the next read sees it
