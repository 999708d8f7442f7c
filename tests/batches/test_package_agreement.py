"""The four readers of a package agree on every package fault: the upload (a fault, nothing
stored), ``validaCertificados`` (the same fault), the worker (a batch that somehow holds the package
is rejected with the same codes as findings) and ``mec-ws validate`` (the same codes, per package)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mec_ws import cli, errors
from models import BatchFile
from tests.batches.packages import CASES, LIMITS_ENV, Case
from tests.services.world import World, build_world, insert_batch, with_env


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return with_env(build_world(engine, tmp_path / "data"), LIMITS_ENV)


def _upload_codes(world: World, data: bytes) -> set[str]:
    with pytest.raises(errors.PaqueteInvalido) as caught:
        world.app.carga_certificados(world.ipes, world.folio(1), "lote.zip", data)
    return set(caught.value.hallazgos)


def _valida_codes(world: World, data: bytes, folio: str | None) -> set[str]:
    with pytest.raises(errors.PaqueteInvalido) as caught:
        world.app.valida_certificados(world.ipes, "lote.zip", data, folio)
    return set(caught.value.hallazgos)


def _worker_codes(world: World, data: bytes) -> set[str]:
    numero = insert_batch(world, world.folio(1), "lote.zip", data)
    assert world.drain() == 1
    with world.sessions() as s:
        row = s.scalars(select(BatchFile).where(BatchFile.batch_id == numero, BatchFile.ordinal == 0)).one()
        return {e["codigo"] for e in row.errores}


def _cli_codes(data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> set[str]:
    for name, value in LIMITS_ENV.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "lote.zip"
    path.write_bytes(data)
    capsys.readouterr()
    assert cli.main(["validate", "--json", str(path)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    package = [line for line in lines if line["archivo"] == str(path)]
    assert len(package) == 1, lines
    return {h["codigo"] for h in package[0]["hallazgos"]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_upload_valida_worker_and_cli_agree(
    world: World, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    data = case.build(world.certificate(0))
    upload = _upload_codes(world, data)
    valida = _valida_codes(world, data, None)
    valida_with_folio = _valida_codes(world, data, world.folio(1))
    worker = _worker_codes(world, data)
    command = _cli_codes(data, tmp_path, monkeypatch, capsys)
    assert upload == valida == valida_with_folio == worker == command == set(case.codes)
