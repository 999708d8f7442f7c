"""Reading an upload: one certificate XML or a ZIP of them, decided by content, never by name.

:func:`iter_upload` first scans (for a ZIP, only the central directory plus at most a few
hundred bytes of each entry, to spot archives inside) and records *upload-level* findings, each
located at the entry name; then :meth:`UploadScan.entries` yields ``(name, bytes)`` one entry at
a time, skipping every entry with a finding.  Each entry is read in chunks with a hard cap on the
bytes actually inflated (on top of :mod:`zipfile` stopping at the announced size, which the scan
bounds, and checking the CRC), so a header that lies about sizes cannot make us inflate more than
``max_xml_bytes + 1`` bytes of one entry nor more than ``max_total_uncompressed`` overall: a zip
bomb is never inflated beyond the limits.  A problem only found while reading (a forged size, a
CRC mismatch, an entry bigger than announced) is appended to :attr:`UploadScan.findings` and the
entry is skipped, so read ``findings`` again after consuming ``entries()``.

Decisions (documented here, tested in ``tests/batches/test_zipread.py``):

- Only files at the root of the ZIP are certificates.  Directory entries and files inside
  folders are ``ZIP_DIRECTORIO``.
- macOS metadata (anything under ``__MACOSX/``, ``.DS_Store``, ``._*`` AppleDouble files) is
  ``ZIP_ENTRADA_NO_XML`` with a message saying what it is, so the registrar knows to zip
  without it; it is never read.
- Of entries whose names collide (case-insensitive, after Unicode NFC normalisation) the first
  is read and every later one is ``ZIP_NOMBRE_DUPLICADO``.
- One finding per entry, the first that applies, in this order: invalid path, macOS metadata,
  folder, encrypted, archive by name, not ``.xml``, duplicate name, excessive compression, too
  large, archive by content.
- The compression-ratio check applies to entries announcing more than ``RATIO_FLOOR`` bytes: a
  small, very repetitive XML is not a threat (its inflation is bounded by the size cap anyway).
- ``ZIP_DEMASIADAS_ENTRADAS``, a corrupt central directory, a declared total above
  ``max_total_uncompressed`` and an upload above ``max_upload_bytes`` reject the whole upload:
  no entry is yielded.  ``ZIP_VACIO`` is recorded when no entry could be a certificate.
- Entries are read by their own central-directory record (never looked up again by name), so of
  two entries with one name the second (e.g. an encrypted one) is never read in place of the first.

This is the one reader of a package: the upload (:mod:`mec_ws.batches.intake`, which turns every
finding into a fault before a batch exists), the worker's pass 1, ``validaCertificados`` and
``mec-ws validate`` all scan with :func:`iter_upload`, so they agree.  The source is a file path
(the worker, the CLI) or the bytes already in memory (the upload; read through a zero-copy view).
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from mec_ws.config import Settings
from mec_ws.findings import Finding

MiB = 1024 * 1024
GiB = 1024 * MiB
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 4096  # enough to tell a ZIP from an XML (BOM and leading whitespace included)
RATIO_FLOOR = 64 * 1024
CHUNK = 64 * 1024
_SNIFF = 512  # bytes of each entry inflated during the scan to recognise archives by content

_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".cab", ".jar")
_ARCHIVE_MAGICS: tuple[tuple[int, bytes], ...] = (
    (0, b"PK\x03\x04"),
    (0, b"PK\x05\x06"),
    (0, b"PK\x07\x08"),
    (0, b"Rar!\x1a\x07"),
    (0, b"7z\xbc\xaf\x27\x1c"),
    (0, b"\x1f\x8b"),  # gzip
    (0, b"BZh"),
    (0, b"\xfd7zXZ\x00"),
    (0, b"\x28\xb5\x2f\xfd"),  # zstd
    (0, b"MSCF"),  # cab
    (257, b"ustar"),  # tar
)
_DRIVE = re.compile(r"^[A-Za-z]:")

UploadKind = Literal["zip", "xml", "unknown"]


@dataclass(frozen=True)
class UploadLimits:
    max_entries: int = 10_000
    max_xml_bytes: int = 5 * MiB
    max_ratio: int = 100  # uncompressed / compressed, per entry
    max_total_uncompressed: int = 2 * GiB
    max_upload_bytes: int = 100 * MiB

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_entries=settings.max_zip_entries,
            max_xml_bytes=settings.max_xml_bytes,
            max_upload_bytes=settings.max_upload_bytes,
        )


def detect_kind(head: bytes) -> UploadKind:
    """``zip`` (local header or empty-archive magic), ``xml`` (``<`` after an optional BOM and
    whitespace) or ``unknown``."""
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "zip"
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    if body.lstrip(b" \t\r\n").startswith(b"<"):
        return "xml"
    return "unknown"


def _mb(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB:,} MB"
    return f"{n:,} bytes"


def _read_capped(stream: BinaryIO, cap: int) -> bytes:
    """At most ``cap`` bytes, read in chunks (never asks the stream for more than is left)."""
    parts: list[bytes] = []
    left = cap
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"
_UTF8_NAME = 0x800
_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, compressed patched data, strong encryption


def _plain_entry(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes | None:
    """The compressed bytes of ``info`` read straight from the archive, when its local header is
    what :meth:`zipfile.ZipFile.open` accepts and it is stored or deflated, unencrypted; None
    otherwise (the caller then reads it through :mod:`zipfile`, which reports the problem)."""
    if (
        info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or info.flag_bits & _UNUSUAL_FLAGS
    ):
        return None
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_MAGIC:
        return None
    name = fh.read(fields[10])
    try:
        decoded = name.decode("utf-8" if fields[3] & _UTF8_NAME else "cp437")
    except UnicodeDecodeError:
        return None
    if decoded != info.orig_filename:
        return None
    if fields[11]:
        fh.seek(fields[11], io.SEEK_CUR)
    raw = fh.read(info.compress_size)
    return raw if len(raw) == info.compress_size else None


def _inflate_whole(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes | None:
    """The whole content of ``info`` when reading it is uneventful: the bytes :mod:`zipfile` would
    return for it (a complete stream of exactly ``file_size`` bytes whose CRC-32 matches); None on
    anything else, so that :mod:`zipfile` reads it again and reports what is wrong as before."""
    if info.compress_size > 2 * info.file_size + 1024:  # never read much more than the entry holds
        return None
    raw = _plain_entry(fh, info)
    if raw is None:
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw
    else:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, info.file_size + 1)
        except zlib.error:
            return None
        if not inflater.eof or inflater.unconsumed_tail:
            return None
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data


def _sniff_plain(fh: BinaryIO, info: zipfile.ZipInfo) -> bytes | None:
    """The first :data:`_SNIFF` bytes of a small entry (at most :data:`CHUNK`) whose whole reading is
    plain (:func:`_inflate_whole`): what :mod:`zipfile` reads of it then, with no error (it may read
    to the end and check the CRC, which matches); None otherwise."""
    if info.file_size > CHUNK:
        return None
    data = _inflate_whole(fh, info)
    return data[:_SNIFF] if data is not None else None


def _read_entry(zf: zipfile.ZipFile, fh: BinaryIO, info: zipfile.ZipInfo, cap: int) -> bytes:
    """At most ``cap`` bytes of the entry ``info``: read straight from ``fh`` when that is plain
    (:func:`_inflate_whole`), else through :mod:`zipfile`, which raises on what is wrong."""
    if info.file_size < cap:
        data = _inflate_whole(fh, info)
        if data is not None:
            return data
    with zf.open(info) as stream:
        return _read_capped(stream, cap)


def _is_archive(head: bytes) -> bool:
    return any(head[offset : offset + len(magic)] == magic for offset, magic in _ARCHIVE_MAGICS)


class UploadScan:
    """The upload's findings and, through :meth:`entries`, its certificate files one by one."""

    def __init__(self, source: Path | bytes, limits: UploadLimits, kind: UploadKind, name: str) -> None:
        self.source = source
        self.limits = limits
        self.kind = kind
        self.name = name
        self._findings: list[Finding] = []
        self._entry_count = 0
        self._rejected = False
        self._readable: list[int] = []  # indexes in the ZIP's infolist() that entries() will read
        self._readable_names: list[str] = []  # their names, in the same order

    def _open(self) -> BinaryIO:
        """A fresh binary stream over the source (the bytes are not copied)."""
        if isinstance(self.source, bytes):
            return io.BytesIO(self.source)
        return self.source.open("rb")

    def _size(self) -> int:
        if isinstance(self.source, bytes):
            return len(self.source)
        return self.source.stat().st_size

    # --- public view ---------------------------------------------------------------------------

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Upload-level findings; grows while :meth:`entries` runs if an entry fails on reading."""
        return tuple(self._findings)

    @property
    def entry_count(self) -> int:
        """Files announced by the upload: ZIP entries (folders and junk included), or 1 for an XML."""
        return self._entry_count

    @property
    def candidate_count(self) -> int:
        """Entries that passed the scan and will be read by :meth:`entries`."""
        return len(self._readable)

    @property
    def rejected(self) -> bool:
        """True when the upload as a whole is unusable (no entry will be yielded)."""
        return self._rejected

    def entries(self, first: int = 0, stop: int | None = None) -> Iterator[tuple[str, bytes]]:
        """``(name, bytes)`` per readable entry, one at a time; a fresh iterator per call.

        ``first``/``stop`` select a range of the readable entries (as ``readable[first:stop]``): a
        chunk of a batch processed by several workers.  The cap on the total bytes inflated then
        applies within the range (the scan already bounds the declared total of the whole upload).
        """
        if self._rejected or not self._readable:
            return
        if self.kind == "xml":
            if first == 0 and (stop is None or stop > 0):
                yield from self._xml_entry()
        else:
            yield from self._zip_entries(first, stop)

    def readable_names(self, first: int = 0, stop: int | None = None) -> list[str]:
        """The names of the readable entries ``readable[first:stop]`` (what :meth:`entries` reads)."""
        if self.kind == "xml":
            return [self.name][first:stop] if self._readable else []
        return self._readable_names[first:stop]

    # --- scanning -------------------------------------------------------------------------------

    def _add(self, code: str, message: str, location: str = "") -> None:
        self._findings.append(Finding(code=code, message=message, location=location or self.name))

    def _reject(self, code: str, message: str, location: str = "") -> None:
        self._add(code, message, location)
        self._rejected = True
        self._readable.clear()
        self._readable_names.clear()

    def _scan(self) -> None:
        size = self._size()
        if self.kind == "unknown":
            detail = "está vacío" if size == 0 else "no es un XML ni un ZIP"
            self._reject("XML_MAL_FORMADO", f"El archivo cargado {detail}.")
            return
        if size > self.limits.max_upload_bytes:
            code = "XML_DEMASIADO_GRANDE" if self.kind == "xml" else "ZIP_INVALIDO"
            self._reject(
                code,
                f"La carga mide {_mb(size)}; el máximo permitido es {_mb(self.limits.max_upload_bytes)}.",
            )
            return
        if self.kind == "xml":
            self._entry_count = 1
            if size > self.limits.max_xml_bytes:
                self._reject(
                    "XML_DEMASIADO_GRANDE",
                    f"El XML mide {_mb(size)}; el máximo permitido es {_mb(self.limits.max_xml_bytes)}.",
                )
                return
            self._readable.append(0)
            return
        self._scan_zip()

    def consume(self) -> tuple[Finding, ...]:
        """Read every entry once, one at a time, discarding the bytes, and return all findings
        (those of the scan and those only found on reading: forged sizes, CRC mismatches)."""
        for _ in self.entries():
            pass
        return self.findings

    def _scan_zip(self) -> None:
        try:
            with self._open() as fh, zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                self._entry_count = len(infos)
                if not infos:
                    self._reject("ZIP_VACIO", "El ZIP no contiene ningún archivo.")
                    return
                if len(infos) > self.limits.max_entries:
                    self._reject(
                        "ZIP_DEMASIADAS_ENTRADAS",
                        f"El ZIP contiene {len(infos):,} archivos; el máximo por carga es "
                        f"{self.limits.max_entries:,}.",
                    )
                    return
                declared = sum(i.file_size for i in infos)
                if declared > self.limits.max_total_uncompressed:
                    self._reject(
                        "ZIP_COMPRESION_EXCESIVA",
                        f"El ZIP declara {_mb(declared)} descomprimidos; el máximo permitido es "
                        f"{_mb(self.limits.max_total_uncompressed)}.",
                    )
                    return
                seen: dict[str, str] = {}
                for index, info in enumerate(infos):
                    problem = self._entry_problem(zf, info, seen)
                    if problem is None:
                        self._readable.append(index)
                        self._readable_names.append(info.orig_filename)
                    else:
                        self._add(problem[0], problem[1], info.orig_filename)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            self._reject("ZIP_INVALIDO", f"El archivo ZIP está dañado o no se puede leer ({exc}).")
            return
        if not self._readable:
            self._add("ZIP_VACIO", "El ZIP no contiene ningún certificado XML que se pueda leer.")

    def _entry_problem(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, seen: dict[str, str]
    ) -> tuple[str, str] | None:
        raw = info.orig_filename
        parts = raw.split("/")
        if (
            "\x00" in raw
            or "\\" in raw
            or raw.startswith("/")
            or _DRIVE.match(raw)
            or any(p in ("..", ".") for p in parts)
        ):
            return "ZIP_RUTA_INVALIDA", (
                f"La ruta '{raw}' no está permitida (absoluta, con unidad, con '\\', con '..' "
                "o con caracteres nulos)."
            )
        base = parts[-1]
        if parts[0] == "__MACOSX" or base == ".DS_Store" or base.startswith("._"):
            return "ZIP_ENTRADA_NO_XML", (
                f"'{raw}' son metadatos que agrega macOS al comprimir; no es un certificado. "
                "Comprima solo los archivos XML."
            )
        if info.is_dir() or len(parts) > 1:
            return "ZIP_DIRECTORIO", (
                f"'{raw}' es una carpeta o está dentro de una carpeta; los XML deben ir en la raíz del ZIP."
            )
        if info.flag_bits & 0x1:
            return "ZIP_INVALIDO", f"'{raw}' está cifrado (protegido con contraseña); no se puede leer."
        lower = base.lower()
        if lower.endswith(_ARCHIVE_SUFFIXES):
            return "ZIP_ANIDADO", f"'{raw}' es un archivo comprimido dentro del ZIP; no se permiten."
        if not lower.endswith(".xml"):
            return "ZIP_ENTRADA_NO_XML", f"'{raw}' no es un archivo .xml."
        key = unicodedata.normalize("NFC", base).casefold()
        if key in seen:
            return "ZIP_NOMBRE_DUPLICADO", (
                f"'{raw}' tiene el mismo nombre que '{seen[key]}' (sin distinguir mayúsculas)."
            )
        seen[key] = raw
        if info.file_size > RATIO_FLOOR and info.file_size > self.limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            return "ZIP_COMPRESION_EXCESIVA", (
                f"'{raw}' se comprime {ratio:,} a 1 ({_mb(info.compress_size)} → {_mb(info.file_size)}); "
                f"el máximo permitido es {self.limits.max_ratio} a 1."
            )
        if info.file_size > self.limits.max_xml_bytes:
            return "XML_DEMASIADO_GRANDE", (
                f"'{raw}' mide {_mb(info.file_size)}; "
                f"el máximo permitido es {_mb(self.limits.max_xml_bytes)}."
            )
        plain = _sniff_plain(zf.fp, info) if zf.fp is not None else None  # type: ignore[arg-type]
        try:
            if plain is not None:
                head = plain
            else:
                with zf.open(info) as stream:
                    head = _read_capped(stream, _SNIFF)
        except (
            zipfile.BadZipFile,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,
            RuntimeError,
            zlib.error,
        ) as exc:
            return "ZIP_INVALIDO", f"'{raw}' está dañado o usa un formato no soportado ({exc})."
        if _is_archive(head):
            return "ZIP_ANIDADO", f"'{raw}' es en realidad un archivo comprimido; no se permiten."
        return None

    # --- reading -------------------------------------------------------------------------------

    def _xml_entry(self) -> Iterator[tuple[str, bytes]]:
        cap = self.limits.max_xml_bytes
        with self._open() as fh:
            data = _read_capped(fh, cap + 1)
        if len(data) > cap:  # the file grew since the scan
            self._add("XML_DEMASIADO_GRANDE", f"El XML excede el máximo permitido de {_mb(cap)}.")
            return
        yield self.name, data

    def _zip_entries(self, first: int = 0, stop: int | None = None) -> Iterator[tuple[str, bytes]]:
        cap = self.limits.max_xml_bytes
        budget = self.limits.max_total_uncompressed
        with self._open() as fh, zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            for index in self._readable[first:stop]:
                info = infos[index]
                name = info.orig_filename
                if budget <= 0:
                    self._add(
                        "ZIP_COMPRESION_EXCESIVA",
                        "El ZIP excede el máximo de "
                        f"{_mb(self.limits.max_total_uncompressed)} descomprimidos.",
                        name,
                    )
                    return
                try:
                    data = _read_entry(zf, fh, info, min(cap, budget) + 1)
                except (
                    zipfile.BadZipFile,
                    EOFError,
                    OSError,
                    ValueError,
                    NotImplementedError,
                    RuntimeError,
                    zlib.error,
                ) as exc:
                    self._add("ZIP_INVALIDO", f"'{name}' está dañado y no se pudo leer ({exc}).", name)
                    continue
                budget -= len(data)
                if len(data) > cap:
                    self._add(
                        "XML_DEMASIADO_GRANDE",
                        f"'{name}' excede el máximo permitido de {_mb(cap)} (su encabezado declaraba "
                        f"{_mb(info.file_size)}).",
                        name,
                    )
                    continue
                if len(data) > RATIO_FLOOR and len(data) > self.limits.max_ratio * max(info.compress_size, 1):
                    self._add(
                        "ZIP_COMPRESION_EXCESIVA",
                        f"'{name}' tiene una tasa de compresión anómala.",
                        name,
                    )
                    continue
                yield name, data


def iter_upload(
    source: Path | bytes, limits: UploadLimits | None = None, *, name: str | None = None
) -> UploadScan:
    """Scan the upload (a file path, or bytes already in memory; kind decided by its first bytes)
    and return its :class:`UploadScan`.

    ``name`` is what a single-XML upload's one entry is called (the client's ``nombreArchivo``);
    it defaults to the file name (``carga`` for bytes) and is also the location of whole-upload
    findings.
    """
    limits = limits or UploadLimits()
    if isinstance(source, bytes):
        head = source[:HEAD_BYTES]
        default = "carga"
    else:
        with source.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        default = source.name
    scan = UploadScan(source, limits, detect_kind(head), name or default)
    scan._scan()
    return scan
