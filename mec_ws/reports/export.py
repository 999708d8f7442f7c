"""``exportaCertificados`` files: CSV and XLSX with the columns of ``consultaCertificados``.

Both writers consume an iterable of :class:`ExportRow` (e.g. ``mec_ws.services.dto.CertificadoResumen``)
once, row by row, and write to a binary stream, so an export of any size never holds its rows in memory.

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
- XLSX: one sheet "Certificados", bold frozen header row, column widths set; every text cell is
  an inline string, so text that starts with ``=`` is text, never a formula.  Written by hand
  (:func:`write_xlsx`), streaming, instead of through openpyxl (ten times slower per row).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import BinaryIO, Protocol
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from mec_ws.times import MEXICO_CITY, ZONE_NOTE, local_iso
from models.enums import EstatusCertificado

UTF8_BOM = b"\xef\xbb\xbf"
SHEET_TITLE = "Certificados"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = f'yyyy-mm-dd hh:mm:ss "({ZONE_NOTE})"'


def _attr(value: str) -> str:
    """``value`` escaped for a double-quoted XML attribute (number formats quote their literals)."""
    return escape(value, {'"': "&quot;"})


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Value = str | date | datetime | None


class ExportRow(Protocol):
    """One certificate as the export shows it (``CertificadoResumen`` is one)."""

    @property
    def institucion(self) -> str: ...
    @property
    def campus(self) -> str: ...
    @property
    def nombre(self) -> str: ...
    @property
    def curp(self) -> str: ...
    @property
    def carrera(self) -> str: ...
    @property
    def folio_pago(self) -> str: ...
    @property
    def folio_control(self) -> str: ...
    @property
    def folio_digital(self) -> str: ...
    @property
    def lugar_expedicion(self) -> str: ...
    @property
    def fecha_expedicion(self) -> date: ...
    @property
    def fecha_carga(self) -> datetime: ...
    @property
    def estatus(self) -> EstatusCertificado: ...


def local_fecha_carga(moment: datetime) -> datetime:
    """An upload instant as naive Mexico City local time, to the second (what both files show)."""
    if moment.tzinfo is None:  # stored instants are aware UTC; be explicit about anything else
        raise ValueError("fechaCarga debe tener zona horaria.")
    return moment.astimezone(MEXICO_CITY).replace(tzinfo=None, microsecond=0)


_COLUMNS: tuple[tuple[str, Callable[[ExportRow], Value], int], ...] = (
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


def row_values(row: ExportRow) -> tuple[Value, ...]:
    """One certificate as typed cell values, in ``EXPORT_COLUMNS`` order."""
    return tuple(get(row) for _, get, _ in _COLUMNS)


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell: a leading apostrophe when a spreadsheet would read it as a formula
    (OWASP "CSV injection"); the one guard for every CSV the service writes."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_text(value: Value) -> str:
    if isinstance(value, datetime):  # naive Mexico City time (local_fecha_carga): state the offset
        return local_iso(value.replace(tzinfo=MEXICO_CITY))
    if isinstance(value, date):
        return value.isoformat()
    if value is None:  # an absent optional value (folioControl): an empty cell
        return ""
    return spreadsheet_safe(value)


def write_csv(rows: Iterable[ExportRow], out: BinaryIO) -> None:
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


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XLSX_PARTS: tuple[tuple[str, str], ...] = (
    (
        "[Content_Types].xml",
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>",
    ),
    (
        "_rels/.rels",
        f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    (
        "xl/workbook.xml",
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
        f'<sheet name="{SHEET_TITLE}" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    (
        "xl/_rels/workbook.xml.rels",
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>',
    ),
    (
        "xl/styles.xml",
        f'<styleSheet xmlns="{_MAIN_NS}">'
        f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{_attr(DATE_FORMAT)}"/>'
        f'<numFmt numFmtId="165" formatCode="{_attr(DATETIME_FORMAT)}"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    ),
)
_BOLD, _DATE, _DATETIME = 1, 2, 3  # cellXfs indexes above
_EXCEL_EPOCH = date(1899, 12, 30)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LETTERS = tuple(get_column_letter(i) for i in range(1, len(_COLUMNS) + 1))
XLSX_ROWS_PER_WRITE = 500


def _text_cell(ref: str, value: str, style: int = 0) -> str:
    text = escape(_ILLEGAL_XML.sub("\ufffd", value))
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(ref: str, value: Value) -> str:
    if isinstance(value, datetime):
        serial = (value.date() - _EXCEL_EPOCH).days + (
            value.hour * 3600 + value.minute * 60 + value.second
        ) / 86400
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if value is None:  # an absent optional value (folioControl): an empty cell
        return f'<c r="{ref}"/>'
    return _text_cell(ref, value)  # always text: a leading "=" is never a formula


def _member(name: str) -> zipfile.ZipInfo:
    """A deflated member with a fixed date: the same rows give the same bytes, whenever exported."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_xlsx(rows: Iterable[ExportRow], out: BinaryIO) -> None:
    """Write the XLSX workbook to ``out``, row by row (inline strings, no shared-string table).

    The sheet is written straight into its deflated ZIP member as the rows arrive, so neither
    the rows nor the sheet are ever held whole; about ten times faster than openpyxl's
    write-only mode, which builds an object per cell.
    """
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, xml in _XLSX_PARTS:
            zf.writestr(_member(name), _XML_DECL + xml)
        with zf.open(_member("xl/worksheets/sheet1.xml"), "w") as member:
            sheet = io.TextIOWrapper(member, encoding="utf-8", newline="")
            sheet.write(
                _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
                    for i, (_, _, width) in enumerate(_COLUMNS, start=1)
                )
                + '</cols><sheetData><row r="1">'
                + "".join(
                    _text_cell(f"{c}1", h, _BOLD) for c, h in zip(_LETTERS, EXPORT_COLUMNS, strict=True)
                )
                + "</row>"
            )
            pending: list[str] = []
            for number, row in enumerate(rows, start=2):
                cells = "".join(
                    _cell(f"{c}{number}", v) for c, v in zip(_LETTERS, row_values(row), strict=True)
                )
                pending.append(f'<row r="{number}">{cells}</row>')
                if len(pending) >= XLSX_ROWS_PER_WRITE:
                    sheet.write("".join(pending))
                    pending.clear()
            sheet.write("".join(pending) + "</sheetData></worksheet>")
            sheet.flush()
            sheet.detach()
