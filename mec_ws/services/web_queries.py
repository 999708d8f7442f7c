"""Reads the portal needs beyond the SOAP operations, under the same institution rule.

- :func:`batch_progress`: a batch's "N de M" while it is processed (the Estatus screen polls it);
- :func:`certificate_file`: a certificate's XML or PDF by its ``folioDigital`` (the portal's links);
- :func:`attention`: what waits for an SEP operator.

Another institution's batch or certificate is "not found", exactly as in SOAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.errors import CertificadoInexistente, LoteInexistente
from mec_ws.reports.pdf import render_certificate_pdf, verification_url
from mec_ws.services.dto import Archivo, EstatusLote, FormatoCertificado, Principal
from mec_ws.services.query import _file_name
from models import (
    Batch,
    CancellationRequest,
    Certificate,
    EstatusCancelacion,
    EstatusRegistro,
    Institution,
    RegistrationRequest,
)

FINAL = (EstatusLote.ACEPTADO, EstatusLote.RECHAZADO)


@dataclass(frozen=True, slots=True)
class Avance:
    numero_lote: int
    estatus: EstatusLote
    procesados: int
    total: int
    mensaje: str

    @property
    def final(self) -> bool:
        return self.estatus in FINAL


def batch_progress(session: Session, who: Principal, numero_lote: int) -> Avance:
    try:
        batch = session.get(Batch, numero_lote)
        if batch is None or not (who.is_operator or batch.institution_id == who.institution_id):
            raise LoteInexistente(f"El lote {numero_lote} no existe o no corresponde a su institución.")
        done = batch.archivos_procesados if batch.estatus not in FINAL else batch.total_archivos
        return Avance(batch.numero_lote, batch.estatus, done, batch.total_archivos, batch.mensaje)
    finally:
        session.rollback()


def certificate_file(
    session: Session, who: Principal, folio_digital: str, formato: FormatoCertificado, *, settings: Settings
) -> Archivo:
    try:
        query = select(Certificate).where(Certificate.folio_digital == folio_digital)
        if not who.is_operator:
            query = query.where(Certificate.institution_id == who.institution_id)
        cert = session.scalars(query).one_or_none()
        if cert is None:
            raise CertificadoInexistente(
                f"El certificado con folio digital «{folio_digital[:40]}» no existe "
                "o no corresponde a su institución."
            )
        if formato is FormatoCertificado.PDF:
            url = verification_url(settings, cert.folio_digital)
            pdf = render_certificate_pdf(cert.stamped_xml, estatus=cert.estatus, verification_url=url)
            return Archivo(_file_name(cert.folio_control, ".pdf"), pdf)
        return Archivo(_file_name(cert.folio_control), cert.stamped_xml)
    finally:
        session.rollback()


@dataclass(frozen=True, slots=True)
class Atencion:
    registros_pendientes: int
    cancelaciones_pendientes: int


def attention(session: Session) -> Atencion:
    try:
        registros = session.scalar(
            select(func.count()).where(RegistrationRequest.estatus == EstatusRegistro.PENDIENTE)
        )
        cancelaciones = session.scalar(
            select(func.count()).where(CancellationRequest.estatus == EstatusCancelacion.PENDIENTE)
        )
        return Atencion(int(registros or 0), int(cancelaciones or 0))
    finally:
        session.rollback()


@dataclass(frozen=True, slots=True)
class EstadoPruebas:
    concluidas_at: datetime | None
    faltantes: tuple[str, ...]
    aceptados: int


def pruebas_estado(session: Session, who: Principal) -> EstadoPruebas:
    """Where an institution's test phase stands (the "Pruebas Finalizadas" screen)."""
    from mec_ws.services.pruebas import avance_pruebas

    try:
        inst = session.get(Institution, who.institution_id) if who.institution_id else None
        if inst is None:
            return EstadoPruebas(None, (), 0)
        avance = avance_pruebas(session, inst.id)
        return EstadoPruebas(inst.pruebas_concluidas_at, avance.faltantes, avance.aceptados)
    finally:
        session.rollback()
