"""Upload storage: the temporary files of interrupted writes do not stay forever."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Engine

from mec_ws.batches.storage import ORPHAN_AGE, BatchStorage
from mec_ws.cli.runtime import preflight
from mec_ws.config import Settings
from tests.services.world import build_world


def _part(directory: Path, name: str, age: float) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"medio archivo")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_old_part_files_are_removed_fresh_ones_and_uploads_kept(tmp_path: Path) -> None:
    storage = BatchStorage(tmp_path)
    kept = storage.store(b"contenido completo")
    old = _part(tmp_path / "lotes" / "ab", ".tmp-viejo.part", ORPHAN_AGE + 60)
    fresh = _part(tmp_path / "lotes" / "ab", ".tmp-en-curso.part", 5)
    assert storage.remove_orphans() == 1
    assert not old.exists() and fresh.exists()
    assert storage.verify(kept)
    assert storage.remove_orphans() == 0


def test_no_upload_directory_yet(tmp_path: Path) -> None:
    assert BatchStorage(tmp_path / "nada").remove_orphans() == 0


def test_serve_and_worker_clean_up_at_start(engine: Engine, database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_world(engine, data)
    old = _part(data / "lotes" / "cd", ".tmp-x.part", ORPHAN_AGE + 60)
    settings = Settings.from_env({"MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(data)})
    preflight(settings, needs_signer=True)
    assert not old.exists()
