import dataclasses
from datetime import UTC, datetime

import pytest
from rulekit import codes, el, run

from mec_ws.rules.dates import DATE_RULES


def test_valid_certificate_passes(cert, ctx):
    assert run(DATE_RULES, cert(), ctx) == []


@pytest.mark.parametrize("birth", ["2024-07-12T00:00:00", "2030-01-01T00:00:00"])
def test_birth_not_before_issue(cert, ctx, birth):
    root = cert()
    el(root, "Alumno").set("fechaNacimiento", birth)
    findings = run(DATE_RULES, root, ctx)
    assert codes(findings) == ["FECHA_NACIMIENTO_INCONGRUENTE"]
    assert findings[0].location == "Dec/Alumno/@fechaNacimiento"


def test_birth_after_rvoe_is_normal(cert, ctx):
    # students born after their program's RVOE are the normal case (see mec_ws.rules.dates)
    root = cert()
    el(root, "Rvoe").set("fechaExpedicion", "1995-01-01T00:00:00")
    assert run(DATE_RULES, root, ctx) == []


def test_future_issue_date(cert, ctx):
    root = cert()
    el(root, "Expedicion").set("fecha", "2025-07-01T00:00:00")
    findings = run(DATE_RULES, root, ctx)
    assert codes(findings) == ["FECHA_EXPEDICION_FUTURA"]
    assert findings[0].location == "Dec/Expedicion/@fecha"


def test_future_is_judged_in_mexico_city_time(cert, ctx):
    # 2025-07-01 02:00 UTC is still 2025-06-30 in Mexico City: an issue date of 06-30 is today.
    root = cert()
    el(root, "Expedicion").set("fecha", "2025-06-30T23:00:00")
    late = dataclasses.replace(ctx, now=datetime(2025, 7, 1, 2, 0, tzinfo=UTC))
    assert run(DATE_RULES, root, late) == []
    early = dataclasses.replace(ctx, now=datetime(2025, 6, 30, 5, 0, tzinfo=UTC))  # 06-29 23:00 local
    assert codes(run(DATE_RULES, root, early)) == ["FECHA_EXPEDICION_FUTURA"]


def test_issue_before_rvoe(cert, ctx):
    root = cert()
    el(root, "Expedicion").set("fecha", "2020-03-01T12:00:00")
    findings = run(DATE_RULES, root, ctx)
    assert codes(findings) == ["FECHA_EXPEDICION_ANTERIOR_RVOE"]
    assert "02/03/2020" in findings[0].message


def test_issue_on_rvoe_day_is_fine(cert, ctx):
    root = cert()
    el(root, "Expedicion").set("fecha", "2020-03-02T00:00:00")
    assert run(DATE_RULES, root, ctx) == []


@pytest.mark.parametrize("garbage", ["", "ayer", "2024-13-01T00:00:00", "2024-07-12T25:00:00"])
def test_unreadable_dates_are_left_to_xsd(cert, ctx, garbage):
    root = cert()
    el(root, "Expedicion").set("fecha", garbage)
    el(root, "Alumno").set("fechaNacimiento", garbage)
    assert run(DATE_RULES, root, ctx) == []
