"""What a business rule is: a small function that yields coded findings.

A rule never raises on bad data: it records a :class:`~mec_ws.findings.Finding`.  A rule that
needs registry data the context does not carry yields one finding with ``Status.OMITIDA`` (the
check was skipped, not passed) and stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from typing import TypeVar

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


CACHED_TEXT = 32  # longer texts are computed each time, never kept (the caches stay small)
T = TypeVar("T")


def short_text_cache(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Keep ``fn(text)`` for texts of up to :data:`CACHED_TEXT` characters (``fn`` must be a pure
    function of its text with an immutable result: a batch repeats few distinct grades, credits,
    types or CURPs); a longer text is computed each time and never kept."""

    def wrap(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(text: str) -> T:
            return cached(text) if len(text) <= CACHED_TEXT else fn(text)

        return call

    return wrap


def decimal_or_none(value: str | None) -> Decimal | None:
    """The decimal text of an attribute, or None when absent or not a finite number."""
    return None if value is None else _decimal(value)


@short_text_cache(4096)
def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
