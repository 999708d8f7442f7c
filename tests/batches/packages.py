"""Faulty packages, one per package-level finding code: shared by the upload, validaCertificados,
worker and ``mec-ws validate`` tests so that all four are checked on the very same bytes.

Built for small limits (:data:`LIMITS_ENV`: 3 entries, 1 MB per XML) so that the cases stay small.
Each builder takes one valid certificate (bytes) to put beside the faulty entry where it matters.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

MB = 1024 * 1024
LIMITS_ENV = {"MEC_MAX_ZIP_ENTRIES": "3", "MEC_MAX_XML_MB": "1"}


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[bytes], bytes]
    codes: frozenset[str]
    entry: str  # the entry the fault message must name ("" when the package as a whole)


def _zip(
    entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


def _encrypting(data: bytes, index: int) -> bytes:
    """``data`` with entry ``index`` flagged as encrypted (traditional PKWARE) in its local header
    and its central-directory record, as a password-protected ZIP has it (zipfile cannot write it)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.infolist()[index].header_offset
    out[local + 6] |= 0x01
    central = [i for i in range(len(out)) if out[i : i + 4] == b"PK\x01\x02"][index]
    out[central + 8] |= 0x01
    return bytes(out)


def _folder(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o40775 << 16 | 0x10
    return info


def _crc_broken(cert: bytes) -> bytes:
    data = _zip([("a.xml", cert)], compression=zipfile.ZIP_STORED)
    at = data.index(cert[-200:])
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _stored_big(cert: bytes) -> bytes:
    big = b"<?xml version='1.0'?><Dec>" + b" " * MB + b"</Dec>"
    return _zip([("a.xml", cert), ("grande.xml", big)], compression=zipfile.ZIP_STORED)


CASES: tuple[Case, ...] = (
    Case("empty-zip", lambda c: _zip([]), frozenset({"ZIP_VACIO"}), ""),
    Case(
        "only-a-folder",
        lambda c: _zip([(_folder("carpeta/"), b""), ("carpeta/a.xml", c)]),
        frozenset({"ZIP_DIRECTORIO", "ZIP_VACIO"}),
        "carpeta/a.xml",
    ),
    Case(
        "folder-beside-a-certificate",
        lambda c: _zip([("a.xml", c), (_folder("vacia/"), b"")]),
        frozenset({"ZIP_DIRECTORIO"}),
        "vacia/",
    ),
    Case(
        "nested-archive",
        lambda c: _zip([("a.xml", c), ("mas.zip", _zip([("b.xml", c)]))]),
        frozenset({"ZIP_ANIDADO"}),
        "mas.zip",
    ),
    Case(
        "nested-archive-by-content",
        lambda c: _zip([("a.xml", c), ("b.xml", gzip.compress(c))]),
        frozenset({"ZIP_ANIDADO"}),
        "b.xml",
    ),
    Case(
        "encrypted-entry",
        lambda c: _encrypting(_zip([("a.xml", c), ("b.xml", c)]), 1),
        frozenset({"ZIP_INVALIDO"}),
        "b.xml",
    ),
    Case("unreadable-entry", _crc_broken, frozenset({"ZIP_INVALIDO"}), "a.xml"),
    Case(
        "too-many-entries",
        lambda c: _zip([(f"{n}.xml", c) for n in range(4)]),
        frozenset({"ZIP_DEMASIADAS_ENTRADAS"}),
        "",
    ),
    Case(
        "duplicate-names",
        lambda c: _zip([("a.xml", c), ("A.xml", c)]),
        frozenset({"ZIP_NOMBRE_DUPLICADO"}),
        "A.xml",
    ),
    Case(
        "duplicate-name-second-encrypted",
        lambda c: _encrypting(_zip([("a.xml", c), ("a.xml", c)]), 1),
        frozenset({"ZIP_INVALIDO"}),
        "a.xml",
    ),
    Case("entry-over-xml-limit", _stored_big, frozenset({"XML_DEMASIADO_GRANDE"}), "grande.xml"),
    Case(
        "single-xml-over-limit",
        lambda c: b"<?xml version='1.0'?><Dec>" + b" " * MB + b"</Dec>",
        frozenset({"XML_DEMASIADO_GRANDE"}),
        "",
    ),
    Case(
        "zip-bomb-ratio",
        lambda c: _zip([("a.xml", c), ("b.xml", b"<" + b"\x20" * (3 * MB))]),
        frozenset({"ZIP_COMPRESION_EXCESIVA"}),
        "b.xml",
    ),
    Case(
        "invalid-path",
        lambda c: _zip([("a.xml", c), ("../b.xml", c)]),
        frozenset({"ZIP_RUTA_INVALIDA"}),
        "../b.xml",
    ),
    Case(
        "macos-metadata",
        lambda c: _zip([("a.xml", c), ("__MACOSX/._a.xml", b"\x00\x05\x16\x07")]),
        frozenset({"ZIP_ENTRADA_NO_XML"}),
        "__MACOSX/._a.xml",
    ),
    Case(
        "not-an-xml-entry",
        lambda c: _zip([("a.xml", c), ("notas.txt", b"hola")]),
        frozenset({"ZIP_ENTRADA_NO_XML"}),
        "notas.txt",
    ),
)
