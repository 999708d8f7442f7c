"""Memory of the process that receives a large upload, on a real ``mec-ws serve``.  Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/intake.py [--mb 95] [--database-url URL]

Starts ``mec-ws serve --procesos 1`` on the demo world (a fresh SQLite database by default) and
sends, over plain HTTP from this process, a ``--mb`` MiB file in each upload operation:

  cargaCertificados      a stored ZIP of 100 XML entries against a folio that covers 100;
  validaCertificados     the same ZIP (every entry is validated, and fails: they are not
                         certificates);
  cargaProgramaEstudios  an XML of that size (refused as larger than MEC_MAX_XML_MB, unread).

For each, the gunicorn worker's peak resident memory (``VmHWM``, reset through
``/proc/<pid>/clear_refs`` before the request; Linux, as root or the same user) minus its resident
memory just before: the growth, against the 64 MiB goal of issue 9 (before the streaming intake,
a 94 MiB ``cargaCertificados`` grew the process by 688 MiB).

Every call verifies a password with scrypt, which by itself takes 128 MiB for a moment at the
production cost (n=2^17, r=8).  That is the price of authentication, not of the upload, so the
users are created with a light scrypt (``MEC_SCRYPT_DEBIL=1``, n=2^10) and a first row measures a
call that carries no file; ``--scrypt-produccion`` keeps the production cost.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import platform
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

# benchmarks/service.py: the cached demo PKI, the throw-away database, the server and /proc readers
from service import (  # type: ignore[import-not-found]
    MIB,
    add_folios,
    database,
    demo_files,
    free_port,
    server_processes,
    serving,
    status_kb,
)

from mec_ws.config import Settings
from mec_ws.testdata.demo_db import load_demo

GOAL_MIB = 64
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ENTRIES = 100


def big_zip(path: Path, total: int) -> Path:
    """A stored ZIP of :data:`ENTRIES` well-formed XML entries adding up to about ``total`` bytes."""
    each = total // ENTRIES
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for n in range(ENTRIES):
            filler = os.urandom(each // 2).hex()[: each - 40]
            zf.writestr(f"cert-{n:03d}.xml", f"<Dec><!-- {filler} --></Dec>")
    return path


def big_program(path: Path, total: int) -> Path:
    with path.open("w", encoding="ascii") as fh:
        fh.write("<ProgramaEstudios>")
        for _ in range(total // (1024 * 1024)):
            fh.write(" " * (1024 * 1024))
        fh.write("</ProgramaEstudios>")
    return path


def envelope_parts(operation: str, fields: str, auth: tuple[str, str], ns: str) -> tuple[bytes, bytes]:
    head = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{ns}"><s:Body><m:{operation}>'
        f"<m:autenticacion><m:usuario>{auth[0]}</m:usuario><m:password>{auth[1]}</m:password>"
        f"</m:autenticacion>{fields}<m:archivoBase64>"
    ).encode()
    return head, f"</m:archivoBase64></m:{operation}></s:Body></s:Envelope>".encode()


def base64_length(size: int) -> int:
    return -(-size // 3) * 4


def base64_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(3 * 256 * 1024), b""):
            yield base64.b64encode(block)


def post(port: int, head: bytes, tail: bytes, path: Path | None) -> tuple[int, bytes]:
    """POST the envelope with ``path`` in base64, streamed from disk (this process stays small)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    length = len(head) + (base64_length(path.stat().st_size) if path else 0) + len(tail)
    connection.putrequest("POST", "/mec/ws")
    connection.putheader("Content-Type", "text/xml; charset=utf-8")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    connection.send(head)
    for block in base64_blocks(path) if path else ():
        connection.send(block)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def gunicorn_worker(server_pid: int) -> int:
    """The one gunicorn worker process of ``serve --procesos 1``."""
    workers = server_processes(server_pid).gunicorn_workers
    if len(workers) != 1:
        raise SystemExit(f"esperaba un proceso de gunicorn que atiende; hay {len(workers)}")
    return int(workers[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=95.0, help="tamaño de cada archivo en MiB (95)")
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+psycopg://…); por omisión SQLite")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mec-ws-bench-cache",
        help="carpeta donde se guarda la PKI de demostración",
    )
    parser.add_argument(
        "--scrypt-produccion", action="store_true", help="usuarios con el costo de scrypt de producción"
    )
    args = parser.parse_args()
    if not args.scrypt_produccion:
        os.environ.update(MEC_SCRYPT_DEBIL="1", MEC_SCRYPT_N="1024")  # the demo users' hashes
    print(f"mec-ws intake benchmark — Python {platform.python_version()}, {os.cpu_count()} CPU")
    files = demo_files(args.cache)
    work = Path(tempfile.mkdtemp(prefix="mec-ws-intake-"))
    try:
        size = int(args.mb * MIB)
        zipped = big_zip(work / "grande.zip", size)
        program = big_program(work / "programa.xml", size)
        with database(args.database_url, work) as url:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEC_") or "SCRYPT" in k}
            env.update(
                MEC_DATABASE_URL=url,
                MEC_DATA_DIR=str(work / "data"),
                MEC_PUBLIC_URL=f"http://127.0.0.1:{port}/mec/ws",
            )
            settings = Settings.from_env(env)
            creds = load_demo(settings, files)
            add_folios(settings, files.scenario.institution.id, {"INTAKE-GRANDE": ENTRIES})
            auth = (creds.usuario, creds.password)
            cases = [
                ("consultaProgramasEstudios", "", None),
                (
                    "cargaCertificados",
                    "<m:folioPago>INTAKE-GRANDE</m:folioPago><m:nombreArchivo>g.zip</m:nombreArchivo>",
                    zipped,
                ),
                ("validaCertificados", "<m:nombreArchivo>g.zip</m:nombreArchivo>", zipped),
                ("cargaProgramaEstudios", "<m:nombreArchivo>p.xml</m:nombreArchivo>", program),
            ]
            print(f"\nServicio real (gunicorn 1 proceso), archivos de {args.mb:.0f} MiB en base64:")
            print(f"| operación | s | respuesta | RSS antes MiB | crecimiento pico MiB | / {GOAL_MIB} MiB |")
            print("|---|---|---|---|---|---|")
            with serving(env, work, port, 1) as server:
                worker = gunicorn_worker(server.pid)
                for operation, fields, path in cases:
                    head, tail = envelope_parts(operation, fields, auth, settings.namespace)
                    if path is None:  # no file: the envelope alone
                        head, tail = (
                            head.replace(b"<m:archivoBase64>", b""),
                            tail.replace(b"</m:archivoBase64>", b""),
                        )
                    before = status_kb(worker, "VmRSS")
                    Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := VmRSS
                    started = time.monotonic()
                    status, body = post(port, head, tail, path)
                    seconds = time.monotonic() - started
                    growth = (status_kb(worker, "VmHWM") - before) / 1024
                    what = "200" if status == 200 else body.split(b"<faultcode>")[-1].split(b"<")[0].decode()
                    print(
                        f"| {operation} | {seconds:.1f} | {what} | {before / 1024:.0f} | {growth:.1f} | "
                        f"{growth / GOAL_MIB:.2f} |"
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
