"""The certificate as a printable PDF (``descargaCertificado`` with ``formato=PDF``).

Rendered from the stamped XML alone (the document the SEP sealed is the source of truth) plus the
certificate's current status, with reportlab's platypus on US Letter:

- a status banner and a diagonal watermark on every page when the certificate is ``CANCELADO`` or
  has ``CANCELACION_SOLICITADA`` (a valid certificate carries neither word anywhere);
- institution, campus, RVOE, program, student (name, CURP, número de control);
- every subject in document order (clave, nombre, ciclo, calificación, tipo, créditos,
  observaciones), the table header repeated on each page;
- totals (promedio, asignaturas, créditos, ciclos), issue place and date, the responsible officer;
- the three seals (institution, DREOE, SEP-IPES) in small monospace text, wrapped at fixed width;
- the folio digital and a QR code (segno, drawn as vector squares) that opens the public
  verification page ``<base>/verificacion/<folioDigital>`` (:func:`verification_url`);
- a footer with the folio digital and "Página n de m".

Catalog ids are shown with the description from :mod:`mec_ws.catalogs` (falling back to the text
written in the document).  The built-in Helvetica and Courier fonts use WinAnsi encoding, which
covers Spanish (á é í ó ú ü ñ ¿ ¡).  Output is reproducible: the same inputs give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from mec_ws import catalogs
from mec_ws.certificate.document import NS, DecDocument, Node, q
from mec_ws.certificate.reader import read_xml
from mec_ws.config import Settings
from models.enums import EstatusCertificado

SOAP_PATH = "/mec/ws"
VERIFICATION_PATH = "/verificacion/"
# A stored certificate was accepted under the upload limit and then grew by the SEP stamp; this
# bound only keeps the hardened reader's guard meaningful for data that comes from our database.
MAX_STAMPED_BYTES = 64 * 1024 * 1024
SIN_FOLIO_CONTROL = "— (sin folio de control)"

PAGE_SIZE = letter
MARGIN = 16 * mm
TOP_MARGIN = 11 * mm
FRAME_PADDING = 6  # platypus frames pad their content by 6 pt on each side
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 2 * FRAME_PADDING
SEAL_FONT = "Courier"
SEAL_FONT_SIZE = 6.0
QR_SIZE = 30 * mm
QR_QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#0b4f6c")
RULE = colors.HexColor("#c8d1da")
ZEBRA = colors.HexColor("#f2f5f8")
HEADER_BG = colors.HexColor("#0b4f6c")
CANCELLED_RED = colors.HexColor("#b00020")
PENDING_ORANGE = colors.HexColor("#b35c00")

_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

_BANNERS: dict[EstatusCertificado, tuple[str, str, colors.Color]] = {
    EstatusCertificado.CANCELADO: (
        "CERTIFICADO CANCELADO",
        "Este certificado fue cancelado y no tiene validez oficial.",
        CANCELLED_RED,
    ),
    EstatusCertificado.CANCELACION_SOLICITADA: (
        "CANCELACIÓN SOLICITADA",
        "La institución solicitó la cancelación de este certificado; la solicitud está en revisión.",
        PENDING_ORANGE,
    ),
}
_WATERMARKS: dict[EstatusCertificado, tuple[str, colors.Color]] = {
    EstatusCertificado.CANCELADO: ("CANCELADO", CANCELLED_RED),
    EstatusCertificado.CANCELACION_SOLICITADA: ("CANCELACIÓN SOLICITADA", PENDING_ORANGE),
}


def verification_url(settings: Settings, folio_digital: str) -> str:
    """The public verification page of a certificate: ``GET /verificacion/<folioDigital>``.

    It lives on the same host (and under the same path prefix, if a proxy adds one) as the SOAP
    endpoint: the configured public URL without its trailing ``/mec/ws``.
    """
    base = settings.public_url.rstrip("/")
    if base.endswith(SOAP_PATH):
        base = base[: -len(SOAP_PATH)]
    return f"{base}{VERIFICATION_PATH}{quote(folio_digital.strip(), safe='')}"


def certificate_qr(url: str) -> segno.QRCode:
    """The QR code printed on the certificate: ``url`` at error-correction level M (15 %)."""
    return segno.make_qr(url, error="m", boost_error=False)


# --- text helpers -----------------------------------------------------------------------------------


def _desc(catalog: str, value: str | None, written: str | None = None) -> str:
    """The catalog description of ``value``; else what the document wrote; else the id itself."""
    if value is None:
        return written or ""
    return catalogs.load(catalog).get(value.strip()) or written or value


def _parse(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _long_date(text: str | None) -> str:
    """``2024-07-12T10:30:00`` → ``12 de julio de 2024`` (the text itself when it is no date)."""
    moment = _parse(text)
    if moment is None:
        return text or ""
    return f"{moment.day} de {_MONTHS[moment.month - 1]} de {moment.year}"


def _long_instant(text: str | None) -> str:
    moment = _parse(text)
    if moment is None:
        return text or ""
    return f"{_long_date(text)}, {moment:%H:%M:%S} (hora de la Ciudad de México)"


def _join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _with_id(description: str, ident: str | None) -> str:
    return f"{description} ({ident})" if ident and description and description != ident else description


def _chunks(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


# --- styles -----------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=10.5, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle(
            "title", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=17, alignment=TA_CENTER
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=9.5, leading=12, alignment=TA_CENTER, textColor=MUTED
        ),
        "section": ParagraphStyle(
            "section",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=9,
            leading=11,
            textColor=colors.white,
            backColor=ACCENT,
            borderPadding=(2.5, 4, 2.5, 4),
            spaceBefore=6,
            spaceAfter=4,
        ),
        "label": ParagraphStyle(
            "label", parent=base, fontName="Helvetica-Bold", fontSize=7, leading=9, textColor=MUTED
        ),
        "value": ParagraphStyle("value", parent=base, fontSize=8.5, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.3, leading=8.8),
        "head": ParagraphStyle(
            "head", parent=base, fontName="Helvetica-Bold", fontSize=7.3, leading=8.8, textColor=colors.white
        ),
        "seal_label": ParagraphStyle(
            "seal_label", parent=base, fontName="Helvetica-Bold", fontSize=7.3, leading=9, spaceBefore=4
        ),
        "seal_meta": ParagraphStyle("seal_meta", parent=base, fontSize=7, leading=8.5, textColor=MUTED),
        "seal": ParagraphStyle(
            "seal", parent=base, fontName=SEAL_FONT, fontSize=SEAL_FONT_SIZE, leading=SEAL_FONT_SIZE + 1.3
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.8, textColor=MUTED),
        "banner": ParagraphStyle(
            "banner",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=15,
            leading=18,
            alignment=TA_CENTER,
            textColor=colors.white,
        ),
        "banner_note": ParagraphStyle(
            "banner_note", parent=base, fontSize=8.5, alignment=TA_CENTER, textColor=colors.white
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


# --- flowables --------------------------------------------------------------------------------------


class QrFlowable(Flowable):
    """A QR code drawn as vector squares (crisp at any zoom, no raster image), with its quiet zone."""

    def __init__(self, qr: segno.QRCode, size: float) -> None:
        super().__init__()
        self.qr = qr
        self.size = size
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        matrix = self.qr.matrix
        modules = len(matrix) + 2 * QR_QUIET_ZONE
        unit = self.size / modules
        canvas = self.canv
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        for r, row in enumerate(matrix):
            y = self.size - (r + QR_QUIET_ZONE + 1) * unit
            c = 0
            while c < len(row):  # one rectangle per run of dark modules
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect((start + QR_QUIET_ZONE) * unit, y, (c - start) * unit, unit, stroke=0, fill=1)


def _section(title: str, st: dict[str, ParagraphStyle]) -> Paragraph:
    return _p(title.upper(), st["section"])


def _fields(pairs: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], columns: int = 2) -> Table:
    """Label/value pairs laid out ``columns`` to a row."""
    rows: list[list[Any]] = []
    for i in range(0, len(pairs), columns):
        row: list[Any] = []
        for label, value in pairs[i : i + columns]:
            row += [_p(label, st["label"]), _p(value or "—", st["value"])]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    label_w = 30 * mm
    value_w = CONTENT_WIDTH / columns - label_w
    table = Table(rows, colWidths=[label_w, value_w] * columns, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ]
        )
    )
    return table


_SUBJECT_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Clave", 16 * mm),
    ("Asignatura", 60 * mm),
    ("Ciclo", 13 * mm),
    ("Calificación", 17 * mm),
    ("Tipo", 27 * mm),
    ("Créditos", 13 * mm),
    ("Observaciones", 0.0),  # the rest of the width
)


def _subjects_table(subjects: Iterable[Node], st: dict[str, ParagraphStyle]) -> Table:
    widths = [w for _, w in _SUBJECT_COLUMNS]
    widths[-1] = CONTENT_WIDTH - sum(widths)
    rows: list[list[Any]] = [[_p(name, st["head"]) for name, _ in _SUBJECT_COLUMNS]]
    for subject in subjects:
        get = subject.get
        rows.append(
            [
                _p(get("claveAsignatura") or get("idAsignatura") or "", st["cell"]),
                _p(get("nombre") or f"Asignatura {get('idAsignatura') or ''}".strip(), st["cell"]),
                _p(get("ciclo") or "", st["cell"]),
                _p(get("calificacion") or "", st["cell"]),
                _p(_desc("tipo_asignatura", get("idTipoAsignatura"), get("tipoAsignatura")), st["cell"]),
                _p(get("creditos") or "", st["cell"]),
                _p(_desc("observaciones", get("idObservaciones"), get("observaciones")), st["cell"]),
            ]
        )
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, ACCENT),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


def _banner(estatus: EstatusCertificado, st: dict[str, ParagraphStyle]) -> Table | None:
    if estatus not in _BANNERS:
        return None
    title, note, color = _BANNERS[estatus]
    table = Table([[_p(title, st["banner"])], [_p(note, st["banner_note"])]], colWidths=[CONTENT_WIDTH])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), color),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _seal_block(label: str, meta: str, value: str, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    per_line = int(CONTENT_WIDTH / (0.6 * SEAL_FONT_SIZE))  # Courier: every glyph is 0.6 em wide
    lines = _chunks(value.strip() or "(sin sello)", per_line)
    return [
        KeepTogether(
            [
                _p(label, st["seal_label"]),
                _p(meta, st["seal_meta"]),
                Paragraph("<br/>".join(escape(line) for line in lines), st["seal"]),
            ]
        )
    ]


# --- page decoration --------------------------------------------------------------------------------


def _page_decorator(watermark: tuple[str, colors.Color] | None) -> Any:
    def decorate(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        if watermark is None:
            return
        text, color = watermark
        canvas.saveState()
        canvas.setFillColor(color)
        canvas.setFillAlpha(0.13)
        canvas.translate(PAGE_SIZE[0] / 2, PAGE_SIZE[1] / 2)
        canvas.rotate(45)
        size = 88 if len(text) <= 10 else 46
        canvas.setFont("Helvetica-Bold", size)
        canvas.drawCentredString(0, -size / 3, text)
        canvas.restoreState()

    return decorate


def _canvas_maker(footer_left: str) -> Any:
    class NumberedCanvas(Canvas):
        """Defers each page until the end so the footer can say "Página n de m"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.saveState()
                self.setStrokeColor(RULE)
                self.setLineWidth(0.5)
                self.line(MARGIN, MARGIN - 4 * mm, PAGE_SIZE[0] - MARGIN, MARGIN - 4 * mm)
                self.setFont("Helvetica", 7)
                self.setFillColor(MUTED)
                self.drawString(MARGIN, MARGIN - 8 * mm, footer_left)
                self.drawRightString(PAGE_SIZE[0] - MARGIN, MARGIN - 8 * mm, f"Página {number} de {total}")
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


# --- the document -----------------------------------------------------------------------------------


def _document(stamped_xml: bytes) -> DecDocument:
    tree = read_xml(stamped_xml, max_bytes=MAX_STAMPED_BYTES)
    if tree.getroot().tag != q("Dec"):
        raise ValueError(f"El documento no es un certificado Dec ({{{NS}}}Dec).")
    doc = DecDocument.from_tree(tree)
    if not (doc.sep_ipes.present and (doc.sep_ipes.get("folioDigital") or "").strip()):
        raise ValueError("El certificado no está sellado por la SEP (falta SepIpes/@folioDigital).")
    return doc


def _story(
    doc: DecDocument, estatus: EstatusCertificado, url: str, st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    ipes, carrera, alumno, exp = doc.ipes, doc.carrera, doc.alumno, doc.expedicion
    asig, resp, dreoe, sep = doc.asignaturas, doc.responsable, doc.dreoe, doc.sep_ipes
    folio_digital = (sep.get("folioDigital") or "").strip()
    tipo = _desc("tipo_certificacion", exp.get("idTipoCertificacion"), exp.get("tipoCertificacion"))
    nivel = _desc("nivel_estudios", carrera.get("idNivelEstudios"), carrera.get("nivelEstudios"))
    estado = _desc("entidad_federativa", ipes.get("idEntidadFederativa"), ipes.get("entidadFederativa"))
    lugar = _desc("entidad_federativa", exp.get("idLugarExpedicion"), exp.get("lugarExpedicion"))
    story: list[Flowable] = []

    if (banner := _banner(estatus, st)) is not None:
        story += [banner, Spacer(1, 3 * mm)]
    story += [
        _p(
            ipes.get("nombreInstitucion") or f"Institución {ipes.get('idNombreInstitucion') or ''}",
            st["title"],
        ),
        _p(f"CERTIFICADO ELECTRÓNICO DE ESTUDIOS — {tipo}".rstrip(" —"), st["subtitle"]),
        _p(f"Folio de control: {(doc.folio_control or '').strip() or SIN_FOLIO_CONTROL}", st["subtitle"]),
        Spacer(1, 2 * mm),
        _section("Institución", st),
        _fields(
            [
                (
                    "Institución",
                    _with_id(ipes.get("nombreInstitucion") or "", ipes.get("idNombreInstitucion")),
                ),
                ("Campus", _with_id(ipes.get("campus") or "", ipes.get("idCampus"))),
                ("Entidad federativa", estado),
                ("RVOE", doc.rvoe.get("numero") or ""),
                ("Fecha del RVOE", _long_date(doc.rvoe.get("fechaExpedicion"))),
                ("Servicio firmante", doc.servicio_firmante.get("idEntidad") or ""),
            ],
            st,
        ),
        _section("Programa de estudios", st),
        _fields(
            [
                ("Carrera", carrera.get("nombreCarrera") or carrera.get("idCarrera") or ""),
                ("Clave de carrera", _join(carrera.get("claveCarrera"), f"(id {carrera.get('idCarrera')})")),
                ("Nivel de estudios", nivel),
                ("Plan de estudios", carrera.get("clavePlan") or ""),
                (
                    "Tipo de periodo",
                    _desc("tipo_periodo", carrera.get("idTipoPeriodo"), carrera.get("tipoPeriodo")),
                ),
                (
                    "Escala de calificación",
                    f"{carrera.get('calificacionMinima') or '?'} a {carrera.get('calificacionMaxima') or '?'}"
                    f"; mínima aprobatoria {carrera.get('calificacionMinimaAprobatoria') or '?'}",
                ),
            ],
            st,
        ),
        _section("Alumno", st),
        _fields(
            [
                (
                    "Nombre",
                    _join(alumno.get("nombre"), alumno.get("primerApellido"), alumno.get("segundoApellido")),
                ),
                ("CURP", alumno.get("curp") or ""),
                ("Número de control", alumno.get("numeroControl") or ""),
                ("Género", _desc("genero", alumno.get("idGenero"))),
            ],
            st,
        ),
        _section("Asignaturas", st),
        _subjects_table(doc.asignatura, st),
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                _fields(
                    [
                        ("Promedio general", asig.get("promedio") or ""),
                        ("Número de ciclos", asig.get("numeroCiclos") or ""),
                        ("Asignaturas", asig.get("total") or ""),
                        ("Aprobadas", asig.get("asignadas") or ""),
                        ("Créditos obtenidos", asig.get("creditosObtenidos") or ""),
                        ("Total de créditos", asig.get("totalCreditos") or ""),
                    ],
                    st,
                    columns=3,
                ),
                _section("Expedición", st),
                _fields(
                    [
                        ("Tipo de certificación", tipo),
                        ("Lugar de expedición", lugar),
                        ("Fecha de expedición", _long_date(exp.get("fecha"))),
                        (
                            "Responsable",
                            _join(
                                resp.get("nombre"), resp.get("primerApellido"), resp.get("segundoApellido")
                            ),
                        ),
                        ("Cargo", _desc("cargo", resp.get("idCargo"), resp.get("cargo"))),
                        ("CURP del responsable", resp.get("curp") or ""),
                    ],
                    st,
                ),
            ]
        ),
        Spacer(1, 3 * mm),
        KeepTogether([_verification_block(folio_digital, url, estatus, st)]),
        _section("Sellos digitales", st),
        *_seal_block(
            "Sello digital de la institución",
            f"No. de certificado del responsable: {doc.dec.get('noCertificadoResponsable') or ''}",
            doc.dec.get("sello") or "",
            st,
        ),
        *_seal_block(
            "Sello DREOE",
            f"Fecha: {_long_instant(dreoe.get('fechaDreoe'))} · No. de certificado: "
            f"{dreoe.get('noCertificadoDreoe') or ''} · "
            f"{dreoe.get('nombreCompleto') or ''} — "
            f"{_desc('cargo', dreoe.get('idCargo'), dreoe.get('cargo'))}",
            dreoe.get("selloDreoe") or "",
            st,
        ),
        *_seal_block(
            "Sello SEP-IPES",
            f"Fecha: {_long_instant(sep.get('fechaSepIpes'))} · No. de certificado: "
            f"{sep.get('noCertificadoSepIpes') or ''} · Versión {sep.get('version') or ''}",
            sep.get("selloSepIpes") or "",
            st,
        ),
    ]
    return story


def _verification_block(
    folio_digital: str, url: str, estatus: EstatusCertificado, st: dict[str, ParagraphStyle]
) -> Table:
    shown = {EstatusCertificado.CANCELACION_SOLICITADA: "CANCELACIÓN SOLICITADA"}.get(estatus, estatus.value)
    status_line = f"Estatus al emitir este documento: {shown}."
    text = [
        Paragraph(f"Folio digital: <b>{escape(folio_digital)}</b>", st["value"]),
        Spacer(1, 2 * mm),
        _p("Verifique la autenticidad y el estatus de este certificado en:", st["base"]),
        Paragraph(f'<link href="{escape(url, {chr(34): "&quot;"})}">{escape(url)}</link>', st["value"]),
        Spacer(1, 2 * mm),
        _p(status_line, st["base"]),
        Spacer(1, 2 * mm),
        _p(
            "Este documento es una representación impresa del certificado electrónico. El documento con "
            "validez es el XML sellado por la SEP; su autenticidad puede comprobarse con los sellos "
            "digitales anteriores.",
            st["small"],
        ),
    ]
    table = Table([[QrFlowable(certificate_qr(url), QR_SIZE), text]], colWidths=[QR_SIZE + 6 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def render_certificate_pdf(stamped_xml: bytes, *, estatus: str, verification_url: str) -> bytes:
    """The printable PDF of a stamped certificate in status ``estatus`` (an EstatusCertificado value).

    Raises :class:`mec_ws.errors.XmlReadError` for bytes that are not a readable XML and
    ``ValueError`` for a document that is not a SEP-stamped ``Dec`` or an unknown ``estatus``.
    """
    status = EstatusCertificado(estatus)
    doc = _document(stamped_xml)
    st = _styles()
    alumno = doc.alumno
    nombre = _join(alumno.get("nombre"), alumno.get("primerApellido"), alumno.get("segundoApellido"))
    folio_digital = (doc.sep_ipes.get("folioDigital") or "").strip()
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=MARGIN,
        title=f"Certificado {(doc.folio_control or '').strip() or folio_digital} — {nombre}",
        author=doc.ipes.get("nombreInstitucion") or "",
        subject=f"Certificado electrónico de estudios, folio digital {folio_digital}",
        creator="mec-ws",
        invariant=True,
    )
    decorate = _page_decorator(_WATERMARKS.get(status))
    pdf.build(
        _story(doc, status, verification_url, st),
        onFirstPage=decorate,
        onLaterPages=decorate,
        canvasmaker=_canvas_maker(
            f"{nombre} · CURP {alumno.get('curp') or ''} · Folio digital {folio_digital}"
        ),
    )
    return buffer.getvalue()
