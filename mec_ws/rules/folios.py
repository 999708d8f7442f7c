"""folioControl, when present, must not belong to an accepted certificate of the institution.

``folioControl`` is optional (as in the SEP's XSD): a certificate without one has nothing to
check here (it is reached by its ``folioDigital``).  Duplicates *within* one upload are found by
the orchestrator (:func:`mec_ws.validation.validate_many`),
which sees every file of the upload.
"""

from __future__ import annotations

from collections.abc import Iterator

from mec_ws.certificate.document import DecDocument
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error, skipped
from mec_ws.rules.common import institution_id


def check_accepted_folio(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    location = doc.dec.loc("folioControl")
    folio = (doc.folio_control or "").strip()
    if not folio:
        return  # optional: no folio, nothing to be unique
    if ctx.is_folio_accepted is None:
        yield skipped(
            "FOLIO_CONTROL_REGISTRADO",
            "no se dieron los folios ya aceptados; no se verificó que folioControl sea nuevo.",
            location,
        )
        return
    institution = institution_id(doc, ctx)
    if institution is None:
        return
    if ctx.is_folio_accepted(institution, folio):
        yield error(
            "FOLIO_CONTROL_REGISTRADO",
            f"El folioControl «{folio}» ya pertenece a un certificado aceptado de la institución "
            f"{institution}; use un folio nuevo.",
            location,
        )


FOLIO_RULES: tuple[Rule, ...] = (
    Rule("folioControl no registrado", ("FOLIO_CONTROL_REGISTRADO",), check_accepted_folio),
)
