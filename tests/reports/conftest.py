"""Fixtures for report tests: a registered world (tests/services/world.py), stamped certificates,
and the poppler tools (``pdftotext``, ``pdftoppm``, ``pdfinfo``) that read the PDFs back."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from mec_ws.certificate.stamp import stamp
from mec_ws.services.dto import EstatusCertificado
from mec_ws.testdata.factory import FIXED_NOW, Scenario, default_scenario, seal
from mec_ws.testdata.pki import default_pki
from models import Batch, BatchKind, Certificate, FolioPago
from tests.services.world import World, build_world

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


def add_certificate(
    world: World,
    folio_control: str,
    *,
    fecha_carga: datetime,
    institution_id: str = "000001",
    campus_id: str = "000101",
    curp: str = "AAAA000101HDFBBB01",
    fecha_expedicion: date = date(2024, 7, 12),
    estatus: EstatusCertificado = EstatusCertificado.VIGENTE,
    nombre: str | None = None,
    document: Stamped | None = None,
) -> Certificate:
    """An accepted certificate row (its own folio de pago and batch); ``document`` gives real XML."""
    n = next(_seq)
    with world.sessions() as s:
        folio = FolioPago(folio=f"R-{n:05d}", institution_id=institution_id, cantidad=1)
        s.add(folio)
        s.flush()
        batch = Batch(
            folio_id=folio.id,
            institution_id=institution_id,
            intento=1,
            nombre_archivo="a.xml",
            stored_path="lotes/x.bin",
            sha256=f"{n:064d}",
            size_bytes=1,
            kind=BatchKind.XML,
            received_at=fecha_carga,
        )
        s.add(batch)
        s.flush()
        cert = Certificate(
            institution_id=institution_id,
            campus_id=campus_id,
            folio_pago=folio.folio,
            batch_id=batch.numero_lote,
            folio_control=folio_control,
            folio_digital=document.folio_digital if document else f"00000000-0000-4000-8000-{n:012d}",
            curp=curp,
            nombre_completo=nombre or f"ALUMNO {n}",
            carrera="LICENCIATURA EN DERECHO",
            id_carrera="1021",
            clave_plan="2019",
            lugar_expedicion="CIUDAD DE MÉXICO",
            fecha_expedicion=fecha_expedicion,
            fecha_carga=fecha_carga,
            estatus=estatus,
            stamped_xml=document.xml if document else f"<Dec folioControl='{folio_control}'/>".encode(),
        )
        s.add(cert)
        s.commit()
        return cert
