"""``certificate_month_counts`` follows every change of ``certificates`` (database triggers, migration 0011).

The expected counts are recomputed in Python from the rows' aware ``fecha_carga`` (the UTC month),
independently of the SQL bucket expression of the triggers, after inserts at the edges of months,
updates of ``fecha_carga`` and ``institution_id`` (through the ORM and as plain multi-row SQL),
a rolled back insert, deletes, and an upgrade over existing rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from mec_ws import db
from models import Certificate, CertificateMonthCount
from tests.db import rows

MEXICO_CITY = ZoneInfo("America/Mexico_City")
MARCH = datetime(2026, 3, 1, tzinfo=UTC)
JUST_BEFORE_MARCH = MARCH - timedelta(microseconds=1)  # 2026-02-28 23:59:59.999999 UTC


def _kept(session: Session) -> dict[tuple[str, str], int]:
    session.expire_all()
    return {(r.institution_id, r.mes): r.n for r in session.scalars(select(CertificateMonthCount)) if r.n}


def _actual(session: Session) -> dict[tuple[str, str], int]:
    """The UTC month of every row, from the aware datetimes the ORM returns (not from SQL)."""
    session.expire_all()
    found = session.execute(select(Certificate.institution_id, Certificate.fecha_carga)).all()
    return dict(Counter((inst, f"{when.astimezone(UTC):%Y-%m}") for inst, when in found))


def _at(session: Session, batch: object, folio_control: str | None, when: datetime) -> Certificate:
    cert = rows.certificate(session, batch, folio_control=folio_control)  # type: ignore[arg-type]
    cert.fecha_carga = when
    session.flush()
    return cert


def test_month_edges_and_every_kind_of_change(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    rows.institution(session, "000002", ("C201",))
    b1 = rows.batch(session, rows.folio(session, "000001", 20))
    b2 = rows.batch(session, rows.folio(session, "000002", 20))
    edge = _at(session, b1, "E-1", MARCH)  # midnight on the 1st: March
    before = _at(session, b1, "E-2", JUST_BEFORE_MARCH)  # the last microsecond of February
    _at(session, b1, "E-3", JUST_BEFORE_MARCH - timedelta(microseconds=499))  # .9995: February still
    # 18:30 on 28 February in Mexico City is 00:30 on 1 March in UTC: the bucket is UTC
    mexico = _at(session, b1, None, datetime(2026, 2, 28, 18, 30, tzinfo=MEXICO_CITY))
    _at(session, b2, "F-1", MARCH)  # the same instant in another institution
    last = _at(session, b2, "F-2", datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    session.commit()
    assert (
        _kept(session)
        == _actual(session)
        == {
            ("000001", "2026-02"): 2,
            ("000001", "2026-03"): 2,
            ("000002", "2026-03"): 1,
            ("000002", "2026-12"): 1,
        }
    )

    edge.fecha_carga = JUST_BEFORE_MARCH  # across the boundary, one microsecond back
    before.fecha_carga = JUST_BEFORE_MARCH - timedelta(days=3)  # within the month: no change
    last.fecha_carga = datetime(2027, 1, 1, tzinfo=UTC)  # across a year
    mexico.institution_id = "000002"  # another institution, same month
    session.commit()
    assert _kept(session) == _actual(session)
    assert _kept(session)[("000001", "2026-02")] == 3
    assert _kept(session)[("000002", "2027-01")] == 1

    mexico.institution_id, mexico.fecha_carga = "000001", datetime(2025, 7, 4, tzinfo=UTC)  # both at once
    edge.nombre_completo = "OTRO NOMBRE"  # a column the counts do not track
    session.commit()
    assert _kept(session) == _actual(session)

    # one statement over several rows (plain SQL on PostgreSQL's statement-level triggers)
    session.execute(
        update(Certificate)
        .where(Certificate.institution_id == "000001")
        .values(fecha_carga=JUST_BEFORE_MARCH + timedelta(days=31))
    )
    session.commit()
    assert _kept(session) == _actual(session)
    session.execute(
        update(Certificate)
        .where(Certificate.folio_control.in_(["E-2", "F-1"]))
        .values(institution_id="000002")
    )
    session.commit()
    assert _kept(session) == _actual(session)

    _at(session, b1, "E-99", MARCH)
    session.rollback()  # nothing inserted, nothing counted
    assert _kept(session) == _actual(session)

    session.execute(delete(Certificate).where(Certificate.folio_control.in_(["E-1", "F-2"])))
    session.commit()
    assert _kept(session) == _actual(session)
    session.execute(delete(Certificate))
    session.commit()
    assert _kept(session) == _actual(session) == {}


def test_upgrade_counts_existing_rows(engine: Engine) -> None:
    """Going down below 0011 and up again fills the month counts from the rows already there."""
    from alembic import command

    with db.session_factory(engine)() as s:
        rows.institution(s, "000001", ("C001",))
        b = rows.batch(s, rows.folio(s, "000001", 4))
        _at(s, b, "U-1", MARCH)
        _at(s, b, "U-2", JUST_BEFORE_MARCH)
        _at(s, b, None, JUST_BEFORE_MARCH)
        s.commit()
        numero_lote = b.numero_lote
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
        command.upgrade(cfg, "head")
    with db.session_factory(engine)() as s:
        assert _kept(s) == _actual(s) == {("000001", "2026-02"): 2, ("000001", "2026-03"): 1}
        _at(s, s.get(type(b), numero_lote), "U-3", MARCH)
        s.commit()
        assert _kept(s) == _actual(s) == {("000001", "2026-02"): 2, ("000001", "2026-03"): 2}
