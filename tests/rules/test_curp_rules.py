from datetime import date

import pytest
from rulekit import codes, el, run

from mec_ws.findings import Status
from mec_ws.rules.curp import CURP_PATTERN, CURP_RULES, curp_check_digit, is_valid_curp
from mec_ws.testdata.curp import make_curp, normalize_name


def test_check_digit_weights_and_alphabet():
    # sum over "AAAA000101HDFBBB0": A=10 at weights 18..15, 0/1 digits, H=17, D=13, F=15, B=11 ...
    first17 = "AAAA000101HDFBBB0"
    alphabet = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    total = sum(alphabet.index(ch) * (18 - i) for i, ch in enumerate(first17))
    assert curp_check_digit(first17) == str((10 - total % 10) % 10)
    # Ñ has value 24 (between N=23 and O=25): swapping N for Ñ changes the digit by 1 * weight
    assert curp_check_digit("ÑAAA000101HDFBBB0") != curp_check_digit("NAAA000101HDFBBB0")


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError, match="17"):
        curp_check_digit("ABC")
    with pytest.raises(ValueError, match="carácter"):
        curp_check_digit("AAAA000101HDFBB*0")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("José Luis", "Núñez", "Peña", date(1999, 3, 14), "H", "09"), "NUPL990314HDFXXS0"),
        (("María Fernanda", "de la Cruz", None, date(2001, 12, 1), "M", "14"), "CUXF011201MJCRXRA"),
        (("Juan", "Gómez", "Pérez", date(1987, 12, 5), "H", "DF"), "GOPJ871205HDFMRN0"),
        (("Ximena", "Ibáñez", "Ordóñez", date(2002, 2, 2), "X", "NE"), "IAOX020202XNEBRMA"),
    ],
)
def test_make_curp(args, expected):
    curp = make_curp(*args)
    assert curp[:17] == expected
    assert is_valid_curp(curp)


def test_make_curp_inconvenient_word_gets_x():
    # PUTA would come from Pu(ente) + T(orres) + A(na): RENAPO writes PXTA.
    curp = make_curp("Ana", "Puente", "Torres", date(1990, 1, 1), "M", "01")
    assert curp.startswith("PXTA")
    assert is_valid_curp(curp)


def test_normalize_name_strips_accents_keeps_enye():
    assert normalize_name("  Núñez-Ibáñez ") == "NUÑEZ IBAÑEZ"


def test_make_curp_rejects_bad_sex_and_state():
    with pytest.raises(ValueError):
        make_curp("Ana", "Pérez", None, date(1990, 1, 1), "F", "09")
    with pytest.raises(ValueError):
        make_curp("Ana", "Pérez", None, date(1990, 1, 1), "M", "99")


@pytest.mark.parametrize(
    "curp",
    [None, "", "GOMC800101HDFMRR1", "GOMC800101HZZMRR18", "GOMC801301HDFMRR18", "gomc800101hdfmrr18"],
)
def test_invalid_curps(curp):
    assert not is_valid_curp(curp)


def test_pattern_accepts_generated_and_wrong_digit_fails():
    curp = make_curp("Sofía", "Hernández", "López", date(2000, 5, 17), "M", "21")
    assert CURP_PATTERN.match(curp)
    wrong = curp[:17] + str((int(curp[17]) + 1) % 10)
    assert CURP_PATTERN.match(wrong) and not is_valid_curp(wrong)


def test_valid_certificate_has_no_curp_findings(cert, ctx):
    assert run(CURP_RULES, cert(), ctx) == []


@pytest.mark.parametrize("path", ["Alumno", "Ipes/Responsable"])
def test_wrong_check_digit_fires(cert, ctx, path):
    root = cert()
    node = el(root, path)
    curp = node.get("curp")
    node.set("curp", curp[:17] + str((int(curp[17]) + 1) % 10))
    findings = run(CURP_RULES, root, ctx)
    assert codes(findings) == ["CURP_INVALIDA"]
    assert findings[0].location == f"Dec/{path}/@curp"
    assert "dígito verificador" in findings[0].message
    assert findings[0].status is Status.ERROR


def test_bad_format_fires_with_format_message(cert, ctx):
    root = cert()
    el(root, "Alumno").set("curp", "XXXX")
    findings = run(CURP_RULES, root, ctx)
    assert codes(findings) == ["CURP_INVALIDA"]
    assert "formato" in findings[0].message


def test_sexo_mismatch_fires_and_matches_do_not(cert, ctx):
    root = cert()
    alumno = el(root, "Alumno")
    letter = alumno.get("curp")[10]
    assert alumno.get("idGenero") == {"H": "251", "M": "250"}[letter]
    alumno.set("idGenero", "250" if letter == "H" else "251")
    findings = run(CURP_RULES, root, ctx)
    assert codes(findings) == ["CURP_SEXO_NO_COINCIDE"]
    assert findings[0].location == "Dec/Alumno/@idGenero"


@pytest.mark.parametrize("genero", ["250", "251"])
def test_sexo_x_accepts_either(cert, ctx, genero):
    root = cert()
    alumno = el(root, "Alumno")
    curp = make_curp("Alex", "Núñez", "Peña", date(2001, 4, 4), "X", "09")
    alumno.set("curp", curp)
    alumno.set("idGenero", genero)
    assert run(CURP_RULES, root, ctx) == []


def test_unknown_gender_id_is_left_to_catalog_rule(cert, ctx):
    root = cert()
    el(root, "Alumno").set("idGenero", "999")
    assert run(CURP_RULES, root, ctx) == []


def test_absent_curp_is_left_to_xsd(cert, ctx):
    root = cert()
    del el(root, "Alumno").attrib["curp"]
    assert run(CURP_RULES, root, ctx) == []
