"""``concluyePruebas``: an institution declares its test phase finished (``contract.md``).

Only in a deployment configured as the test environment (``MEC_AMBIENTE=pruebas``); every
certificate of that deployment is a test certificate.  The institution must have at least
:data:`REQUIRED_CERTIFICATES` accepted certificates, among them at least one from a single-XML
upload and one from a ZIP upload (a batch's ``kind``).  A cancelled certificate was still
accepted, so it counts.

Decisions:

- In production the operation is refused with ``SolicitudInvalida`` ("solo en el ambiente de
  pruebas"): ``PruebasIncompletas`` would tell the caller to keep testing, which is wrong there.
- An SEP operator has no test phase of its own: ``SolicitudInvalida``.
- Missing requirements: ``PruebasIncompletas`` whose message lists every one of them.
- Success records ``Institution.pruebas_concluidas_at`` (shown by ``mec-ws admin pruebas`` and
  ``list-institutions``).  Idempotent: a later call answers ``CONCLUIDAS`` with the date first
  recorded, which is never overwritten (the update is conditional, so concurrent calls agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.errors import PruebasIncompletas, SolicitudInvalida
from mec_ws.services.dto import EstatusLote, Principal, ResultadoPruebas
from models import Batch, BatchKind, Certificate, Institution

REQUIRED_CERTIFICATES = 10
CONCLUIDAS = "CONCLUIDAS"
MEXICO_CITY = ZoneInfo("America/Mexico_City")


@dataclass(frozen=True, slots=True)
class AvancePruebas:
    """How far an institution is: accepted certificates in total and by kind of upload."""

    aceptados: int
    por_xml: int
    por_zip: int

    @property
    def faltantes(self) -> tuple[str, ...]:
        """What is still missing, in Spanish, one item each (empty: the phase may be concluded)."""
        missing: list[str] = []
        if self.aceptados < REQUIRED_CERTIFICATES:
            n = REQUIRED_CERTIFICATES - self.aceptados
            what = "falta 1 certificado aceptado" if n == 1 else f"faltan {n} certificados aceptados"
            missing.append(f"{what} ({self.aceptados} de {REQUIRED_CERTIFICATES})")
        if self.por_xml == 0:
            missing.append("falta una carga de XML individual con certificado aceptado")
        if self.por_zip == 0:
            missing.append("falta una carga ZIP con certificados aceptados")
        return tuple(missing)


def avance_pruebas(session: Session, institution_id: str) -> AvancePruebas:
    rows = session.execute(
        select(Batch.kind, func.count(Certificate.id))
        .join(Batch, Batch.numero_lote == Certificate.batch_id)
        .where(Certificate.institution_id == institution_id, Batch.estatus == EstatusLote.ACEPTADO)
        .group_by(Batch.kind)
    ).all()
    by_kind = {kind: int(count) for kind, count in rows}
    return AvancePruebas(
        aceptados=sum(by_kind.values()),
        por_xml=by_kind.get(BatchKind.XML, 0),
        por_zip=by_kind.get(BatchKind.ZIP, 0),
    )


def _when(at: datetime) -> str:
    return at.astimezone(MEXICO_CITY).strftime("%Y-%m-%d %H:%M") + " (hora de la Ciudad de México)"


def concluye_pruebas(
    session: Session, who: Principal, *, settings: Settings, now: datetime
) -> ResultadoPruebas:
    if not settings.pruebas:
        raise SolicitudInvalida(
            "concluyePruebas solo está disponible en el ambiente de pruebas; este servicio es el "
            "ambiente de producción."
        )
    if who.institution_id is None:
        raise SolicitudInvalida(
            "Solo un usuario de una institución puede concluir su fase de pruebas; un operador de la SEP no."
        )
    institution_id = who.institution_id
    try:
        recorded = session.scalar(
            select(Institution.pruebas_concluidas_at).where(Institution.id == institution_id)
        )
        if recorded is not None:
            session.rollback()
            return ResultadoPruebas(
                estatus=CONCLUIDAS,
                mensaje=f"La fase de pruebas de la institución {institution_id} ya se concluyó el "
                f"{_when(recorded)}.",
            )
        avance = avance_pruebas(session, institution_id)
        if avance.faltantes:
            session.rollback()
            raise PruebasIncompletas(
                "Aún no puede concluir la fase de pruebas: " + "; ".join(avance.faltantes) + "."
            )
        session.execute(
            update(Institution)
            .where(Institution.id == institution_id, Institution.pruebas_concluidas_at.is_(None))
            .values(pruebas_concluidas_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        concluded = session.scalar(
            select(Institution.pruebas_concluidas_at).where(Institution.id == institution_id)
        )
        session.rollback()  # end the read transaction
    except BaseException:
        session.rollback()
        raise
    if concluded is None:  # pragma: no cover - the row exists (the user belongs to it) and was just set
        raise AssertionError("pruebas_concluidas_at no quedó registrada")
    return ResultadoPruebas(
        estatus=CONCLUIDAS,
        mensaje=(
            f"Fase de pruebas concluida el {_when(concluded)}: {avance.aceptados} certificado(s) "
            f"aceptado(s), {avance.por_xml} por XML individual y {avance.por_zip} por ZIP. "
            "La SEP ya puede verlo."
        ),
    )
