"""SQLAlchemy 2 models of mec-ws and their Alembic migrations (``models/alembic``).

Import everything from here: ``from models import Base, Batch, Certificate``.  The study-program
rows carry a ``Row`` suffix so that they never clash with :class:`mec_ws.registry.StudyProgram`
and :class:`mec_ws.registry.ProgramSubject`, the plain objects the rules consume.

Instants are aware UTC datetimes on both databases (:class:`models.base.UtcDateTime`); grades and
credits are decimal text; status columns are ``StrEnum`` values (:mod:`models.enums`, re-exported
by ``mec_ws.services.dto`` because they are wire values too).
"""

from models.base import NAMING_CONVENTION, Base, UtcDateTime, utcnow
from models.batches import (
    MAX_ATTEMPTS,
    Batch,
    BatchChunk,
    BatchFile,
    BatchKind,
    FolioPago,
    WorkerHeartbeat,
)
from models.certificates import (
    CancellationRequest,
    Certificate,
    CertificateCount,
    CertificateMonthCount,
    Document,
    EstatusCancelacion,
)
from models.enums import EstatusArchivo, EstatusCertificado, EstatusFolio, EstatusLote
from models.portal import ActivationToken, EstatusRegistro, RegistrationRequest
from models.programs import ProgramCampusRow, ProgramSubjectRow, StudyProgramRow
from models.registry import Campus, Institution, Officer, SepStampKey, TrustedCA, User
from models.uploads import UploadBlob, UploadBlobChunk

__all__ = [
    "MAX_ATTEMPTS",
    "NAMING_CONVENTION",
    "ActivationToken",
    "Base",
    "Batch",
    "BatchChunk",
    "BatchFile",
    "BatchKind",
    "Campus",
    "CancellationRequest",
    "Certificate",
    "CertificateCount",
    "CertificateMonthCount",
    "Document",
    "EstatusArchivo",
    "EstatusCancelacion",
    "EstatusCertificado",
    "EstatusFolio",
    "EstatusLote",
    "EstatusRegistro",
    "FolioPago",
    "Institution",
    "Officer",
    "ProgramCampusRow",
    "ProgramSubjectRow",
    "RegistrationRequest",
    "SepStampKey",
    "StudyProgramRow",
    "TrustedCA",
    "UploadBlob",
    "UploadBlobChunk",
    "User",
    "UtcDateTime",
    "WorkerHeartbeat",
    "utcnow",
]
