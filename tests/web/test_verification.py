"""``/verificacion/<folioDigital>`` over real HTTP (a wsgiref server) and as a WSGI callable."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from mec_ws.services import cancellation
from mec_ws.web.verification import PREFIX, verification_app
from tests.web.conftest import CURP, Seeded, Serve


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> object:
        assert self.headers["content-type"] == "application/json; charset=utf-8"
        return json.loads(self.body)


def fetch(url: str, *, method: str = "GET", data: bytes | None = None) -> Response:
    request = urllib.request.Request(url, method=method, data=data)  # noqa: S310 - our local server
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - our local server
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@pytest.fixture
def base(seeded: Seeded, serve: Serve) -> Iterator[str]:
    yield serve(verification_app(seeded.world.sessions, seeded.world.clock)) + PREFIX.rstrip("/")


class _Outline(HTMLParser):
    """Tags, the text of each element of interest, and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.html_lang: str | None = None
        self.dt: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset")]
        self._in = tag if tag == "dt" else None

    def handle_data(self, data: str) -> None:
        if self._in == "dt":
            self.dt.append(data)


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def test_a_valid_certificate_page(seeded: Seeded, base: str) -> None:
    r = fetch(f"{base}/{seeded.vigente}")
    assert r.status == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    page = r.text
    assert page.startswith("<!DOCTYPE html>")
    shape = outline(page)
    assert shape.html_lang == "es"
    assert {"h1", "h2", "dl", "dt", "dd", "main", "time", "footer"} <= set(shape.tags)
    assert page.index("</main>") < page.index("<footer>")  # the footer is its own landmark
    assert shape.dt == [
        "Folio digital",
        "Nombre del alumno",
        "Programa",
        "Institución",
        "Fecha de expedición",
    ]
    assert shape.urls == []  # no external (or any) resources, links or forms
    assert "<strong>VIGENTE</strong>" in page
    for shown in (
        "ANA LUISA PÉREZ NÚÑEZ",
        "LICENCIATURA EN DERECHO",
        "UNIVERSIDAD",  # the registered name of institution 000001
        '<time datetime="2024-07-12">12 de julio de 2024</time>',
        seeded.vigente,
    ):
        assert shown in page
    assert CURP not in page and "V-1" not in page  # nothing beyond what the page is for


def test_the_csp_is_strict_and_allows_exactly_the_inline_style(seeded: Seeded, base: str) -> None:
    r = fetch(f"{base}/{seeded.vigente}")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    (style,) = re.findall(r"<style>(.*?)</style>", r.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    assert "<script" not in r.text and " style=" not in r.text


@pytest.mark.parametrize(
    ("which", "word", "estatus"),
    [
        ("vigente", "VIGENTE", "VIGENTE"),
        ("solicitada", "CANCELACIÓN SOLICITADA", "CANCELACION_SOLICITADA"),
        ("cancelado", "CANCELADO", "CANCELADO"),
    ],
)
def test_each_status_in_html_and_json(seeded: Seeded, base: str, which: str, word: str, estatus: str) -> None:
    folio = getattr(seeded, which)
    page = fetch(f"{base}/{folio}").text
    (shown,) = re.findall(
        r'<p class="estatus [a-z-]+" id="estatus" role="status">Estatus: <strong>([^<]+)<', page
    )
    assert shown == word
    data = fetch(f"{base}/{folio}?formato=json").json()
    assert isinstance(data, dict)
    assert data["estatus"] == estatus and data["folioDigital"] == folio


def test_json_carries_exactly_the_public_fields(seeded: Seeded, base: str) -> None:
    r = fetch(f"{base}/{seeded.cancelado}?formato=json")
    assert r.status == 200 and r.headers["cache-control"] == "no-store"
    assert r.json() == {
        "folioDigital": seeded.cancelado,
        "estatus": "CANCELADO",
        "nombre": "CARMEN ÁVILA SOTO",
        "carrera": "LICENCIATURA EN DERECHO",
        "institucion": r.json()["institucion"],  # type: ignore[index]
        "fechaExpedicion": "2024-07-12",
    }
    assert r.json()["institucion"].startswith("UNIVERSIDAD")  # type: ignore[index]


def test_status_follows_the_review_window(seeded: Seeded, base: str) -> None:
    def estatus() -> object:
        return fetch(f"{base}/{seeded.solicitada}?formato=json").json()["estatus"]  # type: ignore[index]

    w = seeded.world
    assert estatus() == "CANCELACION_SOLICITADA"
    w.clock.advance(hours=48)
    with w.sessions() as s:
        assert cancellation.apply_due_cancellations(s, now=w.clock()) == 1
    assert estatus() == "CANCELADO"
    with w.sessions() as s:
        cancellation.solicita_cancelacion(s, w.ipes, "V-1", "R5", None, settings=w.settings, now=w.clock())
    w.clock.advance(hours=1)
    with w.sessions() as s:
        cancellation.withdraw(s, "V-1", None, now=w.clock(), by="revisor")
    assert fetch(f"{base}/{seeded.vigente}?formato=json").json()["estatus"] == "VIGENTE"  # type: ignore[index]


def test_folio_is_case_insensitive(seeded: Seeded, base: str) -> None:
    assert fetch(f"{base}/{seeded.vigente.upper()}").status == 200


def test_names_are_escaped(seeded: Seeded, base: str) -> None:
    page = fetch(f"{base}/{seeded.escaped}").text
    assert "<script>" not in page and "<B>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;HARA &amp; HIJOS" in page
    assert "INGENIERÍA &quot;A&quot; &lt;B&gt;" in page
    data = fetch(f"{base}/{seeded.escaped}?formato=json").json()
    assert data["nombre"] == "<script>alert(1)</script> O'HARA & HIJOS"  # type: ignore[index]


def test_unknown_folio_is_a_404_page(base: str) -> None:
    folio = "0f0f0f0f-0000-4000-8000-000000000000"
    r = fetch(f"{base}/{folio}")
    assert r.status == 404
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-security-policy" in r.headers
    assert outline(r.text).html_lang == "es"
    assert "<h1>Certificado no encontrado</h1>" in r.text and folio in r.text
    r = fetch(f"{base}/{folio}?formato=json")
    assert r.status == 404
    assert r.json() == {
        "error": "CertificadoInexistente",
        "mensaje": "No hay ningún certificado registrado con ese folio digital.",
    }


@pytest.mark.parametrize(
    "tail",
    [
        "",
        "no-es-un-folio",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "5a1e0c2b-7d3f-4e8a-9b6c-0000000000011",
        "x/y",
    ],
)
def test_malformed_folio_is_a_404_without_echo(base: str, tail: str) -> None:
    r = fetch(f"{base}/{tail}")
    assert r.status == 404
    assert "no contiene un folio digital válido" in r.text
    for fragment in ("alert", "no-es-un-folio", "0000000000011", "x/y"):  # nothing of the path comes back
        assert fragment not in r.text
    assert fetch(f"{base}/{tail}?formato=json").status == 404


def test_methods_and_formats(seeded: Seeded, base: str) -> None:
    head = fetch(f"{base}/{seeded.vigente}", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) > 0
    post = fetch(f"{base}/{seeded.vigente}", method="POST", data=b"x=1")
    assert post.status == 405 and post.headers["allow"] == "GET, HEAD"
    bad = fetch(f"{base}/{seeded.vigente}?formato=xml")
    assert bad.status == 400 and "formato" in bad.text


def test_database_down_is_a_503(serve: Serve, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'no-existe' / 'mec.sqlite3'}")
    try:
        base = serve(verification_app(sessionmaker(engine))) + PREFIX
        r = fetch(f"{base}0f0f0f0f-0000-4000-8000-000000000000")
        assert r.status == 503 and "no está disponible" in r.text
        r = fetch(f"{base}0f0f0f0f-0000-4000-8000-000000000000?formato=json")
        assert r.status == 503 and r.json()["error"] == "NoDisponible"  # type: ignore[index]
    finally:
        engine.dispose()
