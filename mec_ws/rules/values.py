"""Lenient conversions of attribute text for the rules.

Each returns ``None`` when the text is absent or not what it should be: the XSD finding already
reports malformed values, so a rule that cannot read a value simply has nothing to say about it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from mec_ws.rules.base import decimal_or_none, short_text_cache

__all__ = ["date_or_none", "datetime_or_none", "decimal_or_none", "decimal_text", "int_or_none"]

_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def int_or_none(value: str | None) -> int | None:
    """The integer text of an attribute (``"251"``, ``" 7 "``), or None."""
    return None if value is None else _int(value)


@short_text_cache(4096)
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
