"""Durable, content-addressed storage of uploads: files under ``MEC_DATA_DIR/lotes/``
(:class:`BatchStorage`, ``MEC_ALMACEN=archivos``, the default with SQLite) or rows of the database
(:class:`DatabaseStorage`, ``MEC_ALMACEN=base``, the default with PostgreSQL: processes on different
machines then share nothing but the database).  :func:`storage_for` picks one.

An upload is written to a temporary file in the destination directory, flushed and ``fsync``'d,
renamed into place (atomic on POSIX) and the directory ``fsync``'d, so that once :meth:`store`
returns, the bytes survive a crash or power loss.  The path is derived from the SHA-256 of the
content (``lotes/ab/abcdef….bin``): the same bytes are stored once, whichever batch refers to them,
and a file left behind by a request that failed after writing is simply reused by the retry.

A process killed while writing leaves its temporary ``.tmp-*.part`` file behind;
:meth:`BatchStorage.remove_orphans` deletes those older than :data:`ORPHAN_AGE` (``serve`` and
``worker`` call it at start; an upload in progress is never that old).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mec_ws.config import Settings
from mec_ws.incoming import IncomingFile
from models import UploadBlob, UploadBlobChunk

UPLOADS_DIR = "lotes"
ORPHAN_AGE = 6 * 3600
"""Seconds after which a temporary ``.part`` file is an orphan (a 100 MB upload takes seconds)."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    relative_path: str  # relative to the data directory, with forward slashes
    sha256: str
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BatchStorage:
    """Uploads on disk below ``data_dir``; paths kept in the database are relative to it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def relative_path_for(self, sha256: str) -> str:
        return f"{UPLOADS_DIR}/{sha256[:2]}/{sha256}.bin"

    def path(self, relative_path: str) -> Path:
        """The absolute path of a stored file; refuses paths that leave the data directory."""
        root = self.data_dir.resolve()
        full = (root / relative_path).resolve()
        if root not in full.parents:
            raise ValueError(f"ruta fuera del directorio de datos: {relative_path!r}")
        return full

    def store(self, content: bytes | IncomingFile) -> StoredUpload:
        """Write ``content`` durably (see the module docstring) and return where it is.

        A spooled :class:`~mec_ws.incoming.IncomingFile` is ``fsync``'d and *moved* into place
        (a rename on the same file system; a copy, block by block, otherwise): its spool path is
        gone afterwards unless the same bytes were already stored.
        """
        incoming = IncomingFile.of(content)
        digest, size = incoming.sha256, incoming.size
        relative = self.relative_path_for(digest)
        target = self.path(relative)
        if target.is_file() and target.stat().st_size == size and self._digest_of(target) == digest:
            return StoredUpload(relative, digest, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        if incoming.path is not None and self._move_into_place(incoming.path, target):
            return StoredUpload(relative, digest, size)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                if incoming.data is not None:
                    fh.write(incoming.data)
                else:
                    assert incoming.path is not None
                    with incoming.path.open("rb") as src:
                        for block in iter(lambda: src.read(1024 * 1024), b""):
                            fh.write(block)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(target.parent)
        return StoredUpload(relative, digest, size)

    @staticmethod
    def _move_into_place(spooled: Path, target: Path) -> bool:
        """``fsync`` and rename a spool file to ``target``; ``False`` across file systems."""
        with spooled.open("rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(spooled, target)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False
            raise
        _fsync_dir(target.parent)
        return True

    def remove_orphans(self, older_than: float = ORPHAN_AGE) -> int:
        """Delete the temporary files of interrupted writes older than ``older_than`` seconds;
        how many were deleted."""
        root = self.data_dir / UPLOADS_DIR
        if not root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for part in root.glob("*/.tmp-*.part"):  # entrantes/ (spool files) included
            with contextlib.suppress(FileNotFoundError):
                if part.is_file() and part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed += 1
        return removed

    def read(self, relative_path: str) -> bytes:
        return self.path(relative_path).read_bytes()

    @staticmethod
    def _digest_of(path: Path) -> str:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1024 * 1024), b""):
                h.update(chunk)
        return h.hexdigest()

    def verify(self, stored: StoredUpload) -> bool:
        """True when the file on disk still has the recorded size and digest."""
        path = self.path(stored.relative_path)
        return (
            path.is_file() and path.stat().st_size == stored.size and self._digest_of(path) == stored.sha256
        )


DB_PREFIX = "base:"
"""``stored_path`` of an upload kept in the database: ``base:<sha256>``."""
CHUNK_BYTES = 1024 * 1024
CACHE_DIR = f"{UPLOADS_DIR}/cache"
CACHE_AGE = 3600
"""Seconds after which a worker's local copy of a database upload, unused, is deleted."""


class DatabaseStorage(BatchStorage):
    """Uploads in the database (:mod:`models.uploads`), in 1 MiB chunks, committed in one
    transaction before the batch row exists (like the ``fsync`` of a file).

    The worker reads a ZIP with random access, so :meth:`path` copies the upload, chunk by chunk,
    into a local cache file (``MEC_DATA_DIR/lotes/cache/``, checked against its SHA-256) and
    returns its path; copies unused for :data:`CACHE_AGE` are deleted as new ones are made.
    Batches stored as files before the switch (any other ``stored_path``) are still read from the
    files.
    """

    def __init__(self, data_dir: Path, sessions: sessionmaker[Session]) -> None:
        super().__init__(data_dir)
        self.sessions = sessions

    def store(self, content: bytes | IncomingFile) -> StoredUpload:
        incoming = IncomingFile.of(content)
        stored = StoredUpload(f"{DB_PREFIX}{incoming.sha256}", incoming.sha256, incoming.size)
        with self.sessions() as s:
            if s.get(UploadBlob, incoming.sha256) is not None:
                return stored
            try:
                chunks = -(-incoming.size // CHUNK_BYTES)
                s.add(UploadBlob(sha256=incoming.sha256, size_bytes=incoming.size, chunks=chunks))
                s.flush()
                for seq, block in enumerate(_pieces(incoming)):
                    s.execute(
                        insert(UploadBlobChunk), [{"sha256": incoming.sha256, "seq": seq, "data": block}]
                    )
                s.commit()
            except IntegrityError:  # the same bytes, stored at the same time by another upload
                s.rollback()
                if s.get(UploadBlob, incoming.sha256) is None:
                    raise
        return stored

    def path(self, relative_path: str) -> Path:
        if not relative_path.startswith(DB_PREFIX):
            return super().path(relative_path)
        digest = relative_path[len(DB_PREFIX) :]
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"referencia de carga no válida: {relative_path!r}")
        cache = self.data_dir / CACHE_DIR
        target = cache / f"{digest}.bin"
        if target.is_file():
            os.utime(target)
            return target
        cache.mkdir(parents=True, exist_ok=True)
        self._prune(cache)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=cache)
        h = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as fh, self.sessions() as s:
                query = (
                    select(UploadBlobChunk.data)
                    .where(UploadBlobChunk.sha256 == digest)
                    .order_by(UploadBlobChunk.seq)
                    .execution_options(yield_per=4)
                )
                for (block,) in s.execute(query):
                    fh.write(block)
                    h.update(block)
            if h.hexdigest() != digest:
                raise FileNotFoundError(f"la carga {digest} no está completa en la base de datos")
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return target

    def verify(self, stored: StoredUpload) -> bool:
        if not stored.relative_path.startswith(DB_PREFIX):
            return super().verify(stored)
        with self.sessions() as s:
            blob = s.get(UploadBlob, stored.sha256)
            return blob is not None and blob.size_bytes == stored.size

    def delete(self, sha256: str) -> None:
        """Forget an upload (its chunks go with it)."""
        with self.sessions() as s:
            s.execute(delete(UploadBlob).where(UploadBlob.sha256 == sha256))
            s.commit()

    @staticmethod
    def _prune(cache: Path) -> None:
        cutoff = time.time() - CACHE_AGE
        for old in cache.glob("*.bin"):
            with contextlib.suppress(FileNotFoundError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()


def _pieces(incoming: IncomingFile) -> Iterator[bytes]:
    if incoming.data is not None:
        for start in range(0, len(incoming.data), CHUNK_BYTES):
            yield incoming.data[start : start + CHUNK_BYTES]
        return
    assert incoming.path is not None
    with incoming.path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            yield block


def storage_for(settings: Settings, sessions: sessionmaker[Session]) -> BatchStorage:
    """The storage ``settings.almacen`` names (``archivos`` or ``base``)."""
    if settings.almacen == "base":
        return DatabaseStorage(settings.data_dir, sessions)
    return BatchStorage(settings.data_dir)
