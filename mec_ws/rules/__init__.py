"""The business rules of the certificate engine, one small module per area.

``ALL_RULES`` is the order in which :func:`mec_ws.validation.validate_file` runs them: structure
first, then identity, registry and arithmetic checks, and the e.firma and sello last.
"""

from __future__ import annotations

from mec_ws.rules.base import Rule
from mec_ws.rules.catalogs import CATALOG_RULES
from mec_ws.rules.curp import CURP_RULES
from mec_ws.rules.dates import DATE_RULES
from mec_ws.rules.firma import FIRMA_RULES
from mec_ws.rules.folios import FOLIO_RULES
from mec_ws.rules.grades import GRADE_RULES
from mec_ws.rules.institution import INSTITUTION_RULES
from mec_ws.rules.program import PROGRAM_RULES
from mec_ws.rules.structure import STRUCTURE_RULES
from mec_ws.rules.totals import TOTAL_RULES

ALL_RULES: tuple[Rule, ...] = (
    *STRUCTURE_RULES,
    *INSTITUTION_RULES,
    *CATALOG_RULES,
    *CURP_RULES,
    *DATE_RULES,
    *PROGRAM_RULES,
    *GRADE_RULES,
    *TOTAL_RULES,
    *FOLIO_RULES,
    *FIRMA_RULES,
)

__all__ = ["ALL_RULES", "Rule"]
