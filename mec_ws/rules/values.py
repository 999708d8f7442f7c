"""Lenient conversions of attribute text for the rules.

Each returns ``None`` when the text is absent or not what it should be: the XSD finding already
reports malformed values, so a rule that cannot read a value simply has nothing to say about it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from mec_ws.rules.base import decimal_or_none

__all__ = ["date_or_none", "datetime_or_none", "decimal_or_none", "decimal_text", "int_or_none"]

_INTEGER = re.compile(r"^[+-]?[0-9]+$")


_CACHED_TEXT = 32  # longer texts are parsed each time, never kept (the cache stays small)


def int_or_none(value: str | None) -> int | None:
    """The integer text of an attribute (``"251"``, ``" 7 "``), or None."""
    if value is None:
        return None
    return _cached_int(value) if len(value) <= _CACHED_TEXT else _int(value)


@lru_cache(maxsize=4096)  # a pure function of the text; a batch repeats a few dozen distinct values
def _cached_int(value: str) -> int | None:
    return _int(value)


def _int(value: str) -> int | None:
    text = value.strip()
    if not _INTEGER.match(text):
        return None
    return int(text)


def datetime_or_none(value: str | None) -> datetime | None:
    """A naive local ``YYYY-MM-DDThh:mm:ss`` (a bare date is read as midnight), or None."""
    if value is None:
        return None
    text = value.strip()
    if len(text) < 10 or not text.isascii():
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo is not None else parsed


def date_or_none(value: str | None) -> date | None:
    parsed = datetime_or_none(value)
    return parsed.date() if parsed is not None else None


def decimal_text(number: Decimal) -> str:
    """A decimal for a message: no exponent, no trailing zeros beyond what was given."""
    return format(number, "f")
