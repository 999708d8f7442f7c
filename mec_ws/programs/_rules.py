"""Checks of a study program independent of its source format (XML today, XLSX next).

A reader turns its file into a :class:`RawProgram`: every value as text (``None`` when absent),
each with the location a finding should name (``ProgramaEstudios/Carrera/@totalCreditos`` for
XML, a row and column for a spreadsheet).  :func:`check_program` converts and judges all of it
in one pass, so one run reports every finding, and builds the typed
:class:`mec_ws.registry.StudyProgram` only when nothing is an ``ERROR``.

Field names are the XML attribute names of ``programa-1.0.xsd``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from mec_ws import catalogs
from mec_ws.findings import Finding, Status, has_errors
from mec_ws.registry import Institution, ProgramSubject, StudyProgram

COUNTED_TYPES = frozenset({263, 264, 265})  # 266 COMPLEMENTARIA counts in no total
MODALIDADES = ("ESCOLAR", "NO ESCOLARIZADA", "MIXTA")

_ID = re.compile(r"[1-9][0-9]{0,17}")
CLAVE_PLAN_MAX = 50  # part of the program's key (``study_programs.clave_plan``)
_INT = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RawField:
    """One value as written in the source (``None``: absent) and where it was written."""

    value: str | None
    location: str

    @property
    def text(self) -> str | None:
        """The value stripped; ``None`` when absent or blank."""
        if self.value is None:
            return None
        stripped = self.value.strip()
        return stripped or None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A group of named values (the career, or one subject) and the location of the group."""

    location: str
    fields: Mapping[str, RawField]

    def field(self, name: str) -> RawField:
        found = self.fields.get(name)
        return found if found is not None else RawField(None, f"{self.location}/@{name}")


@dataclass(frozen=True, slots=True)
class RawProgram:
    carrera: RawRecord
    campuses: tuple[RawField, ...]
    subjects: tuple[RawRecord, ...]
    campuses_location: str  # where a missing campus list is reported
    subjects_location: str  # where a missing subject list is reported


@dataclass(frozen=True)
class ProgramReadResult:
    """What reading a program file gives: the program (only without ``ERROR`` findings) and findings."""

    program: StudyProgram | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.program is not None


class _Checker:
    """Converts raw values, recording one finding per bad value (``None`` stands for "unusable")."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, location: str, status: Status = Status.ERROR) -> None:
        self.findings.append(Finding(code=code, message=message, location=location, status=status))

    def _required(self, f: RawField, label: str) -> str | None:
        text = f.text
        if text is None:
            self.add("PROGRAMA_DATO_FALTANTE", f"Falta {label}.", f.location)
        return text

    def text(self, f: RawField, label: str, *, max_len: int | None = None) -> str | None:
        text = self._required(f, label)
        if text is not None and max_len is not None and len(text) > max_len:
            self.add(
                "PROGRAMA_VALOR_INVALIDO",
                f"{label} admite a lo más {max_len} caracteres (se recibieron {len(text)}).",
                f.location,
            )
            return None
        return text

    def identifier(self, f: RawField, label: str) -> str | None:
        text = self._required(f, label)
        if text is None:
            return None
        if not _ID.fullmatch(text):
            self.add(
                "PROGRAMA_ID_INVALIDO",
                f"{label} debe ser un número entero positivo sin ceros a la izquierda (se recibió '{text}').",
                f.location,
            )
            return None
        return text

    def positive_int(self, f: RawField, label: str, code: str = "PROGRAMA_VALOR_INVALIDO") -> int | None:
        text = self._required(f, label)
        if text is None:
            return None
        if not _INT.fullmatch(text) or int(text) < 1:
            self.add(
                code, f"{label} debe ser un número entero mayor que cero (se recibió '{text}').", f.location
            )
            return None
        return int(text)

    def decimal(self, f: RawField, label: str, *, non_negative: bool = False) -> Decimal | None:
        text = self._required(f, label)
        if text is None:
            return None
        value: Decimal | None = None
        if _DECIMAL.fullmatch(text):
            try:
                value = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
                value = None
        if value is None:
            self.add(
                "PROGRAMA_VALOR_INVALIDO",
                f"{label} debe ser un número decimal (se recibió '{text}').",
                f.location,
            )
            return None
        if non_negative and value < 0:
            self.add(
                "PROGRAMA_VALOR_INVALIDO", f"{label} no puede ser negativo (se recibió '{text}').", f.location
            )
            return None
        return value

    def catalog(self, f: RawField, label: str, catalog: str) -> int | None:
        text = self._required(f, label)
        if text is None:
            return None
        if not catalogs.is_known(catalog, text):
            known = ", ".join(f"{k} ({v})" for k, v in catalogs.load(catalog).items())
            self.add(
                "PROGRAMA_CATALOGO_INVALIDO",
                f"{label} '{text}' no existe en el catálogo {catalog}; valores válidos: {known}.",
                f.location,
            )
            return None
        return int(text)

    def date(self, f: RawField, label: str) -> date | None:
        text = self._required(f, label)
        if text is None:
            return None
        if _DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.add(
            "PROGRAMA_FECHA_INVALIDA",
            f"{label} debe ser una fecha válida AAAA-MM-DD (se recibió '{text}').",
            f.location,
        )
        return None


def _all(values: Iterator[T | None]) -> list[T] | None:
    out: list[T] = []
    ok = True
    for value in values:
        if value is None:
            ok = False
        else:
            out.append(value)
    return out if ok else None


@dataclass(frozen=True, slots=True)
class _Subject:
    id_asignatura: str | None
    clave: str | None
    nombre: str | None
    id_tipo: int | None
    creditos: Decimal | None
    ciclo: int | None
    ciclo_location: str

    def typed(self) -> ProgramSubject | None:
        if (
            self.id_asignatura is None
            or self.clave is None
            or self.nombre is None
            or self.id_tipo is None
            or self.creditos is None
            or self.ciclo is None
        ):
            return None
        return ProgramSubject(
            id_asignatura=self.id_asignatura,
            clave=self.clave,
            nombre=self.nombre,
            id_tipo=self.id_tipo,
            creditos=self.creditos,
            ciclo=self.ciclo,
        )


def _check_subject(c: _Checker, raw: RawRecord) -> _Subject:
    return _Subject(
        id_asignatura=c.identifier(raw.field("idAsignatura"), "idAsignatura"),
        clave=c.text(raw.field("claveAsignatura"), "claveAsignatura"),
        nombre=c.text(raw.field("nombre"), "el nombre de la asignatura"),
        id_tipo=c.catalog(raw.field("idTipoAsignatura"), "idTipoAsignatura", "tipo_asignatura"),
        creditos=c.decimal(raw.field("creditos"), "creditos", non_negative=True),
        ciclo=c.positive_int(raw.field("ciclo"), "ciclo", code="PROGRAMA_CICLO_INVALIDO"),
        ciclo_location=raw.field("ciclo").location,
    )


def _duplicates(
    c: _Checker,
    items: list[tuple[str | None, str]],
    *,
    code: str,
    describe: Callable[[str, str], str],
    key: Callable[[str], str] = lambda v: v,
) -> None:
    """One finding per repeated value, at the repetition, naming the first occurrence."""
    first: dict[str, str] = {}
    for value, location in items:
        if value is None:
            continue
        k = key(value)
        if k in first:
            c.add(code, describe(value, first[k]), location)
        else:
            first[k] = location


def check_program(raw: RawProgram, institution: Institution | None) -> ProgramReadResult:
    """Every rule of ``programa.md`` over ``raw``; the program is built only without errors."""
    c = _Checker()
    car = raw.carrera
    id_carrera = c.identifier(car.field("idCarrera"), "idCarrera")
    clave_carrera = car.field("claveCarrera").text or ""
    nombre = c.text(car.field("nombreCarrera"), "nombreCarrera")
    nivel = c.catalog(car.field("idNivelEstudios"), "idNivelEstudios", "nivel_estudios")
    periodo = c.catalog(car.field("idTipoPeriodo"), "idTipoPeriodo", "tipo_periodo")
    clave_plan = c.text(car.field("clavePlan"), "clavePlan", max_len=CLAVE_PLAN_MAX)
    numero_ciclos = c.positive_int(car.field("numeroCiclos"), "numeroCiclos")
    minima = c.decimal(car.field("calificacionMinima"), "calificacionMinima")
    maxima = c.decimal(car.field("calificacionMaxima"), "calificacionMaxima")
    aprobatoria = c.decimal(car.field("calificacionMinimaAprobatoria"), "calificacionMinimaAprobatoria")
    total = c.decimal(car.field("totalCreditos"), "totalCreditos", non_negative=True)
    numero_rvoe = c.text(car.field("numeroRvoe"), "numeroRvoe")
    fecha_rvoe = c.date(car.field("fechaRvoe"), "fechaRvoe")
    modalidad_field = car.field("modalidad")
    modalidad = modalidad_field.text
    if modalidad is not None and modalidad not in MODALIDADES:
        c.add(
            "PROGRAMA_VALOR_INVALIDO",
            f"modalidad '{modalidad}' no es válida; valores válidos: {', '.join(MODALIDADES)}.",
            modalidad_field.location,
        )

    # grade scale
    if minima is not None and maxima is not None and aprobatoria is not None:
        if not minima <= aprobatoria <= maxima:
            c.add(
                "PROGRAMA_ESCALA_INVALIDA",
                f"La escala de calificación debe cumplir mínima ≤ mínima aprobatoria ≤ máxima; se recibió "
                f"mínima {minima}, mínima aprobatoria {aprobatoria}, máxima {maxima}.",
                car.field("calificacionMinimaAprobatoria").location,
            )
        elif minima == maxima:
            c.add(
                "PROGRAMA_ESCALA_INVALIDA",
                f"La calificación mínima y la máxima son iguales ({minima}); la escala no tiene rango.",
                car.field("calificacionMaxima").location,
            )

    # campuses
    campus_ids = [c.text(f, "idCampus") for f in raw.campuses]
    if not raw.campuses:
        c.add("PROGRAMA_DATO_FALTANTE", "El programa debe indicar al menos un campus.", raw.campuses_location)
    _duplicates(
        c,
        [(cid, f.location) for cid, f in zip(campus_ids, raw.campuses, strict=True)],
        code="PROGRAMA_CAMPUS_DUPLICADO",
        describe=lambda v, first: f"El campus {v} ya aparece en {first}.",
    )
    if institution is None or not institution.campuses_known:
        if raw.campuses:
            who = "no se indicó la institución" if institution is None else "no se conocen sus campus"
            c.add(
                "PROGRAMA_CAMPUS_NO_REGISTRADO",
                f"No se verificó que los campus pertenezcan a la institución: {who}.",
                raw.campuses_location,
                Status.OMITIDA,
            )
    else:
        for cid, f in zip(campus_ids, raw.campuses, strict=True):
            if cid is not None and institution.campus(cid) is None:
                c.add(
                    "PROGRAMA_CAMPUS_NO_REGISTRADO",
                    f"El campus {cid} no está registrado para la institución {institution.id}.",
                    f.location,
                )

    # subjects
    subjects = [_check_subject(c, s) for s in raw.subjects]
    if not raw.subjects:
        c.add(
            "PROGRAMA_DATO_FALTANTE", "El programa debe tener al menos una asignatura.", raw.subjects_location
        )
    _duplicates(
        c,
        [
            (s.id_asignatura, r.field("idAsignatura").location)
            for s, r in zip(subjects, raw.subjects, strict=True)
        ],
        code="PROGRAMA_ASIGNATURA_DUPLICADA",
        describe=lambda v, first: f"idAsignatura {v} ya aparece en {first}.",
    )
    _duplicates(
        c,
        [(s.clave, r.field("claveAsignatura").location) for s, r in zip(subjects, raw.subjects, strict=True)],
        code="PROGRAMA_ASIGNATURA_DUPLICADA",
        describe=lambda v, first: f"claveAsignatura {v} ya aparece en {first}.",
        key=str.upper,
    )
    if numero_ciclos is not None:
        for s in subjects:
            if s.ciclo is not None and s.ciclo > numero_ciclos:
                c.add(
                    "PROGRAMA_CICLO_INVALIDO",
                    f"ciclo {s.ciclo} está fuera del plan: debe estar entre 1 y "
                    f"numeroCiclos ({numero_ciclos}).",
                    s.ciclo_location,
                )
    if (
        total is not None
        and subjects
        and all(s.creditos is not None and s.id_tipo is not None for s in subjects)
    ):
        counted = sum((s.creditos or Decimal(0) for s in subjects if s.id_tipo in COUNTED_TYPES), Decimal(0))
        if counted != total:
            c.add(
                "PROGRAMA_CREDITOS_NO_COINCIDEN",
                f"totalCreditos es {total}, pero la suma de créditos de las asignaturas que cuentan "
                f"(tipos 263, 264 y 265) es {counted}.",
                car.field("totalCreditos").location,
            )

    findings = tuple(c.findings)
    if has_errors(findings):
        return ProgramReadResult(program=None, findings=findings)
    typed_subjects = _all(s.typed() for s in subjects)
    typed_campuses = _all(iter(campus_ids))
    if (
        id_carrera is None
        or nombre is None
        or nivel is None
        or periodo is None
        or clave_plan is None
        or numero_ciclos is None
        or minima is None
        or maxima is None
        or aprobatoria is None
        or total is None
        or numero_rvoe is None
        or fecha_rvoe is None
        or typed_subjects is None
        or typed_campuses is None
    ):  # pragma: no cover - every None above was recorded as an ERROR finding
        raise AssertionError("programa incompleto sin hallazgos de error")
    program = StudyProgram(
        institution_id=institution.id if institution is not None else "",
        id_carrera=id_carrera,
        nombre_carrera=nombre,
        id_nivel_estudios=nivel,
        id_tipo_periodo=periodo,
        clave_plan=clave_plan,
        numero_ciclos=numero_ciclos,
        calificacion_minima=minima,
        calificacion_maxima=maxima,
        calificacion_minima_aprobatoria=aprobatoria,
        total_creditos=total,
        numero_rvoe=numero_rvoe,
        fecha_rvoe=fecha_rvoe,
        campus_ids=tuple(typed_campuses),
        subjects=tuple(typed_subjects),
        clave_carrera=clave_carrera,
        modalidad=modalidad,
    )
    return ProgramReadResult(program=program, findings=findings)
