"""The study program XLSX layout: round trip, cell types, row/column locations, header and
consistency findings, hostile workbooks, and cargaProgramaEstudios choosing XLSX by content."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine

from mec_ws.findings import CODES, Finding, Status
from mec_ws.programs import program_to_xlsx, read_program_xlsx, xlsx_reader
from mec_ws.programs.xlsx_reader import COLUMNS, cell_text
from mec_ws.registry import Institution, StudyProgram
from mec_ws.services.dto import EstatusPrograma
from mec_ws.testdata.factory import make_institution, make_program


@pytest.fixture(scope="module")
def institution() -> Institution:
    return make_institution()


@pytest.fixture(scope="module")
def program(institution: Institution) -> StudyProgram:
    return make_program(institution)


@pytest.fixture(scope="module")
def xlsx(program: StudyProgram) -> bytes:
    return program_to_xlsx(program)


Edit = Callable[[list[list[object]]], None]


def edited(xlsx: bytes, edit: Edit) -> bytes:
    """The workbook's first sheet as a list of rows, changed by ``edit``, written back."""
    wb = load_workbook(io.BytesIO(xlsx))
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    edit(rows)
    out = Workbook()
    sheet = out.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def col(name: str) -> int:
    return COLUMNS.index(name)


def errors(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(f.code, f.location) for f in findings if f.status is Status.ERROR]


def read(
    data: bytes, institution: Institution, **kwargs: int
) -> tuple[StudyProgram | None, tuple[Finding, ...]]:
    result = read_program_xlsx(data, institution=institution, **kwargs)
    return result.program, result.findings


# --- the good path --------------------------------------------------------------------------


def test_round_trip_gives_the_program_back(
    xlsx: bytes, program: StudyProgram, institution: Institution
) -> None:
    got, findings = read(xlsx, institution)
    assert findings == ()
    assert got == program


def test_the_written_sheet_has_the_programa_md_header_and_one_row_per_subject(
    xlsx: bytes, program: StudyProgram
) -> None:
    rows = list(load_workbook(io.BytesIO(xlsx)).worksheets[0].iter_rows(values_only=True))
    assert program.modalidad is not None
    assert list(rows[0]) == [*COLUMNS, "MODALIDAD"]
    assert len(rows) == 1 + len(program.subjects)


def test_modalidad_column_is_optional(program: StudyProgram, institution: Institution) -> None:
    without = dataclasses.replace(program, modalidad=None)
    data = program_to_xlsx(without)
    assert "MODALIDAD" not in next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    got, findings = read(data, institution)
    assert findings == () and got == without
    mixed = dataclasses.replace(program, modalidad="MIXTA")
    got, findings = read(program_to_xlsx(mixed), institution)
    assert findings == () and got == mixed


def test_numbers_dates_and_text_cells_are_read_as_the_rules_expect(
    xlsx: bytes, program: StudyProgram, institution: Institution
) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows[1:]:
            r[col("ID_CARRERA")] = int(program.id_carrera)  # number instead of text
            r[col("FECHA_RVOE")] = "2020-03-02"  # text date
            r[col("CALIF_MINIMA")] = 0.0
            r[col("CALIF_MAXIMA")] = "10"
        rows[1][col("CICLO")] = 1.0  # float that is an integer

    got, findings = read(edited(xlsx, edit), institution)
    assert findings == ()
    assert got == dataclasses.replace(
        program, calificacion_minima=Decimal(0), calificacion_maxima=Decimal(10)
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (7, "7"),
        (7.0, "7"),
        (7.5, "7.5"),
        (0.1, "0.1"),
        (1e-05, "0.00001"),
        (Decimal("2.50"), "2.50"),
        (True, "VERDADERO"),
        (datetime(2020, 3, 2), "2020-03-02"),
        (datetime(2020, 3, 2, 10, 30), "2020-03-02 10:30:00"),
        (date(2021, 1, 31), "2021-01-31"),
        (" x ", " x "),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_blank_career_cells_in_later_rows_repeat_the_first_row(
    xlsx: bytes, program: StudyProgram, institution: Institution
) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows[2:]:
            for name in ("ID_CARRERA", "NOMBRE_CARRERA", "TOTAL_CREDITOS", "ID_CAMPUS"):
                r[col(name)] = None

    got, findings = read(edited(xlsx, edit), institution)
    assert findings == () and got == program


def test_blank_rows_are_skipped(xlsx: bytes, program: StudyProgram, institution: Institution) -> None:
    def edit(rows: list[list[object]]) -> None:
        rows.insert(5, [None] * len(COLUMNS))
        rows.append([None] * len(COLUMNS))

    got, findings = read(edited(xlsx, edit), institution)
    assert findings == () and got == program


# --- findings name the row and the column ------------------------------------------------------


def test_a_bad_subject_value_is_located_at_its_row_and_column(xlsx: bytes, institution: Institution) -> None:
    def edit(rows: list[list[object]]) -> None:
        rows[2][col("CREDITOS")] = "ocho"  # row 3 of the sheet

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    assert ("PROGRAMA_VALOR_INVALIDO", "fila 3/CREDITOS") in errors(findings)
    (bad,) = [f for f in findings if f.location == "fila 3/CREDITOS"]
    assert "ocho" in bad.message


def test_a_bad_career_value_is_located_at_the_first_row(xlsx: bytes, institution: Institution) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows[1:]:
            r[col("ID_NIVEL_ESTUDIOS")] = 999
            r[col("FECHA_RVOE")] = "02/03/2020"

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    assert set(errors(findings)) == {
        ("PROGRAMA_CATALOGO_INVALIDO", "fila 2/ID_NIVEL_ESTUDIOS"),
        ("PROGRAMA_FECHA_INVALIDA", "fila 2/FECHA_RVOE"),
    }


def test_an_inconsistent_repeated_career_value_names_row_and_column(
    xlsx: bytes, institution: Institution
) -> None:
    def edit(rows: list[list[object]]) -> None:
        rows[6][col("NOMBRE_CARRERA")] = "LICENCIATURA EN MEDICINA"  # sheet row 7
        rows[9][col("ID_CAMPUS")] = "000101, 000999"  # sheet row 10

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    assert errors(findings) == [
        ("PROGRAMA_XLSX_INCONSISTENTE", "fila 7/NOMBRE_CARRERA"),
        ("PROGRAMA_XLSX_INCONSISTENTE", "fila 10/ID_CAMPUS"),
    ]
    assert "LICENCIATURA EN MEDICINA" in findings[0].message and "fila 2" in findings[0].message


def test_campus_lists_compare_as_lists_and_are_checked_against_the_institution(
    xlsx: bytes, institution: Institution
) -> None:
    campus = institution.campuses[0].id

    def edit(rows: list[list[object]]) -> None:
        rows[1][col("ID_CAMPUS")] = f"{campus},000999"
        for r in rows[2:]:
            r[col("ID_CAMPUS")] = f" {campus} , 000999 "

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    assert errors(findings) == [("PROGRAMA_CAMPUS_NO_REGISTRADO", "fila 2/ID_CAMPUS")]
    assert "000999" in findings[0].message


def test_duplicate_subject_ids_name_both_rows(xlsx: bytes, institution: Institution) -> None:
    def edit(rows: list[list[object]]) -> None:
        rows[3][col("ID_ASIGNATURA")] = rows[1][col("ID_ASIGNATURA")]

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    (dup,) = [f for f in findings if f.code == "PROGRAMA_ASIGNATURA_DUPLICADA"]
    assert dup.location == "fila 4/ID_ASIGNATURA" and "fila 2/ID_ASIGNATURA" in dup.message


def test_credits_that_do_not_add_up_are_located_at_total_creditos(
    xlsx: bytes, institution: Institution
) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows[1:]:
            r[col("TOTAL_CREDITOS")] = 1

    _, findings = read(edited(xlsx, edit), institution)
    assert errors(findings) == [("PROGRAMA_CREDITOS_NO_COINCIDEN", "fila 2/TOTAL_CREDITOS")]


# --- header ---------------------------------------------------------------------------------


def test_a_missing_column_rejects_the_file_before_the_rules(xlsx: bytes, institution: Institution) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows:
            del r[col("CREDITOS")]

    got, findings = read(edited(xlsx, edit), institution)
    assert got is None
    assert errors(findings) == [("PROGRAMA_XLSX_ENCABEZADO", "fila 1")]
    assert "CREDITOS" in findings[0].message


def test_header_is_case_insensitive_in_any_order_and_clave_carrera_is_optional(
    xlsx: bytes, program: StudyProgram, institution: Institution
) -> None:
    def edit(rows: list[list[object]]) -> None:
        for r in rows:
            del r[col("CLAVE_CARRERA")]
            r.reverse()
        rows[0] = [str(h).lower() for h in rows[0]]

    got, findings = read(edited(xlsx, edit), institution)
    assert findings == ()
    assert got == dataclasses.replace(program, clave_carrera="")


def test_duplicate_column_is_an_error_unknown_column_a_warning(xlsx: bytes, institution: Institution) -> None:
    def duplicate(rows: list[list[object]]) -> None:
        for r in rows:
            r.append(r[col("CICLO")])

    got, findings = read(edited(xlsx, duplicate), institution)
    assert got is None
    assert errors(findings) == [("PROGRAMA_XLSX_ENCABEZADO", "fila 1/CICLO")]

    def unknown(rows: list[list[object]]) -> None:
        rows[0].append("OBSERVACIONES")
        for r in rows[1:]:
            r.append("cualquier cosa")

    got, findings = read(edited(xlsx, unknown), institution)
    assert got is not None
    assert [(f.code, f.status, f.location) for f in findings] == [
        ("PROGRAMA_XLSX_ENCABEZADO", Status.ADVERTENCIA, "fila 1/OBSERVACIONES")
    ]


def test_header_only_and_empty_sheet(xlsx: bytes, institution: Institution) -> None:
    def header_only(rows: list[list[object]]) -> None:
        del rows[1:]

    got, findings = read(edited(xlsx, header_only), institution)
    assert got is None and errors(findings) == [("PROGRAMA_DATO_FALTANTE", "fila 2")]

    def empty(rows: list[list[object]]) -> None:
        rows.clear()

    got, findings = read(edited(xlsx, empty), institution)
    assert got is None and errors(findings) == [("PROGRAMA_XLSX_ENCABEZADO", "fila 1")]


def test_too_many_rows(xlsx: bytes, institution: Institution, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_reader, "MAX_SUBJECT_ROWS", 10)
    got, findings = read(xlsx, institution)
    assert got is None and [f.code for f in findings] == ["PROGRAMA_XLSX_DEMASIADO_GRANDE"]


# --- hostile or wrong containers ---------------------------------------------------------------


def rezip(xlsx: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    change(parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def only_code(data: bytes, institution: Institution, **kwargs: int) -> str:
    got, findings = read(data, institution, **kwargs)
    assert got is None
    (finding,) = findings
    assert finding.status is Status.ERROR and finding.message
    return finding.code


def test_a_zip_that_is_not_a_workbook(institution: Institution) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("programa.xml", "<ProgramaEstudios/>")
    assert only_code(buffer.getvalue(), institution) == "PROGRAMA_XLSX_INVALIDO"


def test_a_truncated_or_damaged_workbook(xlsx: bytes, institution: Institution) -> None:
    assert only_code(xlsx[: len(xlsx) // 2], institution) == "PROGRAMA_XLSX_INVALIDO"

    def break_sheet(parts: dict[str, bytes]) -> None:
        parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row"

    assert only_code(rezip(xlsx, break_sheet), institution) == "PROGRAMA_XLSX_INVALIDO"


def test_doctype_in_a_part_is_refused(xlsx: bytes, institution: Institution) -> None:
    def add_dtd(parts: dict[str, bytes]) -> None:
        sheet = parts["xl/worksheets/sheet1.xml"]
        head, _, rest = sheet.partition(b"?>")
        parts["xl/worksheets/sheet1.xml"] = head + b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + rest

    code = only_code(rezip(xlsx, add_dtd), institution)
    assert code == "PROGRAMA_XLSX_INVALIDO"


def test_size_limits(xlsx: bytes, institution: Institution) -> None:
    assert only_code(xlsx, institution, max_bytes=len(xlsx) - 1) == "PROGRAMA_XLSX_DEMASIADO_GRANDE"

    def bomb(parts: dict[str, bytes]) -> None:
        parts["xl/media/relleno.bin"] = b"\0" * (8 * 1024 * 1024)

    bombed = rezip(xlsx, bomb)
    assert len(bombed) < 100_000
    assert only_code(bombed, institution) == "PROGRAMA_XLSX_DEMASIADO_GRANDE"  # ratio
    assert only_code(bombed, institution, max_bytes=200_000) == "PROGRAMA_XLSX_DEMASIADO_GRANDE"  # total


def test_new_codes_are_documented() -> None:
    for code in (
        "PROGRAMA_XLSX_INVALIDO",
        "PROGRAMA_XLSX_DEMASIADO_GRANDE",
        "PROGRAMA_XLSX_ENCABEZADO",
        "PROGRAMA_XLSX_INCONSISTENTE",
    ):
        assert code in CODES


# --- cargaProgramaEstudios decides by content ----------------------------------------------------


def test_carga_programa_estudios_accepts_the_xlsx_layout(engine: Engine, tmp_path: Path) -> None:
    from tests.services.world import build_world

    world = build_world(engine, tmp_path / "data")
    program = dataclasses.replace(world.scenario.program, clave_plan="2025")
    result = world.app.carga_programa_estudios(world.ipes, "programa.xml", program_to_xlsx(program))
    assert result.estatus is EstatusPrograma.ACEPTADO, result.errores
    assert (result.id_carrera, result.clave_plan) == (program.id_carrera, "2025")
    assert "2025" in {p.clave_plan for p in world.app.consulta_programas_estudios(world.ipes)}

    def edit(rows: list[list[object]]) -> None:
        rows[4][col("CICLO")] = 99

    rejected = world.app.carga_programa_estudios(
        world.ipes, "programa.xlsx", edited(program_to_xlsx(program), edit)
    )
    assert rejected.estatus is EstatusPrograma.RECHAZADO
    assert [(e.codigo, e.ubicacion) for e in rejected.errores] == [
        ("PROGRAMA_CICLO_INVALIDO", "fila 5/CICLO")
    ]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("programa.xml", "<x/>")
    not_xlsx = world.app.carga_programa_estudios(world.ipes, "programa.zip", buffer.getvalue())
    assert [e.codigo for e in not_xlsx.errores] == ["PROGRAMA_XLSX_INVALIDO"]
