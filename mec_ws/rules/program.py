"""The career and subjects of the document against the institution's registered study program."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from mec_ws.certificate.document import DecDocument, Node
from mec_ws.findings import Finding
from mec_ws.registry import ProgramSubject, StudyProgram, ValidationContext
from mec_ws.rules.base import Rule, error, skipped
from mec_ws.rules.common import COUNTED_TYPES, figures, institution_id, scale_of
from mec_ws.rules.values import date_or_none, decimal_or_none, decimal_text, int_or_none

_NO_LOOKUP = "no se dieron los programas de estudio registrados; no se verificó {what}."


def _program(doc: DecDocument, ctx: ValidationContext) -> StudyProgram | None:
    """The registered program the document names (call only when ``ctx.find_program`` is set)."""
    assert ctx.find_program is not None
    carrera, plan = doc.carrera.get("idCarrera"), doc.carrera.get("clavePlan")
    institution = institution_id(doc, ctx)
    if carrera is None or plan is None or institution is None:
        return None
    return ctx.find_program(institution, carrera.strip(), plan.strip())


def check_program(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    if ctx.find_program is None:
        yield skipped("PROGRAMA_NO_REGISTRADO", _NO_LOOKUP.format(what="la carrera"), doc.carrera.path)
        return
    carrera, plan = doc.carrera.get("idCarrera"), doc.carrera.get("clavePlan")
    if carrera is None or plan is None:
        return  # the XSD finding reports the missing attribute
    program = _program(doc, ctx)
    if program is None:
        yield error(
            "PROGRAMA_NO_REGISTRADO",
            f"La carrera {carrera.strip()} con plan {plan.strip()} no es un programa de estudios registrado "
            f"de la institución {institution_id(doc, ctx)}.",
            doc.carrera.loc("idCarrera"),
        )
        return
    yield from _campus_offers(doc, ctx, program)
    yield from _compare_program(doc, program)


def _campus_offers(doc: DecDocument, ctx: ValidationContext, program: StudyProgram) -> Iterator[Finding]:
    campus = doc.ipes.get("idCampus")
    if campus is None or not program.campus_ids:
        return
    institution = ctx.institution
    if institution is None or institution.campus(campus.strip()) is None:
        return  # unknown campus: CAMPUS_NO_REGISTRADO (or not checkable)
    if campus.strip() not in program.campus_ids:
        yield error(
            "PROGRAMA_NO_REGISTRADO",
            f"La carrera {program.id_carrera} (plan {program.clave_plan}) no está registrada para el campus "
            f"{campus.strip()}; se imparte en: {', '.join(program.campus_ids)}.",
            doc.ipes.loc("idCampus"),
        )


def _mismatch(node: Node, attribute: str, written: str, expected: str) -> Finding:
    return error(
        "PROGRAMA_NO_COINCIDE",
        f"{attribute} es «{written}», pero el programa registrado tiene «{expected}».",
        node.loc(attribute),
    )


def _compare_program(doc: DecDocument, program: StudyProgram) -> Iterator[Finding]:
    numero = doc.rvoe.get("numero")
    if numero is not None and numero.strip() != program.numero_rvoe:
        yield _mismatch(doc.rvoe, "numero", numero.strip(), program.numero_rvoe)
    fecha: date | None = date_or_none(doc.rvoe.get("fechaExpedicion"))
    if fecha is not None and fecha != program.fecha_rvoe:
        yield _mismatch(doc.rvoe, "fechaExpedicion", f"{fecha:%Y-%m-%d}", f"{program.fecha_rvoe:%Y-%m-%d}")
    for attribute, expected_int in (
        ("idNivelEstudios", program.id_nivel_estudios),
        ("idTipoPeriodo", program.id_tipo_periodo),
    ):
        value = int_or_none(doc.carrera.get(attribute))
        if value is not None and value != expected_int:
            yield _mismatch(doc.carrera, attribute, str(value), str(expected_int))
    scale = scale_of(doc)
    if scale is not None and not scale.valid:
        return  # ESCALA_CALIFICACION_INVALIDA already says the scale is wrong
    for attribute, expected_dec in (
        ("calificacionMinima", program.calificacion_minima),
        ("calificacionMaxima", program.calificacion_maxima),
        ("calificacionMinimaAprobatoria", program.calificacion_minima_aprobatoria),
    ):
        number = decimal_or_none(doc.carrera.get(attribute))
        if number is not None and number != expected_dec:
            yield _mismatch(doc.carrera, attribute, decimal_text(number), decimal_text(expected_dec))


def _with_program(
    code: str, what: str, check: Callable[[DecDocument, StudyProgram], Iterator[Finding]]
) -> Callable[[DecDocument, ValidationContext], Iterator[Finding]]:
    """A rule body that needs the registered program: OMITIDA without lookup, silent when unregistered."""

    def run(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
        if ctx.find_program is None:
            yield skipped(code, _NO_LOOKUP.format(what=what), doc.asignaturas.path)
            return
        program = _program(doc, ctx)
        if program is not None:  # unregistered: PROGRAMA_NO_REGISTRADO already reported it
            yield from check(doc, program)

    return run


class _ProgramIndex:
    """What the rules derive from one registered program, computed once per program (not per file)."""

    __slots__ = ("by_id", "clean", "program", "required")

    def __init__(self, program: StudyProgram) -> None:
        self.program = program  # held: the cache key is its id()
        # (idAsignatura, idTipoAsignatura, creditos) as written, of subjects that matched the program
        # (no finding): a pure function of those texts and the program; a batch repeats them
        self.clean: set[tuple[str, str | None, str | None]] = set()
        self.by_id: dict[str, ProgramSubject] = {}
        for subject in program.subjects:  # the first of a repeated id wins, as in StudyProgram.subject
            self.by_id.setdefault(subject.id_asignatura, subject)
        self.required = tuple(s for s in program.subjects if s.id_tipo in COUNTED_TYPES)


_INDEXES: dict[int, _ProgramIndex] = {}


def _index(program: StudyProgram) -> _ProgramIndex:
    """The index of ``program``; a batch looks its program up once and validates every file with it."""
    index = _INDEXES.get(id(program))
    if index is None or index.program is not program:
        if len(_INDEXES) >= 64:
            _INDEXES.clear()
        index = _INDEXES[id(program)] = _ProgramIndex(program)
    return index


_CLEAN_LIMIT = 512  # distinct matching subjects remembered per program (then forgotten at once)


def _subjects_match(doc: DecDocument, program: StudyProgram) -> Iterator[Finding]:
    index = _index(program)
    clean = index.clean
    for node in doc.asignatura:
        get = node.get
        id_asignatura = get("idAsignatura")
        if id_asignatura is None:
            continue
        key = (id_asignatura, get("idTipoAsignatura"), get("creditos"))
        if key in clean:
            continue  # this subject, as written, matched the program before: no finding
        found = list(_subject_match(node, id_asignatura, index.by_id, program))
        if found:
            yield from found
        else:
            if len(clean) >= _CLEAN_LIMIT:
                clean.clear()
            clean.add(key)


def _subject_match(
    node: Node, id_asignatura: str, by_id: dict[str, ProgramSubject], program: StudyProgram
) -> Iterator[Finding]:
    """The findings of one subject against the program (none when it matches)."""
    registered = by_id.get(id_asignatura.strip())
    if registered is None:
        yield error(
            "ASIGNATURA_NO_REGISTRADA",
            f"La asignatura {id_asignatura.strip()} no pertenece al programa {program.id_carrera} "
            f"(plan {program.clave_plan}).",
            node.loc("idAsignatura"),
        )
        return
    tipo = int_or_none(node.get("idTipoAsignatura"))
    if tipo is not None and tipo != registered.id_tipo:
        yield error(
            "ASIGNATURA_NO_COINCIDE",
            f"La asignatura {registered.id_asignatura} ({registered.nombre}) tiene idTipoAsignatura "
            f"{tipo}, pero en el programa es {registered.id_tipo}.",
            node.loc("idTipoAsignatura"),
        )
    creditos = decimal_or_none(node.get("creditos"))
    if creditos is not None and creditos != registered.creditos:
        yield error(
            "ASIGNATURA_NO_COINCIDE",
            f"La asignatura {registered.id_asignatura} ({registered.nombre}) tiene "
            f"{decimal_text(creditos)} créditos, pero en el programa tiene "
            f"{decimal_text(registered.creditos)}.",
            node.loc("creditos"),
        )


def check_duplicates(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    ids = [node.get("idAsignatura") for node in doc.asignatura]
    present = [i.strip() for i in ids if i is not None]
    if len(set(present)) == len(present):
        return  # no id repeats (the common case, seen in one pass)
    first: dict[str, int] = {}
    for position, node in enumerate(doc.asignatura, start=1):
        id_asignatura = node.get("idAsignatura")
        if id_asignatura is None:
            continue
        key = id_asignatura.strip()
        if key in first:
            yield error(
                "ASIGNATURA_DUPLICADA",
                f"La asignatura {key} aparece de nuevo; ya estaba en la posición {first[key]}.",
                node.loc("idAsignatura"),
            )
        else:
            first[key] = position


def _total_credits(doc: DecDocument, program: StudyProgram) -> Iterator[Finding]:
    total = decimal_or_none(doc.asignaturas.get("totalCreditos"))
    if total is not None and total != program.total_creditos:
        yield error(
            "TOTAL_CREDITOS_NO_COINCIDE",
            f"totalCreditos es {decimal_text(total)}, pero el programa registrado suma "
            f"{decimal_text(program.total_creditos)} créditos.",
            doc.asignaturas.loc("totalCreditos"),
        )


def _completeness(doc: DecDocument, program: StudyProgram) -> Iterator[Finding]:
    tipo = int_or_none(doc.expedicion.get("idTipoCertificacion"))
    if tipo not in (79, 80):
        return
    passing = program.calificacion_minima_aprobatoria
    passed: set[str] = set()
    for node, grade in zip(doc.asignatura, figures(doc).grades, strict=True):
        id_asignatura = node.get("idAsignatura")
        if id_asignatura is not None and grade is not None and grade >= passing:
            passed.add(id_asignatura.strip())
    required = _index(program).required
    missing = [s for s in required if s.id_asignatura not in passed]
    location = doc.expedicion.loc("idTipoCertificacion")
    if tipo == 79 and missing:
        listed = ", ".join(f"{s.id_asignatura} {s.nombre}" for s in missing[:5])
        more = f" y {len(missing) - 5} más" if len(missing) > 5 else ""
        owed = sum((s.creditos for s in missing), Decimal(0))
        yield error(
            "CERTIFICADO_TOTAL_INCOMPLETO",
            f"El certificado es TOTAL (79), pero faltan {len(missing)} asignaturas del programa sin aprobar "
            f"({decimal_text(owed)} créditos): {listed}{more}.",
            location,
        )
    elif tipo == 80 and required and not missing:
        yield error(
            "CERTIFICADO_PARCIAL_COMPLETO",
            f"El certificado es PARCIAL (80), pero tiene aprobadas todas las asignaturas del programa "
            f"({decimal_text(program.total_creditos)} créditos); debe expedirse como TOTAL (79).",
            location,
        )


PROGRAM_RULES: tuple[Rule, ...] = (
    Rule(
        "programa de estudios registrado", ("PROGRAMA_NO_REGISTRADO", "PROGRAMA_NO_COINCIDE"), check_program
    ),
    Rule(
        "asignaturas del programa",
        ("ASIGNATURA_NO_REGISTRADA", "ASIGNATURA_NO_COINCIDE"),
        _with_program("ASIGNATURA_NO_REGISTRADA", "las asignaturas", _subjects_match),
    ),
    Rule("asignaturas repetidas", ("ASIGNATURA_DUPLICADA",), check_duplicates),
    Rule(
        "total de créditos del programa",
        ("TOTAL_CREDITOS_NO_COINCIDE",),
        _with_program("TOTAL_CREDITOS_NO_COINCIDE", "el total de créditos", _total_credits),
    ),
    Rule(
        "certificado total o parcial",
        ("CERTIFICADO_TOTAL_INCOMPLETO", "CERTIFICADO_PARCIAL_COMPLETO"),
        _with_program("CERTIFICADO_TOTAL_INCOMPLETO", "si el certificado es total o parcial", _completeness),
    ),
)
