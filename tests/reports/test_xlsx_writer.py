"""The hand-written XLSX writer: markup in text, characters XML cannot carry, spaces, many rows."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
from lxml import etree

from mec_ws.reports import export
from mec_ws.reports.export import EXPORT_COLUMNS, write_xlsx
from tests.reports.test_export import _row


def _read(data: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return list(book["Certificados"].iter_rows(values_only=True))


def test_markup_control_characters_and_spaces_survive() -> None:
    out = io.BytesIO()
    write_xlsx([_row(1, nombre="  <b>A & B</b>\x01\x0b\tZ  ", folio_control="]]>\"'")], out)
    rows = _read(out.getvalue())
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    # the two characters XML 1.0 cannot carry become U+FFFD; tab and spaces are kept
    assert first["NOMBRE"] == "  <b>A & B</b>\ufffd\ufffd\tZ  "
    assert first["FOLIO CONTROL"] == "]]>\"'"
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert zf.testzip() is None
        for name in zf.namelist():  # every part is well-formed XML
            etree.fromstring(zf.read(name))


def test_many_rows_cross_the_write_buffer_in_order(monkeypatch) -> None:
    monkeypatch.setattr(export, "XLSX_ROWS_PER_WRITE", 7)
    out = io.BytesIO()
    write_xlsx((_row(i) for i in range(50)), out)
    rows = _read(out.getvalue())
    assert len(rows) == 51
    assert [r[EXPORT_COLUMNS.index("FOLIO CONTROL")] for r in rows[1:]] == [f"UAV-{i:03d}" for i in range(50)]
    assert rows[50][EXPORT_COLUMNS.index("FECHA CARGA")] == datetime(2025, 6, 30, 21, 30, 15)


def test_no_rows_is_a_header_only_workbook() -> None:
    out = io.BytesIO()
    write_xlsx([], out)
    assert _read(out.getvalue()) == [EXPORT_COLUMNS]


def test_an_absent_value_is_an_empty_cell() -> None:
    """A certificate without folioControl exports an empty cell (the XLSX writer never crashes on it)."""
    from mec_ws.reports.export import _cell

    assert _cell("G2", None) == '<c r="G2"/>'
