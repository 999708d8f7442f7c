"""An uploaded file as the services receive it: bytes in memory, or a file spooled to disk.

A small upload (a SOAP request under the guard's spooling threshold, a test, the CLI) arrives as
bytes.  A large one is written to a spool file while it arrives (:mod:`mec_ws.soap.stream` decodes
the base64 of ``cargaCertificados``, ``validaCertificados`` and ``cargaProgramaEstudios`` straight
into it; the portal copies the browser's upload), hashed on the way, so that no process ever holds
the whole file in memory: the package is scanned from the file entry by entry and
:meth:`mec_ws.batches.storage.BatchStorage.store` moves the spool file into place instead of
copying it.

Whoever creates a spool file deletes it when the request ends (it may already have been moved).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SPOOL_DIR = "lotes/entrantes"
"""Spool files live below the data directory, on the file system of the stored uploads (so that
storing one is a rename) and where :meth:`BatchStorage.remove_orphans` finds interrupted ones."""

_BLOCK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """``size`` bytes with digest ``sha256``: in ``data``, or in the spool file at ``path``."""

    size: int
    sha256: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, content: bytes | IncomingFile) -> IncomingFile:
        """``content`` as an :class:`IncomingFile` (bytes are hashed, never copied)."""
        if isinstance(content, IncomingFile):
            return content
        return cls(size=len(content), sha256=hashlib.sha256(content).hexdigest(), data=content)

    @property
    def source(self) -> Path | bytes:
        """What :func:`mec_ws.batches.zipread.iter_upload` reads: the spool file or the bytes."""
        if self.path is not None:
            return self.path
        assert self.data is not None
        return self.data

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes."""
        if self.data is not None:
            return self.data[:n]
        assert self.path is not None
        with self.path.open("rb") as fh:
            return fh.read(n)

    def read(self) -> bytes:
        """All the bytes, in memory: only for files already known to be small."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def spool_dir(data_dir: Path) -> Path:
    path = Path(data_dir) / SPOOL_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_spool_file(data_dir: Path) -> tuple[BinaryIO, Path]:
    """An open, empty spool file (``.tmp-*.part``) and its path."""
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=spool_dir(data_dir))
    return os.fdopen(fd, "wb"), Path(name)


def spool_stream(stream: BinaryIO, data_dir: Path, *, limit: int | None = None) -> IncomingFile:
    """Copy ``stream`` into a new spool file, hashing it; at most ``limit + 1`` bytes are copied
    (the size then says it is over the limit).  The caller deletes ``path`` when done."""
    digest = hashlib.sha256()
    size = 0
    out, path = new_spool_file(data_dir)
    try:
        with out:
            while limit is None or size <= limit:
                want = _BLOCK if limit is None else min(_BLOCK, limit + 1 - size)
                block = stream.read(want)
                if not block:
                    break
                out.write(block)
                digest.update(block)
                size += len(block)
    except BaseException:
        discard(path)
        raise
    return IncomingFile(size=size, sha256=digest.hexdigest(), path=path)


def discard(path: Path | None) -> None:
    """Delete a spool file if it is still there."""
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
