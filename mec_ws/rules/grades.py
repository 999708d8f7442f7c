"""The grade scale and every grade: decimals with at most 2 decimals, within the scale."""

from __future__ import annotations

from collections.abc import Iterator

from mec_ws.certificate.document import DecDocument
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error
from mec_ws.rules.common import figures, scale_of
from mec_ws.rules.values import decimal_text


def check_scale(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    scale = scale_of(doc)
    if scale is None or scale.valid:
        return
    yield error(
        "ESCALA_CALIFICACION_INVALIDA",
        f"La escala de calificaciones no es congruente: mínima {decimal_text(scale.minima)}, mínima "
        f"aprobatoria {decimal_text(scale.aprobatoria)}, máxima {decimal_text(scale.maxima)}; "
        "debe cumplirse mínima ≤ mínima aprobatoria ≤ máxima.",
        doc.carrera.loc("calificacionMinimaAprobatoria"),
    )


def check_grades(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    scale = scale_of(doc)
    in_scale = scale is not None and scale.valid
    subject_figures = figures(doc)
    grades = subject_figures.grades
    if subject_figures.all_graded and (
        not in_scale
        or not grades
        or (scale is not None and scale.minima <= min(grades) <= max(grades) <= scale.maxima)
    ):
        return  # every subject has a readable grade, within the scale when it is valid: no finding
    for node, grade in zip(doc.asignatura, grades, strict=True):
        text = node.get("calificacion")
        if text is None:
            continue  # the XSD finding reports it
        if grade is None:
            yield error(
                "CALIFICACION_INVALIDA",
                f"La calificación «{text}» no es un número decimal con a lo más 2 decimales.",
                node.loc("calificacion"),
            )
        elif in_scale and scale is not None and not scale.minima <= grade <= scale.maxima:
            yield error(
                "CALIFICACION_FUERA_DE_RANGO",
                f"La calificación {text.strip()} está fuera de la escala "
                f"[{decimal_text(scale.minima)}, {decimal_text(scale.maxima)}].",
                node.loc("calificacion"),
            )


GRADE_RULES: tuple[Rule, ...] = (
    Rule("escala de calificaciones", ("ESCALA_CALIFICACION_INVALIDA",), check_scale),
    Rule("calificaciones", ("CALIFICACION_INVALIDA", "CALIFICACION_FUERA_DE_RANGO"), check_grades),
)
