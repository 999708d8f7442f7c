"""CSV and XLSX writers (no database)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest

from mec_ws.reports.export import EXPORT_COLUMNS, local_fecha_carga, write_csv, write_xlsx
from mec_ws.services.dto import CertificadoResumen, EstatusCertificado


def _row(n: int, **kwargs: object) -> CertificadoResumen:
    values: dict[str, object] = {
        "institucion": "UNIVERSIDAD DEL ÁNGEL DE LA VIRGEN",
        "campus": "CAMPUS CENTRO",
        "nombre": f"JOSÉ PEÑA NÚÑEZ {n}",
        "curp": "PENJ000101HDFXXX01",
        "carrera": 'LICENCIATURA EN DERECHO, "PLAN 2019"',
        "folio_pago": f"FP-{n}",
        "folio_control": f"UAV-{n:03d}",
        "folio_digital": f"00000000-0000-4000-8000-{n:012d}",
        "lugar_expedicion": "CIUDAD DE MÉXICO",
        "fecha_expedicion": date(2024, 7, 12),
        # 03:30 UTC on 1 July is still 30 June in Mexico City (UTC-6)
        "fecha_carga": datetime(2025, 7, 1, 3, 30, 15, 999, tzinfo=UTC),
        "estatus": EstatusCertificado.VIGENTE,
    }
    values.update(kwargs)
    return CertificadoResumen(**values)  # type: ignore[arg-type]


def test_columns_follow_the_contract() -> None:
    assert EXPORT_COLUMNS == (
        "INSTITUCION",
        "CAMPUS",
        "NOMBRE",
        "CURP",
        "CARRERA",
        "FOLIO PAGO",
        "FOLIO CONTROL",
        "FOLIO DIGITAL",
        "LUGAR EXPEDICION",
        "FECHA EXPEDICION",
        "FECHA CARGA",
        "ESTATUS",
    )


def test_csv_bom_crlf_header_and_rows() -> None:
    out = io.BytesIO()
    write_csv([_row(1), _row(2, estatus=EstatusCertificado.CANCELADO)], out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbfINSTITUCION,CAMPUS,NOMBRE,")
    lines = data[3:].split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""  # header, two rows, final CRLF
    assert b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(EXPORT_COLUMNS)
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert first["NOMBRE"] == "JOSÉ PEÑA NÚÑEZ 1"
    assert first["CARRERA"] == 'LICENCIATURA EN DERECHO, "PLAN 2019"'
    assert first["FECHA EXPEDICION"] == "2024-07-12"
    assert first["FECHA CARGA"] == "2025-06-30 21:30:15-06:00"
    assert first["ESTATUS"] == "VIGENTE"
    assert rows[2][-1] == "CANCELADO"


def test_csv_of_nothing_is_just_the_header() -> None:
    out = io.BytesIO()
    write_csv([], out)
    assert out.getvalue() == b"\xef\xbb\xbf" + ",".join(EXPORT_COLUMNS).encode() + b"\r\n"
    assert not out.closed


@pytest.mark.parametrize("danger", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tX"])
def test_csv_neutralises_formulas(danger: str) -> None:
    out = io.BytesIO()
    write_csv([_row(1, folio_control=danger)], out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert rows[1][EXPORT_COLUMNS.index("FOLIO CONTROL")] == "'" + danger


def test_xlsx_typed_cells() -> None:
    out = io.BytesIO()
    write_xlsx(
        [_row(1), _row(2, folio_control="=1+1", estatus=EstatusCertificado.CANCELACION_SOLICITADA)], out
    )
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    sheet = book["Certificados"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS
    assert len(rows) == 3
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert first["FECHA EXPEDICION"] == datetime(2024, 7, 12)
    assert first["FECHA CARGA"] == datetime(2025, 6, 30, 21, 30, 15)
    assert first["NOMBRE"] == "JOSÉ PEÑA NÚÑEZ 1"
    (cells,) = sheet.iter_rows(min_row=2, max_row=2)
    by_name = dict(zip(EXPORT_COLUMNS, cells, strict=True))
    assert by_name["FECHA EXPEDICION"].is_date and by_name["FECHA EXPEDICION"].number_format == "yyyy-mm-dd"
    assert (
        by_name["FECHA CARGA"].is_date
        and by_name["FECHA CARGA"].number_format == 'yyyy-mm-dd hh:mm:ss "(hora de la Ciudad de México)"'
    )
    (second,) = sheet.iter_rows(min_row=3, max_row=3)
    folio = second[EXPORT_COLUMNS.index("FOLIO CONTROL")]
    assert folio.value == "=1+1" and folio.data_type == "s"  # text, never a formula
    assert second[-1].value == "CANCELACION_SOLICITADA"
    assert sheet.freeze_panes == "A2"


def test_writers_consume_an_iterator_once() -> None:
    for writer in (write_csv, write_xlsx):
        out = io.BytesIO()
        writer(iter([_row(i) for i in range(5)]), out)
        assert out.getvalue()


def test_fecha_carga_must_be_aware() -> None:
    with pytest.raises(ValueError, match="zona horaria"):
        local_fecha_carga(datetime(2025, 1, 1))
    assert local_fecha_carga(datetime(2025, 1, 1, 6, 0, tzinfo=UTC)) == datetime(2025, 1, 1, 0, 0)
