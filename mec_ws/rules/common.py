"""Small shared helpers of the rule modules: registry identity and subject classification."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mec_ws import catalogs
from mec_ws.certificate.cadena import CadenaValues, cadena_of_values, cadena_values, pipe_locations
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


def _cadena_values(doc: DecDocument) -> CadenaValues:
    values = doc.derived.get("cadena_values")
    if values is None:
        values = doc.derived["cadena_values"] = cadena_values(doc.root)
    return values  # type: ignore[return-value]


def document_cadena(doc: DecDocument, variant: int = 33) -> str:
    """The cadena original of ``doc`` (33 or 32 fields), built once per document."""
    key = f"cadena_{variant}"
    text = doc.derived.get(key)
    if text is None:
        text = doc.derived[key] = cadena_of_values(_cadena_values(doc), variant=variant)
    assert isinstance(text, str)
    return text


def pipe_fields(doc: DecDocument) -> list[str]:
    """Locations of the cadena values of ``doc`` that contain ``|`` (the values read once)."""
    return pipe_locations(_cadena_values(doc))
