"""benchmarks/queries.py on a small scale: the bulk loader makes the promised shape and every
``totalRegistros`` of every measured case equals an independent ``COUNT``.  No timing assertions.

PostgreSQL only (the benchmark's loader is PostgreSQL SQL): skipped without MEC_TEST_DATABASE_URL.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text

from mec_ws import db


def _benchmark() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "queries.py"
    spec = importlib.util.spec_from_file_location("bench_queries", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_loader_and_queries_at_n_2000(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("benchmarks/queries.py mide PostgreSQL")
    bench = _benchmark()
    shape = bench.Shape(n=2000, institutions=200)
    engine = db.make_engine(database_url)
    try:
        bench.load(engine, shape)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM certificates")).scalar_one() == 2000
            per_inst = dict(
                conn.execute(text("SELECT institution_id, count(*) FROM certificates GROUP BY 1")).all()
            )
            assert conn.execute(text("SELECT count(*) FROM institutions")).scalar_one() == 200
            assert per_inst[bench.LARGEST] == 200 and max(per_inst.values()) == 200
            assert sum(per_inst.values()) == 2000
            # every certificate's batch and folio belong to its institution
            assert (
                conn.execute(
                    text(
                        "SELECT count(*) FROM certificates c JOIN batches b ON b.numero_lote = c.batch_id "
                        "JOIN folios_pago f ON f.folio = c.folio_pago "
                        "WHERE b.institution_id = c.institution_id AND f.institution_id = c.institution_id"
                    )
                ).scalar_one()
                == 2000
            )
        cases = bench.cases(engine, repeat=3)
        results = bench.measure(engine, cases, repeat=3, size=25, explain=False)
    finally:
        engine.dispose()
    names = {r.name for r in results}
    for filtro in (
        "folioPago",
        "folioControl",
        "folioDigital",
        "CURP",
        "campus",
        "fechaExpedicion",
        "fechaCarga",
    ):
        for who in ("IPES", "SEP"):
            assert any(n.startswith(f"{who} {filtro}") for n in names), (who, filtro)
    totals = {(r.name, r.page): r.total_example for r in results}
    assert totals[("IPES sin filtro", "primera")] == 200
    assert totals[("SEP sin filtro", "última")] == 2000
    assert totals[("IPES folioDigital", "primera")] == 1
    assert "p50" in capsys.readouterr().out


def test_a_wrong_total_is_caught(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check that makes the test above meaningful: a service miscounting is reported."""
    if not database_url.startswith("postgresql"):
        pytest.skip("benchmarks/queries.py mide PostgreSQL")
    bench = _benchmark()
    engine = db.make_engine(database_url)
    try:
        bench.load(engine, bench.Shape(n=300, institutions=5))
        real = bench.query_service.consulta_certificados

        def off_by_one(*args, **kwargs):
            page = real(*args, **kwargs)
            return type(page)(
                page.total_registros + 1, page.pagina, page.registros_por_pagina, page.certificados
            )

        monkeypatch.setattr(bench.query_service, "consulta_certificados", off_by_one)
        with pytest.raises(bench.TotalMismatch):
            bench.measure(engine, bench.cases(engine, repeat=2)[:1], repeat=2, size=10, explain=False)
    finally:
        engine.dispose()
