"""The registry as the validation engine sees it, read from the database.

:func:`context_for` builds a :class:`mec_ws.registry.ValidationContext` for one institution: its
campuses, its campuses' active officers, the trusted CAs, and two lookups (study programs, accepted
folios de control) that query the database on demand.  The lookups use the given session, so the
context is meant for one validation run in one thread while that session is open; programs are
cached per context, and after a few folio questions the institution's accepted folios are read once
(a batch of any size costs a handful of queries, not some per file).

:func:`save_program` registers a study program, replacing an earlier one with the same identity
only while no accepted certificate uses it (``docs/programa.md``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from cryptography import x509
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from mec_ws import registry
from mec_ws.config import Settings
from mec_ws.errors import ProgramaInvalido
from models import (
    Campus,
    Certificate,
    Institution,
    Officer,
    ProgramCampusRow,
    ProgramSubjectRow,
    StudyProgramRow,
    TrustedCA,
)


def institution_from_row(row: Institution) -> registry.Institution:
    return registry.Institution(
        id=row.id,
        name=row.name,
        campuses=tuple(
            registry.Campus(id=c.id, institution_id=c.institution_id, name=c.name, state=c.state)
            for c in row.campuses
        ),
    )


def program_from_row(row: StudyProgramRow) -> registry.StudyProgram:
    return registry.StudyProgram(
        institution_id=row.institution_id,
        id_carrera=row.id_carrera,
        nombre_carrera=row.nombre_carrera,
        id_nivel_estudios=row.id_nivel_estudios,
        id_tipo_periodo=row.id_tipo_periodo,
        clave_plan=row.clave_plan,
        numero_ciclos=row.numero_ciclos,
        calificacion_minima=Decimal(row.calificacion_minima),
        calificacion_maxima=Decimal(row.calificacion_maxima),
        calificacion_minima_aprobatoria=Decimal(row.calificacion_minima_aprobatoria),
        total_creditos=Decimal(row.total_creditos),
        numero_rvoe=row.numero_rvoe,
        fecha_rvoe=row.fecha_rvoe,
        campus_ids=tuple(sorted(c.campus_id for c in row.campuses)),
        subjects=tuple(
            registry.ProgramSubject(
                id_asignatura=s.id_asignatura,
                clave=s.clave,
                nombre=s.nombre,
                id_tipo=s.id_tipo,
                creditos=Decimal(s.creditos),
                ciclo=s.ciclo,
            )
            for s in row.subjects
        ),
        clave_carrera=row.clave_carrera,
        modalidad=row.modalidad,
    )


def _program_query(institution_id: str, id_carrera: str, clave_plan: str) -> Select[tuple[StudyProgramRow]]:
    return (
        select(StudyProgramRow)
        .where(
            StudyProgramRow.institution_id == institution_id,
            StudyProgramRow.id_carrera == id_carrera,
            StudyProgramRow.clave_plan == clave_plan,
        )
        .options(selectinload(StudyProgramRow.subjects), selectinload(StudyProgramRow.campuses))
    )


def load_program(
    session: Session, institution_id: str, id_carrera: str, clave_plan: str
) -> registry.StudyProgram | None:
    row = session.scalars(_program_query(institution_id, id_carrera, clave_plan)).one_or_none()
    return program_from_row(row) if row is not None else None


def program_in_use(session: Session, institution_id: str, id_carrera: str, clave_plan: str) -> int:
    """How many accepted certificates were issued under this program."""
    count = session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(
            Certificate.institution_id == institution_id,
            Certificate.id_carrera == id_carrera,
            Certificate.clave_plan == clave_plan,
        )
    )
    return int(count or 0)


def save_program(session: Session, program: registry.StudyProgram) -> StudyProgramRow:
    """Register ``program`` (flushes; the caller commits).

    Raises :class:`ProgramaInvalido` when the institution or one of the campuses is unknown, or
    when a program with the same identity is already used by accepted certificates.
    """
    inst = session.get(Institution, program.institution_id)
    if inst is None:
        raise ProgramaInvalido(f"La institución {program.institution_id} no está registrada.")
    own = {c.id for c in inst.campuses}
    foreign = [c for c in program.campus_ids if c not in own]
    if foreign:
        raise ProgramaInvalido(
            f"Los campus {', '.join(foreign)} no pertenecen a la institución {program.institution_id}."
        )
    key = (program.institution_id, program.id_carrera, program.clave_plan)
    existing = session.scalars(_program_query(*key)).one_or_none()
    if existing is not None:
        used = program_in_use(session, *key)
        if used:
            raise ProgramaInvalido(
                f"El programa de estudios idCarrera {program.id_carrera}, clavePlan {program.clave_plan} "
                f"ya tiene {used} certificado(s) aceptado(s) y no puede reemplazarse; registre el cambio "
                "con una nueva clavePlan."
            )
        session.delete(existing)
        session.flush()
    row = StudyProgramRow(
        institution_id=program.institution_id,
        id_carrera=program.id_carrera,
        clave_carrera=program.clave_carrera,
        nombre_carrera=program.nombre_carrera,
        id_nivel_estudios=program.id_nivel_estudios,
        id_tipo_periodo=program.id_tipo_periodo,
        clave_plan=program.clave_plan,
        numero_ciclos=program.numero_ciclos,
        calificacion_minima=str(program.calificacion_minima),
        calificacion_maxima=str(program.calificacion_maxima),
        calificacion_minima_aprobatoria=str(program.calificacion_minima_aprobatoria),
        total_creditos=str(program.total_creditos),
        numero_rvoe=program.numero_rvoe,
        fecha_rvoe=program.fecha_rvoe,
        modalidad=program.modalidad,
        subjects=[
            ProgramSubjectRow(
                ordinal=i,
                id_asignatura=s.id_asignatura,
                clave=s.clave,
                nombre=s.nombre,
                id_tipo=s.id_tipo,
                creditos=str(s.creditos),
                ciclo=s.ciclo,
            )
            for i, s in enumerate(program.subjects, start=1)
        ],
        campuses=[ProgramCampusRow(campus_id=c) for c in dict.fromkeys(program.campus_ids)],
    )
    session.add(row)
    session.flush()
    return row


def trusted_cas(session: Session) -> tuple[x509.Certificate, ...]:
    rows = session.scalars(select(TrustedCA.der).order_by(TrustedCA.id)).all()
    return tuple(x509.load_der_x509_certificate(der) for der in rows)


def active_officers(session: Session, institution_id: str) -> tuple[registry.RegisteredOfficer, ...]:
    rows = session.execute(
        select(Officer.campus_id, Officer.certificate_der, Officer.cargo_id)
        .join(Campus, Campus.id == Officer.campus_id)
        .where(Campus.institution_id == institution_id, Officer.active.is_(True))
        .order_by(Officer.id)
    ).all()
    return tuple(
        registry.RegisteredOfficer(campus_id=campus_id, certificate_der=der, cargo_id=cargo)
        for campus_id, der, cargo in rows
    )


class _ProgramCache:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[str, str, str], registry.StudyProgram | None] = {}

    def __call__(self, institution_id: str, id_carrera: str, clave_plan: str) -> registry.StudyProgram | None:
        key = (institution_id, id_carrera, clave_plan)
        if key not in self._cache:
            self._cache[key] = load_program(self._session, *key)
        return self._cache[key]


PRELOAD_FOLIOS_AFTER = 16
"""Folio lookups answered by one query each before the institution's accepted folios are read at once."""


class _AcceptedFolios:
    """Is a folioControl already accepted?  One query per folio for a small upload; for a batch, once.

    The first :data:`PRELOAD_FOLIOS_AFTER` questions about an institution query that folio (cheap,
    indexed); the next one reads every accepted folioControl of the institution in one query and
    answers the rest of the run from memory, so a batch of thousands of files costs one query, not
    one per file.  The set is a snapshot: a folio accepted meanwhile by another batch is caught by the
    unique constraint in the final transaction (``RetryBatch``), as it was between per-file queries.
    """

    def __init__(self, session: Session, preload_after: int = PRELOAD_FOLIOS_AFTER) -> None:
        self._session = session
        self._preload_after = preload_after
        self._asked: dict[str, int] = {}
        self._accepted: dict[str, frozenset[str]] = {}

    def __call__(self, institution_id: str, folio_control: str) -> bool:
        accepted = self._accepted.get(institution_id)
        if accepted is None:
            asked = self._asked[institution_id] = self._asked.get(institution_id, 0) + 1
            if asked <= self._preload_after:
                return self._query(institution_id, folio_control)
            accepted = self._accepted[institution_id] = frozenset(
                self._session.scalars(
                    select(Certificate.folio_control).where(Certificate.institution_id == institution_id)
                )
            )
        return folio_control in accepted

    def _query(self, institution_id: str, folio_control: str) -> bool:
        return bool(
            self._session.scalar(
                select(
                    exists().where(
                        Certificate.institution_id == institution_id,
                        Certificate.folio_control == folio_control,
                    )
                )
            )
        )


def folio_accepted_lookup(
    session: Session, *, preload_after: int = PRELOAD_FOLIOS_AFTER
) -> registry.FolioLookup:
    return _AcceptedFolios(session, preload_after)


def context_for(
    session: Session, institution_id: str, *, now: datetime, settings: Settings
) -> registry.ValidationContext:
    """The validation context of an upload by ``institution_id`` at ``now`` (aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now debe tener zona horaria")
    row = session.scalars(
        select(Institution)
        .where(Institution.id == institution_id)
        .options(selectinload(Institution.campuses))
    ).one_or_none()
    if row is None:
        raise LookupError(f"institución desconocida: {institution_id!r}")
    return registry.ValidationContext(
        now=now,
        institution=institution_from_row(row),
        officers=active_officers(session, institution_id),
        find_program=_ProgramCache(session),
        is_folio_accepted=folio_accepted_lookup(session),
        trusted_cas=trusted_cas(session),
        strict_sello=settings.strict_sello,
        max_xml_bytes=settings.max_xml_bytes,
    )
