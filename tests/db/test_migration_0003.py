"""Revision 0003: the same bytes of a folio are one batch whatever its status.  A database where a
rejected file was sent again as a later attempt (allowed before) is refused with the batches named,
nothing changed; once an operator resolves it, the upgrade goes through."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from mec_ws import db

BATCH = (
    "INSERT INTO batches (numero_lote, folio_id, institution_id, intento, nombre_archivo, stored_path, "
    "sha256, size_bytes, kind, estatus, mensaje, received_at, claim_count, total_archivos, "
    "archivos_procesados, archivos_con_error) VALUES (:n, 1, '000001', :intento, 'a.xml', :path, "
    ":digest, 4, 'xml', :estatus, '', '2026-01-01T00:00:00+00:00', 0, 1, 1, 0)"
)
DIGEST = "ab" * 32


def _to(engine: Engine, revision: str, how: str = "upgrade") -> None:
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, how)(cfg, revision)


def test_upgrade_refuses_repeated_bytes_then_succeeds(engine: Engine) -> None:
    _to(engine, "0001", "downgrade")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM batches"))
        conn.execute(
            text(
                "INSERT INTO institutions (id, name, created_at) "
                "VALUES ('000001', 'U', '2026-01-01T00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO folios_pago (id, folio, institution_id, cantidad, intentos_usados, estatus, "
                "created_at) VALUES (1, 'F1', '000001', 1, 1, 'DISPONIBLE', '2026-01-01T00:00:00+00:00')"
            )
        )
        conn.execute(
            text(BATCH), {"n": 1, "intento": 1, "path": "u/1.xml", "estatus": "RECHAZADO", "digest": DIGEST}
        )
        conn.execute(
            text(BATCH), {"n": 2, "intento": 2, "path": "u/2.xml", "estatus": "RECHAZADO", "digest": DIGEST}
        )
    with pytest.raises(RuntimeError, match=r"folio 1 \(2 lotes\)"):
        _to(engine, "0003")
    assert db.current_revision(engine) != "0003"  # nothing of 0003 was applied
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM batches WHERE numero_lote = 2"))
    _to(engine, "head")
    assert db.current_revision(engine) == db.head_revision()
    names = {ix["name"]: ix["unique"] for ix in inspect(engine).get_indexes("batches")}
    assert names.get("ux_batches_folio_sha256") in (True, 1)
    assert "ux_batches_folio_sha256_vigente" not in names
