"""One way to walk the certificate files of a stored upload, whether a single XML or a ZIP.

:func:`open_upload` returns a scan with ``findings`` (problems of the upload as a whole, e.g.
``ZIP_*``), ``entry_count`` (the files announced) and ``entries()`` (a fresh iterator of
``(name, bytes)`` per call, reading one entry at a time).  ZIPs are read by
:mod:`mec_ws.batches.zipread` under the limits of ``operations.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mec_ws.config import Settings
from mec_ws.findings import Finding
from models import BatchKind


class UploadScan(Protocol):
    @property
    def findings(self) -> tuple[Finding, ...] | list[Finding]: ...

    @property
    def entry_count(self) -> int: ...

    def entries(self) -> Iterator[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class SingleXmlScan:
    """An upload that is one certificate XML: one entry, named as the client named the upload."""

    path: Path
    name: str
    findings: tuple[Finding, ...] = ()
    entry_count: int = 1

    def entries(self) -> Iterator[tuple[str, bytes]]:
        yield self.name, self.path.read_bytes()


def open_upload(path: Path, kind: BatchKind, name: str, settings: Settings) -> UploadScan:
    if kind is BatchKind.XML:
        return SingleXmlScan(path, name)
    from mec_ws.batches.zipread import UploadLimits, iter_upload

    limits = UploadLimits(
        max_upload_bytes=settings.max_upload_bytes,
        max_entries=settings.max_zip_entries,
        max_xml_bytes=settings.max_xml_bytes,
    )
    return iter_upload(path, limits)
