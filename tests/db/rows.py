"""Small builders of database rows for tests (flushed, not committed)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from mec_ws.services.dto import EstatusLote
from models import Batch, BatchKind, Campus, Certificate, FolioPago, Institution

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_seq = itertools.count(1)


def institution(
    session: Session, inst_id: str = "000001", campuses: tuple[str, ...] = ("C001",)
) -> Institution:
    inst = Institution(id=inst_id, name=f"Universidad {inst_id}")
    inst.campuses = [Campus(id=c, name=f"Campus {c}", state="09") for c in campuses]
    session.add(inst)
    session.flush()
    return inst


def folio(session: Session, inst_id: str = "000001", cantidad: int = 1, name: str | None = None) -> FolioPago:
    row = FolioPago(folio=name or f"FP{next(_seq):06d}", institution_id=inst_id, cantidad=cantidad)
    session.add(row)
    session.flush()
    return row


def batch(
    session: Session,
    folio_row: FolioPago,
    *,
    intento: int = 1,
    content: bytes = b"<Dec/>",
    estatus: EstatusLote = EstatusLote.RECIBIDO,
) -> Batch:
    row = Batch(
        folio_id=folio_row.id,
        institution_id=folio_row.institution_id,
        intento=intento,
        nombre_archivo="cert.xml",
        stored_path=f"uploads/{next(_seq)}.xml",
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        kind=BatchKind.XML,
        estatus=estatus,
        received_at=T0,
    )
    session.add(row)
    session.flush()
    return row


def certificate(
    session: Session,
    batch_row: Batch,
    *,
    folio_control: str | None,
    campus_id: str = "C001",
    id_carrera: str = "101",
    clave_plan: str = "2020",
) -> Certificate:
    row = Certificate(
        institution_id=batch_row.institution_id,
        campus_id=campus_id,
        folio_pago=batch_row.folio.folio,
        batch_id=batch_row.numero_lote,
        folio_control=folio_control,
        folio_digital=f"00000000-0000-4000-8000-{next(_seq):012d}",
        curp="GOMC800101HDFMRR05",
        nombre_completo="CARLOS GOMEZ MARTINEZ",
        carrera="LICENCIATURA EN DERECHO",
        id_carrera=id_carrera,
        clave_plan=clave_plan,
        lugar_expedicion="CIUDAD DE MÉXICO",
        fecha_expedicion=date(2026, 2, 1),
        fecha_carga=T0,
        stamped_xml=b"<Dec/>",
    )
    session.add(row)
    session.flush()
    return row
