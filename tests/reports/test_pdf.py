"""The certificate PDF, read back with poppler (pdftotext, pdftoppm, pdfinfo)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from mec_ws import catalogs
from mec_ws.certificate.document import DecDocument, q
from mec_ws.config import Settings
from mec_ws.errors import XmlReadError
from mec_ws.reports import pdf as pdf_module
from mec_ws.reports.pdf import certificate_qr, render_certificate_pdf, verification_url
from mec_ws.testdata.factory import default_scenario, seal, to_bytes
from tests.reports.conftest import Stamped, pdf_pages, pdf_text, require_poppler, stamped_certificate

URL = "https://mec.example.gob.mx/verificacion/"


def _render(stamped: Stamped, estatus: str = "VIGENTE") -> bytes:
    return render_certificate_pdf(stamped.xml, estatus=estatus, verification_url=URL + stamped.folio_digital)


def _with_subjects(stamped: Stamped, count: int) -> bytes:
    """The stamped document with its subject list cut or repeated to ``count`` entries."""
    root = copy.deepcopy(stamped.root)
    asignaturas = root.find(q("Asignaturas"))
    subjects = asignaturas.findall(q("Asignatura"))
    for el in subjects:
        asignaturas.remove(el)
    for i in range(count):
        el = copy.deepcopy(subjects[i % len(subjects)])
        el.set("nombre", f"ASIGNATURA NÚMERO {i + 1:03d}")
        asignaturas.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_text_holds_every_datum(stamped: Stamped, tmp_path: Path) -> None:
    doc = DecDocument.from_tree(stamped.root)
    text = pdf_text(_render(stamped), tmp_path)
    alumno = doc.alumno
    nombre = " ".join(
        v for v in (alumno.get("nombre"), alumno.get("primerApellido"), alumno.get("segundoApellido")) if v
    )
    expected = [
        doc.ipes.get("nombreInstitucion"),  # UNIVERSIDAD DEL ÁNGEL …: accents survive
        doc.ipes.get("campus"),
        nombre,
        alumno.get("curp"),
        alumno.get("numeroControl"),
        doc.carrera.get("nombreCarrera"),
        doc.rvoe.get("numero"),
        doc.folio_control,
        doc.asignaturas.get("promedio"),
        doc.asignaturas.get("creditosObtenidos"),
        stamped.folio_digital,
        URL + stamped.folio_digital,
        "12 de julio de 2024",  # Expedicion/@fecha
        catalogs.load("entidad_federativa")[doc.expedicion.get("idLugarExpedicion") or ""],
        "Calificación",
        "Créditos",
        "Observaciones",
    ]
    for value in expected:
        assert value and value in text, value
    for subject in doc.asignatura:
        assert subject.get("nombre") in text
    for seal_value in (doc.dec.get("sello"), doc.dreoe.get("selloDreoe"), doc.sep_ipes.get("selloSepIpes")):
        assert seal_value and seal_value[:60] in text
    assert "CANCELAD" not in text and "SOLICITADA" not in text
    assert "VIGENTE" in text


def test_accented_names_render(tmp_path: Path) -> None:
    document = stamped_certificate(n=3, folio_control="ÑANDÚ-001")
    tree = copy.deepcopy(document.root)
    tree.find(q("Alumno")).set("nombre", "MARÍA ÁNGELES ÑÚÑEZ")
    pdf = render_certificate_pdf(to_bytes(tree), estatus="VIGENTE", verification_url=URL + "x")
    text = pdf_text(pdf, tmp_path)
    assert "MARÍA ÁNGELES ÑÚÑEZ" in text
    assert "Folio de control: ÑANDÚ-001" in text


@pytest.mark.parametrize(
    ("estatus", "words"),
    [
        (
            "CANCELADO",
            ["CERTIFICADO CANCELADO", "no tiene validez", "Estatus al emitir este documento: CANCELADO"],
        ),
        (
            "CANCELACION_SOLICITADA",
            [
                "CANCELACIÓN SOLICITADA",
                "en revisión",
                "Estatus al emitir este documento: CANCELACIÓN SOLICITADA",
            ],
        ),
    ],
)
def test_cancelled_states_are_prominent_on_every_page(
    stamped: Stamped, tmp_path: Path, estatus: str, words: list[str]
) -> None:
    pdf = _render(stamped, estatus)
    text = pdf_text(pdf, tmp_path)
    for word in words:
        assert word in text
    watermark = "CANCELADO" if estatus == "CANCELADO" else "CANCELACIÓN SOLICITADA"
    for page in range(1, pdf_pages(pdf, tmp_path) + 1):
        assert watermark in pdf_text(pdf, tmp_path, page=page)
    assert "VIGENTE" not in text


def test_renders_to_png(stamped: Stamped, tmp_path: Path) -> None:
    require_poppler()
    source = tmp_path / "cert.pdf"
    source.write_bytes(_render(stamped, "CANCELADO"))
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(source), str(tmp_path / "p")], check=True
    )
    (png,) = tmp_path.glob("p-*.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_subject_table_spans_pages_with_repeated_header(stamped: Stamped, tmp_path: Path) -> None:
    pdf = render_certificate_pdf(_with_subjects(stamped, 160), estatus="VIGENTE", verification_url=URL + "x")
    pages = pdf_pages(pdf, tmp_path)
    assert pages >= 4
    text = pdf_text(pdf, tmp_path)
    for i in range(1, 161):
        assert f"ASIGNATURA NÚMERO {i:03d}" in text
    for page in range(1, pages):
        page_text = pdf_text(pdf, tmp_path, page=page)
        assert "Clave Asignatura Ciclo Calificación" in page_text, page
        assert f"Página {page} de {pages}" in page_text


def test_short_certificate_fits_one_page(stamped: Stamped, tmp_path: Path) -> None:
    pdf = render_certificate_pdf(_with_subjects(stamped, 4), estatus="VIGENTE", verification_url=URL + "x")
    assert pdf_pages(pdf, tmp_path) == 1
    assert "Página 1 de 1" in pdf_text(pdf, tmp_path)


def test_qr_encodes_the_verification_url(stamped: Stamped, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[str] = []

    def spy(url: str):  # type: ignore[no-untyped-def]
        encoded.append(url)
        return certificate_qr(url)

    monkeypatch.setattr(pdf_module, "certificate_qr", spy)
    _render(stamped)
    assert encoded == [URL + stamped.folio_digital]
    qr = certificate_qr(URL + stamped.folio_digital)
    assert qr.error == "M" and not qr.is_micro
    # the payload segno encodes is the URL in byte mode, nothing else
    assert qr.mode == "byte"


def test_same_inputs_give_the_same_bytes(stamped: Stamped) -> None:
    assert _render(stamped) == _render(stamped)
    assert _render(stamped) != _render(stamped, "CANCELADO")


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("http://127.0.0.1:8000/mec/ws", "http://127.0.0.1:8000/verificacion/F-1"),
        ("https://mec.sep.gob.mx/mec/ws/", "https://mec.sep.gob.mx/verificacion/F-1"),
        ("https://sep.gob.mx/certificados/mec/ws", "https://sep.gob.mx/certificados/verificacion/F-1"),
        ("https://mec.sep.gob.mx", "https://mec.sep.gob.mx/verificacion/F-1"),
    ],
)
def test_verification_url(public_url: str, expected: str) -> None:
    settings = Settings.from_env({"MEC_PUBLIC_URL": public_url})
    assert verification_url(settings, " F-1 ") == expected


def test_verification_url_escapes_the_folio() -> None:
    settings = Settings.from_env({})
    assert verification_url(settings, "a/b?c") == "http://127.0.0.1:8000/verificacion/a%2Fb%3Fc"


def test_rejects_what_is_not_a_stamped_certificate(stamped: Stamped) -> None:
    unstamped = to_bytes(seal(default_scenario().certificate(1)))
    with pytest.raises(ValueError, match="SepIpes"):
        render_certificate_pdf(unstamped, estatus="VIGENTE", verification_url=URL)
    with pytest.raises(ValueError, match="Dec"):
        render_certificate_pdf(b"<otro/>", estatus="VIGENTE", verification_url=URL)
    with pytest.raises(XmlReadError):
        render_certificate_pdf(b"%PDF-1.4 no es xml", estatus="VIGENTE", verification_url=URL)
    with pytest.raises(ValueError):
        render_certificate_pdf(stamped.xml, estatus="VALIDO", verification_url=URL)
