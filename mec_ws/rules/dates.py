"""Dates: birth before issue, issue not in the future (Mexico City time), issue not before the RVOE.

**Decision:** the birth date is compared with the issue date only.  The spec's wording ("birth <
RVOE date and issue date") would reject every student born after the program's RVOE was granted,
which is the normal case for any program older than its students; the check that catches typing
errors in the birth date is the one against the issue date.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from mec_ws.certificate.document import DecDocument
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error
from mec_ws.rules.values import datetime_or_none

MEXICO_CITY = ZoneInfo("America/Mexico_City")


def check_dates(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    nacimiento = datetime_or_none(doc.alumno.get("fechaNacimiento"))
    expedicion = datetime_or_none(doc.expedicion.get("fecha"))
    rvoe = datetime_or_none(doc.rvoe.get("fechaExpedicion"))

    if nacimiento is not None and expedicion is not None and nacimiento.date() >= expedicion.date():
        yield error(
            "FECHA_NACIMIENTO_INCONGRUENTE",
            f"La fecha de nacimiento del alumno ({nacimiento.date():%d/%m/%Y}) no es anterior a la "
            f"fecha de expedición del certificado ({expedicion.date():%d/%m/%Y}).",
            doc.alumno.loc("fechaNacimiento"),
        )
    if expedicion is not None:
        today = ctx.now.astimezone(MEXICO_CITY).date()
        if expedicion.date() > today:
            yield error(
                "FECHA_EXPEDICION_FUTURA",
                f"La fecha de expedición ({expedicion.date():%d/%m/%Y}) es posterior a hoy "
                f"({today:%d/%m/%Y}, hora de la Ciudad de México).",
                doc.expedicion.loc("fecha"),
            )
    if expedicion is not None and rvoe is not None and expedicion.date() < rvoe.date():
        yield error(
            "FECHA_EXPEDICION_ANTERIOR_RVOE",
            f"La fecha de expedición ({expedicion.date():%d/%m/%Y}) es anterior a la fecha del RVOE "
            f"({rvoe.date():%d/%m/%Y}).",
            doc.expedicion.loc("fecha"),
        )


DATE_RULES: tuple[Rule, ...] = (
    Rule(
        "congruencia de fechas",
        ("FECHA_NACIMIENTO_INCONGRUENTE", "FECHA_EXPEDICION_FUTURA", "FECHA_EXPEDICION_ANTERIOR_RVOE"),
        check_dates,
    ),
)
