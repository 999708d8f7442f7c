from datetime import date, datetime
from decimal import Decimal

import pytest

from mec_ws.rules.values import date_or_none, datetime_or_none, decimal_or_none, decimal_text, int_or_none


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("251", 251),
        (" 7 ", 7),
        ("-3", -3),
        ("+4", 4),
        ("+-5", None),
        ("", None),
        ("2.0", None),
        ("٣", None),
        (None, None),
    ],
)
def test_int_or_none(text, expected):
    assert int_or_none(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-07-12T10:30:00", datetime(2024, 7, 12, 10, 30)),
        ("2024-07-12", datetime(2024, 7, 12)),
        ("2024-07-12T10:30:00-06:00", datetime(2024, 7, 12, 10, 30)),
        ("2024-02-30T00:00:00", None),
        ("12/07/2024", None),
        ("2024", None),
        (None, None),
    ],
)
def test_datetime_or_none(text, expected):
    assert datetime_or_none(text) == expected


def test_date_and_decimal_helpers():
    assert date_or_none("2020-03-02T17:45:00") == date(2020, 3, 2)
    assert decimal_or_none(" 8.50 ") == Decimal("8.50")
    assert decimal_or_none("NaN") is None and decimal_or_none("x") is None
    assert decimal_text(Decimal("1E+2")) == "100"
