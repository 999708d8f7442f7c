"""``validaCertificados``: check files as the worker would, storing and spending nothing.

The same steps as an upload and its processing, synchronously and without writing anything:

1. the package (:mod:`mec_ws.batches.intake`): empty, too large, neither XML nor ZIP, and every
   package fault → ``ArchivoInvalido``; more than ``MEC_VALIDA_MAX_ARCHIVOS`` certificates →
   ``ArchivoInvalido`` saying the limit (checked before any entry is inflated);
2. with ``folioPago``: the folio must be the caller's (else ``FolioInexistente``) and the package
   must hold what it covers (else ``CantidadNoCoincide``, both numbers);
3. every file through :func:`mec_ws.validation.iter_validate` with the institution's registry from
   the database (:func:`mec_ws.services.registry_source.context_for`: campuses, officers, study
   programs, trusted CAs, folioControl already accepted), exactly as the worker's pass 1.

The answer lists every file as ``consultaEstatusCarga`` lists a processed batch's files.  No batch,
no stored file, no attempt: the session is only read and always rolled back by the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws.batches.intake import check_count, check_upload, scan_package
from mec_ws.config import Settings
from mec_ws.errors import SolicitudInvalida
from mec_ws.findings import Finding
from mec_ws.incoming import IncomingFile
from mec_ws.services.dto import (
    ArchivoDetalle,
    Error,
    EstatusArchivo,
    Principal,
    ResultadoValidacion,
)
from mec_ws.services.registry_source import context_for
from mec_ws.services.upload import MAX_NAME, folio_not_found
from mec_ws.validation import iter_validate
from models import FolioPago


def _error(f: Finding) -> Error:
    return Error(codigo=f.code, mensaje=f.message, ubicacion=f.location)


def _mensaje(total: int, with_errors: int) -> str:
    if with_errors == 0:
        return (
            f"Los {total} archivo(s) pasan todas las validaciones; una carga con ellos sería aceptada "
            "si nada cambia antes. No se guardó nada ni se consumió ningún intento."
        )
    return (
        f"{with_errors} de {total} archivo(s) tienen errores; una carga con ellos sería rechazada. "
        "No se guardó nada ni se consumió ningún intento."
    )


def valida_certificados(
    session: Session,
    who: Principal,
    nombre_archivo: str,
    contenido: bytes | IncomingFile,
    folio_pago: str | None,
    *,
    settings: Settings,
    now: datetime,
) -> ResultadoValidacion:
    if who.institution_id is None:
        raise SolicitudInvalida(
            "Solo un usuario de una institución puede validar certificados contra su registro."
        )
    nombre = (nombre_archivo or "").strip()[:MAX_NAME] or "carga"
    check_upload(contenido, settings)
    scan = scan_package(contenido, settings, nombre, max_certificates=settings.valida_max_archivos)
    folio_pago = (folio_pago or "").strip()
    if folio_pago:
        folio = session.scalars(select(FolioPago).where(FolioPago.folio == folio_pago)).one_or_none()
        if folio is None or folio.institution_id != who.institution_id:
            raise folio_not_found(folio_pago)
        check_count(scan.candidate_count, folio.folio, folio.cantidad)
    ctx = context_for(session, who.institution_id, now=now, settings=settings)
    detalle: list[ArchivoDetalle] = []
    for result in iter_validate(scan.entries(), ctx):
        detalle.append(
            ArchivoDetalle(
                nombre=result.name,
                folio_control=result.folio_control,
                estatus=EstatusArchivo.CORRECTO if result.ok else EstatusArchivo.CON_ERRORES,
                errores=tuple(_error(f) for f in result.findings),
            )
        )
    with_errors = sum(1 for d in detalle if d.estatus is EstatusArchivo.CON_ERRORES)
    return ResultadoValidacion(
        total_archivos=len(detalle),
        archivos_con_error=with_errors,
        mensaje=_mensaje(len(detalle), with_errors),
        detalle=tuple(detalle),
    )
