"""``certificate_counts`` follows every change of ``certificates`` (database triggers, migration 0005).

Checked against ``GROUP BY`` after inserts, estatus and campus updates, a rolled back insert,
deletes, plain SQL writes that bypass the ORM, and an upgrade over existing rows.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.services.dto import EstatusCertificado
from models import Certificate, CertificateCount
from tests.db import rows


def _kept(session: Session) -> dict[tuple[str, str, str], int]:
    return {
        (r.institution_id, r.campus_id, str(r.estatus)): r.n
        for r in session.scalars(select(CertificateCount))
        if r.n
    }


def _actual(session: Session) -> dict[tuple[str, str, str], int]:
    query = select(
        Certificate.institution_id, Certificate.campus_id, Certificate.estatus, func.count()
    ).group_by(Certificate.institution_id, Certificate.campus_id, Certificate.estatus)
    return {(i, c, str(e)): n for i, c, e, n in session.execute(query)}


def test_counts_follow_inserts_updates_and_deletes(session: Session) -> None:
    rows.institution(session, "000001", ("C001", "C002"))
    rows.institution(session, "000002", ("C201",))
    b1 = rows.batch(session, rows.folio(session, "000001", 5))
    b2 = rows.batch(session, rows.folio(session, "000002", 2))
    certs = [
        rows.certificate(session, b1, folio_control=f"A-{i}", campus_id=("C001", "C002")[i % 2])
        for i in range(5)
    ]
    certs += [rows.certificate(session, b2, folio_control=f"B-{i}", campus_id="C201") for i in range(2)]
    session.commit()
    assert (
        _kept(session)
        == _actual(session)
        == {
            ("000001", "C001", "VIGENTE"): 3,
            ("000001", "C002", "VIGENTE"): 2,
            ("000002", "C201", "VIGENTE"): 2,
        }
    )

    certs[0].estatus = EstatusCertificado.CANCELACION_SOLICITADA
    certs[1].estatus = EstatusCertificado.CANCELADO
    session.commit()
    certs[0].estatus = EstatusCertificado.CANCELADO  # a second change of the same row
    certs[2].nombre_completo = "OTRO NOMBRE"  # a column the counts do not track
    session.commit()
    session.execute(update(Certificate).where(Certificate.folio_control == "A-3").values(campus_id="C001"))
    session.commit()
    assert _kept(session) == _actual(session)
    assert _kept(session)[("000001", "C001", "CANCELADO")] == 1

    rows.certificate(session, b1, folio_control="A-99")
    session.rollback()  # nothing inserted, nothing counted
    assert _kept(session) == _actual(session)

    session.execute(delete(Certificate).where(Certificate.folio_control.in_(["B-0", "A-4"])))
    session.commit()
    assert _kept(session) == _actual(session)
    assert sum(_kept(session).values()) == 5


def test_plain_sql_writes_are_counted(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    b = rows.batch(session, rows.folio(session, "000001", 3))
    rows.certificate(session, b, folio_control="X-1")
    session.commit()
    session.execute(
        text(
            "INSERT INTO certificates (institution_id, campus_id, folio_pago, batch_id, folio_control, "
            "folio_digital, curp, nombre_completo, carrera, id_carrera, clave_plan, lugar_expedicion, "
            "fecha_expedicion, fecha_carga, estatus, stamped_xml) "
            "SELECT institution_id, campus_id, folio_pago, batch_id, 'X-2', "
            "'ffffffff-0000-4000-8000-000000000002', "
            "curp, nombre_completo, carrera, id_carrera, clave_plan, lugar_expedicion, fecha_expedicion, "
            "fecha_carga, 'CANCELADO', stamped_xml FROM certificates WHERE folio_control = 'X-1'"
        )
    )
    rows.certificate(session, b, folio_control="X-3")
    session.commit()
    # one statement over several rows, one of them already CANCELADO: changes counted once
    session.execute(text("UPDATE certificates SET estatus = 'CANCELADO'"))
    session.commit()
    assert _kept(session) == _actual(session) == {("000001", "C001", "CANCELADO"): 3}
    session.execute(text("DELETE FROM certificates WHERE folio_control IN ('X-1', 'X-3')"))
    session.commit()
    assert _kept(session) == _actual(session) == {("000001", "C001", "CANCELADO"): 1}


def test_upgrade_counts_existing_rows(engine: Engine) -> None:
    """Going down below 0005 and up again fills the counts from the rows already there."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with db.session_factory(engine)() as s:
        rows.institution(s, "000001", ("C001",))
        b = rows.batch(s, rows.folio(s, "000001", 2))
        rows.certificate(s, b, folio_control="U-1")
        rows.certificate(s, b, folio_control="U-2")
        s.commit()
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        parent = ScriptDirectory.from_config(cfg).get_revision("0005").down_revision
        command.downgrade(cfg, str(parent))
        command.upgrade(cfg, "head")
    with db.session_factory(engine)() as s:
        assert _kept(s) == _actual(s) == {("000001", "C001", "VIGENTE"): 2}
        rows.certificate(s, s.get(type(b), b.numero_lote), folio_control="U-3")  # type: ignore[arg-type]
        s.commit()
        assert _kept(s) == _actual(s) == {("000001", "C001", "VIGENTE"): 3}
