"""Deep pages located through the kept month counts equal the pages of a plain ``OFFSET`` query.

``consultaCertificados`` reaches a deep page of a result filtered by nothing or only by the
institution from the nearest month boundary (``certificate_month_counts``, migration 0011).  Here
the depth threshold is lowered to 0 so that every page of a small randomized world goes that way
when a month boundary is nearer than either end, and every page of every size is compared with
the plain query (the whole order, ``OFFSET``/``LIMIT``), for an IPES user and an SEP operator with
and without ``idInstitucion``: rows over several months, at UTC midnight on the 1st and at
23:59:59.999999 the day before, without folioControl, with equal ``fecha_carga`` (and equal
folioControl) across institutions; again after deletes, and after updates of ``fecha_carga`` and
``institution_id`` (which the triggers must follow).  The month counts are compared with a
recount after each change.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from mec_ws.services import query as query_service
from mec_ws.services.dto import FiltroCertificados, Principal
from models import Batch, BatchKind, Certificate, CertificateMonthCount, FolioPago
from tests.services.world import World

MONTHS = [datetime(2025, m, 1, tzinfo=UTC) for m in range(1, 7)]  # January .. June 2025
EDGES = [t for start in MONTHS[1:] for t in (start, start - timedelta(microseconds=1))]
CAMPUS = {"000001": "000101", "000002": "000201"}


def _instants(rnd: random.Random) -> list[datetime]:
    """A few instants: month edges, and a pool of times shared by several rows (ties)."""
    pool = [MONTHS[0] + timedelta(seconds=rnd.randrange(150 * 86400)) for _ in range(25)]
    return EDGES + pool


def _load(world: World, rnd: random.Random, n: int) -> None:
    instants = _instants(rnd)
    with world.sessions() as s:
        batches = {}
        for inst in CAMPUS:
            folio = FolioPago(folio=f"DP-{inst}", institution_id=inst, cantidad=n)
            s.add(folio)
            s.flush()
            batch = Batch(
                folio_id=folio.id,
                institution_id=inst,
                intento=1,
                nombre_archivo="a.zip",
                stored_path="lotes/x.bin",
                sha256="0" * 64,
                size_bytes=1,
                kind=BatchKind.ZIP,
                received_at=MONTHS[0],
            )
            s.add(batch)
            s.flush()
            batches[inst] = (folio.folio, batch.numero_lote)
        # equal folioControl values across institutions, unique within each
        folios = {inst: iter(rnd.sample(range(3 * n), n)) for inst in CAMPUS}
        for i in range(n):
            inst = "000001" if rnd.random() < 0.6 else "000002"
            s.add(
                Certificate(
                    institution_id=inst,
                    campus_id=CAMPUS[inst],
                    folio_pago=batches[inst][0],
                    batch_id=batches[inst][1],
                    folio_control=None if rnd.random() < 0.2 else f"F-{next(folios[inst]):04d}",
                    folio_digital=f"dddddddd-0000-4000-8000-{i:012d}",
                    curp="AAAA000101HDFBBB01",
                    nombre_completo=f"ALUMNO {i}",
                    carrera="LICENCIATURA EN DERECHO",
                    id_carrera="1021",
                    clave_plan="2019",
                    lugar_expedicion="CIUDAD DE MÉXICO",
                    fecha_expedicion=date(2024, 7, 12),
                    fecha_carga=rnd.choice(instants),
                    stamped_xml=b"<Dec/>",
                )
            )
        s.commit()


def _expected(world: World, institution: str | None) -> list[str]:
    """The whole result in the contract's order, by a plain query."""
    query = select(Certificate.folio_digital).order_by(*query_service.page_order())
    if institution:
        query = query.where(Certificate.institution_id == institution)
    with world.sessions() as s:
        return list(s.scalars(query))


def _plain_page(world: World, institution: str | None, offset: int, size: int) -> list[str]:
    query = select(Certificate.folio_digital).order_by(*query_service.page_order()).offset(offset).limit(size)
    if institution:
        query = query.where(Certificate.institution_id == institution)
    with world.sessions() as s:
        return list(s.scalars(query))


def _month_counts_match(world: World) -> None:
    with world.sessions() as s:
        kept = {(r.institution_id, r.mes): r.n for r in s.scalars(select(CertificateMonthCount)) if r.n}
        found = s.execute(select(Certificate.institution_id, Certificate.fecha_carga)).all()
    assert kept == dict(Counter((inst, f"{when.astimezone(UTC):%Y-%m}") for inst, when in found))


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[query_service.Walk]:
    """Every page goes through the month counts, and the walks taken are recorded."""
    taken: list[query_service.Walk] = []
    real = query_service._walk

    def spy(offset: int, limit: int, total: int, months: list[tuple[str, int]]) -> query_service.Walk:
        walk = real(offset, limit, total, months)
        if months:
            taken.append(walk)
        return walk

    monkeypatch.setattr(query_service, "DEEP_PAGE_ROWS", 0)
    monkeypatch.setattr(query_service, "_walk", spy)
    return taken


def _check_every_page(world: World, sizes: tuple[int, ...], walks: list[query_service.Walk]) -> None:
    cases: list[tuple[Principal, FiltroCertificados, str | None]] = [
        (world.operator, FiltroCertificados(), None),
        (world.operator, FiltroCertificados(id_institucion="000001"), "000001"),
        (world.operator, FiltroCertificados(id_institucion="000002"), "000002"),
        (world.ipes, FiltroCertificados(), "000001"),
        (world.ipes, FiltroCertificados(id_institucion="000001"), "000001"),
        (world.other, FiltroCertificados(), "000002"),
    ]
    for who, filtro, institution in cases:
        everything = _expected(world, institution)
        for size in sizes:
            for pagina in range(1, math.ceil(len(everything) / size) + 2):
                offset = (pagina - 1) * size
                page = world.app.consulta_certificados(who, filtro, pagina, size)
                assert page.total_registros == len(everything)
                got = [c.folio_digital for c in page.certificados]
                assert got == _plain_page(world, institution, offset, size), (
                    who.username,
                    filtro,
                    size,
                    pagina,
                )
                assert got == everything[offset : offset + size]
    # the month path was really taken, in both directions
    assert any(w.boundary is not None and not w.backwards and w.skip > 0 for w in walks)
    assert any(w.boundary is not None and w.backwards and w.skip > 0 for w in walks)


def test_every_page_through_the_month_counts_is_the_plain_page(
    world: World, walks: list[query_service.Walk]
) -> None:
    rnd = random.Random(20261201)
    _load(world, rnd, 160)
    _month_counts_match(world)
    _check_every_page(world, (1, 7, 30), walks)

    # deletes
    with world.sessions() as s:
        ids = list(s.scalars(select(Certificate.id)))
        s.execute(delete(Certificate).where(Certificate.id.in_(rnd.sample(ids, 25))))
        s.commit()
    _month_counts_match(world)
    _check_every_page(world, (1, 11), walks)

    # updates of fecha_carga (onto month edges and elsewhere) and of institution_id
    with world.sessions() as s:
        certs = list(s.scalars(select(Certificate)))
        for cert in rnd.sample(certs, 30):
            cert.fecha_carga = rnd.choice(_instants(rnd))
        s.commit()
        for cert in rnd.sample([c for c in certs if c.institution_id == "000001"], 12):
            cert.institution_id, cert.campus_id = "000002", CAMPUS["000002"]
            cert.folio_control = None if cert.folio_control is None else f"M-{cert.id}"
        s.commit()
        # one statement moving several rows to one instant at the edge of a month
        s.execute(
            update(Certificate)
            .where(Certificate.id.in_([c.id for c in rnd.sample(certs, 10)]))
            .values(fecha_carga=MONTHS[3] - timedelta(microseconds=1))
        )
        s.commit()
    _month_counts_match(world)
    _check_every_page(world, (1, 9), walks)


def test_walk_is_the_nearest_boundary() -> None:
    """``_walk`` on its own: from either end, or from the start of a month, whichever skips less."""
    months = [("2025-01", 100), ("2025-02", 50), ("2025-03", 0), ("2025-04", 80)]  # 230 rows
    start = query_service.month_start
    assert query_service._walk(0, 10, 230, months) == query_service.Walk(None, False, 0)
    assert query_service._walk(220, 10, 230, months) == query_service.Walk(None, True, 0)
    assert query_service._walk(105, 10, 230, months) == query_service.Walk(start("2025-02"), False, 5)
    assert query_service._walk(85, 10, 230, months) == query_service.Walk(start("2025-02"), True, 5)
    # an empty month has the same rows before it as the next: either boundary is exact
    assert query_service._walk(152, 10, 230, months) == query_service.Walk(start("2025-03"), False, 2)
    assert start("2025-12") == datetime(2025, 12, 1, tzinfo=UTC)
