"""Constraints and column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.services.dto import EstatusArchivo, EstatusLote
from models import Batch, BatchFile, CancellationRequest, FolioPago, Institution, User, WorkerHeartbeat
from tests.db import rows


def test_same_attempt_twice_is_refused(session: Session) -> None:
    rows.institution(session)
    f = rows.folio(session)
    rows.batch(session, f, intento=1, content=b"a")
    with pytest.raises(IntegrityError):
        rows.batch(session, f, intento=1, content=b"b")


def test_third_attempt_is_refused(session: Session) -> None:
    rows.institution(session)
    f = rows.folio(session)
    with pytest.raises(IntegrityError):
        rows.batch(session, f, intento=3)


def test_concurrent_uploads_cannot_both_count(engine: Engine) -> None:
    """Two sessions that both decided on attempt 1 of the same folio: only one commits."""
    factory = db.session_factory(engine)
    with factory() as s:
        rows.institution(s)
        folio_id = rows.folio(s, name="FP-RACE").id
        s.commit()
    with factory() as s1:
        f1 = s1.get_one(FolioPago, folio_id)
        rows.batch(s1, f1, intento=1, content=b"one")
        s1.commit()
    with factory() as s2:
        f2 = s2.get_one(FolioPago, folio_id)
        with pytest.raises(IntegrityError):
            rows.batch(s2, f2, intento=1, content=b"two")
        s2.rollback()
        assert len(s2.scalars(select(Batch).where(Batch.folio_id == folio_id)).all()) == 1


def test_same_bytes_unique_per_folio_unless_rejected(session: Session) -> None:
    rows.institution(session)
    f = rows.folio(session)
    first = rows.batch(session, f, intento=1, content=b"same")
    with pytest.raises(IntegrityError), session.begin_nested():
        rows.batch(session, f, intento=2, content=b"same")
    first.estatus = EstatusLote.RECHAZADO
    session.flush()
    again = rows.batch(session, f, intento=2, content=b"same")  # allowed: a new attempt
    assert again.numero_lote != first.numero_lote
    other = rows.folio(session)
    rows.batch(session, other, intento=1, content=b"same")  # other folio: fine


def test_numero_lote_is_an_increasing_integer(session: Session) -> None:
    rows.institution(session)
    a = rows.batch(session, rows.folio(session))
    b = rows.batch(session, rows.folio(session))
    assert isinstance(a.numero_lote, int)
    assert b.numero_lote > a.numero_lote >= 1


def test_instants_are_aware_utc_after_round_trip(engine: Engine) -> None:
    factory = db.session_factory(engine)
    cdmx = timezone(timedelta(hours=-6))
    with factory() as s:
        s.add(WorkerHeartbeat(worker_id="w1", started_at=datetime(2026, 1, 1, 6, 0, tzinfo=cdmx)))
        s.commit()
    with factory() as s:
        hb = s.get_one(WorkerHeartbeat, "w1")
        assert hb.started_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        assert hb.started_at.utcoffset() == timedelta(0)
        # comparisons in SQL use UTC on both databases
        found = s.scalars(
            select(WorkerHeartbeat).where(
                WorkerHeartbeat.started_at > datetime(2026, 1, 1, 11, 59, tzinfo=UTC)
            )
        ).all()
        assert [h.worker_id for h in found] == ["w1"]


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(Institution(id="000009", name="X", created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="zona horaria"):
        session.flush()


def test_batch_file_findings_round_trip(engine: Engine) -> None:
    factory = db.session_factory(engine)
    errores = [
        {"codigo": "CURP_INVALIDA", "mensaje": "La CURP «X» no es válida", "ubicacion": "Dec/Alumno/@curp"}
    ]
    with factory() as s:
        rows.institution(s)
        b = rows.batch(s, rows.folio(s))
        b.files.append(
            BatchFile(
                ordinal=1,
                nombre="a.xml",
                folio_control="F-1",
                estatus=EstatusArchivo.CON_ERRORES,
                errores=errores,
            )
        )
        s.commit()
        lote = b.numero_lote
    with factory() as s:
        f = s.scalars(select(BatchFile).where(BatchFile.batch_id == lote)).one()
        assert f.errores == errores
        assert f.estatus is EstatusArchivo.CON_ERRORES


def test_folio_control_unique_per_institution(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    rows.institution(session, "000002", ("C002",))
    b1 = rows.batch(session, rows.folio(session, "000001"))
    b2 = rows.batch(session, rows.folio(session, "000002"))
    rows.certificate(session, b1, folio_control="A-1")
    rows.certificate(session, b2, folio_control="A-1", campus_id="C002")  # another institution: fine
    with pytest.raises(IntegrityError):
        rows.certificate(session, b1, folio_control="A-1")


def test_one_pending_cancellation_per_certificate(session: Session) -> None:
    rows.institution(session)
    cert = rows.certificate(session, rows.batch(session, rows.folio(session)), folio_control="A-1")

    def request() -> CancellationRequest:
        req = CancellationRequest(
            certificate_id=cert.id,
            motivo="C1",
            requested_by="ana",
            requested_at=rows.T0,
            effective_at=rows.T0,
        )
        session.add(req)
        session.flush()
        return req

    first = request()
    with pytest.raises(IntegrityError), session.begin_nested():
        request()
    first.estatus = first.estatus.RETIRADA
    session.flush()
    request()  # a new request once the earlier one was withdrawn


def test_user_belongs_to_an_institution_or_is_operator(session: Session) -> None:
    rows.institution(session)
    session.add(User(username="op", password_hash="x", is_operator=True))
    session.add(User(username="ipes", password_hash="x", institution_id="000001"))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(User(username="nadie", password_hash="x"))
        session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(User(username="ambos", password_hash="x", is_operator=True, institution_id="000001"))
        session.flush()


def test_foreign_keys_are_enforced(session: Session) -> None:
    with pytest.raises(IntegrityError):
        rows.folio(session, "999999")


def test_concurrent_read_modify_write_never_loses_an_update(engine: Engine) -> None:
    """The pattern the services use (SELECT … FOR UPDATE, then write) is safe on both databases:
    on SQLite every transaction starts with BEGIN IMMEDIATE and waits its turn instead of failing."""
    factory = db.session_factory(engine)
    with factory() as s:
        rows.institution(s)
        folio_id = rows.folio(s, cantidad=1000, name="FP-CONC").id
        s.commit()

    def bump(times: int) -> None:
        for _ in range(times):
            with factory() as s:
                f = s.scalars(select(FolioPago).where(FolioPago.id == folio_id).with_for_update()).one()
                f.cantidad += 1
                s.commit()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for fut in [pool.submit(bump, 10) for _ in range(4)]:
            fut.result()
    with factory() as s:
        assert s.get_one(FolioPago, folio_id).cantidad == 1040


def test_sql_parameters_never_reach_errors_or_logs(engine, caplog) -> None:  # type: ignore[no-untyped-def]
    """A failing statement's parameters (a student's CURP and name) are not in its message."""
    import logging

    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    secret = "GOMA950101HDFRRN09 MARÍA GÓMEZ"
    caplog.set_level(logging.INFO, logger="sqlalchemy")
    with engine.connect() as conn:
        try:
            conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": secret})
        except SQLAlchemyError as exc:
            message = str(exc)
        else:  # pragma: no cover
            raise AssertionError("the insert should fail")
    assert secret not in message and "hidden" in message
    assert secret not in caplog.text
