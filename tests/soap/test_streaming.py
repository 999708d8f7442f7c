"""The streaming intake (mec_ws.soap.stream): a body over the spooling threshold is decoded into a
spool file as it arrives.  Each request here goes through the real WSGI app twice, once whole (the
threshold above the body: spyne's own path) and once streamed (threshold 256 bytes), on the real
services and the test database: same answers, same faults, byte-identical stored files, and no
spool file left behind."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from mec_ws.documents import MANUAL_NAME
from mec_ws.incoming import SPOOL_DIR, IncomingFile
from mec_ws.services.app import MecApp
from mec_ws.soap.stream import NOT_BASE64, Base64Sink, Refused
from mec_ws.web.wsgi import SOAP_PATH, make_wsgi_app
from models import Batch
from tests.services.world import World
from tests.soap.conftest import BASE, Recorder, mount
from tests.soap.test_wire import AUTH, NS, envelope, soap_fault

STREAMED = 256
WHOLE = 10**9


@dataclass
class Endpoint:
    http: requests.Session
    recorder: Recorder
    router: Any

    def post(
        self, body: bytes, content_type: str = "text/xml; charset=utf-8", threshold: int = STREAMED
    ) -> requests.Response:
        self.router.routes[SOAP_PATH].guard.spool_threshold = threshold
        return self.http.post(f"{BASE}/mec/ws", data=body, headers={"Content-Type": content_type})


@pytest.fixture
def endpoint(world: World) -> Endpoint:
    recorder = Recorder(world.app)
    router = make_wsgi_app(recorder, world.settings)
    return Endpoint(mount(router), recorder, router)


@pytest.fixture(autouse=True)
def no_spool_left(world: World) -> Iterator[None]:
    yield
    spool = world.settings.data_dir / SPOOL_DIR
    assert not spool.exists() or list(spool.iterdir()) == []


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def carga(folio: str, content_b64: str, name: str = "lote.zip") -> bytes:
    return envelope(
        "cargaCertificados",
        f"<m:folioPago>{folio}</m:folioPago><m:nombreArchivo>{name}</m:nombreArchivo>"
        f"<m:archivoBase64>{content_b64}</m:archivoBase64>",
    )


def stored_bytes(world: World, numero_lote: str) -> bytes:
    with world.sessions() as s:
        batch = s.scalars(select(Batch).where(Batch.numero_lote == int(numero_lote))).one()
        return world.app.storage.read(batch.stored_path)


def answer(response: requests.Response, operation: str, field: str) -> list[str]:
    return etree.fromstring(response.content).xpath(
        f"//m:{operation}Response/m:{field}/text()", namespaces=NS
    )


@pytest.mark.parametrize(
    "encode",
    [
        lambda b: base64.b64encode(b).decode(),
        lambda b: base64.encodebytes(b).decode(),  # 76 columns, LF
        lambda b: base64.encodebytes(b).decode().replace("\n", "\r\n"),  # CRLF (written as &#13;)
        lambda b: " ".join(
            base64.b64encode(b).decode()[i : i + 64] for i in range(0, len(base64.b64encode(b)), 64)
        ),
    ],
    ids=["plain", "wrapped", "crlf", "spaced"],
)
def test_a_streamed_upload_is_stored_byte_for_byte(endpoint: Endpoint, world: World, encode: Any) -> None:
    certificates = {f"c{n}.xml": world.certificate(n) for n in range(3)}
    content = zip_of(certificates)
    text = encode(content).replace("\r", "&#13;")
    whole_folio, streamed_folio = world.folio(3), world.folio(3)
    whole = endpoint.post(carga(whole_folio, text), threshold=WHOLE)
    streamed = endpoint.post(carga(streamed_folio, text))
    assert whole.status_code == streamed.status_code == 200, streamed.text
    for r in (whole, streamed):
        assert answer(r, "cargaCertificados", "estatus") == ["RECIBIDO"]
        assert stored_bytes(world, answer(r, "cargaCertificados", "numeroLote")[0]) == content
    (_, (folio, name, spooled)) = endpoint.recorder.calls[-1]
    assert folio == streamed_folio and name == "lote.zip"
    assert isinstance(spooled, IncomingFile) and spooled.path is not None and spooled.data is None
    assert spooled.size == len(content)


def test_the_same_bytes_streamed_again_return_the_first_batch(endpoint: Endpoint, world: World) -> None:
    content = zip_of({f"c{n}.xml": world.certificate(n) for n in range(2)})
    folio = world.folio(2)
    first = endpoint.post(carga(folio, base64.b64encode(content).decode()), threshold=WHOLE)
    again = endpoint.post(carga(folio, base64.encodebytes(content).decode()))
    assert answer(first, "cargaCertificados", "numeroLote") == answer(
        again, "cargaCertificados", "numeroLote"
    )
    assert "no se consumió otro intento" in answer(again, "cargaCertificados", "mensaje")[0]


def _folder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("carpeta/", b"")
        zf.writestr("carpeta/a.xml", b"<Dec/>")
    return buffer.getvalue()


FAULT_CASES = {
    "not base64": ("cargaCertificados", lambda f: carga(f, "!!!!" * 200)),
    "bad padding": ("cargaCertificados", lambda f: carga(f, "QUJD=" + "A" * 600)),
    "partial group": ("cargaCertificados", lambda f: carga(f, "QUJD" * 150 + "QU")),
    "empty": ("cargaCertificados", lambda f: carga(f, " " * 600)),
    "neither xml nor zip": (
        "cargaCertificados",
        lambda f: carga(f, base64.b64encode(b"hola " * 200).decode()),
    ),
    "folder in zip": (
        "cargaCertificados",
        lambda f: carga(f, base64.b64encode(_folder_zip()).decode() + " " * 400),
    ),
    "count": (
        "cargaCertificados",
        lambda f: carga(f, base64.b64encode(zip_of({"a.xml": b"<Dec/>"})).decode() + " " * 400),
    ),
    "unknown folio": (
        "cargaCertificados",
        lambda f: carga("NO-EXISTE", base64.b64encode(zip_of({"a.xml": b"<a/>"})).decode() + " " * 400),
    ),
    "bad password": (
        "cargaCertificados",
        lambda f: carga(f, "QUJD" * 200).replace(b"<m:password>", b"<m:password>x"),
    ),
    "doctype": ("cargaCertificados", lambda f: b'<!DOCTYPE x [<!ENTITY e "x">]>' + carga(f, "QUJD" * 200)),
    "malformed": ("cargaCertificados", lambda f: carga(f, "QUJD" * 200).replace(b"</s:Body>", b"")),
    "schema": (
        "cargaCertificados",
        lambda f: carga(f, "QUJD" * 200).replace(b"<m:folioPago>", b"<m:otro/><m:folioPago>"),
    ),
    "child element in the base64": ("cargaCertificados", lambda f: carga(f, "QUJD" * 200 + "<m:x/>")),
    "valida, not base64": (
        "validaCertificados",
        lambda f: envelope(
            "validaCertificados",
            f"<m:nombreArchivo>a.zip</m:nombreArchivo><m:archivoBase64>{'@@@@' * 200}</m:archivoBase64>",
        ),
    ),
}


@pytest.mark.parametrize("case", list(FAULT_CASES), ids=list(FAULT_CASES))
def test_faults_are_the_same_whole_or_streamed(endpoint: Endpoint, world: World, case: str) -> None:
    _, build = FAULT_CASES[case]
    folio = world.folio(3)
    body = build(folio)
    assert len(body) > STREAMED
    whole = soap_fault(endpoint.post(body, threshold=WHOLE))
    streamed = soap_fault(endpoint.post(body))
    assert streamed[0] == whole[0] and streamed[2] == whole[2], (whole, streamed)
    if case in ("not base64", "bad padding", "partial group", "valida, not base64"):
        assert streamed[1] == NOT_BASE64  # spyne's own message quotes the whole value instead
    elif case == "malformed":
        assert "no es un documento XML bien formado" in streamed[1]
    else:
        assert streamed[1] == whole[1]
    with world.sessions() as s:
        assert s.scalars(select(Batch)).all() == []


def test_a_streamed_body_in_another_encoding(endpoint: Endpoint, world: World) -> None:
    content = zip_of({f"c{n}.xml": world.certificate(n) for n in range(2)})
    text = carga(world.folio(2), base64.encodebytes(content).decode(), name="añadido.zip").decode()
    body = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + text.encode("iso-8859-1")
    response = endpoint.post(body, content_type="text/xml")
    assert response.status_code == 200, response.text
    assert stored_bytes(world, answer(response, "cargaCertificados", "numeroLote")[0]) == content
    utf16 = carga(world.folio(2), base64.b64encode(content).decode()).decode().encode("utf-16")
    assert endpoint.post(utf16, content_type="text/xml").status_code == 200
    cargas = [args for name, args in endpoint.recorder.calls if name == "carga_certificados"]
    assert [args[1] for args in cargas] == ["añadido.zip", "lote.zip"]


def test_bytes_invalid_for_the_encoding_are_refused_streamed(endpoint: Endpoint, world: World) -> None:
    body = carga(world.folio(1), "QUJD" * 400) + b"\xff\xfe"
    local, faultstring, codigo, _ = soap_fault(endpoint.post(body))
    assert (local, codigo) == ("Client.SolicitudInvalida", "SolicitudInvalida")
    assert "bytes no válidos" in faultstring


def test_over_the_limit_while_streaming_is_archivo_invalido(endpoint: Endpoint, world: World) -> None:
    limit = endpoint.router.routes[SOAP_PATH].guard.limit
    body = carga(world.folio(1), "QUJD" * (limit // 4 + 10))

    endpoint.router.routes[SOAP_PATH].guard.spool_threshold = STREAMED
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {  # no CONTENT_LENGTH (chunked): the limit is found while streaming
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mec/ws",
        "CONTENT_TYPE": "text/xml",
        "wsgi.input": io.BytesIO(body),
    }
    payload = b"".join(endpoint.router(environ, lambda status, headers: seen.append((status, headers))))
    assert seen[0][0].startswith("500") and ("Connection", "close") in seen[0][1]
    assert b"Client.ArchivoInvalido" in payload and "excede el límite".encode() in payload
    assert environ["wsgi.input"].read() == b""  # drained, so the client reads the fault


def _fields(name: str, content: bytes) -> str:
    return (
        f"<m:nombreArchivo>{name}</m:nombreArchivo>"
        f"<m:archivoBase64>{base64.b64encode(content).decode()}</m:archivoBase64>"
    )


def test_validation_streams_too(endpoint: Endpoint, world: World) -> None:
    content = zip_of({f"c{n}.xml": world.certificate(n) for n in range(2)})
    whole = endpoint.post(envelope("validaCertificados", _fields("a.zip", content)), threshold=WHOLE)
    streamed = endpoint.post(envelope("validaCertificados", _fields("a.zip", content)))
    assert whole.status_code == streamed.status_code == 200
    assert whole.content == streamed.content
    assert answer(streamed, "validaCertificados", "totalArchivos") == ["2"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        (
            "p.xml",
            b"<ProgramaEstudios>" + b" " * (1024 * 1024) + b"</ProgramaEstudios>",
            b"XML_DEMASIADO_GRANDE",
        ),
        ("p.xlsx", zip_of({"x": os.urandom(1024 * 1024 + 10)}), b"PROGRAMA_XLSX_DEMASIADO_GRANDE"),
        ("p.xml", b"<ProgramaEstudios/>" + b" " * 1000, b"PROGRAMA_"),
    ],
    ids=["xml over the limit", "xlsx over the limit", "small xml"],
)
def test_programs_stream_too(world: World, name: str, content: bytes, code: bytes) -> None:
    settings = dataclasses.replace(world.settings, max_upload_mb=3, max_xml_mb=1)
    router = make_wsgi_app(MecApp(settings, world.sessions, clock=world.clock), settings)
    endpoint = Endpoint(mount(router), Recorder(world.app), router)
    body = envelope("cargaProgramaEstudios", _fields(name, content))
    whole = endpoint.post(body, threshold=WHOLE)
    streamed = endpoint.post(body)
    assert whole.status_code == streamed.status_code == 200
    assert whole.content == streamed.content
    assert answer(streamed, "cargaProgramaEstudios", "estatus") == ["RECHAZADO"]
    assert code in streamed.content


def test_other_operations_pass_through_the_filter_unchanged(endpoint: Endpoint, world: World) -> None:
    padding = "<!-- relleno -->" * 40
    body = envelope("consultaProgramasEstudios").replace(b"<s:Body>", f"<s:Body>{padding}".encode())
    whole = endpoint.post(body, threshold=WHOLE)
    streamed = endpoint.post(body)
    assert whole.status_code == streamed.status_code == 200
    assert whole.content == streamed.content
    attrs = envelope(
        "consultaProgramasEstudios", auth=AUTH.replace("<m:usuario>", '<m:usuario xmlns:z="urn:a&amp;b">')
    )
    assert (
        endpoint.post(attrs + b" " * 300).content
        == endpoint.post(attrs + b" " * 300, threshold=WHOLE).content
    )


@pytest.mark.parametrize(
    ("pieces", "decoded"),
    [
        (["QU", "JD", "RA=", "="], b"ABCD"),
        (["Q", "U\n", " J", "D"], b"ABC"),
        (["QUJD\r\nQUJD"], b"ABCABC"),
    ],
)
def test_base64_sink_decodes_across_pieces(pieces: list[str], decoded: bytes) -> None:
    out = io.BytesIO()
    sink = Base64Sink(out)
    for piece in pieces:
        sink.write(piece)
    sink.close()
    assert out.getvalue() == decoded and sink.size == len(decoded)


@pytest.mark.parametrize("pieces", [["QUJD", "=", "QUJD"], ["QUJ*"], ["QUJ"], ["QQ=", "A"], ["QUJDR", "==="]])
def test_base64_sink_refuses_what_is_not_base64(pieces: list[str]) -> None:
    sink = Base64Sink(io.BytesIO())
    with pytest.raises(Refused, match="no es base64"):
        for piece in pieces:
            sink.write(piece)
        sink.close()


def test_spool_files_are_orphans_for_the_storage_cleanup(world: World) -> None:
    from mec_ws.batches.storage import BatchStorage
    from mec_ws.incoming import new_spool_file

    out, path = new_spool_file(world.settings.data_dir)
    out.close()
    assert BatchStorage(world.settings.data_dir).remove_orphans(older_than=-1) == 1
    assert not Path(path).exists()


# --- answers: a file over the threshold goes out streamed, byte for byte the same answer --------


@pytest.fixture
def accepted_batch(endpoint: Endpoint, world: World) -> str:
    """An ACEPTADO batch of two certificates (uploaded whole, processed by the real worker)."""
    folio = world.folio(2)
    content = zip_of({"uno.xml": world.certificate(1), "dos.xml": world.certificate(2)})
    r = endpoint.post(carga(folio, base64.b64encode(content).decode()), threshold=WHOLE)
    world.drain()
    return answer(r, "cargaCertificados", "numeroLote")[0]


ANSWERS = {
    "descargaResultadoCarga": lambda lote: f"<m:numeroLote>{lote}</m:numeroLote>",
    "exportaCertificados CSV": lambda _: "<m:formato>CSV</m:formato>",
    "exportaCertificados XLSX": lambda _: "<m:formato>XLSX</m:formato>",
    "descargaCertificado XML": lambda _: (
        "<m:folioControl>UAV-2024-000101</m:folioControl><m:formato>XML</m:formato>"
    ),
    "descargaCertificado PDF": lambda _: (
        "<m:folioControl>UAV-2024-000101</m:folioControl><m:formato>PDF</m:formato>"
    ),
    "descargaDocumento": lambda _: f"<m:nombre>{MANUAL_NAME}</m:nombre>",
}


def assert_same_answer(streamed: bytes, whole: bytes) -> None:
    """Byte for byte; a ZIP built twice may differ only in its members' timestamps (a second
    boundary between the two builds), so for a ZIP the members' names and bytes must be equal (an
    export's file name carries the app clock's time, fixed in the tests)."""
    if streamed == whole:
        return
    (a,), (b,) = (
        etree.fromstring(x).xpath("//m:archivoBase64/text()", namespaces=NS) for x in (streamed, whole)
    )
    assert streamed.replace(a.encode(), b"") == whole.replace(b.encode(), b"")
    with (
        zipfile.ZipFile(io.BytesIO(base64.b64decode(a))) as za,
        zipfile.ZipFile(io.BytesIO(base64.b64decode(b))) as zb,
    ):
        assert [(i.filename, za.read(i)) for i in za.infolist()] == [
            (i.filename, zb.read(i)) for i in zb.infolist()
        ]


@pytest.mark.parametrize("case", list(ANSWERS), ids=list(ANSWERS))
def test_a_file_in_an_answer_streams_byte_for_byte(
    endpoint: Endpoint, accepted_batch: str, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    operation = case.split()[0]
    body = envelope(operation, ANSWERS[case](accepted_batch))
    whole = endpoint.post(body, threshold=WHOLE)
    assert whole.status_code == 200, whole.text[:500]
    monkeypatch.setattr("mec_ws.soap.service.STREAM_ANSWER_OVER", 16)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mec/ws",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    answer_iter = endpoint.router(environ, lambda status, headers: seen.append((status, headers)))
    assert type(answer_iter).__name__ == "StreamedAnswer"  # not spyne's whole document
    pieces = list(answer_iter)
    streamed = b"".join(pieces)
    status, headers = seen[0]
    assert status.startswith("200")
    assert dict(headers)["Content-Length"] == str(len(streamed))
    assert_same_answer(streamed, whole.content)
    (encoded,) = etree.fromstring(streamed).xpath(
        f"//m:{operation}Response/m:archivoBase64/text()", namespaces=NS
    )
    assert base64.b64decode(encoded)


class _Breaks(io.BytesIO):
    """A request body whose connection drops after ``after`` bytes."""

    def __init__(self, data: bytes, after: int) -> None:
        super().__init__(data)
        self.after = after

    def read(self, size: int | None = -1) -> bytes:
        left = self.after - self.tell()
        if left <= 0:
            raise ConnectionResetError("el cliente se fue")
        return super().read(left if size is None or size < 0 else min(size, left))


def test_a_client_that_leaves_midway_leaves_no_spool_and_no_batch(endpoint: Endpoint, world: World) -> None:
    content = zip_of({f"c{n}.xml": world.certificate(n) for n in range(3)})
    body = carga(world.folio(3), base64.b64encode(content).decode())
    endpoint.router.routes[SOAP_PATH].guard.spool_threshold = STREAMED
    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mec/ws",
        "CONTENT_TYPE": "text/xml",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": _Breaks(body, len(body) // 2),
    }
    payload = b"".join(endpoint.router(environ, lambda status, headers: seen.append(status)))
    assert seen[0].startswith("500") and b"Client.SolicitudInvalida" in payload
    assert endpoint.recorder.calls == []
    with world.sessions() as s:
        assert s.scalars(select(Batch)).all() == []
