"""Realistic test data for the certificate engine, shared by the tests and ``mec-ws demo``.

Everything is deterministic given a seed (``random.Random(seed)``): an institution with its
campuses, a study program (Licenciatura en Derecho, 8 semesters, 48 subjects), students with
Spanish names and correct CURPs, and ``Dec`` 3.0 certificates whose totals, average, credits and
cycles are computed right.  :func:`signed_certificate` seals them with the default test officer.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from mec_ws import catalogs
from mec_ws.certificate.document import NS, TIPO_CERTIFICADO_IPES, VERSION, q
from mec_ws.registry import (
    Campus,
    Institution,
    ProgramSubject,
    RegisteredOfficer,
    StudyProgram,
    ValidationContext,
    folios_lookup,
    programs_lookup,
)
from mec_ws.testdata.curp import make_curp

COUNTED_TYPES = frozenset({263, 264, 265})
TOTAL = 79
PARCIAL = 80

# The fixed "upload time" of test contexts (an aware datetime, Mexico City noon).
FIXED_NOW = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
# An issue date inside the default officer's e.firma validity, after the program's RVOE.
DEFAULT_FECHA = datetime(2024, 7, 12, 10, 30)
# A folioControl the default context already knows as accepted (FOLIO_CONTROL_REGISTRADO).
ACCEPTED_FOLIO = "UAV-2023-000001"


@dataclass(frozen=True, slots=True)
class Officer:
    """The institution's officer who signs (Dec/Ipes/Responsable)."""

    curp: str
    nombre: str
    primer_apellido: str
    segundo_apellido: str | None
    id_cargo: int = 5


@dataclass(frozen=True, slots=True)
class Student:
    numero_control: str
    curp: str
    nombre: str
    primer_apellido: str
    segundo_apellido: str | None
    id_genero: int  # 250 MUJER, 251 HOMBRE
    fecha_nacimiento: date


@dataclass(frozen=True, slots=True)
class Grade:
    """One subject as it goes into a certificate."""

    subject: ProgramSubject
    ciclo: str
    calificacion: str
    id_observaciones: int | None = None


@dataclass(frozen=True, slots=True)
class CertificateData:
    """What :func:`build_certificate` writes, with the computed totals (tests read them)."""

    folio_control: str | None  # None: the certificate carries no folioControl (optional in the XSD)
    tipo: int
    fecha: datetime
    grades: tuple[Grade, ...]
    total: int
    asignadas: int
    promedio: str
    creditos_obtenidos: Decimal
    numero_ciclos: int
    extra: dict[str, str] = field(default_factory=dict)


def default_officer() -> Officer:
    """The Responsable matching the default test PKI's officer certificate."""
    from mec_ws.testdata.pki import DEFAULT_OFFICER_CURP

    return Officer(
        curp=DEFAULT_OFFICER_CURP,
        nombre="CARLOS",
        primer_apellido="GÓMEZ",
        segundo_apellido="MARTÍNEZ",
        id_cargo=5,
    )


def officer_from_certificate(cert: x509.Certificate, *, id_cargo: int = 5) -> Officer:
    """The Responsable an e.firma certificate names: CURP from the subject, names from the CN."""
    from mec_ws.certificate.efirma import subject_curp

    curp = subject_curp(cert) or ""
    default = default_officer()
    if curp == default.curp:
        return Officer(
            default.curp, default.nombre, default.primer_apellido, default.segundo_apellido, id_cargo
        )
    common_names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    words = str(common_names[0].value).split() if common_names else []
    if len(words) >= 3:
        nombre, ap1, ap2 = " ".join(words[:-2]), words[-2], words[-1]
    else:
        nombre, ap1, ap2 = (words[0] if words else "RESPONSABLE"), (words[1] if len(words) > 1 else "X"), None
    return Officer(curp=curp, nombre=nombre, primer_apellido=ap1, segundo_apellido=ap2, id_cargo=id_cargo)


# --- institution and program ----------------------------------------------------------------------


def make_institution(
    id: str = "000001",
    name: str = "UNIVERSIDAD DEL ÁNGEL DE LA VIRGEN",
    campuses: Sequence[tuple[str, str, str]] = (
        ("000101", "CAMPUS CENTRO", "09"),
        ("000102", "CAMPUS GUADALAJARA", "14"),
    ),
) -> Institution:
    """An institution with campuses given as (id, name, INEGI state)."""
    return Institution(
        id=id,
        name=name,
        campuses=tuple(
            Campus(id=cid, institution_id=id, name=cname, state=st) for cid, cname, st in campuses
        ),
    )


_DERECHO: tuple[tuple[str, ...], ...] = (
    (
        "INTRODUCCIÓN AL ESTUDIO DEL DERECHO",
        "DERECHO ROMANO I",
        "TEORÍA GENERAL DEL ESTADO",
        "SOCIOLOGÍA JURÍDICA",
        "METODOLOGÍA DE LA INVESTIGACIÓN",
        "HISTORIA DEL DERECHO MEXICANO",
    ),
    (
        "DERECHO ROMANO II",
        "ACTO JURÍDICO Y PERSONAS",
        "TEORÍA ECONÓMICA",
        "FILOSOFÍA DEL DERECHO",
        "TÉCNICAS DE EXPRESIÓN ORAL Y ESCRITA",
        "DERECHO CONSTITUCIONAL",
    ),
    (
        "BIENES Y SUCESIONES",
        "TEORÍA DEL DELITO",
        "GARANTÍAS CONSTITUCIONALES",
        "DERECHO ADMINISTRATIVO I",
        "LÓGICA JURÍDICA",
        "DERECHO INTERNACIONAL PÚBLICO",
    ),
    (
        "OBLIGACIONES",
        "DELITOS EN PARTICULAR",
        "DERECHO ADMINISTRATIVO II",
        "DERECHO DEL TRABAJO I",
        "ARGUMENTACIÓN JURÍDICA",
        "DERECHO MERCANTIL I",
    ),
    (
        "CONTRATOS CIVILES",
        "DERECHO PROCESAL CIVIL",
        "DERECHO DEL TRABAJO II",
        "DERECHO MERCANTIL II",
        "DERECHO FISCAL",
        "DERECHO AGRARIO",
    ),
    (
        "DERECHO PROCESAL PENAL",
        "TÍTULOS Y OPERACIONES DE CRÉDITO",
        "DERECHO PROCESAL DEL TRABAJO",
        "DERECHO INTERNACIONAL PRIVADO",
        "DERECHO AMBIENTAL",
        "OPTATIVA: DERECHO NOTARIAL",
    ),
    (
        "JUICIO DE AMPARO",
        "DERECHO DE LA SEGURIDAD SOCIAL",
        "DERECHO PROCESAL FISCAL",
        "MEDIOS ALTERNATIVOS DE SOLUCIÓN DE CONTROVERSIAS",
        "ÉTICA PROFESIONAL",
        "OPTATIVA: DERECHO INFORMÁTICO",
    ),
    (
        "AMPARO EN MATERIA ADMINISTRATIVA",
        "DERECHOS HUMANOS",
        "CLÍNICA PROCESAL",
        "SEMINARIO DE TESIS",
        "TALLER DE LITIGACIÓN ORAL",
        "INGLÉS JURÍDICO",
    ),
)

# Subject names with a type other than OBLIGATORIA (263).
_SUBJECT_TYPES = {
    "OPTATIVA: DERECHO NOTARIAL": 264,
    "OPTATIVA: DERECHO INFORMÁTICO": 264,
    "TALLER DE LITIGACIÓN ORAL": 265,
    "INGLÉS JURÍDICO": 266,
}


def make_program(
    institution: Institution,
    *,
    id_carrera: str = "1021",
    clave_plan: str = "2019",
    numero_rvoe: str = "20200302",
    fecha_rvoe: date = date(2020, 3, 2),
) -> StudyProgram:
    """Licenciatura en Derecho: 8 semesters, 48 subjects (2 optativas, 1 adicional, 1 complementaria)."""
    subjects: list[ProgramSubject] = []
    for semester, names in enumerate(_DERECHO, start=1):
        for position, nombre in enumerate(names, start=1):
            tipo = _SUBJECT_TYPES.get(nombre, 263)
            creditos = Decimal(4) if tipo == 266 else Decimal(8 if position <= 3 else 6)
            subjects.append(
                ProgramSubject(
                    id_asignatura=str(50000 + semester * 100 + position),
                    clave=f"DER-{semester}{position:02d}",
                    nombre=nombre,
                    id_tipo=tipo,
                    creditos=creditos,
                    ciclo=semester,
                )
            )
    total = sum((s.creditos for s in subjects if s.id_tipo in COUNTED_TYPES), Decimal(0))
    return StudyProgram(
        institution_id=institution.id,
        id_carrera=id_carrera,
        nombre_carrera="LICENCIATURA EN DERECHO",
        id_nivel_estudios=81,
        id_tipo_periodo=91,
        clave_plan=clave_plan,
        numero_ciclos=len(_DERECHO),
        calificacion_minima=Decimal(0),
        calificacion_maxima=Decimal(10),
        calificacion_minima_aprobatoria=Decimal(6),
        total_creditos=total,
        numero_rvoe=numero_rvoe,
        fecha_rvoe=fecha_rvoe,
        campus_ids=tuple(c.id for c in institution.campuses),
        subjects=tuple(subjects),
        clave_carrera="LD",
        modalidad="ESCOLAR",
    )


# --- students ---------------------------------------------------------------------------------------

_NOMBRES_H = ("José Luis", "Juan Pablo", "Ángel", "Andrés", "Jesús", "Iván", "Sebastián", "Martín", "Raúl")
_NOMBRES_M = ("María Fernanda", "Sofía", "Ximena", "Mónica", "Inés", "Lucía", "Verónica", "Itzel", "Noemí")
_APELLIDOS = (
    "Núñez",
    "Peña",
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Díaz",
    "Gutiérrez",
    "Muñoz",
    "Ibáñez",
    "Cázares",
    "Ordóñez",
    "de la Cruz",
)


def make_student(rng: random.Random, *, numero_control: str | None = None) -> Student:
    """A student born 2000–2002 with a correct CURP (upper-case names, accents kept)."""
    sexo = rng.choice("HM")
    nombre = rng.choice(_NOMBRES_H if sexo == "H" else _NOMBRES_M)
    ap1 = rng.choice(_APELLIDOS)
    ap2 = rng.choice(_APELLIDOS) if rng.random() < 0.9 else None
    nacimiento = date(rng.randint(2000, 2002), rng.randint(1, 12), rng.randint(1, 28))
    entidad = f"{rng.randint(1, 32):02d}"
    return Student(
        numero_control=numero_control or f"{rng.randint(19, 20)}{rng.randint(0, 999999):06d}",
        curp=make_curp(nombre, ap1, ap2, nacimiento, sexo, entidad),
        nombre=nombre.upper(),
        primer_apellido=ap1.upper(),
        segundo_apellido=ap2.upper() if ap2 else None,
        id_genero=251 if sexo == "H" else 250,
        fecha_nacimiento=nacimiento,
    )


# --- the certificate ------------------------------------------------------------------------------


def ciclo_label(first_year: int, index: int) -> str:
    """Semester ``index`` (0-based) of a cohort starting in ``first_year``: 2020-1, 2020-2, 2021-1…"""
    return f"{first_year + index // 2}-{index % 2 + 1}"


def _grade_text(rng: random.Random) -> str:
    value = Decimal(rng.randint(70, 100)) / 10
    return str(value.quantize(Decimal(1))) if value == value.to_integral() else str(value)


def _d2(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def make_grades(
    program: StudyProgram,
    rng: random.Random,
    *,
    semesters: int | None = None,
    first_year: int = 2020,
    failed: int = 0,
) -> tuple[Grade, ...]:
    """Grades for the subjects of the first ``semesters`` semesters (all by default).

    ``failed`` counted subjects get a failing grade (only sensible for a PARCIAL certificate).
    """
    last = program.numero_ciclos if semesters is None else semesters
    chosen = [s for s in program.subjects if s.ciclo <= last]
    counted = [i for i, s in enumerate(chosen) if s.id_tipo in COUNTED_TYPES]
    failing = set(rng.sample(counted, failed)) if failed else set()
    grades: list[Grade] = []
    for i, subject in enumerate(chosen):
        calificacion = str(rng.randint(3, 5)) if i in failing else _grade_text(rng)
        observacion = 71 if rng.random() < 0.05 else (100 if rng.random() < 0.5 else None)
        grades.append(
            Grade(
                subject=subject,
                ciclo=ciclo_label(first_year, subject.ciclo - 1),
                calificacion=calificacion,
                id_observaciones=observacion,
            )
        )
    return tuple(grades)


def compute_totals(program: StudyProgram, grades: Iterable[Grade]) -> tuple[int, int, str, Decimal, int]:
    """(total, asignadas, promedio half-up to 2 decimals, creditosObtenidos, numeroCiclos)."""
    grades = tuple(grades)
    counted = [g for g in grades if g.subject.id_tipo in COUNTED_TYPES]
    passed = [g for g in counted if Decimal(g.calificacion) >= program.calificacion_minima_aprobatoria]
    mean = (
        sum((Decimal(g.calificacion) for g in counted), Decimal(0)) / len(counted) if counted else Decimal(0)
    )
    creditos = sum((g.subject.creditos for g in passed), Decimal(0))
    return len(counted), len(passed), _d2(mean), creditos, len({g.ciclo for g in grades})


def certificate_data(
    program: StudyProgram,
    rng: random.Random,
    *,
    folio_control: str | None,
    tipo: int = TOTAL,
    fecha: datetime = DEFAULT_FECHA,
    grades: Sequence[Grade] | None = None,
) -> CertificateData:
    """The subjects and computed totals of a TOTAL (all semesters) or PARCIAL (five, one failed)."""
    if grades is None:
        grades = (
            make_grades(program, rng) if tipo == TOTAL else make_grades(program, rng, semesters=5, failed=1)
        )
    total, asignadas, promedio, creditos, ciclos = compute_totals(program, grades)
    return CertificateData(
        folio_control=folio_control,
        tipo=tipo,
        fecha=fecha,
        grades=tuple(grades),
        total=total,
        asignadas=asignadas,
        promedio=promedio,
        creditos_obtenidos=creditos,
        numero_ciclos=ciclos,
    )


def _set(el: etree._Element, **attrs: str | int | Decimal | None) -> etree._Element:
    for name, value in attrs.items():
        if value is not None:
            el.set(name, str(value))
    return el


def _iso(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{moment.isoformat()}T00:00:00"


def build_certificate(
    program: StudyProgram,
    institution: Institution,
    campus: Campus,
    student: Student,
    *,
    folio_control: str | None,
    tipo: int = TOTAL,
    rng: random.Random | None = None,
    fecha: datetime = DEFAULT_FECHA,
    officer: Officer | None = None,
    officer_cert: x509.Certificate | None = None,
    data: CertificateData | None = None,
    placeholders: bool = False,
) -> etree._Element:
    """A correct, unsigned ``Dec`` 3.0 (no sello, certificadoResponsable, noCertificadoResponsable).

    The Responsable is ``officer``, else the holder of ``officer_cert``, else the default test officer.
    ``folio_control=None`` leaves the (optional) attribute out; ``placeholders`` ends ``Dec`` with the
    empty ``<Dreoe/><SepIpes/>`` some public generators emit (the SEP's stamp replaces them).
    """
    rng = rng or random.Random(folio_control or student.curp)  # noqa: S311 - test data, not security
    if officer is None:
        officer = officer_from_certificate(officer_cert) if officer_cert is not None else default_officer()
    data = data or certificate_data(program, rng, folio_control=folio_control, tipo=tipo, fecha=fecha)
    entidades = catalogs.load("entidad_federativa")

    root = etree.Element(q("Dec"), nsmap={None: NS})
    _set(root, version=VERSION, tipoCertificado=TIPO_CERTIFICADO_IPES, folioControl=data.folio_control)
    _set(etree.SubElement(root, q("ServicioFirmante")), idEntidad=institution.id)
    ipes = _set(
        etree.SubElement(root, q("Ipes")),
        idNombreInstitucion=institution.id,
        nombreInstitucion=institution.name,
        idCampus=campus.id,
        campus=campus.name,
        idEntidadFederativa=campus.state,
        entidadFederativa=entidades.get(campus.state),
    )
    _set(
        etree.SubElement(ipes, q("Responsable")),
        curp=officer.curp,
        nombre=officer.nombre,
        primerApellido=officer.primer_apellido,
        segundoApellido=officer.segundo_apellido,
        idCargo=officer.id_cargo,
        cargo=catalogs.load("cargo").get(str(officer.id_cargo)),
    )
    _set(
        etree.SubElement(root, q("Rvoe")),
        numero=program.numero_rvoe,
        fechaExpedicion=_iso(program.fecha_rvoe),
    )
    _set(
        etree.SubElement(root, q("Carrera")),
        idCarrera=program.id_carrera,
        claveCarrera=program.clave_carrera or None,
        nombreCarrera=program.nombre_carrera,
        idTipoPeriodo=program.id_tipo_periodo,
        tipoPeriodo=catalogs.load("tipo_periodo").get(str(program.id_tipo_periodo)),
        clavePlan=program.clave_plan,
        idNivelEstudios=program.id_nivel_estudios,
        nivelEstudios=catalogs.load("nivel_estudios").get(str(program.id_nivel_estudios)),
        calificacionMinima=program.calificacion_minima,
        calificacionMaxima=program.calificacion_maxima,
        calificacionMinimaAprobatoria=program.calificacion_minima_aprobatoria,
    )
    _set(
        etree.SubElement(root, q("Alumno")),
        numeroControl=student.numero_control,
        curp=student.curp,
        nombre=student.nombre,
        primerApellido=student.primer_apellido,
        segundoApellido=student.segundo_apellido,
        idGenero=student.id_genero,
        fechaNacimiento=_iso(student.fecha_nacimiento),
    )
    _set(
        etree.SubElement(root, q("Expedicion")),
        idTipoCertificacion=data.tipo,
        tipoCertificacion=catalogs.load("tipo_certificacion").get(str(data.tipo)),
        fecha=_iso(data.fecha),
        idLugarExpedicion=campus.state,
        lugarExpedicion=entidades.get(campus.state),
    )
    asignaturas = _set(
        etree.SubElement(root, q("Asignaturas")),
        total=data.total,
        asignadas=data.asignadas,
        promedio=data.promedio,
        totalCreditos=_d2(program.total_creditos),
        creditosObtenidos=_d2(data.creditos_obtenidos),
        numeroCiclos=data.numero_ciclos,
    )
    tipos = catalogs.load("tipo_asignatura")
    observaciones = catalogs.load("observaciones")
    for grade in data.grades:
        obs = str(grade.id_observaciones) if grade.id_observaciones is not None else None
        _set(
            etree.SubElement(asignaturas, q("Asignatura")),
            idAsignatura=grade.subject.id_asignatura,
            claveAsignatura=grade.subject.clave,
            nombre=grade.subject.nombre,
            ciclo=grade.ciclo,
            calificacion=grade.calificacion,
            idObservaciones=obs,
            observaciones=observaciones.get(obs) if obs else None,
            idTipoAsignatura=grade.subject.id_tipo,
            tipoAsignatura=tipos.get(str(grade.subject.id_tipo)),
            creditos=_d2(grade.subject.creditos),
        )
    if placeholders:
        etree.SubElement(root, q("Dreoe"))
        etree.SubElement(root, q("SepIpes"))
    return root


# --- signing and context --------------------------------------------------------------------------


def seal(
    root: etree._Element,
    *,
    key: rsa.RSAPrivateKey | None = None,
    cert: x509.Certificate | None = None,
    variant: int = 33,
) -> etree._Element:
    """Seal ``root`` in place with the given officer key/certificate (default: the test PKI's officer)."""
    from mec_ws.certificate.sello import seal_document
    from mec_ws.testdata.pki import default_pki

    if key is None or cert is None:
        pki = default_pki()
        key, cert = pki.officer_key, pki.officer_cert
    seal_document(root, key, cert, variant=variant)
    return root


def to_bytes(root: etree._Element) -> bytes:
    """UTF-8 with an XML declaration, as an institution would upload it."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class Scenario:
    """One institution, campus and program with seeded students: the demo's and the tests' world."""

    institution: Institution
    campus: Campus
    program: StudyProgram
    seed: int = 2024

    def rng(self, salt: object = "") -> random.Random:
        return random.Random(f"{self.seed}:{salt}")  # noqa: S311 - test data, not security

    def student(self, n: int = 0) -> Student:
        return make_student(self.rng(f"alumno:{n}"), numero_control=f"20{self.seed % 100:02d}{n:05d}")

    def certificate(self, n: int = 0, *, tipo: int = TOTAL, **kwargs: object) -> etree._Element:
        """Certificate ``n``; ``folio_control=None`` leaves folioControl out, ``placeholders=True``
        ends it with empty ``<Dreoe/><SepIpes/>``."""
        given = kwargs.pop("folio_control", f"UAV-{DEFAULT_FECHA.year}-{n + 100:06d}")
        folio = None if given is None else str(given)
        return build_certificate(
            self.program,
            self.institution,
            self.campus,
            self.student(n),
            folio_control=folio,
            tipo=tipo,
            rng=self.rng(f"cert:{n}:{tipo}"),
            **kwargs,  # type: ignore[arg-type]
        )


def default_scenario(seed: int = 2024) -> Scenario:
    institution = make_institution()
    return Scenario(
        institution=institution, campus=institution.campuses[0], program=make_program(institution), seed=seed
    )


def signed_certificate(
    scenario: Scenario | None = None, n: int = 0, *, tipo: int = TOTAL, **kwargs: object
) -> bytes:
    """A valid certificate sealed with the default test officer, as upload bytes."""
    scenario = scenario or default_scenario()
    return to_bytes(seal(scenario.certificate(n, tipo=tipo, **kwargs)))


def make_context(
    scenario: Scenario | None = None,
    *,
    now: datetime = FIXED_NOW,
    officers: Iterable[tuple[str, x509.Certificate]] | None = None,
    accepted_folios: Iterable[str] = (ACCEPTED_FOLIO,),
    strict_sello: bool = False,
) -> ValidationContext:
    """The full registry context of ``scenario``: institution, officer, CA, program, accepted folios."""
    from mec_ws.testdata.pki import cert_to_der, default_pki

    scenario = scenario or default_scenario()
    pki = default_pki()
    pairs = list(officers) if officers is not None else [(scenario.campus.id, pki.officer_cert)]
    inst = scenario.institution
    return ValidationContext(
        now=now,
        institution=inst,
        officers=tuple(
            RegisteredOfficer(campus_id=campus_id, certificate_der=cert_to_der(cert), cargo_id=5)
            for campus_id, cert in pairs
        ),
        find_program=programs_lookup([scenario.program]),
        is_folio_accepted=folios_lookup((inst.id, folio) for folio in accepted_folios),
        trusted_cas=(pki.ca_cert,),
        strict_sello=strict_sello,
    )
