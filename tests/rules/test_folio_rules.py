import dataclasses

from rulekit import run

from mec_ws.findings import Status
from mec_ws.registry import folios_lookup
from mec_ws.rules.folios import FOLIO_RULES
from mec_ws.testdata.factory import ACCEPTED_FOLIO


def test_new_folio_passes(cert, ctx):
    assert run(FOLIO_RULES, cert(), ctx) == []


def test_accepted_folio_fires(cert, ctx):
    findings = run(FOLIO_RULES, cert(folio_control=ACCEPTED_FOLIO), ctx)
    assert [(f.code, f.location) for f in findings] == [("FOLIO_CONTROL_REGISTRADO", "Dec/@folioControl")]
    assert ACCEPTED_FOLIO in findings[0].message


def test_folio_of_another_institution_is_free(cert, ctx):
    other = dataclasses.replace(ctx, is_folio_accepted=folios_lookup([("000002", ACCEPTED_FOLIO)]))
    assert run(FOLIO_RULES, cert(folio_control=ACCEPTED_FOLIO), other) == []


def test_without_lookup_is_omitted(cert, empty_ctx):
    findings = run(FOLIO_RULES, cert(folio_control=ACCEPTED_FOLIO), empty_ctx)
    assert [(f.code, f.status) for f in findings] == [("FOLIO_CONTROL_REGISTRADO", Status.OMITIDA)]


def test_lookup_without_institution_uses_document_institution(cert, ctx):
    only_lookup = dataclasses.replace(ctx, institution=None)
    findings = run(FOLIO_RULES, cert(folio_control=ACCEPTED_FOLIO), only_lookup)
    assert [f.code for f in findings] == ["FOLIO_CONTROL_REGISTRADO"]


def test_absent_folio_is_allowed_and_not_looked_up(cert, ctx, empty_ctx):
    """folioControl is optional: nothing to check, not even an omitted-check note."""
    asked = []
    spy = dataclasses.replace(ctx, is_folio_accepted=lambda inst, folio: asked.append(folio) or True)
    for folio in (None, "", "   "):
        root = cert()
        if folio is None:
            del root.attrib["folioControl"]
        else:
            root.set("folioControl", folio)
        assert run(FOLIO_RULES, root, spy) == []
        assert run(FOLIO_RULES, root, empty_ctx) == []
    assert asked == []
