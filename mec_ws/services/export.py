"""``exportaCertificados`` — "Exportar todo": every certificate matching a filter, as CSV or XLSX.

Same visibility, filters and order as ``consultaCertificados`` (:func:`mec_ws.services.query.filtered`
builds the query for both), without paging.  Rows are streamed: only the exported columns are
selected (never the stored XML), fetched ``CHUNK_ROWS`` at a time (``yield_per``: a server-side
cursor on PostgreSQL, the incremental sqlite3 cursor on SQLite), and written as they arrive to a
``SpooledTemporaryFile`` that moves to disk past ``SPOOL_BYTES``.  The finished file is handed out
still in that temporary file (:class:`~mec_ws.services.dto.Archivo`): the SOAP endpoint streams its
base64 and the portal its download, so neither the rows nor the file are ever held whole.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.reports.export import MEXICO_CITY, write_csv, write_xlsx
from mec_ws.services.dto import (
    Archivo,
    CertificadoResumen,
    EstatusCertificado,
    FiltroCertificados,
    FormatoExportacion,
    Principal,
)
from mec_ws.services.query import filtered, listing_order
from models import Campus, Certificate, Institution

CHUNK_ROWS = 2_000
SPOOL_BYTES = 16 * 1024 * 1024

_COLUMNS = (
    Institution.name,
    Campus.name,
    Certificate.nombre_completo,
    Certificate.curp,
    Certificate.carrera,
    Certificate.folio_pago,
    Certificate.folio_control,
    Certificate.folio_digital,
    Certificate.lugar_expedicion,
    Certificate.fecha_expedicion,
    Certificate.fecha_carga,
    Certificate.estatus,
)


def export_file_name(formato: FormatoExportacion, now: datetime | None = None) -> str:
    """``certificados-<yyyymmdd-hhmmss>.csv|.xlsx``, stamped in Mexico City time."""
    moment = (now or datetime.now(UTC)).astimezone(MEXICO_CITY)
    return f"certificados-{moment:%Y%m%d-%H%M%S}.{formato.value.lower()}"


def _resumen(row: Row[Any]) -> CertificadoResumen:
    (
        institucion,
        campus,
        nombre,
        curp,
        carrera,
        folio_pago,
        folio_control,
        folio_digital,
        lugar,
        fexp,
        fcarga,
        estatus,
    ) = row
    return CertificadoResumen(
        institucion=institucion,
        campus=campus,
        nombre=nombre,
        curp=curp,
        carrera=carrera,
        folio_pago=folio_pago,
        folio_control=folio_control,
        folio_digital=folio_digital,
        lugar_expedicion=lugar,
        fecha_expedicion=fexp,
        fecha_carga=fcarga,
        estatus=EstatusCertificado(estatus),
    )


def iter_certificados(
    session: Session, who: Principal, filtro: FiltroCertificados, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[CertificadoResumen]:
    """Every certificate ``who`` may see matching ``filtro``, in ``consultaCertificados`` order.

    The filter is checked (``SolicitudInvalida``) and the query started before this returns; the
    rows then arrive ``chunk_rows`` at a time as the iterator is consumed.
    """
    query = (
        filtered(who, filtro)
        .with_only_columns(*_COLUMNS)
        .order_by(*listing_order())
        .execution_options(yield_per=chunk_rows)
    )
    return map(_resumen, session.execute(query))


def exporta_certificados(
    session: Session,
    who: Principal,
    filtro: FiltroCertificados,
    formato: FormatoExportacion,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Archivo:
    """The export file of every matching certificate (``SolicitudInvalida`` for a bad filter).

    ``settings`` is accepted for the edge's uniform call shape (and future export limits); the
    export itself depends only on the data.
    """
    del settings
    writer = {FormatoExportacion.CSV: write_csv, FormatoExportacion.XLSX: write_xlsx}[
        FormatoExportacion(formato)
    ]
    rows = iter_certificados(session, who, filtro)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed out, open
    try:
        writer(rows, spool)  # type: ignore[arg-type]
    except BaseException:
        spool.close()
        raise
    name = export_file_name(FormatoExportacion(formato), now)  # the app's clock: the moment it was made
    return Archivo(name, archivo=spool)  # type: ignore[arg-type]
