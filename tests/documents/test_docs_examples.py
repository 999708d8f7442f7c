"""The sample study programs in docs/ejemplos are accepted by the service's readers and say the same."""

from __future__ import annotations

from pathlib import Path

from mec_ws.programs import is_zip, read_program_xlsx, read_program_xml
from mec_ws.testdata.factory import default_scenario

EJEMPLOS = Path(__file__).resolve().parents[2] / "docs" / "ejemplos"
REGENERATE = "regenere con `.venv/bin/python docs/ejemplos/generar.py`"


def test_the_sample_xlsx_program_is_accepted_by_the_xlsx_reader() -> None:
    scenario = default_scenario()
    data = (EJEMPLOS / "programa.xlsx").read_bytes()
    assert is_zip(data)
    result = read_program_xlsx(data, institution=scenario.institution)
    assert result.ok, [f"{f.code} {f.location}" for f in result.findings]
    assert not result.findings
    assert result.program == scenario.program, REGENERATE


def test_the_sample_xml_program_is_accepted_and_is_the_same_program() -> None:
    scenario = default_scenario()
    result = read_program_xml((EJEMPLOS / "programa.xml").read_bytes(), institution=scenario.institution)
    assert result.ok, [f"{f.code} {f.location}" for f in result.findings]
    assert result.program == scenario.program, REGENERATE
    xlsx = read_program_xlsx((EJEMPLOS / "programa.xlsx").read_bytes(), institution=scenario.institution)
    assert xlsx.program == result.program


def test_docs_programa_md_names_every_column_and_finding_of_the_readers() -> None:
    from mec_ws.findings import CODES
    from mec_ws.programs.xlsx_reader import KNOWN_COLUMNS

    text = (EJEMPLOS.parent / "programa.md").read_text(encoding="utf-8")
    for column in KNOWN_COLUMNS:
        assert f"`{column}`" in text, column
    for code, (area, _) in CODES.items():
        if code.startswith("PROGRAMA_") and area == "programa":
            assert f"`{code}`" in text, code
    assert "ejemplos/programa.xlsx" in text and "ejemplos/programa.xml" in text
