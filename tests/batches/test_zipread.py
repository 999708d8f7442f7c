"""The upload reader: kind by content, ZIP_* findings from the central directory, capped reads."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from mec_ws.batches.zipread import MiB, UploadLimits, detect_kind, iter_upload
from mec_ws.config import Settings

XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<Dec xmlns="https://www.siged.sep.gob.mx/certificados/"/>\n'


def make_zip(path: Path, entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name) if name.endswith("/") else name, data)
    return path


def make_bomb(path: Path, name: str = "bomba.xml", size: int = 50 * MiB) -> Path:
    """``size`` bytes of zeros, deflated, written in chunks (never held in memory at once)."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open(name, "w", force_zip64=False) as out,
    ):
        chunk = bytes(MiB)
        for _ in range(size // MiB):
            out.write(chunk)
    return path


def found(scan_findings: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(f.code, f.location) for f in scan_findings]  # type: ignore[attr-defined]


# --- kind ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PK\x05\x06" + bytes(18), "zip"),
        (b"<?xml version='1.0'?><a/>", "xml"),
        (b"\xef\xbb\xbf  \r\n\t<Dec/>", "xml"),
        (b"\n\n<Dec/>", "xml"),
        (b"%PDF-1.7", "unknown"),
        (b"", "unknown"),
        (b"\xef\xbb\xbf", "unknown"),
        (b"PK\x01\x02", "unknown"),
    ],
)
def test_detect_kind(head: bytes, kind: str) -> None:
    assert detect_kind(head) == kind


def test_kind_is_decided_by_content_not_name(tmp_path: Path) -> None:
    zip_named_xml = make_zip(tmp_path / "lote.xml", [("a.xml", XML)])
    scan = iter_upload(zip_named_xml)
    assert scan.kind == "zip" and list(scan.entries()) == [("a.xml", XML)]
    xml_named_zip = tmp_path / "cert.zip"
    xml_named_zip.write_bytes(XML)
    scan = iter_upload(xml_named_zip, name="certificado.xml")
    assert scan.kind == "xml" and list(scan.entries()) == [("certificado.xml", XML)]


def test_limits_from_settings() -> None:
    settings = Settings.from_env(
        {"MEC_MAX_ZIP_ENTRIES": "7", "MEC_MAX_XML_MB": "2", "MEC_MAX_UPLOAD_MB": "9"}
    )
    assert UploadLimits.from_settings(settings) == UploadLimits(
        max_entries=7, max_xml_bytes=2 * MiB, max_upload_bytes=9 * MiB
    )


# --- single XML ------------------------------------------------------------------------------------------


def test_single_plain_xml(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(XML)
    scan = iter_upload(path, UploadLimits(), name="alumno1.xml")
    assert scan.findings == () and scan.entry_count == 1 and scan.candidate_count == 1
    assert list(scan.entries()) == [("alumno1.xml", XML)]
    assert list(scan.entries()) == [("alumno1.xml", XML)]  # a fresh iterator per call


def test_single_xml_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(XML + b" " * 2000)
    scan = iter_upload(path, UploadLimits(max_xml_bytes=1000))
    assert found(scan.findings) == [("XML_DEMASIADO_GRANDE", "big.xml")]
    assert scan.rejected and list(scan.entries()) == []


@pytest.mark.parametrize(("content", "detail"), [(b"", "vacío"), (b"%PDF-1.7 ...", "ni un ZIP")])
def test_neither_xml_nor_zip(tmp_path: Path, content: bytes, detail: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(content)
    scan = iter_upload(path)
    assert [f.code for f in scan.findings] == ["XML_MAL_FORMADO"]
    assert detail in scan.findings[0].message
    assert list(scan.entries()) == []


def test_upload_over_the_upload_limit(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "u.zip", [("a.xml", XML)])
    scan = iter_upload(path, UploadLimits(max_upload_bytes=50))
    assert [f.code for f in scan.findings] == ["ZIP_INVALIDO"] and list(scan.entries()) == []


# --- ZIPs -------------------------------------------------------------------------------------------------


def test_valid_zip_yields_every_xml_in_order(tmp_path: Path) -> None:
    entries = [(f"cert{i:02d}.xml", XML.replace(b"/>", f' n="{i}"/>'.encode())) for i in range(12)]
    scan = iter_upload(make_zip(tmp_path / "ok.zip", entries))
    assert scan.findings == () and scan.entry_count == 12 and not scan.rejected
    assert list(scan.entries()) == entries


def test_entries_are_generated_lazily(tmp_path: Path) -> None:
    scan = iter_upload(make_zip(tmp_path / "ok.zip", [("a.xml", XML), ("b.xml", XML)]))
    it = scan.entries()
    assert next(it)[0] == "a.xml"
    assert next(it)[0] == "b.xml"
    with pytest.raises(StopIteration):
        next(it)


def test_zip_bomb_is_flagged_without_inflating_it(tmp_path: Path) -> None:
    bomb = make_bomb(tmp_path / "bomba.zip")
    assert bomb.stat().st_size < MiB  # 50 MiB of zeros deflate to ~50 KiB
    tracemalloc.start()
    try:
        scan = iter_upload(bomb, UploadLimits())
        yielded = list(scan.entries())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found(scan.findings) == [("ZIP_COMPRESION_EXCESIVA", "bomba.xml"), ("ZIP_VACIO", "bomba.zip")]
    assert yielded == []
    assert peak < 2 * MiB


def test_total_uncompressed_limit_rejects_the_upload(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "t.zip", [("a.xml", XML), ("b.xml", XML)])
    scan = iter_upload(path, UploadLimits(max_total_uncompressed=len(XML) + 1))
    assert [f.code for f in scan.findings] == ["ZIP_COMPRESION_EXCESIVA"]
    assert scan.rejected and list(scan.entries()) == []


def _patch_sizes(path: Path, name: bytes, new_size: int) -> None:
    """Make the local and central headers of ``name`` announce ``new_size`` uncompressed bytes."""
    raw = bytearray(path.read_bytes())
    local = raw.index(b"PK\x03\x04")
    assert raw[local + 30 : local + 30 + len(name)] == name
    struct.pack_into("<I", raw, local + 22, new_size)
    central = raw.index(b"PK\x01\x02")
    assert raw[central + 46 : central + 46 + len(name)] == name
    struct.pack_into("<I", raw, central + 24, new_size)
    path.write_bytes(bytes(raw))


def test_forged_header_size_cannot_inflate_the_bomb(tmp_path: Path) -> None:
    bomb = make_bomb(tmp_path / "mentira.zip", name="a.xml")
    _patch_sizes(bomb, b"a.xml", 1000)  # the headers now claim a harmless 1000-byte file
    tracemalloc.start()
    try:
        scan = iter_upload(bomb, UploadLimits())
        yielded = list(scan.entries())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert yielded == []
    # inflation stops at the announced 1000 bytes, whose CRC is not the announced one
    assert found(scan.findings) == [("ZIP_INVALIDO", "a.xml"), ("ZIP_VACIO", "mentira.zip")]
    assert "CRC" in scan.findings[0].message
    assert peak < 2 * MiB


def test_forged_size_and_crc_yield_only_the_announced_bytes(tmp_path: Path) -> None:
    bomb = make_bomb(tmp_path / "mentira.zip", name="a.xml")
    _patch_sizes(bomb, b"a.xml", 1000)
    raw = bytearray(bomb.read_bytes())
    crc = zlib.crc32(bytes(1000))
    struct.pack_into("<I", raw, raw.index(b"PK\x03\x04") + 14, crc)
    struct.pack_into("<I", raw, raw.index(b"PK\x01\x02") + 16, crc)
    bomb.write_bytes(bytes(raw))
    scan = iter_upload(bomb, UploadLimits())
    assert scan.findings == ()
    assert list(scan.entries()) == [("a.xml", bytes(1000))]  # never more than the header admits


def test_entry_bigger_than_announced_is_capped(tmp_path: Path) -> None:
    """Content over the limit: refused by its header, and with a forged smaller header never read past it."""
    path = tmp_path / "crece.zip"
    payload = XML + b"<!--" + b"x" * 5000 + b"-->"
    make_zip(path, [("a.xml", payload)], method=zipfile.ZIP_STORED)
    scan = iter_upload(path, UploadLimits(max_xml_bytes=len(payload) - 100))
    assert found(scan.findings) == [("XML_DEMASIADO_GRANDE", "a.xml"), ("ZIP_VACIO", "crece.zip")]
    # the same file with a forged smaller size passes the scan but is never read past the cap
    _patch_sizes(path, b"a.xml", len(payload) - 200)
    scan = iter_upload(path, UploadLimits(max_xml_bytes=len(payload) - 100))
    assert scan.findings == ()
    assert list(scan.entries()) == []
    assert [f.code for f in scan.findings] == ["ZIP_INVALIDO"]


@pytest.mark.parametrize(
    "name",
    [
        "../fuera.xml",
        "/etc/cert.xml",
        "C:cert.xml",
        "c:/x/cert.xml",
        "dir\\cert.xml",
        "a/../b.xml",
        "./a.xml",
    ],
)
def test_path_traversal(tmp_path: Path, name: str) -> None:
    scan = iter_upload(make_zip(tmp_path / "p.zip", [(name, XML), ("bueno.xml", XML)]))
    assert found(scan.findings) == [("ZIP_RUTA_INVALIDA", name)]
    assert [n for n, _ in scan.entries()] == ["bueno.xml"]


def test_nul_in_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "nul.zip", [("abcde.xml", XML)])
    raw = path.read_bytes().replace(b"abcde.xml", b"ab\x00de.xml")
    path.write_bytes(raw)
    scan = iter_upload(path)
    assert [f.code for f in scan.findings] == ["ZIP_RUTA_INVALIDA", "ZIP_VACIO"]
    assert list(scan.entries()) == []


def test_duplicate_names_case_and_unicode_insensitive(tmp_path: Path) -> None:
    entries = [
        ("Alumno.xml", XML),
        ("ALUMNO.XML", XML),
        ("Peña.xml", XML),
        ("Pen\u0303a.xml", XML),  # the same name, decomposed
        ("otro.xml", XML),
    ]
    scan = iter_upload(make_zip(tmp_path / "d.zip", entries))
    assert found(scan.findings) == [
        ("ZIP_NOMBRE_DUPLICADO", "ALUMNO.XML"),
        ("ZIP_NOMBRE_DUPLICADO", "Pen\u0303a.xml"),
    ]
    assert [n for n, _ in scan.entries()] == ["Alumno.xml", "Peña.xml", "otro.xml"]


def test_nested_archives_by_name_and_by_content(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.xml", XML)
    entries = [
        ("interno.zip", inner.getvalue()),
        ("datos.tar", b"..."),
        ("respaldo.7z", b"..."),
        ("disfrazado.xml", inner.getvalue()),
        ("gz.xml", b"\x1f\x8b\x08\x00rest"),
        ("bueno.xml", XML),
    ]
    scan = iter_upload(make_zip(tmp_path / "n.zip", entries))
    assert found(scan.findings) == [
        ("ZIP_ANIDADO", "interno.zip"),
        ("ZIP_ANIDADO", "datos.tar"),
        ("ZIP_ANIDADO", "respaldo.7z"),
        ("ZIP_ANIDADO", "disfrazado.xml"),
        ("ZIP_ANIDADO", "gz.xml"),
    ]
    assert [n for n, _ in scan.entries()] == ["bueno.xml"]


def test_directories_and_files_in_folders(tmp_path: Path) -> None:
    scan = iter_upload(make_zip(tmp_path / "f.zip", [("certs/", b""), ("certs/a.xml", XML), ("b.xml", XML)]))
    assert found(scan.findings) == [("ZIP_DIRECTORIO", "certs/"), ("ZIP_DIRECTORIO", "certs/a.xml")]
    assert [n for n, _ in scan.entries()] == ["b.xml"]


def test_macos_junk_and_non_xml(tmp_path: Path) -> None:
    entries = [
        ("__MACOSX/", b""),
        ("__MACOSX/._a.xml", b"\x00\x05\x16\x07"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1"),
        ("léame.txt", b"hola"),
        ("a.xml", XML),
    ]
    scan = iter_upload(make_zip(tmp_path / "mac.zip", entries))
    assert found(scan.findings) == [
        ("ZIP_ENTRADA_NO_XML", "__MACOSX/"),
        ("ZIP_ENTRADA_NO_XML", "__MACOSX/._a.xml"),
        ("ZIP_ENTRADA_NO_XML", ".DS_Store"),
        ("ZIP_ENTRADA_NO_XML", "léame.txt"),
    ]
    assert "macOS" in scan.findings[0].message and "macOS" not in scan.findings[3].message
    assert scan.entry_count == 5
    assert [n for n, _ in scan.entries()] == ["a.xml"]


def test_too_many_entries(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "m.zip", [(f"{i}.xml", XML) for i in range(4)])
    assert iter_upload(path, UploadLimits(max_entries=4)).findings == ()
    scan = iter_upload(path, UploadLimits(max_entries=3))
    assert found(scan.findings) == [("ZIP_DEMASIADAS_ENTRADAS", "m.zip")]
    assert scan.entry_count == 4 and scan.rejected and list(scan.entries()) == []


def test_entry_too_large_by_header(tmp_path: Path) -> None:
    big = XML + b"<!--" + bytes(range(256)) * 40 + b"-->"
    scan = iter_upload(
        make_zip(tmp_path / "g.zip", [("g.xml", big), ("p.xml", XML)]), UploadLimits(max_xml_bytes=5000)
    )
    assert found(scan.findings) == [("XML_DEMASIADO_GRANDE", "g.xml")]
    assert [n for n, _ in scan.entries()] == ["p.xml"]


def test_corrupt_zip(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "g.zip", [("a.xml", XML * 50)]).read_bytes()
    path = tmp_path / "roto.zip"
    path.write_bytes(good[: len(good) // 2])  # local header magic kept, central directory gone
    scan = iter_upload(path)
    assert [f.code for f in scan.findings] == ["ZIP_INVALIDO"]
    assert scan.rejected and list(scan.entries()) == []


def test_corrupt_entry_data(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "c.zip", [("a.xml", XML * 50), ("b.xml", XML)])
    raw = bytearray(path.read_bytes())
    raw[60:80] = bytes(20)  # inside a.xml's deflated data
    path.write_bytes(bytes(raw))
    scan = iter_upload(path)
    yielded = [n for n, _ in scan.entries()]
    assert yielded == ["b.xml"]
    assert found(scan.findings) == [("ZIP_INVALIDO", "a.xml")]


def test_empty_zip(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "vacio.zip", [])
    assert path.read_bytes().startswith(b"PK\x05\x06")
    scan = iter_upload(path)
    assert found(scan.findings) == [("ZIP_VACIO", "vacio.zip")]
    assert scan.entry_count == 0 and list(scan.entries()) == []


def test_encrypted_entry(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "e.zip", [("secreto.xml", XML), ("b.xml", XML)], method=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    raw[local + 6] |= 0x1  # general purpose flag bit 0: encrypted
    raw[central + 8] |= 0x1
    path.write_bytes(bytes(raw))
    scan = iter_upload(path)
    assert found(scan.findings) == [("ZIP_INVALIDO", "secreto.xml")]
    assert "cifrado" in scan.findings[0].message
    assert [n for n, _ in scan.entries()] == ["b.xml"]


# --- reading entries straight from the archive (the plain case) agrees with zipfile ---------------------


def _variants(tmp_path: Path) -> list[Path]:
    """ZIPs whose entries are plain, and copies with one byte or header field damaged."""
    body = XML * 40  # ~4 KiB: more than the scan's sniff, compresses well
    out = [
        make_zip(tmp_path / "deflated.zip", [("a.xml", body), ("b.xml", XML), ("c.xml", b"")]),
        make_zip(tmp_path / "stored.zip", [("a.xml", body), ("b.xml", XML)], method=zipfile.ZIP_STORED),
        make_zip(tmp_path / "utf8.zip", [("ñandú.xml", body)]),
    ]
    for base in list(out):
        raw = base.read_bytes()
        local = raw.index(b"PK\x03\x04")
        central = raw.index(b"PK\x01\x02")
        data_at = local + 30 + struct.unpack_from("<H", raw, local + 26)[0]
        damaged: dict[str, bytearray] = {}
        for label, offset in (
            ("datos", data_at + 5),  # a byte of the (compressed) data
            ("firma", local + 1),  # the local header's magic
            ("nombre", local + 30),  # the local header's name
            ("crc", central + 16),  # the central directory's CRC
            ("tamano", central + 24),  # the central directory's uncompressed size
            ("comprimido", central + 20),  # the central directory's compressed size
        ):
            copy = bytearray(raw)
            copy[offset] ^= 0x5A
            damaged[label] = copy
        for label, copy in damaged.items():
            path = tmp_path / f"{base.stem}-{label}.zip"
            path.write_bytes(bytes(copy))
            out.append(path)
    return out


def _read_all(path: Path) -> tuple[list[tuple[str, bytes]], list[tuple[str, str, str]]]:
    scan = iter_upload(path, UploadLimits())
    entries = list(scan.entries())
    return entries, [(f.code, f.message, f.location) for f in scan.findings]


def test_plain_entries_are_read_without_zipfile_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = XML * 40
    path = make_zip(tmp_path / "lote.zip", [("a.xml", body), ("b.xml", XML)])

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile.ZipFile.open no debía usarse para una entrada sin problemas")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_open)
    assert _read_all(path) == ([("a.xml", body), ("b.xml", XML)], [])


def test_reading_straight_agrees_with_zipfile_on_damaged_archives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mec_ws.batches import zipread

    variants = _variants(tmp_path)
    straight = [_read_all(path) for path in variants]
    monkeypatch.setattr(zipread, "_inflate_whole", lambda fh, info: None)  # zipfile reads every entry
    through_zipfile = [_read_all(path) for path in variants]
    for path, mine, theirs in zip(variants, straight, through_zipfile, strict=True):
        assert mine == theirs, path.name
    # the damage is seen: not every variant reads cleanly
    assert sum(1 for _, findings in straight if findings) >= 6
