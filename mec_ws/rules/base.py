"""What a business rule is: a small function that yields coded findings.

A rule never raises on bad data: it records a :class:`~mec_ws.findings.Finding`.  A rule that
needs registry data the context does not carry yields one finding with ``Status.OMITIDA`` (the
check was skipped, not passed) and stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from mec_ws.certificate.document import DecDocument
from mec_ws.findings import CODES, Finding, Status
from mec_ws.registry import ValidationContext

RuleFunc = Callable[[DecDocument, ValidationContext], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # short Spanish name shown when the rule is skipped
    codes: tuple[str, ...]  # every code this rule may emit
    check: RuleFunc

    def __post_init__(self) -> None:
        unknown = [c for c in self.codes if c not in CODES]
        if unknown:
            raise ValueError(f"códigos no documentados en la regla {self.name}: {unknown}")

    def run(self, doc: DecDocument, ctx: ValidationContext) -> list[Finding]:
        return list(self.check(doc, ctx))


def error(code: str, message: str, location: str = "") -> Finding:
    return Finding(code=code, message=message, location=location, status=Status.ERROR)


def skipped(code: str, message: str, location: str = "") -> Finding:
    return Finding(
        code=code, message=f"Verificación omitida: {message}", location=location, status=Status.OMITIDA
    )


_CACHED_TEXT = 32  # longer texts are parsed each time, never kept (the cache stays small)


def decimal_or_none(value: str | None) -> Decimal | None:
    """The decimal text of an attribute, or None when absent or not a finite number."""
    if value is None:
        return None
    return _cached_decimal(value) if len(value) <= _CACHED_TEXT else _decimal(value)


@lru_cache(maxsize=4096)  # a pure function of the text (Decimal is immutable); a batch repeats few
def _cached_decimal(value: str) -> Decimal | None:
    return _decimal(value)


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
