"""Fixtures for report tests: a registered world (tests/services/world.py), stamped certificates,
and the poppler tools (``pdftotext``, ``pdftoppm``, ``pdfinfo``) that read the PDFs back."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from mec_ws.certificate.stamp import stamp
from mec_ws.testdata.factory import FIXED_NOW, Scenario, default_scenario, seal
from mec_ws.testdata.pki import default_pki
from tests.services.world import World, add_certificate, build_world

POPPLER = ("pdftotext", "pdftoppm", "pdfinfo")
_seq = itertools.count(1)


def require_poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"poppler-utils no está instalado (faltan {', '.join(missing)}): apt-get install poppler-utils"
        )


def pdf_text(pdf: bytes, tmp_path: Path, *, page: int | None = None) -> str:
    """The PDF's text as pdftotext reads it (reading order), whitespace collapsed to single spaces."""
    require_poppler()
    path = tmp_path / f"doc-{next(_seq)}.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page is not None else []
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"], check=True, capture_output=True
    )
    return " ".join(out.stdout.decode("utf-8").split())


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    require_poppler()
    path = tmp_path / f"doc-{next(_seq)}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    (line,) = [ln for ln in out.splitlines() if ln.startswith("Pages:")]
    return int(line.split()[1])


@dataclass(frozen=True)
class Stamped:
    xml: bytes
    folio_digital: str
    root: etree._Element  # the stamped tree (read only in tests)


def stamped_certificate(scenario: Scenario | None = None, n: int = 0, **kwargs: object) -> Stamped:
    """A valid certificate of ``scenario``, sealed by its officer and stamped by the test SEP signer."""
    root = seal((scenario or default_scenario()).certificate(n, **kwargs))
    result = stamp(root, default_pki().sep_signer, now=FIXED_NOW)
    return Stamped(result.xml, result.folio_digital, root)


@pytest.fixture(scope="session")
def stamped() -> Stamped:
    return stamped_certificate(n=7)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")


__all__ = ["add_certificate"]
