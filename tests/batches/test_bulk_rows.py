"""The final transaction writes its rows in chunks (executemany): every row lands, across chunk edges."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mec_ws.batches import processing
from mec_ws.certificate.stamp import verify_stamped
from mec_ws.services.dto import EstatusArchivo, EstatusCertificado, EstatusLote
from mec_ws.testdata.pki import default_pki
from models import Batch, BatchFile, Certificate
from tests.services.world import World, build_world, make_zip

FILES = 7  # with chunks of 3: 3 + 3 + 1 rows (and the upload row of a rejection)


def _files(s: Session, numero: int) -> list[BatchFile]:
    return list(s.scalars(select(BatchFile).where(BatchFile.batch_id == numero).order_by(BatchFile.ordinal)))


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(processing, "INSERT_CHUNK", 3)
    return build_world(engine, tmp_path / "data")


def test_accepted_rows_across_chunks(world: World) -> None:
    folio = world.folio(FILES)
    files = {f"c{n}.xml": world.certificate(n) for n in range(FILES)}
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    world.drain()

    sep = default_pki().sep_signer.certificate
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and batch.estatus is EstatusLote.ACEPTADO
        rows = _files(s, numero)
        certs = s.scalars(
            select(Certificate).where(Certificate.batch_id == numero).order_by(Certificate.id)
        ).all()
        assert [(r.ordinal, r.nombre, r.estatus, r.errores) for r in rows] == [
            (n + 1, f"c{n}.xml", EstatusArchivo.CORRECTO, []) for n in range(FILES)
        ]
        assert [r.folio_control for r in rows] == [f"UAV-2024-{n + 100:06d}" for n in range(FILES)]
        assert [c.folio_control for c in certs] == [f"UAV-2024-{n + 100:06d}" for n in range(FILES)]
        for n, cert in enumerate(certs):
            assert cert.estatus is EstatusCertificado.VIGENTE and cert.folio_pago == folio
            assert cert.fecha_carga == batch.received_at and cert.institution_id == "000001"
            assert cert.curp == world.scenario.student(n).curp
            assert cert.nombre_completo and cert.lugar_expedicion and cert.fecha_expedicion
            check = verify_stamped(cert.stamped_xml, sep)
            assert check.ok and check.folio_digital == cert.folio_digital, check.problems
        assert len({c.folio_digital for c in certs}) == FILES


def test_rejected_rows_across_chunks(world: World) -> None:
    folio = world.folio(FILES)  # (a wrong count is now a fault at upload: no batch, no rows)
    files = {f"c{n}.xml": world.certificate(n) for n in range(FILES)}
    files["c3.xml"] = files["c3.xml"].replace(b'numeroControl="', b'numeroControl="9', 1)
    numero = world.app.carga_certificados(world.ipes, folio, "lote.zip", make_zip(files)).numero_lote
    world.drain()

    with world.sessions() as s:
        rows = _files(s, numero)
        assert s.scalars(select(Certificate).where(Certificate.batch_id == numero)).first() is None
    assert [r.ordinal for r in rows] == list(range(1, FILES + 1))
    bad = [r.nombre for r in rows if r.estatus is EstatusArchivo.CON_ERRORES]
    assert bad == ["c3.xml"]
    assert "SELLO_INVALIDO" in {e["codigo"] for e in rows[3].errores}
    assert all(e.keys() == {"codigo", "mensaje", "ubicacion", "estatus"} for e in rows[3].errores)
