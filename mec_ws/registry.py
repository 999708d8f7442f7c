"""Registry data the rules need, as plain typed objects.

The engine never touches the database: the service builds a :class:`ValidationContext` from it
(``mec_ws.services``), the CLI builds one from files given on the command line.  A field left as
``None`` means "not given": the rules that need it report their check as *omitted*, never passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from cryptography import x509


@dataclass(frozen=True, slots=True)
class Campus:
    id: str
    institution_id: str
    name: str
    state: str  # INEGI key '01'..'32'


@dataclass(frozen=True, slots=True)
class Institution:
    id: str
    name: str
    campuses: tuple[Campus, ...] = ()
    # False when only the id is known (``mec-ws validate --institucion``): campus checks are skipped.
    campuses_known: bool = True

    def campus(self, campus_id: str) -> Campus | None:
        return next((c for c in self.campuses if c.id == campus_id), None)


@dataclass(frozen=True, slots=True)
class RegisteredOfficer:
    """An officer whose e.firma certificate is registered for a campus."""

    campus_id: str
    certificate_der: bytes
    cargo_id: int


@dataclass(frozen=True, slots=True)
class ProgramSubject:
    id_asignatura: str
    clave: str
    nombre: str
    id_tipo: int
    creditos: Decimal
    ciclo: int


@dataclass(frozen=True, slots=True)
class StudyProgram:
    institution_id: str
    id_carrera: str
    nombre_carrera: str
    id_nivel_estudios: int
    id_tipo_periodo: int
    clave_plan: str
    numero_ciclos: int
    calificacion_minima: Decimal
    calificacion_maxima: Decimal
    calificacion_minima_aprobatoria: Decimal
    total_creditos: Decimal
    numero_rvoe: str
    fecha_rvoe: date
    campus_ids: tuple[str, ...]
    subjects: tuple[ProgramSubject, ...]
    clave_carrera: str = ""
    modalidad: str | None = None

    def subject(self, id_asignatura: str) -> ProgramSubject | None:
        return next((s for s in self.subjects if s.id_asignatura == id_asignatura), None)


ProgramLookup = Callable[[str, str, str], StudyProgram | None]
"""(institution_id, idCarrera, clavePlan) -> the registered program, or None."""

FolioLookup = Callable[[str, str], bool]
"""(institution_id, folioControl) -> True when an accepted certificate already has it."""


def programs_lookup(programs: Iterable[StudyProgram]) -> ProgramLookup:
    table = {(p.institution_id, p.id_carrera, p.clave_plan): p for p in programs}
    return lambda inst, carrera, plan: table.get((inst, carrera, plan))


def folios_lookup(accepted: Iterable[tuple[str, str]]) -> FolioLookup:
    table = frozenset(accepted)
    return lambda inst, folio: (inst, folio) in table


@dataclass(frozen=True)
class ValidationContext:
    """Everything a validation run may consult besides the file itself."""

    now: datetime  # aware; "upload time" for validity checks
    institution: Institution | None = None  # the uploader's institution
    officers: tuple[RegisteredOfficer, ...] | None = None
    find_program: ProgramLookup | None = None
    is_folio_accepted: FolioLookup | None = None
    trusted_cas: tuple[x509.Certificate, ...] | None = None
    strict_sello: bool = False  # True: only the 33-field cadena is accepted
    max_xml_bytes: int = 5 * 1024 * 1024
    extra: dict[str, object] = field(default_factory=dict)
