"""Small shared helpers of the rule modules: registry identity and subject classification."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mec_ws import catalogs
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
    types = [subject_type(node) for node in doc.asignatura]
    if any(t is None for t in types):
        return None
    return [node for node, t in zip(doc.asignatura, types, strict=True) if t in COUNTED_TYPES]


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
