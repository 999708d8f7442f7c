from pathlib import Path

from mec_ws.findings import CODES, Finding, markdown_table

ROOT = Path(__file__).resolve().parent.parent


def test_codes_doc_is_generated_from_the_table():
    doc = (ROOT / "docs" / "codigos.md").read_text(encoding="utf-8")
    assert doc == markdown_table(), "regenere: python -m mec_ws.findings > docs/codigos.md"


def test_every_code_is_upper_snake_and_spanish():
    for code, (area, text) in CODES.items():
        assert code == code.upper() and " " not in code
        assert area and text.endswith(".")


def test_undocumented_code_is_refused():
    try:
        Finding(code="NO_EXISTE", message="x")
    except ValueError:
        return
    raise AssertionError("an undocumented code was accepted")
