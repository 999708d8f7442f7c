"""Small shared helpers of the rule modules: registry identity and subject classification."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from mec_ws import catalogs
from mec_ws.certificate.cadena import ASIGNATURA_FIELDS, CADENA_FIELDS, VARIANT_32_OMITS, join, normalize
from mec_ws.certificate.document import DecDocument, Node
from mec_ws.registry import ValidationContext
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
    return _cached_type(raw) if len(raw) <= _CACHED_TEXT else _subject_type(raw)


@lru_cache(maxsize=256)
def _cached_type(raw: str) -> int | None:
    return _subject_type(raw)


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
    return _cached_grade(text) if len(text) <= _CACHED_TEXT else _grade_value(text)


_CACHED_TEXT = 32  # longer texts are judged each time, never kept (the caches stay small)


@lru_cache(maxsize=4096)  # a pure function of the text; a batch repeats a few dozen distinct grades
def _cached_grade(text: str) -> Decimal | None:
    return _grade_value(text)


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


def _figures(doc: DecDocument) -> SubjectFigures:
    scale = _read_scale(doc)
    grades = tuple(grade_value(node.get("calificacion")) for node in doc.asignatura)
    types = [subject_type(node) for node in doc.asignatura]
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
    return SubjectFigures(scale, grades, counted, counted_grades, passed)


def figures(doc: DecDocument) -> SubjectFigures:
    """The subject figures of ``doc``, computed on first use and kept on the document for every rule."""
    cached = doc.derived.get("figures")
    if cached is None:
        cached = doc.derived["figures"] = _figures(doc)
    assert isinstance(cached, SubjectFigures)
    return cached


def _cadena_fields(doc: DecDocument) -> list[tuple[Node, str, str | None]]:
    """(node, attribute, raw value) of every field of the 33-field cadena, in order, read from the
    document's nodes: the same values :func:`mec_ws.certificate.cadena.cadena_original` reads from
    the tree, without walking the tree again."""
    fields = doc.derived.get("cadena_fields")
    if fields is None:
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
        fields = [(nodes[path], attr, nodes[path].attrs.get(attr)) for path, attr in CADENA_FIELDS]
        for node in doc.asignatura:
            attrs = node.attrs
            fields += [(node, attr, attrs.get(attr)) for attr in ASIGNATURA_FIELDS]
        doc.derived["cadena_fields"] = fields
    return fields  # type: ignore[return-value]


_VARIANT_32_SKIPS = CADENA_FIELDS.index(VARIANT_32_OMITS)


def document_cadena(doc: DecDocument, variant: int = 33) -> str:
    """The cadena original of ``doc`` (33 or 32 fields), built once per document."""
    if variant not in (32, 33):
        raise ValueError(f"variante de cadena desconocida: {variant}")
    key = f"cadena_{variant}"
    text = doc.derived.get(key)
    if text is None:
        fields = _cadena_fields(doc)
        if variant == 32:
            fields = fields[:_VARIANT_32_SKIPS] + fields[_VARIANT_32_SKIPS + 1 :]
        text = doc.derived[key] = join([normalize(value) for _, _, value in fields])
    assert isinstance(text, str)
    return text


def pipe_fields(doc: DecDocument) -> list[str]:
    """Locations of the cadena values of ``doc`` that contain ``|`` (as ``fields_with_pipe``)."""
    return [node.loc(attr) for node, attr, value in _cadena_fields(doc) if value is not None and "|" in value]
