"""``consultaCertificados`` and ``descargaCertificado`` (XML or PDF).

Every filter is optional and they combine with AND.  Date filters on ``fechaCarga`` are calendar
dates in Mexico City time, both ends inclusive (the day ``hasta`` counts whole); ``fechaExpedicion``
is a calendar date already.  Results are ordered by ``fechaCarga`` then ``folioControl`` (then the
institution and the row id, so that pages are stable even across institutions for an SEP
operator).  ``institucion`` and ``campus`` in the results are the registered names.  An IPES user
sees only its institution; an SEP operator sees all, or one institution with ``idInstitucion``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.errors import CertificadoInexistente, SolicitudInvalida
from mec_ws.reports.pdf import render_certificate_pdf, verification_url
from mec_ws.services.dto import (
    Archivo,
    CertificadoResumen,
    FiltroCertificados,
    FormatoCertificado,
    PaginaCertificados,
    Principal,
)
from models import Campus, Certificate, Institution

MEXICO_CITY = ZoneInfo("America/Mexico_City")
MAX_PAGE_SIZE = 500


def start_of_day(day: date) -> datetime:
    """The instant a Mexico City calendar day begins (aware)."""
    return datetime.combine(day, time.min, tzinfo=MEXICO_CITY)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_range(desde: date | None, hasta: date | None, what: str) -> None:
    if desde is not None and hasta is not None and desde > hasta:
        raise SolicitudInvalida(f"{what}: la fecha «desde» ({desde}) es posterior a «hasta» ({hasta}).")


def filtered(who: Principal, filtro: FiltroCertificados) -> Select[tuple[Certificate, str, str]]:
    """The certificates ``who`` may see that match ``filtro``, with institution and campus names."""
    query = (
        select(Certificate, Institution.name, Campus.name)
        .join(Institution, Institution.id == Certificate.institution_id)
        .join(Campus, Campus.id == Certificate.campus_id)
    )
    if not who.is_operator:
        query = query.where(Certificate.institution_id == who.institution_id)
    if inst := _text(filtro.id_institucion):
        # Within what the caller sees: an IPES user's own id changes nothing, another's matches
        # nothing (an empty result, as for any other institution's data: "not found").
        query = query.where(Certificate.institution_id == inst)
    for column, value in (
        (Certificate.campus_id, filtro.id_campus),
        (Certificate.folio_pago, filtro.folio_pago),
        (Certificate.folio_control, filtro.folio_control),
        (Certificate.folio_digital, filtro.folio_digital),
        (Certificate.curp, filtro.curp.upper() if filtro.curp else None),
    ):
        if text := _text(value):
            query = query.where(column == text)
    _check_range(filtro.fecha_expedicion_desde, filtro.fecha_expedicion_hasta, "fechaExpedicion")
    _check_range(filtro.fecha_carga_desde, filtro.fecha_carga_hasta, "fechaCarga")
    if filtro.fecha_expedicion_desde is not None:
        query = query.where(Certificate.fecha_expedicion >= filtro.fecha_expedicion_desde)
    if filtro.fecha_expedicion_hasta is not None:
        query = query.where(Certificate.fecha_expedicion <= filtro.fecha_expedicion_hasta)
    if filtro.fecha_carga_desde is not None:
        query = query.where(Certificate.fecha_carga >= start_of_day(filtro.fecha_carga_desde))
    if filtro.fecha_carga_hasta is not None:
        query = query.where(
            Certificate.fecha_carga < start_of_day(filtro.fecha_carga_hasta + timedelta(days=1))
        )
    if filtro.estatus is not None:
        query = query.where(Certificate.estatus == filtro.estatus)
    return query


def resumen(cert: Certificate, institucion: str, campus: str) -> CertificadoResumen:
    return CertificadoResumen(
        institucion=institucion,
        campus=campus,
        nombre=cert.nombre_completo,
        curp=cert.curp,
        carrera=cert.carrera,
        folio_pago=cert.folio_pago,
        folio_control=cert.folio_control,
        folio_digital=cert.folio_digital,
        lugar_expedicion=cert.lugar_expedicion,
        fecha_expedicion=cert.fecha_expedicion,
        fecha_carga=cert.fecha_carga,
        estatus=cert.estatus,
    )


def consulta_certificados(
    session: Session, who: Principal, filtro: FiltroCertificados, pagina: int, registros_por_pagina: int
) -> PaginaCertificados:
    if not 1 <= registros_por_pagina <= MAX_PAGE_SIZE:
        raise SolicitudInvalida(
            f"registrosPorPagina debe estar entre 1 y {MAX_PAGE_SIZE} (se recibió {registros_por_pagina})."
        )
    if pagina < 1:
        raise SolicitudInvalida(f"pagina empieza en 1 (se recibió {pagina}).")
    query = filtered(who, filtro)
    total = int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = session.execute(
        query.order_by(
            Certificate.fecha_carga, Certificate.folio_control, Certificate.institution_id, Certificate.id
        )
        .offset((pagina - 1) * registros_por_pagina)
        .limit(registros_por_pagina)
    ).all()
    return PaginaCertificados(
        total_registros=total,
        pagina=pagina,
        registros_por_pagina=registros_por_pagina,
        certificados=tuple(resumen(c, inst, campus) for c, inst, campus in rows),
    )


def _file_name(folio_control: str, suffix: str = ".xml") -> str:
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", folio_control).strip("._") or "certificado") + suffix


def descarga_certificado(
    session: Session,
    who: Principal,
    folio_control: str,
    formato: FormatoCertificado,
    *,
    settings: Settings | None = None,
) -> Archivo:
    """The stamped XML, or its printable PDF (``settings.public_url`` gives the QR's verification URL;
    ``None`` means :meth:`Settings.from_env`)."""
    if formato not in (FormatoCertificado.XML, FormatoCertificado.PDF):
        raise SolicitudInvalida(f"Formato no admitido: {formato}. Formatos disponibles: XML, PDF.")
    folio_control = (folio_control or "").strip()
    query = select(Certificate).where(Certificate.folio_control == folio_control)
    if not who.is_operator:
        query = query.where(Certificate.institution_id == who.institution_id)
    found = session.scalars(query.order_by(Certificate.id).limit(2)).all()
    if not found:
        raise CertificadoInexistente(
            f"El certificado con folio de control «{folio_control}» no existe "
            "o no corresponde a su institución."
        )
    if len(found) > 1:
        raise SolicitudInvalida(
            f"El folio de control «{folio_control}» existe en varias instituciones; "
            "descárguelo con un usuario de la institución correspondiente."
        )
    cert = found[0]
    if formato == FormatoCertificado.PDF:
        url = verification_url(settings or Settings.from_env(), cert.folio_digital)
        pdf = render_certificate_pdf(cert.stamped_xml, estatus=cert.estatus, verification_url=url)
        return Archivo(nombre_archivo=_file_name(folio_control, ".pdf"), contenido=pdf)
    return Archivo(nombre_archivo=_file_name(folio_control), contenido=cert.stamped_xml)
