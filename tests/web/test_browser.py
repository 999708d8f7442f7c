"""The verification page in a real headless browser (Debian's chromium) against a real server.

Skipped, saying so, only when ``/usr/bin/chromium`` is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mec_ws.web.verification import PREFIX, verification_app
from tests.web.conftest import CURP, Seeded, Serve

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install -y chromium",
)


def chromium(url: str, profile: Path, *action: str) -> subprocess.CompletedProcess[str]:
    argv = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        f"--user-data-dir={profile}",
        "--window-size=900,700",
        *action,
        url,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def base(seeded: Seeded, serve: Serve) -> str:
    return serve(verification_app(seeded.world.sessions, seeded.world.clock)) + PREFIX


@pytest.mark.parametrize(
    ("which", "word", "nombre"),
    [
        ("vigente", "VIGENTE", "ANA LUISA PÉREZ NÚÑEZ"),
        ("solicitada", "CANCELACIÓN SOLICITADA", "BRUNO DÍAZ ROJAS"),
        ("cancelado", "CANCELADO", "CARMEN ÁVILA SOTO"),
    ],
)
def test_rendered_dom_shows_status_and_name(
    seeded: Seeded, base: str, tmp_path: Path, which: str, word: str, nombre: str
) -> None:
    done = chromium(base + getattr(seeded, which), tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert '<html lang="es">' in dom
    assert f'role="status">Estatus: <strong>{word}</strong>' in dom
    assert f'<dd id="nombre">{nombre}</dd>' in dom
    assert "LICENCIATURA EN DERECHO" in dom and "12 de julio de 2024" in dom
    assert CURP not in dom
    assert "Content Security Policy" not in done.stderr  # the inline style is allowed by its hash


def test_escaped_names_stay_text_in_the_browser(seeded: Seeded, base: str, tmp_path: Path) -> None:
    done = chromium(base + seeded.escaped, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<script>" not in done.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O'HARA &amp; HIJOS" in done.stdout


def test_unknown_folio_renders_the_404_page(base: str, tmp_path: Path) -> None:
    done = chromium(base + "0f0f0f0f-0000-4000-8000-000000000000", tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<h1>Certificado no encontrado</h1>" in done.stdout
    assert "<strong>NO ENCONTRADO</strong>" in done.stdout


def test_screenshot(seeded: Seeded, base: str, tmp_path: Path) -> None:
    shot = tmp_path / "verificacion.png"
    done = chromium(base + seeded.cancelado, tmp_path / "profile", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000
