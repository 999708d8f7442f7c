"""Processing one claimed batch: validate everything, then stamp and store all or reject all.

The upload is read once, entry by entry (never the whole batch as trees): each file is parsed once,
validated with the engine fed from the database (the registry loaded once per batch), and only
small metadata is kept (name, folioControl, findings).  While every file so far is correct, each
one is also stamped with the SEP signer right after its validation, on the tree validation already
parsed, and its stamped XML is spooled to an anonymous temporary file with the few values its
``Certificate`` row needs; the first file with an error stops the stamping and empties the spool.
The batch is accepted when no file has an ERROR finding, the upload itself has none (``ZIP_*``) and
the number of files equals what the folio covers (else ``CANTIDAD_NO_COINCIDE``); stamps of a
rejected batch are discarded unread, so the batch stays all or nothing.  A failure to stamp (no
usable SEP key, an unexpected error) is kept and raised only if the batch is accepted: a batch that
is rejected anyway is judged as if nothing had been stamped.

When accepted, one transaction inserts every ``Certificate``, the per-file detail, marks the batch
``ACEPTADO`` and the folio ``ACEPTADO``.  A rejection is one transaction too: the detail, the batch
``RECHAZADO`` and one attempt of the folio consumed (``AGOTADO`` after the last).  Both final
transactions first lock the batch row and check that this worker still holds the claim, so a worker
whose lease expired and was taken over writes nothing.  Until then the only writes are progress
updates, so a worker killed mid-batch leaves nothing behind but its claim.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mec_ws.batches import attempts
from mec_ws.batches.intake import count_message
from mec_ws.batches.signer import load_sep_signer
from mec_ws.batches.storage import BatchStorage
from mec_ws.batches.zipread import UploadLimits, UploadScan, iter_upload
from mec_ws.certificate.document import DecDocument
from mec_ws.certificate.stamp import SepSigner, stamp
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError
from mec_ws.findings import Finding, Status
from mec_ws.registry_source import context_for
from mec_ws.validation import FileResult, iter_validate
from models import Batch, BatchFile, Certificate, FolioPago
from models.enums import EstatusArchivo, EstatusCertificado, EstatusLote

log = logging.getLogger(__name__)

UPLOAD_ORDINAL = 0
"""``BatchFile.ordinal`` of the row that carries the findings of the upload as a whole."""

INSERT_CHUNK = 200
SPOOL_BUFFER = 1024 * 1024


class ClaimLost(Exception):
    """Another worker took the batch over (this worker's lease expired): stop, write nothing."""


class RetryBatch(Exception):
    """The final transaction met a conflict (e.g. a folioControl accepted meanwhile): run again."""


@dataclass(frozen=True)
class ChunkPolicy:
    """How chunks of a large batch are claimed: the worker's lease and staleness, its clock."""

    lease: timedelta = timedelta(minutes=5)
    stale: timedelta = timedelta(seconds=30)
    wait_seconds: float = 0.2  # how often a coordinator looks at chunks other workers hold
    now: Callable[[Session], datetime] | None = None  # None: the database's clock (db.database_now)


ProgressFn = Callable[[int, int, str], None]
"""(files done, files known, Spanish message) — may raise :class:`ClaimLost`."""


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What processing keeps of one file."""

    ordinal: int
    name: str
    folio_control: str | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.status is Status.ERROR for f in self.findings)


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    numero_lote: int
    accepted: bool
    total: int
    with_errors: int
    upload_findings: tuple[Finding, ...]
    mensaje: str


@dataclass(frozen=True, slots=True)
class _BatchInfo:
    numero_lote: int
    institution_id: str
    folio_id: int
    folio: str
    cantidad: int
    nombre_archivo: str
    stored_path: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class _Stamped:
    """A certificate ready to insert; its stamped XML is in the spool at ``offset``."""

    ordinal: int
    folio_control: str | None  # None (stored NULL) when the certificate has no folioControl
    folio_digital: str
    campus_id: str
    curp: str
    nombre_completo: str
    carrera: str
    id_carrera: str
    clave_plan: str
    lugar_expedicion: str
    fecha_expedicion: date
    offset: int
    length: int


def finding_dict(f: Finding) -> dict[str, Any]:
    return {"codigo": f.code, "mensaje": f.message, "ubicacion": f.location, "estatus": str(f.status)}


def _load_info(session: Session, numero_lote: int) -> _BatchInfo:
    row = session.execute(
        select(Batch, FolioPago)
        .join(FolioPago, FolioPago.id == Batch.folio_id)
        .where(Batch.numero_lote == numero_lote)
    ).one()
    batch, folio = row
    return _BatchInfo(
        numero_lote=batch.numero_lote,
        institution_id=batch.institution_id,
        folio_id=folio.id,
        folio=folio.folio,
        cantidad=folio.cantidad,
        nombre_archivo=batch.nombre_archivo,
        stored_path=batch.stored_path,
        received_at=batch.received_at,
    )


def _open(path: Path, info: _BatchInfo, settings: Settings) -> UploadScan:
    return iter_upload(path, UploadLimits.from_settings(settings), name=info.nombre_archivo)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _row_values(doc: DecDocument) -> dict[str, Any]:
    """The values of a ``Certificate`` row that come from the document (read from its nodes)."""
    alumno, carrera, expedicion = doc.alumno, doc.carrera, doc.expedicion
    return {
        "folio_control": _text(doc.dec.get("folioControl")) or None,
        "campus_id": _text(doc.ipes.get("idCampus")),
        "curp": _text(alumno.get("curp")),
        "nombre_completo": " ".join(
            p for p in (_text(alumno.get(a)) for a in ("nombre", "primerApellido", "segundoApellido")) if p
        ),
        "carrera": _text(carrera.get("nombreCarrera")),
        "id_carrera": _text(carrera.get("idCarrera")),
        "clave_plan": _text(carrera.get("clavePlan")),
        "lugar_expedicion": _text(expedicion.get("lugarExpedicion")),
        "fecha_expedicion": date.fromisoformat(_text(expedicion.get("fecha"))[:10]),
    }


class _Stamper:
    """Stamps the files of one batch as they are validated, while every file so far is correct.

    Each stamped XML goes to ``spool`` and a :class:`_Stamped` records where.  The first file with an
    error (or a failure to stamp) ends the stamping for this batch and empties the spool: the batch
    will be rejected (or the failure raised if it is accepted after all, see :meth:`result`).
    """

    def __init__(
        self,
        signer: SepSigner | None,
        failure: BaseException | None,
        spool: IO[bytes],
        clock: Callable[[], datetime],
    ) -> None:
        self.signer = signer
        self.failure = failure
        self.spool = spool
        self.clock = clock
        self.stamped: list[_Stamped] = []
        self.active = signer is not None and failure is None

    def add(self, ordinal: int, result: FileResult) -> None:
        if not self.active:
            return
        doc = result.document
        if not result.ok or doc is None:
            self.stop()
            return
        assert self.signer is not None
        try:
            row = _row_values(doc)
            # the tree validation parsed: the rules only read it (a changed tree needs a new view)
            stamped = stamp(doc.root, self.signer, now=self.clock())
        except Exception as exc:  # raised only if the batch is accepted (it was never stamped)
            self.stop(exc)
            return
        offset = self.spool.tell()
        self.spool.write(stamped.xml)
        self.stamped.append(
            _Stamped(
                ordinal=ordinal,
                folio_digital=stamped.folio_digital,
                offset=offset,
                length=len(stamped.xml),
                **row,
            )
        )

    def stop(self, failure: BaseException | None = None) -> None:
        self.active = False
        if failure is not None and self.failure is None:
            self.failure = failure
        self.stamped = []
        self.spool.seek(0)
        self.spool.truncate()

    def result(self, outcomes: list[FileOutcome]) -> list[_Stamped]:
        """The stamps of an accepted batch (one per file, in order); raises the stamping failure."""
        if self.failure is not None:
            raise self.failure
        if len(self.stamped) != len(outcomes):  # pragma: no cover - an accepted batch is all stamped
            raise RuntimeError(f"se sellaron {len(self.stamped)} de {len(outcomes)} archivos")
        return self.stamped


def _validate_all(
    info: _BatchInfo,
    scan: UploadScan,
    lookups: Session,
    settings: Settings,
    progress: ProgressFn,
    stamper: _Stamper,
) -> tuple[list[FileOutcome], tuple[Finding, ...]]:
    ctx = context_for(lookups, info.institution_id, now=info.received_at, settings=settings)
    lookups.rollback()
    known = scan.entry_count
    progress(0, known, f"En proceso: 0 de {known} archivos revisados.")
    outcomes: list[FileOutcome] = []
    result: FileResult
    for ordinal, result in enumerate(iter_validate(scan.entries(), ctx), start=1):
        lookups.rollback()  # end the read transaction the lookups opened
        outcomes.append(FileOutcome(ordinal, result.name, result.folio_control, result.findings))
        stamper.add(ordinal, result)
        known = max(known, ordinal)
        progress(ordinal, known, f"En proceso: {ordinal} de {known} archivos revisados.")
    upload_findings = list(scan.findings)
    if not upload_findings and len(outcomes) != info.cantidad:
        upload_findings.append(count_check(info, len(outcomes)))  # the upload refuses this already
    return outcomes, tuple(upload_findings)


def _lock_claimed(session: Session, numero_lote: int, worker_id: str) -> tuple[Batch, FolioPago]:
    batch = session.scalars(select(Batch).where(Batch.numero_lote == numero_lote).with_for_update()).one()
    if batch.estatus is not EstatusLote.EN_PROCESO or batch.claimed_by != worker_id:
        raise ClaimLost(f"el lote {numero_lote} ya no pertenece a {worker_id}")
    folio = session.scalars(select(FolioPago).where(FolioPago.id == batch.folio_id).with_for_update()).one()
    return batch, folio


def _file_rows(
    batch_id: int, outcomes: list[FileOutcome], upload_findings: tuple[Finding, ...], nombre: str
) -> Iterator[dict[str, Any]]:
    """The ``BatchFile`` rows of a batch, as parameter dicts for one executemany."""
    if upload_findings:
        yield {
            "batch_id": batch_id,
            "ordinal": UPLOAD_ORDINAL,
            "nombre": nombre,
            "folio_control": None,
            "estatus": EstatusArchivo.CON_ERRORES,
            "errores": [finding_dict(f) for f in upload_findings],
        }
    for o in outcomes:
        yield {
            "batch_id": batch_id,
            "ordinal": o.ordinal,
            "nombre": o.name,
            "folio_control": o.folio_control,
            "estatus": EstatusArchivo.CORRECTO if o.ok else EstatusArchivo.CON_ERRORES,
            "errores": [finding_dict(f) for f in o.findings],
        }


def _insert_chunked(
    session: Session, table: type[BatchFile] | type[Certificate], rows: Iterable[dict[str, Any]]
) -> None:
    """INSERT ``rows`` with one executemany per :data:`INSERT_CHUNK` rows (memory stays flat), as a
    Core statement on the session's connection: the rows are plain values, so the ORM's per-row
    bookkeeping of a bulk insert would only cost time in the batch's final transaction."""
    statement = insert(table.__table__)
    connection = session.connection()
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= INSERT_CHUNK:
            connection.execute(statement, chunk)
            chunk = []
    if chunk:
        connection.execute(statement, chunk)


def _reject(
    session: Session,
    info: _BatchInfo,
    worker_id: str,
    outcomes: list[FileOutcome],
    upload_findings: tuple[Finding, ...],
    now: datetime,
    cleanup: Callable[[Session], None] | None = None,
) -> BatchOutcome:
    batch, folio = _lock_claimed(session, info.numero_lote, worker_id)
    with_errors = sum(1 for o in outcomes if not o.ok)
    _insert_chunked(
        session, BatchFile, _file_rows(batch.numero_lote, outcomes, upload_findings, info.nombre_archivo)
    )
    batch.estatus = EstatusLote.RECHAZADO
    left = attempts.settle(session, folio).left  # the one count (intentos_usados, AGOTADO)
    causes = [f"{with_errors} de {len(outcomes)} archivo(s) con errores"] if with_errors else []
    causes += [f.message for f in upload_findings]
    tail = (
        f"Le queda {left} intento."
        if left == 1
        else ("Ya no le quedan intentos." if left == 0 else f"Le quedan {left} intentos.")
    )
    mensaje = f"Lote rechazado: {'; '.join(causes)}. No se registró ningún certificado. {tail}"
    batch.estatus = EstatusLote.RECHAZADO
    batch.processed_at = now
    batch.total_archivos = len(outcomes)
    batch.archivos_procesados = len(outcomes)
    batch.archivos_con_error = with_errors
    batch.mensaje = mensaje
    batch.claimed_by = None
    batch.claim_expires_at = None
    if cleanup is not None:
        cleanup(session)
    session.commit()
    return BatchOutcome(info.numero_lote, False, len(outcomes), with_errors, upload_findings, mensaje)


def _certificate_rows(
    info: _BatchInfo, stamped: list[_Stamped], spool: IO[bytes]
) -> Iterator[dict[str, Any]]:
    """The ``Certificate`` rows, each stamped XML read back from the spool only when its chunk is sent."""
    for item in stamped:
        spool.seek(item.offset)
        yield {
            "institution_id": info.institution_id,
            "campus_id": item.campus_id,
            "folio_pago": info.folio,
            "batch_id": info.numero_lote,
            "folio_control": item.folio_control,
            "folio_digital": item.folio_digital,
            "curp": item.curp,
            "nombre_completo": item.nombre_completo,
            "carrera": item.carrera,
            "id_carrera": item.id_carrera,
            "clave_plan": item.clave_plan,
            "lugar_expedicion": item.lugar_expedicion,
            "fecha_expedicion": item.fecha_expedicion,
            "fecha_carga": info.received_at,
            "estatus": EstatusCertificado.VIGENTE,
            "stamped_xml": spool.read(item.length),
        }


def _accept(
    session: Session,
    info: _BatchInfo,
    worker_id: str,
    outcomes: list[FileOutcome],
    stamped: list[_Stamped],
    spool: IO[bytes],
    now: datetime,
    cleanup: Callable[[Session], None] | None = None,
) -> BatchOutcome:
    batch, folio = _lock_claimed(session, info.numero_lote, worker_id)
    _insert_chunked(session, BatchFile, _file_rows(batch.numero_lote, outcomes, (), info.nombre_archivo))
    _insert_chunked(session, Certificate, _certificate_rows(info, stamped, spool))
    mensaje = f"Lote aceptado: {len(stamped)} certificado(s) sellado(s) por la SEP y registrado(s)."
    batch.estatus = EstatusLote.ACEPTADO
    batch.processed_at = now
    batch.total_archivos = len(outcomes)
    batch.archivos_procesados = len(outcomes)
    batch.archivos_con_error = 0
    batch.mensaje = mensaje
    batch.claimed_by = None
    batch.claim_expires_at = None
    attempts.settle(session, folio)  # ACEPTADO, and the judged batch counted
    if cleanup is not None:
        cleanup(session)
    session.commit()
    return BatchOutcome(info.numero_lote, True, len(outcomes), 0, (), mensaje)


def count_check(info: _BatchInfo, count: int) -> Finding:
    """``CANTIDAD_NO_COINCIDE`` for a batch of ``count`` files against its folio."""
    return Finding(
        "CANTIDAD_NO_COINCIDE", count_message(count, info.folio, info.cantidad), info.nombre_archivo
    )


def signer_or_reason(session: Session, data_dir: Path) -> tuple[SepSigner | None, ConfigurationError | None]:
    """The SEP signer, or why there is none: raised only if the batch is accepted (a rejection
    needs no key)."""
    try:
        return load_sep_signer(session, data_dir), None
    except ConfigurationError as exc:
        return None, exc


def process_batch(
    sessions: sessionmaker[Session],
    numero_lote: int,
    *,
    worker_id: str,
    settings: Settings,
    storage: BatchStorage,
    clock: Callable[[], datetime],
    progress: ProgressFn,
    policy: ChunkPolicy | None = None,
) -> BatchOutcome:
    """Process a batch this worker has claimed (see the module docstring).

    Raises :class:`ClaimLost` when the claim was taken over, :class:`RetryBatch` when the final
    transaction met a conflict that a new run will report as findings, and
    :class:`mec_ws.errors.ConfigurationError` when no SEP stamping key is usable.

    A ZIP with more readable entries than ``settings.lote_trozo`` is processed in chunks that
    other workers may take (:mod:`mec_ws.batches.chunks`); the verdict and the final transaction
    are the same.
    """
    with sessions() as session:
        info = _load_info(session, numero_lote)
        session.rollback()
        path = storage.path(info.stored_path)
        signer, no_signer = signer_or_reason(session, settings.data_dir)
        session.rollback()
        scan = _open(path, info, settings)
        if scan.kind == "zip" and not scan.rejected and scan.candidate_count > settings.lote_trozo:
            from mec_ws.batches.chunks import process_chunked  # chunks builds on this module

            return process_chunked(
                sessions,
                session,
                info,
                scan,
                signer=signer,
                no_signer=no_signer,
                worker_id=worker_id,
                settings=settings,
                clock=clock,
                progress=progress,
                policy=policy or ChunkPolicy(),
            )
        # a large buffer: ~14 KiB per certificate would otherwise be one write call each
        with tempfile.TemporaryFile(prefix="mec-sellados-", buffering=SPOOL_BUFFER) as spool:
            stamper = _Stamper(signer, no_signer, spool, clock)
            outcomes, upload_findings = _validate_all(info, scan, session, settings, progress, stamper)
            session.rollback()
            if upload_findings or not all(o.ok for o in outcomes):
                stamper.stop()  # the stamps of a rejected batch are discarded unread
                return _reject(session, info, worker_id, outcomes, upload_findings, clock())
            stamped = stamper.result(outcomes)
            try:
                return _accept(session, info, worker_id, outcomes, stamped, spool, clock())
            except IntegrityError as exc:
                session.rollback()
                raise RetryBatch(f"conflicto al registrar el lote {numero_lote}: {exc.orig}") from exc
