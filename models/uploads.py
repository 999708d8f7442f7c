"""Uploads kept in the database (``MEC_ALMACEN=base``): the bytes of each stored upload, in chunks.

With them, ``serve`` and ``worker`` processes on different machines share nothing but the
database (see :mod:`mec_ws.batches.storage`).  A blob is keyed by the SHA-256 of its content, like
the files of the local storage: the same bytes are stored once.  Its row and all its chunks are
committed in one transaction, so a blob row always has every chunk.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UtcDateTime, utcnow


class UploadBlob(Base):
    __tablename__ = "upload_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class UploadBlobChunk(Base):
    __tablename__ = "upload_blob_chunks"

    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("upload_blobs.sha256", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
