"""Small shared helpers of the rule modules: registry identity and subject classification."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mec_ws import catalogs
from mec_ws.certificate.cadena import ASIGNATURA_FIELDS, CADENA_FIELDS, VARIANT_32_OMITS, join, normalize
from mec_ws.certificate.document import DecDocument, Node
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import short_text_cache
from mec_ws.rules.values import decimal_or_none, int_or_none

COUNTED_TYPES = frozenset({263, 264, 265})  # 266 COMPLEMENTARIA counts in nothing


def institution_id(doc: DecDocument, ctx: ValidationContext) -> str | None:
    """The institution whose registry applies: the uploader's, else the one the document names."""
    if ctx.institution is not None:
        return ctx.institution.id
    value = doc.ipes.get("idNombreInstitucion")
    return value.strip() if value else None


@dataclass(frozen=True, slots=True)
class Scale:
    minima: Decimal
    maxima: Decimal
    aprobatoria: Decimal

    @property
    def valid(self) -> bool:
        return self.minima <= self.aprobatoria <= self.maxima


def scale_of(doc: DecDocument) -> Scale | None:
    """The grade scale of ``Carrera``, or None when one of its three values is unreadable."""
    return figures(doc).scale


def _read_scale(doc: DecDocument) -> Scale | None:
    values = [
        decimal_or_none(doc.carrera.get(name))
        for name in ("calificacionMinima", "calificacionMaxima", "calificacionMinimaAprobatoria")
    ]
    if any(v is None for v in values):
        return None
    minima, maxima, aprobatoria = values
    assert minima is not None and maxima is not None and aprobatoria is not None
    return Scale(minima=minima, maxima=maxima, aprobatoria=aprobatoria)


def subject_type(node: Node) -> int | None:
    """idTipoAsignatura when it is a known catalog value, else None."""
    raw = node.get("idTipoAsignatura")
    if raw is None:
        return None
    return _subject_type(raw)


@short_text_cache(256)
def _subject_type(raw: str) -> int | None:
    value = int_or_none(raw)
    return value if value is not None and catalogs.is_known("tipo_asignatura", str(value)) else None


def counted_subjects(doc: DecDocument) -> Sequence[Node] | None:
    """The subjects that count (263/264/265); None when a type is unreadable (reported elsewhere)."""
    return figures(doc).counted


_GRADE_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def grade_value(text: str | None) -> Decimal | None:
    """A grade as written (plain decimal, at most 2 significant decimals), or None when it is not one."""
    if text is None:
        return None
    return _grade_value(text)


@short_text_cache(4096)
def _grade_value(text: str) -> Decimal | None:
    stripped = text.strip()
    if not _GRADE_TEXT.match(stripped):
        return None
    value = Decimal(stripped)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return None
    return value


@dataclass(frozen=True, slots=True)
class SubjectFigures:
    """What several rules derive from the subjects, computed once per document (see :func:`figures`)."""

    scale: Scale | None  # :func:`scale_of`
    grades: tuple[Decimal | None, ...]  # grade_value of each subject's calificacion, in document order
    counted: tuple[Node, ...] | None  # :func:`counted_subjects`
    counted_grades: tuple[Decimal, ...] | None  # the counted subjects' grades; None when one is unreadable
    passed: tuple[Node, ...] | None  # counted subjects with a passing grade; None when not knowable
    all_graded: bool = False  # every subject's grade is readable (no None in ``grades``)


def _figures(doc: DecDocument) -> SubjectFigures:
    scale = _read_scale(doc)
    # grade_value and subject_type of each subject, inlined (this runs for every file)
    grade_list: list[Decimal | None] = []
    types: list[int | None] = []
    all_graded = True
    for node in doc.asignatura:
        get = node.get
        text = get("calificacion")
        grade = None if text is None else _grade_value(text)
        if grade is None:
            all_graded = False
        grade_list.append(grade)
        raw = get("idTipoAsignatura")
        types.append(None if raw is None else _subject_type(raw))
    grades = tuple(grade_list)
    counted: tuple[Node, ...] | None = None
    counted_grades: tuple[Decimal, ...] | None = None
    passed: tuple[Node, ...] | None = None
    if all(t is not None for t in types):
        picked = [i for i, t in enumerate(types) if t in COUNTED_TYPES]
        counted = tuple(doc.asignatura[i] for i in picked)
        values = [grades[i] for i in picked]
        if all(v is not None for v in values):
            counted_grades = tuple(v for v in values if v is not None)
            if scale is not None:
                passed = tuple(
                    node
                    for node, grade in zip(counted, counted_grades, strict=True)
                    if grade >= scale.aprobatoria
                )
    return SubjectFigures(scale, grades, counted, counted_grades, passed, all_graded)


def figures(doc: DecDocument) -> SubjectFigures:
    """The subject figures of ``doc``, computed on first use and kept on the document for every rule."""
    cached = doc.derived.get("figures")
    if cached is None:
        cached = doc.derived["figures"] = _figures(doc)
    assert isinstance(cached, SubjectFigures)
    return cached


def _cadena_nodes(doc: DecDocument) -> list[Node]:
    """The node of each of the 33 fixed cadena fields, in order."""
    nodes = {
        "": doc.dec,
        "ServicioFirmante": doc.servicio_firmante,
        "Ipes": doc.ipes,
        "Ipes/Responsable": doc.responsable,
        "Rvoe": doc.rvoe,
        "Carrera": doc.carrera,
        "Alumno": doc.alumno,
        "Expedicion": doc.expedicion,
        "Asignaturas": doc.asignaturas,
    }
    return [nodes[path] for path, _ in CADENA_FIELDS]


def _cadena_fields(doc: DecDocument) -> list[tuple[Node, str, str | None]]:
    """(node, attribute, raw value) of every field of the 33-field cadena, in order, read from the
    document's nodes: the same values :func:`mec_ws.certificate.cadena.cadena_original` reads from
    the tree, without walking the tree again.  Only for locations (rarely needed); the values alone
    are :func:`_cadena_values`."""
    fields = [
        (node, attr, node.get(attr))
        for node, (_, attr) in zip(_cadena_nodes(doc), CADENA_FIELDS, strict=True)
    ]
    for node in doc.asignatura:
        fields += [(node, attr, node.get(attr)) for attr in ASIGNATURA_FIELDS]
    return fields


_FIXED_ATTRS = tuple(attr for _, attr in CADENA_FIELDS)


def _cadena_values(doc: DecDocument) -> list[str | None]:
    """The raw value of every field of the 33-field cadena, in order (computed once per document)."""
    values = doc.derived.get("cadena_values")
    if values is None:
        values = [node.get(attr) for node, attr in zip(_cadena_nodes(doc), _FIXED_ATTRS, strict=True)]
        values += [get(attr) for get in [node.get for node in doc.asignatura] for attr in ASIGNATURA_FIELDS]
        doc.derived["cadena_values"] = values
    return values  # type: ignore[return-value]


_VARIANT_32_SKIPS = CADENA_FIELDS.index(VARIANT_32_OMITS)
_NOT_NORMAL = ("  ", "\t", "\n", "\r", "| ", " |")


def _joined(values: list[str | None]) -> str:
    return "|".join([v or "" for v in values])


def _cadena_text(values: list[str | None], raw: str) -> str:
    """``join`` of the normalised values; ``raw`` is :func:`_joined` of them.  When the values joined
    as they are hold no whitespace that ``normalize`` would change (no tab or line break, no double
    space, no space next to a separator or at either end), each value is already normal and the
    joined text is the cadena itself."""
    if raw[:1] != " " and raw[-1:] != " " and not any(bad in raw for bad in _NOT_NORMAL):
        return f"||{raw}||"
    return join([normalize(value) for value in values])


def document_cadena(doc: DecDocument, variant: int = 33) -> str:
    """The cadena original of ``doc`` (33 or 32 fields), built once per document."""
    if variant not in (32, 33):
        raise ValueError(f"variante de cadena desconocida: {variant}")
    key = f"cadena_{variant}"
    text = doc.derived.get(key)
    if text is None:
        values = _cadena_values(doc)
        if variant == 32:
            values = values[:_VARIANT_32_SKIPS] + values[_VARIANT_32_SKIPS + 1 :]
            raw = _joined(values)
        else:
            raw = _raw_cadena(doc)
        text = doc.derived[key] = _cadena_text(values, raw)
    assert isinstance(text, str)
    return text


def _raw_cadena(doc: DecDocument) -> str:
    """The 33 fields' raw values joined by ``|`` (computed once per document)."""
    raw = doc.derived.get("cadena_raw")
    if raw is None:
        raw = doc.derived["cadena_raw"] = _joined(_cadena_values(doc))
    assert isinstance(raw, str)
    return raw


def pipe_fields(doc: DecDocument) -> list[str]:
    """Locations of the cadena values of ``doc`` that contain ``|`` (as ``fields_with_pipe``)."""
    if _raw_cadena(doc).count("|") == len(_cadena_values(doc)) - 1:  # only the separators
        return []
    return [node.loc(attr) for node, attr, value in _cadena_fields(doc) if value is not None and "|" in value]
