"""A real ``mec-ws serve`` (gunicorn) at its edges: over-limit bodies (plain and chunked) answered
with the fault a plain ``urllib`` client can read, and normal requests answered while slow
clients hold connections open.

Each test starts its own server on a free port (SQLite file or a PostgreSQL schema, through the
``engine`` fixture, which migrates it) and stops it; every loop is bounded.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.services.world import build_world
from tests.test_journey import free_port, service_env, serving

pytestmark = pytest.mark.slow

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "http://ws.web.mec.sep.mx/schemas/certificados"


def _envelope(operation: str, fields: str = "") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{NS}"><s:Body><m:{operation}>'
        "<m:autenticacion><m:usuario>nadie</m:usuario><m:password>x</m:password></m:autenticacion>"
        f"{fields}</m:{operation}></s:Body></s:Envelope>"
    ).encode()


def _post(url: str, data: object, timeout: float = 60) -> tuple[int, bytes]:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    request = urllib.request.Request(url, data=data, headers=headers)  # type: ignore[arg-type]  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - our own local server
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


@pytest.fixture
def server(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    build_world(engine, tmp_path / "data")  # users and a stamping key: serve refuses an empty base
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    env["MEC_MAX_UPLOAD_MB"] = "1"
    # One process of 16 threads: which process the kernel hands each slow connection to is luck,
    # so with two processes all eight could land in one of them; here it is always 8 of 16 threads.
    with serving(env, tmp_path, port, ("--procesos", "1", "--hilos", "16")):
        yield f"http://127.0.0.1:{port}/mec/ws"


def _big_upload(total: int) -> tuple[bytes, bytes]:
    head = _envelope("cargaCertificados").split(b"</m:cargaCertificados>")[0]
    head += b"<m:folioPago>F</m:folioPago><m:nombreArchivo>a.zip</m:nombreArchivo><m:archivoBase64>"
    return head, b"A" * (total - len(head))


def test_over_limit_body_gets_the_fault_not_a_reset(server: str) -> None:
    head, filler = _big_upload(40 * 1024 * 1024)  # 40 MB against a 1 MB limit
    status, body = _post(server, head + filler)
    assert status == 500
    assert b"Client.ArchivoInvalido" in body and "excede el límite de 1 MB".encode() in body


def test_over_limit_chunked_body_gets_the_fault_not_a_reset(server: str) -> None:
    head, filler = _big_upload(40 * 1024 * 1024)

    def chunks() -> Iterator[bytes]:  # no Content-Length: urllib sends Transfer-Encoding: chunked
        yield head
        for start in range(0, len(filler), 1024 * 1024):
            yield filler[start : start + 1024 * 1024]

    status, body = _post(server, chunks())
    assert status == 500
    assert b"Client.ArchivoInvalido" in body


class SlowClient:
    """A connection that sends a POST's headers, then its body one byte every ``interval`` s."""

    def __init__(self, url: str, interval: float = 0.5) -> None:
        host, port = url.split("//")[1].split("/")[0].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        body_length = 100_000
        self.sock.sendall(
            f"POST /mec/ws HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {body_length}\r\n\r\n<".encode()
        )
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        for _ in range(240):  # bounded: two minutes at most
            if self.stop.wait(self.interval):
                return
            try:
                self.sock.sendall(b" ")
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class SilentClient:
    """A connection that sends half a request line and then nothing."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split("/")[0].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.sendall(b"POST /mec/ws HT")

    def close(self) -> None:
        self.sock.close()


def test_normal_requests_answer_while_slow_clients_are_connected(server: str) -> None:
    for _ in range(3):  # warm up the gunicorn process (its first requests are slower)
        assert _post(server, _envelope("consultaProgramasEstudios"), timeout=60)[0] == 500
    clients: list[SlowClient | SilentClient] = []
    try:
        clients += [SlowClient(server) for _ in range(4)]
        clients += [SilentClient(server) for _ in range(4)]
        time.sleep(1.5)  # they are all being served (or waited on) now
        timings = []
        for _ in range(3):
            started = time.monotonic()
            status, body = _post(server, _envelope("consultaProgramasEstudios"), timeout=30)
            timings.append(time.monotonic() - started)
            assert status == 500 and b"Client.Autenticacion" in body
            started = time.monotonic()
            with urllib.request.urlopen(f"{server}?wsdl", timeout=30) as resp:  # noqa: S310
                assert resp.status == 200
            timings.append(time.monotonic() - started)
        print(f"con 8 clientes lentos conectados: {', '.join(f'{t * 1000:.0f} ms' for t in timings)}")
        # A request queued behind a slow client would wait for it (minutes, or forever for a mute
        # one); 30 s only leaves room for a loaded CI machine, the figure printed is the measure.
        assert max(timings) < 30
    finally:
        for client in clients:
            client.close()
