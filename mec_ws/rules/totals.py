"""The totals of ``Asignaturas`` recomputed from the subjects.

Counted subjects are those of type 263, 264 and 265 (266 COMPLEMENTARIA counts in nothing).  When
a value a total depends on is unreadable (a subject type, a grade, credits), that total is not
judged: the finding about the unreadable value already rejects the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from mec_ws.certificate.document import DecDocument, Node
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error
from mec_ws.rules.common import counted_subjects, figures
from mec_ws.rules.values import decimal_or_none, decimal_text, int_or_none

_CENT = Decimal("0.01")


def check_total(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    counted = counted_subjects(doc)
    total = int_or_none(doc.asignaturas.get("total"))
    if counted is None or total is None or total == len(counted):
        return
    yield error(
        "TOTAL_ASIGNATURAS_NO_COINCIDE",
        f"Asignaturas/@total es {total}, pero el certificado tiene {len(counted)} asignaturas que cuentan "
        "(obligatorias, optativas y adicionales).",
        doc.asignaturas.loc("total"),
    )


def _passed(doc: DecDocument) -> Sequence[Node] | None:
    """The counted subjects with a passing grade; None when that cannot be known."""
    return figures(doc).passed


def check_asignadas(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    asignadas = int_or_none(doc.asignaturas.get("asignadas"))
    if asignadas is None:
        return
    location = doc.asignaturas.loc("asignadas")
    passed = _passed(doc)
    if passed is not None:
        if asignadas != len(passed):
            yield error(
                "ASIGNADAS_NO_COINCIDE",
                f"Asignaturas/@asignadas es {asignadas}, pero hay {len(passed)} asignaturas aprobadas que "
                "cuentan.",
                location,
            )
        return
    total = int_or_none(doc.asignaturas.get("total"))
    if total is not None and asignadas > total:
        yield error(
            "ASIGNADAS_NO_COINCIDE",
            f"Asignaturas/@asignadas ({asignadas}) no puede ser mayor que Asignaturas/@total ({total}).",
            location,
        )


def check_promedio(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    written = decimal_or_none(doc.asignaturas.get("promedio"))
    counted = counted_subjects(doc)
    if written is None or not counted:
        return
    grades = figures(doc).counted_grades
    if grades is None:
        return
    mean = sum(grades, Decimal(0)) / len(grades)
    truncated = mean.quantize(_CENT, rounding=ROUND_DOWN)
    rounded = mean.quantize(_CENT, rounding=ROUND_HALF_UP)
    if written not in (truncated, rounded):
        accepted = decimal_text(truncated) if truncated == rounded else f"{truncated} o {rounded}"
        yield error(
            "PROMEDIO_NO_COINCIDE",
            f"El promedio es {decimal_text(written)}, pero la media de las {len(grades)} calificaciones que "
            f"cuentan es {decimal_text(mean.quantize(Decimal('0.0001')))}; se acepta {accepted}.",
            doc.asignaturas.loc("promedio"),
        )


def check_creditos(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    written = decimal_or_none(doc.asignaturas.get("creditosObtenidos"))
    if written is None:
        return
    location = doc.asignaturas.loc("creditosObtenidos")
    passed = _passed(doc)
    credits = [decimal_or_none(n.get("creditos")) for n in passed] if passed is not None else None
    if credits is not None and all(c is not None for c in credits):
        earned = sum((c for c in credits if c is not None), Decimal(0))
        if written != earned:
            yield error(
                "CREDITOS_OBTENIDOS_NO_COINCIDE",
                f"creditosObtenidos es {decimal_text(written)}, pero las asignaturas aprobadas que cuentan "
                f"suman {decimal_text(earned)} créditos.",
                location,
            )
            return
    total = decimal_or_none(doc.asignaturas.get("totalCreditos"))
    if total is not None and written > total:
        yield error(
            "CREDITOS_OBTENIDOS_NO_COINCIDE",
            f"creditosObtenidos ({decimal_text(written)}) no puede ser mayor que totalCreditos "
            f"({decimal_text(total)}).",
            location,
        )


def check_ciclos(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    written = int_or_none(doc.asignaturas.get("numeroCiclos"))
    if written is None:
        return
    ciclos = [n.get("ciclo") for n in doc.asignatura]
    if None in ciclos:
        return
    stripped = [c.strip() for c in ciclos if c is not None]
    if "" in stripped:
        return
    distinct = sorted(set(stripped))
    if written != len(distinct):
        shown = ", ".join(distinct[:12]) + (" …" if len(distinct) > 12 else "")
        yield error(
            "NUMERO_CICLOS_NO_COINCIDE",
            f"numeroCiclos es {written}, pero las asignaturas tienen {len(distinct)} ciclos distintos "
            f"({shown}).",
            doc.asignaturas.loc("numeroCiclos"),
        )


TOTAL_RULES: tuple[Rule, ...] = (
    Rule("total de asignaturas", ("TOTAL_ASIGNATURAS_NO_COINCIDE",), check_total),
    Rule("asignaturas aprobadas", ("ASIGNADAS_NO_COINCIDE",), check_asignadas),
    Rule("promedio", ("PROMEDIO_NO_COINCIDE",), check_promedio),
    Rule("créditos obtenidos", ("CREDITOS_OBTENIDOS_NO_COINCIDE",), check_creditos),
    Rule("número de ciclos", ("NUMERO_CICLOS_NO_COINCIDE",), check_ciclos),
)
