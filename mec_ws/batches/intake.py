"""Checks on an upload before it is accepted as a batch (nothing is consumed when they fail).

Empty, larger than ``MEC_MAX_UPLOAD_MB``, neither an XML nor a ZIP (decided by content, not by
name), or a ZIP whose central directory cannot be read → :class:`mec_ws.errors.ArchivoInvalido`.
Everything else about the entries (names, nesting, compression ratio, count, each XML) is judged
by the worker and reported as findings of the batch.
"""

from __future__ import annotations

import io
import zipfile

from mec_ws.batches import zipread
from mec_ws.config import Settings
from mec_ws.errors import ArchivoInvalido
from models import BatchKind

_KINDS = {"zip": BatchKind.ZIP, "xml": BatchKind.XML}


def detect_kind(data: bytes) -> BatchKind | None:
    """ZIP or XML by content (:func:`mec_ws.batches.zipread.detect_kind`); ``None`` for neither."""
    return _KINDS.get(zipread.detect_kind(data[: zipread.HEAD_BYTES]))


def zip_member_count(data: bytes) -> int:
    """Entries that are not directories, from the central directory (ArchivoInvalido if unreadable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return sum(1 for info in zf.infolist() if not info.is_dir())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ArchivoInvalido(
            f"El archivo ZIP está dañado: no se pudo leer su directorio central ({exc})."
        ) from None


def check_upload(data: bytes, settings: Settings) -> tuple[BatchKind, int]:
    """The kind of upload and how many files it announces; ``ArchivoInvalido`` when unusable."""
    if not data:
        raise ArchivoInvalido("El archivo está vacío.")
    if len(data) > settings.max_upload_bytes:
        raise ArchivoInvalido(
            f"El archivo mide {len(data) / (1024 * 1024):.1f} MB y excede el máximo permitido de "
            f"{settings.max_upload_mb} MB por carga."
        )
    kind = detect_kind(data)
    if kind is None:
        raise ArchivoInvalido(
            "El archivo no es un XML ni un ZIP: envíe un certificado XML o un ZIP con certificados XML."
        )
    if kind is BatchKind.ZIP:
        return kind, zip_member_count(data)
    return kind, 1
