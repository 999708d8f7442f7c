"""Upload storage: the temporary files of interrupted writes do not stay forever; uploads kept in
the database (``MEC_ALMACEN=base``) read back the same from any machine."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.batches.storage import (
    CACHE_AGE,
    CHUNK_BYTES,
    ORPHAN_AGE,
    BatchStorage,
    DatabaseStorage,
    storage_for,
)
from mec_ws.cli.runtime import preflight
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError
from mec_ws.incoming import spool_stream
from models import UploadBlob, UploadBlobChunk
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


# --- uploads in the database (MEC_ALMACEN=base), on SQLite and PostgreSQL ---------------------


def _db_storage(engine: Engine, tmp_path: Path) -> DatabaseStorage:
    return DatabaseStorage(tmp_path / "maquina", db.session_factory(engine))


def test_database_storage_round_trip_in_chunks(engine: Engine, tmp_path: Path) -> None:
    storage = _db_storage(engine, tmp_path)
    content = os.urandom(2 * CHUNK_BYTES + 123)  # three chunks, the last one short
    stored = storage.store(content)
    assert stored.relative_path == f"base:{stored.sha256}" and stored.size == len(content)
    with db.session_factory(engine)() as s:
        assert s.scalars(select(UploadBlobChunk.seq).order_by(UploadBlobChunk.seq)).all() == [0, 1, 2]
    assert storage.verify(stored)
    assert storage.path(stored.relative_path).read_bytes() == content
    other = _db_storage(engine, tmp_path / "otra")  # another machine: its own, empty data dir
    assert other.read(stored.relative_path) == content
    assert storage.store(content) == stored  # the same bytes are stored once


def test_database_storage_takes_a_spooled_file_without_reading_it_whole(
    engine: Engine, tmp_path: Path
) -> None:
    storage = _db_storage(engine, tmp_path)
    content = os.urandom(CHUNK_BYTES + 1)
    spooled = spool_stream(io.BytesIO(content), tmp_path / "spool")
    stored = storage.store(spooled)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert storage.read(stored.relative_path) == content


def test_the_same_bytes_stored_at_once_by_two_uploads(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other upload commits the same blob between our check and our insert (PostgreSQL: on
    SQLite a writing session holds the database's write lock from its start, so the second
    store's check already sees the first one's blob)."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes the two stores")
    storage = _db_storage(engine, tmp_path)
    content = b"mismo contenido"
    real_get = Session.get
    calls = {"n": 0}

    def get_then_race(self: Session, entity: object, ident: object, **kw: object) -> object:
        calls["n"] += 1
        found = real_get(self, entity, ident, **kw)  # type: ignore[arg-type]
        if calls["n"] == 1:
            _db_storage(engine, tmp_path / "otra").store(content)  # commits first
        return found

    monkeypatch.setattr(Session, "get", get_then_race)
    stored = storage.store(content)
    monkeypatch.undo()
    assert storage.read(stored.relative_path) == content
    with db.session_factory(engine)() as s:
        assert len(s.scalars(select(UploadBlob)).all()) == 1


def test_a_missing_or_incomplete_blob_is_not_a_file(engine: Engine, tmp_path: Path) -> None:
    storage = _db_storage(engine, tmp_path)
    stored = storage.store(b"x" * 10)
    with db.session_factory(engine)() as s:
        s.execute(delete(UploadBlobChunk))
        s.commit()
    fresh = _db_storage(engine, tmp_path / "otra")
    with pytest.raises(FileNotFoundError):
        fresh.path(stored.relative_path)
    assert not list((tmp_path / "otra").rglob("*.bin")) and not list((tmp_path / "otra").rglob("*.part"))
    with pytest.raises(ValueError):
        fresh.path("base:../../etc/passwd")


def test_files_stored_before_the_switch_are_still_read(engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "maquina"
    old = BatchStorage(data).store(b"guardado como archivo")
    assert _db_storage(engine, tmp_path).read(old.relative_path) == b"guardado como archivo"


def test_unused_cached_copies_are_pruned(engine: Engine, tmp_path: Path) -> None:
    storage = _db_storage(engine, tmp_path)
    first = storage.path(storage.store(b"uno").relative_path)
    then = time.time() - CACHE_AGE - 60
    os.utime(first, (then, then))
    storage.path(storage.store(b"dos").relative_path)
    assert not first.exists()


@pytest.mark.parametrize(
    ("url", "almacen", "kind"),
    [
        ("sqlite:///x.db", None, BatchStorage),
        ("postgresql+psycopg://h/db", None, DatabaseStorage),
        ("sqlite:///x.db", "base", DatabaseStorage),
        ("postgresql+psycopg://h/db", "archivos", BatchStorage),
    ],
)
def test_the_storage_follows_the_database_unless_told(
    url: str, almacen: str | None, kind: type, tmp_path: Path
) -> None:
    env = {"MEC_DATABASE_URL": url, "MEC_DATA_DIR": str(tmp_path)} | (
        {"MEC_ALMACEN": almacen} if almacen else {}
    )
    storage = storage_for(Settings.from_env(env), db.session_factory(db.make_engine("sqlite://")))
    assert type(storage) is kind


def test_an_unknown_almacen_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MEC_ALMACEN"):
        Settings.from_env({"MEC_DATA_DIR": str(tmp_path), "MEC_ALMACEN": "nube"})
