"""Checks on an upload before it is accepted as a batch: nothing is spent when they fail.

Everything knowable from the package itself is a fault at upload time (``contract.md``, "What
spends an attempt, and what does not"), in this order:

1. the upload is empty, larger than ``MEC_MAX_UPLOAD_MB``, or neither an XML nor a ZIP (decided by
   content, not by name) → :class:`~mec_ws.errors.ArchivoInvalido`;
2. the package: :func:`mec_ws.batches.zipread.iter_upload` scans it and every entry is read once
   (one at a time, bytes discarded); any finding of the package → :class:`~mec_ws.errors.PaqueteInvalido`
   (an ``ArchivoInvalido``) naming each entry and why.  These are all the package-level codes of
   :mod:`mec_ws.findings`: ``ZIP_VACIO``, ``ZIP_DIRECTORIO``, ``ZIP_ANIDADO``, ``ZIP_INVALIDO``
   (corrupt, encrypted or unreadable entry), ``ZIP_DEMASIADAS_ENTRADAS``, ``ZIP_NOMBRE_DUPLICADO``,
   ``ZIP_ENTRADA_NO_XML`` (also macOS metadata), ``ZIP_RUTA_INVALIDA``, ``ZIP_COMPRESION_EXCESIVA``
   and ``XML_DEMASIADO_GRANDE`` (an entry, or the single XML, over ``MEC_MAX_XML_MB``);
3. then, against a folio, the count: :func:`check_count` → :class:`~mec_ws.errors.CantidadNoCoincide`
   saying both numbers.  Folder entries are never certificates (they are a package fault anyway).

The worker, ``validaCertificados`` and ``mec-ws validate`` scan with the same reader, so a package
that fails here carries the same codes there (the worker still reports them as findings if a
batch somehow holds such a package).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mec_ws.batches import zipread
from mec_ws.config import Settings
from mec_ws.errors import ArchivoInvalido, CantidadNoCoincide, PaqueteInvalido
from mec_ws.findings import Finding
from mec_ws.incoming import IncomingFile
from models import BatchKind

_KINDS = {"zip": BatchKind.ZIP, "xml": BatchKind.XML}
SHOWN = 5
"""Package findings spelled out in one fault message; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Package:
    """An upload whose package passed every check: its kind and its certificate files."""

    kind: BatchKind
    certificates: int


def detect_kind(data: bytes | IncomingFile) -> BatchKind | None:
    """ZIP or XML by content (:func:`mec_ws.batches.zipread.detect_kind`); ``None`` for neither."""
    head = data.head(zipread.HEAD_BYTES) if isinstance(data, IncomingFile) else data[: zipread.HEAD_BYTES]
    return _KINDS.get(zipread.detect_kind(head))


def check_upload(data: bytes | IncomingFile, settings: Settings) -> BatchKind:
    """The kind of upload; ``ArchivoInvalido`` when empty, too large or neither XML nor ZIP."""
    size = data.size if isinstance(data, IncomingFile) else len(data)
    if not size:
        raise ArchivoInvalido("El archivo está vacío.")
    if size > settings.max_upload_bytes:
        raise ArchivoInvalido(
            f"El archivo mide {size / (1024 * 1024):.1f} MB y excede el máximo permitido de "
            f"{settings.max_upload_mb} MB por carga."
        )
    kind = detect_kind(data)
    if kind is None:
        raise ArchivoInvalido(
            "El archivo no es un XML ni un ZIP: envíe un certificado XML o un ZIP con certificados XML."
        )
    return kind


def package_message(nombre: str, findings: tuple[Finding, ...] | list[Finding]) -> str:
    """One Spanish sentence naming each faulty entry (up to :data:`SHOWN`) and why."""
    parts = []
    for f in findings[:SHOWN]:
        where = f"«{f.location}»: " if f.location and f.location != nombre else ""
        parts.append(f"{where}{f.message} [{f.code}]")
    more = len(findings) - SHOWN
    tail = f"; y {more} problema(s) más" if more > 0 else ""
    return (
        f"El paquete «{nombre}» no se puede procesar (no se consumió ningún intento): "
        + "; ".join(parts)
        + tail
        + "."
    )


def _package_fault(nombre: str, findings: tuple[Finding, ...]) -> PaqueteInvalido:
    return PaqueteInvalido(package_message(nombre, findings), tuple(f.code for f in findings))


def scan_package(
    source: Path | bytes | IncomingFile,
    settings: Settings,
    nombre: str,
    *,
    max_certificates: int | None = None,
) -> zipread.UploadScan:
    """Scan and read the whole package once; :class:`PaqueteInvalido` on any package finding.

    ``source`` is a file (stored or spooled) or the bytes already in memory (never copied).  With
    ``max_certificates``, a package holding more is ``ArchivoInvalido`` saying the limit, before
    any entry is inflated.  The returned scan has ``candidate_count`` certificate files, each
    readable again with ``entries()``.
    """
    if isinstance(source, IncomingFile):
        source = source.source
    scan = zipread.iter_upload(source, zipread.UploadLimits.from_settings(settings), name=nombre)
    if scan.findings:
        raise _package_fault(nombre, scan.findings)
    if max_certificates is not None and scan.candidate_count > max_certificates:
        raise ArchivoInvalido(
            f"El paquete «{nombre}» contiene {scan.candidate_count} certificados; el máximo por "
            f"validación es {max_certificates}. Valídelos en partes."
        )
    findings = scan.consume()
    if findings:
        raise _package_fault(nombre, findings)
    return scan


def check_package(data: bytes | IncomingFile, settings: Settings, nombre: str) -> Package:
    """Steps 1 and 2 of the module docstring for an upload in memory or spooled to a file."""
    kind = check_upload(data, settings)
    scan = scan_package(data, settings, nombre)
    return Package(kind=kind, certificates=scan.candidate_count)


def count_message(certificates: int, folio: str, cantidad: int) -> str:
    return f"La carga contiene {certificates} certificado(s) y el folio de pago «{folio}» ampara {cantidad}."


def check_count(certificates: int, folio: str, cantidad: int) -> None:
    """:class:`CantidadNoCoincide` unless the package holds exactly what the folio covers."""
    if certificates != cantidad:
        raise CantidadNoCoincide(
            count_message(certificates, folio, cantidad)
            + " Envíe exactamente esa cantidad; no se consumió ningún intento."
        )
