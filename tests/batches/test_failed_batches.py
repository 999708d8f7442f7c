"""Batches that ended FALLIDO, as an operator handles them: ``mec-ws admin lotes-fallidos``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from mec_ws.batches.failure import fail_batch
from mec_ws.cli import main
from mec_ws.services.dto import EstatusLote
from models import Batch
from tests.services.world import World, build_world


@pytest.fixture
def world(engine: Engine, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    w = build_world(engine, tmp_path / "data")
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    monkeypatch.setenv("MEC_DATA_DIR", str(w.settings.data_dir))
    return w


def _admin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["admin", "lotes-fallidos", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _failed(world: World, n: int = 1) -> tuple[str, int]:
    folio = world.folio(n)
    numero = world.app.carga_certificados(world.ipes, folio, "lote.xml", world.certificate(0)).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, numero, reason="la llave de sellado no se pudo leer", now=world.clock.now)
    return folio, numero


def test_list_retry_and_finish_a_failed_batch(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    folio, numero = _failed(world)
    code, out, _ = _admin(capsys)
    assert code == 0 and f"lote {numero}" in out and "la llave de sellado no se pudo leer" in out
    assert f"folio {folio}" in out
    code, out, _ = _admin(capsys, "--reintentar", str(numero), "--por", "revisor")
    assert code == 0 and "de vuelta en la cola como intento 1" in out
    code, out, _ = _admin(capsys)
    assert code == 0 and "No hay lotes FALLIDO pendientes" in out
    assert world.drain() == 1
    status = world.app.consulta_estatus_carga(world.ipes, folio)
    assert [lote.estatus for lote in status.lotes] == [EstatusLote.ACEPTADO]
    assert status.intentos_usados == 1


def test_mark_reviewed_keeps_it_listed_with_todos(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    _, numero = _failed(world)
    code, out, _ = _admin(capsys, "--revisado", str(numero), "--por", "revisor")
    assert code == 0 and "marcado como revisado por revisor" in out
    assert "No hay lotes FALLIDO pendientes" in _admin(capsys)[1]
    code, out, _ = _admin(capsys, "--todos")
    assert f"lote {numero}" in out and "revisado por revisor" in out
    with world.sessions() as s:
        batch = s.get(Batch, numero)
        assert batch is not None and batch.estatus is EstatusLote.FALLIDO


def test_retry_is_refused_while_the_folio_has_another_batch_pending(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    folio, numero = _failed(world)
    world.app.carga_certificados(world.ipes, folio, "otro.xml", world.certificate(1))  # a new attempt
    code, _, err = _admin(capsys, "--reintentar", str(numero))
    assert code == 2 and "aún se está procesando" in err


def test_retry_of_a_batch_that_is_not_failed(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    folio = world.folio(1)
    numero = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    code, _, err = _admin(capsys, "--reintentar", str(numero))
    assert code == 2 and f"No hay un lote FALLIDO con número {numero}" in err
