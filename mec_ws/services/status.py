"""``consultaEstatusCarga`` and ``descargaResultadoCarga``.

While a batch is processed its ``mensaje`` tells how many files were checked so far (the worker
writes that progress); once processed, every file is listed with its findings.  ``intentosUsados``
and ``intentosRestantes`` are the one count of :mod:`mec_ws.services.attempts` (used: judged
batches; a batch being processed holds its attempt, so it is not among those left; none left once
the folio is accepted).  Another institution's folio or batch is
"not found"; an SEP operator sees all.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mec_ws.batches.processing import UPLOAD_ORDINAL
from mec_ws.batches.results import ResultFile, build_result_zip
from mec_ws.errors import CargaEnProceso, LoteInexistente
from mec_ws.services.attempts import tally
from mec_ws.services.dto import (
    Archivo,
    ArchivoDetalle,
    Error,
    EstatusArchivo,
    EstatusCarga,
    EstatusLote,
    Lote,
    Principal,
)
from mec_ws.services.upload import folio_not_found
from models import Batch, BatchFile, Certificate, FolioPago

PROCESSED = (EstatusLote.ACEPTADO, EstatusLote.RECHAZADO, EstatusLote.FALLIDO)


def _visible(who: Principal, institution_id: str) -> bool:
    return who.is_operator or who.institution_id == institution_id


def _detalle(row: BatchFile) -> ArchivoDetalle:
    return ArchivoDetalle(
        nombre=row.nombre,
        folio_control=row.folio_control,
        estatus=row.estatus,
        errores=tuple(
            Error(
                codigo=str(e.get("codigo", "")),
                mensaje=str(e.get("mensaje", "")),
                ubicacion=str(e.get("ubicacion") or ""),
            )
            for e in row.errores
        ),
    )


def _lote(batch: Batch) -> Lote:
    processed = batch.estatus in PROCESSED
    return Lote(
        numero_lote=batch.numero_lote,
        nombre_archivo=batch.nombre_archivo,
        intento=batch.intento,
        estatus=batch.estatus,
        fecha_carga=batch.received_at,
        fecha_proceso=batch.processed_at if processed else None,
        total_archivos=batch.total_archivos,
        archivos_con_error=batch.archivos_con_error,
        mensaje=batch.mensaje,
        detalle=tuple(_detalle(f) for f in batch.files) if processed else (),
    )


def consulta_estatus_carga(session: Session, who: Principal, folio_pago: str) -> EstatusCarga:
    folio_pago = (folio_pago or "").strip()
    folio = session.scalars(
        select(FolioPago)
        .where(FolioPago.folio == folio_pago)
        .options(selectinload(FolioPago.batches).selectinload(Batch.files))
    ).one_or_none()
    if folio is None or not _visible(who, folio.institution_id):
        raise folio_not_found(folio_pago)
    batches = sorted(folio.batches, key=lambda b: (b.received_at, b.numero_lote))
    count = tally(b.estatus for b in batches)  # FALLIDO: neither used nor held
    return EstatusCarga(
        folio_pago=folio.folio,
        cantidad_certificados=folio.cantidad,
        intentos_usados=count.used,
        intentos_restantes=count.left,
        estatus_folio=folio.estatus,
        lotes=tuple(_lote(b) for b in batches),
    )


def _files_by_digital(session: Session, batch: Batch) -> dict[str, BatchFile]:
    """folio digital -> the file it was stamped from, for an accepted batch.

    The worker inserts a batch's certificates in file order, so the n-th certificate (by id) is the
    n-th file (by ordinal): that pairs files without a folioControl too.  When the two lists do not
    line up (a batch of an older version), files are paired by folioControl alone.
    """
    certs = session.execute(
        select(Certificate.folio_control, Certificate.folio_digital)
        .where(Certificate.batch_id == batch.numero_lote)
        .order_by(Certificate.id)
    ).all()
    files = sorted((f for f in batch.files if f.ordinal != UPLOAD_ORDINAL), key=lambda f: f.ordinal)
    if len(files) == len(certs) and all(f.folio_control == c[0] for f, c in zip(files, certs, strict=True)):
        return {c[1]: f for f, c in zip(files, certs, strict=True)}
    by_folio = {f.folio_control: f for f in files if f.folio_control}
    return {digital: by_folio[fc] for fc, digital in certs if fc in by_folio}


def _stamped(session: Session, numero_lote: int, files: dict[str, BatchFile]) -> Iterator[tuple[str, bytes]]:
    rows = session.execute(
        select(Certificate.folio_control, Certificate.folio_digital, Certificate.stamped_xml)
        .where(Certificate.batch_id == numero_lote)
        .order_by(Certificate.id)
        .execution_options(yield_per=100)
    )
    for folio_control, folio_digital, xml in rows:
        source = files.get(folio_digital)
        yield (source.nombre if source else f"{folio_control or folio_digital}.xml"), xml


def descarga_resultado_carga(session: Session, who: Principal, numero_lote: int) -> Archivo:
    batch = session.get(Batch, numero_lote)
    if batch is None or not _visible(who, batch.institution_id):
        raise LoteInexistente(f"El lote {numero_lote} no existe o no corresponde a su institución.")
    if batch.estatus not in PROCESSED:
        raise CargaEnProceso(
            f"El lote {numero_lote} aún se está procesando ({batch.mensaje}); "
            "su resultado estará disponible al terminar."
        )
    accepted = batch.estatus is EstatusLote.ACEPTADO
    by_digital = _files_by_digital(session, batch) if accepted else {}
    digital_of = {f.ordinal: digital for digital, f in by_digital.items()}
    files = [
        ResultFile(
            nombre=f.nombre,
            folio_control=f.folio_control,
            estatus=f.estatus,
            errores=tuple(f.errores),
            folio_digital=digital_of.get(f.ordinal),
        )
        for f in batch.files
    ]
    if batch.estatus is EstatusLote.FALLIDO:  # nothing was judged: say so, in the batch's own words
        files = [
            ResultFile(
                nombre=batch.nombre_archivo,
                folio_control=None,
                estatus=EstatusArchivo.CON_ERRORES,
                errores=({"codigo": str(EstatusLote.FALLIDO), "mensaje": batch.mensaje, "estatus": "ERROR"},),
            )
        ]
    stamped = _stamped(session, numero_lote, by_digital) if accepted else iter(())
    return Archivo(f"resultado-lote-{numero_lote}.zip", archivo=build_result_zip(files, stamped))
