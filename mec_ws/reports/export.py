"""``exportaCertificados`` files: CSV and XLSX with the columns of ``consultaCertificados``.

Both writers consume an iterable of :class:`CertificadoResumen` once, row by row, and write to a
binary stream, so an export of any size never holds its rows in memory.

Columns (``EXPORT_COLUMNS``), in the order of the ``certificado`` element of the contract, with
plain upper-case headers without accents (what spreadsheet users and scripts match most easily):
INSTITUCION, CAMPUS, NOMBRE, CURP, CARRERA, FOLIO PAGO, FOLIO CONTROL, FOLIO DIGITAL,
LUGAR EXPEDICION, FECHA EXPEDICION, FECHA CARGA, ESTATUS.

- FECHA EXPEDICION is a calendar date; FECHA CARGA is the upload instant in Mexico City local
  time (the same clock the date filters use), to the second, with the zone stated
  (:mod:`mec_ws.times`).  CSV writes them as ``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS-06:00``
  (the UTC offset); XLSX writes real date/datetime cells, the datetime format showing
  "(hora de la Ciudad de México)".
- ESTATUS is the EstatusCertificado value (``VIGENTE``, ``CANCELACION_SOLICITADA``, ``CANCELADO``).
- CSV: UTF-8 with BOM (so spreadsheets detect the encoding), comma separated, CRLF line ends,
  minimal quoting (RFC 4180).  A text cell that a spreadsheet would read as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a leading apostrophe (OWASP "CSV injection").
- XLSX: one sheet "Certificados", bold frozen header row, column widths set; text that starts
  with ``=`` is stored as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from mec_ws.services.dto import CertificadoResumen
from mec_ws.times import MEXICO_CITY, ZONE_NOTE, local_iso

UTF8_BOM = b"\xef\xbb\xbf"
SHEET_TITLE = "Certificados"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = f'yyyy-mm-dd hh:mm:ss "({ZONE_NOTE})"'
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Value = str | date | datetime


def local_fecha_carga(moment: datetime) -> datetime:
    """An upload instant as naive Mexico City local time, to the second (what both files show)."""
    if moment.tzinfo is None:  # stored instants are aware UTC; be explicit about anything else
        raise ValueError("fechaCarga debe tener zona horaria.")
    return moment.astimezone(MEXICO_CITY).replace(tzinfo=None, microsecond=0)


_COLUMNS: tuple[tuple[str, Callable[[CertificadoResumen], Value], int], ...] = (
    ("INSTITUCION", lambda r: r.institucion, 40),
    ("CAMPUS", lambda r: r.campus, 28),
    ("NOMBRE", lambda r: r.nombre, 36),
    ("CURP", lambda r: r.curp, 21),
    ("CARRERA", lambda r: r.carrera, 36),
    ("FOLIO PAGO", lambda r: r.folio_pago, 18),
    ("FOLIO CONTROL", lambda r: r.folio_control, 20),
    ("FOLIO DIGITAL", lambda r: r.folio_digital, 38),
    ("LUGAR EXPEDICION", lambda r: r.lugar_expedicion, 22),
    ("FECHA EXPEDICION", lambda r: r.fecha_expedicion, 17),
    ("FECHA CARGA", lambda r: local_fecha_carga(r.fecha_carga), 48),
    ("ESTATUS", lambda r: r.estatus.value, 24),
)

EXPORT_COLUMNS: tuple[str, ...] = tuple(header for header, _, _ in _COLUMNS)


def row_values(row: CertificadoResumen) -> tuple[Value, ...]:
    """One certificate as typed cell values, in ``EXPORT_COLUMNS`` order."""
    return tuple(get(row) for _, get, _ in _COLUMNS)


def _csv_text(value: Value) -> str:
    if isinstance(value, datetime):  # naive Mexico City time (local_fecha_carga): state the offset
        return local_iso(value.replace(tzinfo=MEXICO_CITY))
    if isinstance(value, date):
        return value.isoformat()
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(rows: Iterable[CertificadoResumen], out: BinaryIO) -> None:
    """Write the CSV (BOM, header, one line per certificate, CRLF) to ``out``; returns nothing."""
    out.write(UTF8_BOM)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_text(v) for v in row_values(row)])
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller


def write_xlsx(rows: Iterable[CertificadoResumen], out: BinaryIO) -> None:
    """Write the XLSX workbook to ``out`` (openpyxl write-only mode: rows go straight to disk)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    for index, (_, _, width) in enumerate(_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def header_cell(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    sheet.append([header_cell(h) for h in EXPORT_COLUMNS])
    for row in rows:
        cells: list[WriteOnlyCell] = []
        for value in row_values(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif cell.data_type == "f":  # openpyxl reads a leading "=" as a formula: keep it text
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    book.save(out)
