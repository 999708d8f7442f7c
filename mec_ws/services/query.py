"""``consultaCertificados`` and ``descargaCertificado`` (XML or PDF).

Every filter is optional and they combine with AND.  Date filters on ``fechaCarga`` are calendar
dates in Mexico City time, both ends inclusive (the day ``hasta`` counts whole); ``fechaExpedicion``
is a calendar date already.  Results are ordered by ``fechaCarga`` then ``folioControl`` (certificates
without one after those with one, explicitly: SQLite and PostgreSQL place NULLs differently by
default) then the institution and the row id, so that pages are stable even across institutions for
an SEP operator.  ``institucion`` and ``campus`` in the results are the registered names.  An IPES user
sees only its institution; an SEP operator sees all, or one institution with ``idInstitucion``.

At national scale (``benchmarks/queries.py``, a million rows): ``totalRegistros`` is exact — a sum
over the trigger-kept :class:`models.CertificateCount` when only institution, campus and estatus
filter, else a ``COUNT`` on ``certificates`` without joins — and a page is located on ids by an
index-only scan of an ordered index, from whichever end of the order is nearer, before its rows are
read and joined.  A deep page of a result filtered by nothing or only by the institution starts the
scan at a month boundary instead: the trigger-kept :class:`models.CertificateMonthCount` says how
many rows come before each month (``fechaCarga`` leads the order), so only rows inside one month
are skipped.

Extreme dates are clamped, never an error: ``fechaCargaHasta`` on the last representable day
(9999-12-31) means "no upper bound", and ``fechaCargaDesde`` before 1900 "no lower bound" (no
certificate was loaded outside that range).  A page past the last one is simply empty.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, defer

from mec_ws.config import Settings
from mec_ws.errors import CertificadoInexistente, Interno, SolicitudInvalida, XmlReadError
from mec_ws.reports.pdf import render_certificate_pdf, verification_url
from mec_ws.services.dto import (
    Archivo,
    CertificadoResumen,
    FiltroCertificados,
    FormatoCertificado,
    PaginaCertificados,
    Principal,
)
from models import Campus, Certificate, CertificateCount, CertificateMonthCount, Institution

log = logging.getLogger(__name__)

MEXICO_CITY = ZoneInfo("America/Mexico_City")
MAX_PAGE_SIZE = 500
EARLIEST_LOAD_DAY = date(1900, 1, 1)
# A page at least this many rows from the nearer end of a result filtered by nothing or only by
# the institution is reached from the nearest month boundary (``_walk``).
DEEP_PAGE_ROWS = 5_000


def listing_order() -> tuple[ColumnElement[Any], ...]:
    """The order of ``consultaCertificados`` and its export: total, and the same on every database."""
    return page_order()


@dataclass(frozen=True, slots=True)
class CertificateKey:
    """How a request names one certificate: by ``folioControl`` or by ``folioDigital``."""

    folio_control: str | None
    folio_digital: str | None

    @classmethod
    def of(cls, folio_control: str | None, folio_digital: str | None) -> CertificateKey:
        """Exactly one of the two, else ``SolicitudInvalida`` (blank counts as absent)."""
        control, digital = _text(folio_control), _text(folio_digital)
        if control and digital:
            raise SolicitudInvalida(
                "Indique solo uno de folioControl o folioDigital para identificar el certificado, no ambos."
            )
        if not control and not digital:
            raise SolicitudInvalida(
                "Indique el folioControl o el folioDigital del certificado (exactamente uno de los dos); "
                "un certificado sin folioControl se identifica por su folioDigital."
            )
        return cls(control, digital)

    def condition(self) -> ColumnElement[bool]:
        if self.folio_digital is not None:
            return Certificate.folio_digital == self.folio_digital
        return Certificate.folio_control == self.folio_control

    def described(self) -> str:
        """Spanish, for messages: «folio de control «X»» or «folio digital «Y»»."""
        if self.folio_digital is not None:
            return f"folio digital «{self.folio_digital}»"
        return f"folio de control «{self.folio_control}»"


def start_of_day(day: date) -> datetime:
    """The instant a Mexico City calendar day begins (aware)."""
    return datetime.combine(day, time.min, tzinfo=MEXICO_CITY)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_range(desde: date | None, hasta: date | None, what: str) -> None:
    if desde is not None and hasta is not None and desde > hasta:
        raise SolicitudInvalida(f"{what}: la fecha «desde» ({desde}) es posterior a «hasta» ({hasta}).")


def conditions(who: Principal, filtro: FiltroCertificados) -> list[ColumnElement[bool]]:
    """The WHERE conditions (on ``certificates`` alone) of what ``who`` may see matching ``filtro``."""
    where: list[ColumnElement[bool]] = []
    if not who.is_operator:
        where.append(Certificate.institution_id == who.institution_id)
    if inst := _text(filtro.id_institucion):
        # Within what the caller sees: an IPES user's own id changes nothing, another's matches
        # nothing (an empty result, as for any other institution's data: "not found").
        where.append(Certificate.institution_id == inst)
    for column, value in (
        (Certificate.campus_id, filtro.id_campus),
        (Certificate.folio_pago, filtro.folio_pago),
        (Certificate.folio_control, filtro.folio_control),
        (Certificate.folio_digital, filtro.folio_digital),
        (Certificate.curp, filtro.curp.upper() if filtro.curp else None),
    ):
        if text := _text(value):
            where.append(column == text)
    _check_range(filtro.fecha_expedicion_desde, filtro.fecha_expedicion_hasta, "fechaExpedicion")
    _check_range(filtro.fecha_carga_desde, filtro.fecha_carga_hasta, "fechaCarga")
    if filtro.fecha_expedicion_desde is not None:
        where.append(Certificate.fecha_expedicion >= filtro.fecha_expedicion_desde)
    if filtro.fecha_expedicion_hasta is not None:
        where.append(Certificate.fecha_expedicion <= filtro.fecha_expedicion_hasta)
    if filtro.fecha_carga_desde is not None and filtro.fecha_carga_desde > EARLIEST_LOAD_DAY:
        where.append(Certificate.fecha_carga >= start_of_day(filtro.fecha_carga_desde))
    if filtro.fecha_carga_hasta is not None and filtro.fecha_carga_hasta < date.max:
        where.append(Certificate.fecha_carga < start_of_day(filtro.fecha_carga_hasta + timedelta(days=1)))
    if filtro.estatus is not None:
        where.append(Certificate.estatus == filtro.estatus)
    return where


def filtered(who: Principal, filtro: FiltroCertificados) -> Select[tuple[Certificate, str, str]]:
    """The certificates ``who`` may see that match ``filtro``, with institution and campus names."""
    return (
        select(Certificate, Institution.name, Campus.name)
        .join(Institution, Institution.id == Certificate.institution_id)
        .join(Campus, Campus.id == Certificate.campus_id)
        .where(*conditions(who, filtro))
    )


def page_order(*, descending: bool = False) -> tuple[ColumnElement[Any], ...]:
    """The stable order of results: ``fechaCarga``, ``folioControl`` (certificates without one after
    those with one, explicitly on both databases), institution, row id; ``descending`` is its exact
    reverse (PostgreSQL's defaults, so its ordered indexes serve both directions)."""
    if descending:
        return (
            Certificate.fecha_carga.desc(),
            Certificate.folio_control.desc().nulls_first(),
            Certificate.institution_id.desc(),
            Certificate.id.desc(),
        )
    return (
        Certificate.fecha_carga.asc(),
        Certificate.folio_control.asc().nulls_last(),
        Certificate.institution_id.asc(),
        Certificate.id.asc(),
    )


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


def _counted_only_by_kept_columns(filtro: FiltroCertificados) -> bool:
    """Whether ``filtro`` filters by nothing but institution, campus and estatus."""
    return not any(
        (
            _text(filtro.folio_pago),
            _text(filtro.folio_control),
            _text(filtro.folio_digital),
            _text(filtro.curp),
            filtro.fecha_expedicion_desde,
            filtro.fecha_expedicion_hasta,
            filtro.fecha_carga_desde,
            filtro.fecha_carga_hasta,
        )
    )


def _by_institution_only(filtro: FiltroCertificados) -> bool:
    """Whether ``filtro`` filters by nothing but (perhaps) the institution."""
    return _counted_only_by_kept_columns(filtro) and not _text(filtro.id_campus) and filtro.estatus is None


def month_start(mes: str) -> datetime:
    """The first instant (UTC) of the month ``'YYYY-MM'`` of :class:`models.CertificateMonthCount`.

    On PostgreSQL the trigger's bucket is the UTC month of a ``timestamptz``; on SQLite it is the
    first seven characters of the stored naive-UTC text, which compares as text with this bound
    (bound as ``YYYY-MM-01 00:00:00.000000``): either way the month's rows are exactly those from
    this instant up to the next month's.
    """
    return datetime(int(mes[:4]), int(mes[5:7]), 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Walk:
    """How a page is reached: skip ``skip`` rows of the order, forward from ``boundary`` (rows with
    ``fecha_carga >= boundary``) or backwards from it (rows with ``fecha_carga < boundary``);
    ``boundary`` ``None`` is the start (forward) or the end (backwards) of the whole order."""

    boundary: datetime | None
    backwards: bool
    skip: int


def _walk(offset: int, limit: int, total: int, months: list[tuple[str, int]]) -> Walk:
    """The shortest walk to rows ``offset .. offset + limit - 1`` of ``total``, from either end or
    from the start of one of ``months`` (in order, each with its number of rows)."""
    after = total - offset - limit  # rows after the page
    best = Walk(None, True, after) if after < offset else Walk(None, False, offset)
    before = 0  # rows before the month
    for mes, n in months:
        if before <= offset and offset - before < best.skip:
            best = Walk(month_start(mes), False, offset - before)
        elif before >= offset + limit and before - offset - limit < best.skip:
            best = Walk(month_start(mes), True, before - offset - limit)
        before += n
    return best


def _month_counts(session: Session, who: Principal, filtro: FiltroCertificados) -> list[tuple[str, int]]:
    """Rows per month, in order, of what ``who`` sees filtered only by institution (or nothing)."""
    inst = _text(filtro.id_institucion) if who.is_operator else who.institution_id
    if inst:
        query = (
            select(CertificateMonthCount.mes, CertificateMonthCount.n)
            .where(CertificateMonthCount.institution_id == inst)
            .order_by(CertificateMonthCount.mes)
        )
    else:  # every institution: an index-only scan of ix_certificate_month_counts_mes_n
        query = (
            select(CertificateMonthCount.mes, func.sum(CertificateMonthCount.n))
            .group_by(CertificateMonthCount.mes)
            .order_by(CertificateMonthCount.mes)
        )
    return [(mes, int(n)) for mes, n in session.execute(query)]


def _total(
    session: Session, who: Principal, filtro: FiltroCertificados, where: list[ColumnElement[bool]]
) -> int:
    """The exact number of matching certificates.

    Filtered only by institution, campus and estatus, it is the sum of the kept counts
    (:class:`models.CertificateCount`, a few rows); otherwise a ``COUNT`` over ``certificates``
    alone (every row has its institution and campus, so the joins would not change it).
    """
    if _counted_only_by_kept_columns(filtro):
        kept: list[ColumnElement[bool]] = []
        inst = _text(filtro.id_institucion) if who.is_operator else who.institution_id
        asked = _text(filtro.id_institucion)
        if not who.is_operator and asked and asked != who.institution_id:
            return 0  # another institution's data does not exist for an IPES user
        if inst:
            kept.append(CertificateCount.institution_id == inst)
        if campus := _text(filtro.id_campus):
            kept.append(CertificateCount.campus_id == campus)
        if filtro.estatus is not None:
            kept.append(CertificateCount.estatus == filtro.estatus)
        return int(session.scalar(select(func.coalesce(func.sum(CertificateCount.n), 0)).where(*kept)) or 0)
    return int(session.scalar(select(func.count()).select_from(Certificate).where(*where)) or 0)


def consulta_certificados(
    session: Session, who: Principal, filtro: FiltroCertificados, pagina: int, registros_por_pagina: int
) -> PaginaCertificados:
    if not 1 <= registros_por_pagina <= MAX_PAGE_SIZE:
        raise SolicitudInvalida(
            f"registrosPorPagina debe estar entre 1 y {MAX_PAGE_SIZE} (se recibió {registros_por_pagina})."
        )
    if pagina < 1:
        raise SolicitudInvalida(f"pagina empieza en 1 (se recibió {pagina}).")
    where = conditions(who, filtro)
    total = _total(session, who, filtro, where)
    offset = (pagina - 1) * registros_por_pagina
    if offset >= total:
        rows: list[Any] = []
    else:
        # The page is found on ids alone (the ordered/covering indexes of ``models.Certificate``
        # make that an index-only scan), and only its rows are then read whole and joined.  A page
        # past the middle is taken from the other end of the order, so the last pages cost what
        # the first ones do.  A deep page of a result filtered by nothing or only by the
        # institution (the large ones) starts from the nearest month boundary instead, known from
        # the kept month counts: ``fecha_carga`` leads the order, so every row of a month comes
        # before every row of the next, and only rows inside one month are skipped.
        limit = min(registros_por_pagina, total - offset)
        walk = _walk(offset, limit, total, [])
        if walk.skip >= DEEP_PAGE_ROWS and _by_institution_only(filtro):
            walk = _walk(offset, limit, total, _month_counts(session, who, filtro))
        bounded = list(where)
        if walk.boundary is not None:
            bounded.append(
                Certificate.fecha_carga < walk.boundary
                if walk.backwards
                else Certificate.fecha_carga >= walk.boundary
            )
        ids = (
            select(Certificate.id)
            .where(*bounded)
            .order_by(*page_order(descending=walk.backwards))
            .offset(walk.skip)
            .limit(limit)
            .subquery()
        )
        rows = list(
            session.execute(
                select(Certificate, Institution.name, Campus.name)
                .join(ids, ids.c.id == Certificate.id)
                .join(Institution, Institution.id == Certificate.institution_id)
                .join(Campus, Campus.id == Certificate.campus_id)
                .options(defer(Certificate.stamped_xml))
                .order_by(*page_order())
            ).all()
        )
    return PaginaCertificados(
        total_registros=total,
        pagina=pagina,
        registros_por_pagina=registros_por_pagina,
        certificados=tuple(resumen(c, inst, campus) for c, inst, campus in rows),
    )


def _file_name(stem: str, suffix: str = ".xml") -> str:
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "certificado") + suffix


def descarga_certificado(
    session: Session,
    who: Principal,
    folio_control: str | None,
    formato: FormatoCertificado,
    *,
    folio_digital: str | None = None,
    settings: Settings | None = None,
) -> Archivo:
    """The stamped XML, or its printable PDF (``settings.public_url`` gives the QR's verification URL;
    ``None`` means :meth:`Settings.from_env`).

    The certificate is named by exactly one of ``folio_control`` (unique within an institution: an
    IPES user gets its own) and ``folio_digital`` (unique everywhere: how an SEP operator names one
    certificate, and the only name of a certificate without folioControl).
    """
    key = CertificateKey.of(folio_control, folio_digital)
    if formato not in (FormatoCertificado.XML, FormatoCertificado.PDF):
        raise SolicitudInvalida(f"Formato no admitido: {formato}. Formatos disponibles: XML, PDF.")
    query = select(Certificate).where(key.condition())
    if not who.is_operator:
        query = query.where(Certificate.institution_id == who.institution_id)
    found = session.scalars(query.order_by(Certificate.id).limit(2)).all()
    if not found:
        raise CertificadoInexistente(
            f"El certificado con {key.described()} no existe o no corresponde a su institución."
        )
    if len(found) > 1:
        raise SolicitudInvalida(
            f"El {key.described()} existe en varias instituciones; indique el folioDigital del "
            "certificado, o descárguelo con un usuario de la institución correspondiente."
        )
    cert = found[0]
    stem = cert.folio_control or cert.folio_digital
    if formato == FormatoCertificado.PDF:
        url = verification_url(settings or Settings.from_env(), cert.folio_digital)
        try:
            pdf = render_certificate_pdf(cert.stamped_xml, estatus=cert.estatus, verification_url=url)
        except (XmlReadError, ValueError):  # what we stored and stamped: our fault, not the client's
            log.exception("el certificado %s guardado no se pudo convertir a PDF", cert.folio_digital)
            raise Interno(
                "No se pudo generar el PDF del certificado guardado; el problema es del servicio y ya "
                "quedó registrado. Puede descargar el XML sellado mientras se corrige."
            ) from None
        return Archivo(nombre_archivo=_file_name(stem, ".pdf"), contenido=pdf)
    return Archivo(nombre_archivo=_file_name(stem), contenido=cert.stamped_xml)
