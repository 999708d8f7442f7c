"""Exports, result ZIPs and PDFs: time and memory.  Prints figures, limits and ratios; asserts nothing.

    .venv/bin/python benchmarks/reports.py [--rows 100000] [--batch 10000] [--pdfs 20] [--url DB]

On a fresh SQLite database (or ``--url``, e.g. a PostgreSQL schema) with ``--rows`` certificates,
each storing a real ~16 KB stamped XML (so holding the rows would show), ``--batch`` of them in one
accepted batch with its per-file rows:

- ``exportaCertificados`` CSV and XLSX of every row, and ``descargaResultadoCarga`` of the batch,
  twice each: through the service (:class:`mec_ws.services.app.MecApp`: the file is built in a
  temporary file and read back piece by piece, as the portal's download does) and through the
  real SOAP endpoint in process (WSGI call with a SOAP envelope; the response body is consumed in
  chunks and counted, never kept).  For each: seconds,
  file size, and the process's peak resident memory growth over what it held before the call
  (``VmHWM`` reset through ``/proc/self/clear_refs``; Linux only), against the 64 MiB limit.
- The operator's password is hashed with a light scrypt (n=2^10) unless ``--scrypt-produccion``:
  every authenticated call takes 128 MiB for a moment at the production cost.
- The XLSX export's seconds against a third of the gunicorn request timeout.
- ``render_certificate_pdf`` of a 48-subject stamped certificate: ms per certificate and size.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from mec_ws import db, passwords
from mec_ws.certificate.stamp import stamp
from mec_ws.config import DEFAULT_NAMESPACE, Settings
from mec_ws.reports.pdf import render_certificate_pdf
from mec_ws.services.app import MecApp
from mec_ws.services.dto import (
    Archivo,
    EstatusArchivo,
    EstatusCertificado,
    EstatusLote,
    FiltroCertificados,
    FormatoExportacion,
    Principal,
)
from mec_ws.testdata.factory import FIXED_NOW, default_scenario, seal
from mec_ws.testdata.pki import default_pki
from mec_ws.web.wsgi import make_wsgi_app
from models import Batch, BatchFile, BatchKind, Campus, Certificate, FolioPago, Institution, User

MIB = 1024 * 1024
MEMORY_LIMIT_MIB = 64
USER, PASSWORD = "operador.bench", "clave-de-prueba"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
GUNICORN_TIMEOUT_S = 120  # mec_ws/cli/runtime.py, _run_gunicorn: "timeout"


# ------------------------------------------------------------------------------------- memory


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


@dataclass
class Measured:
    seconds: float = 0.0
    growth_mib: float = 0.0
    size_bytes: int = 0


@contextmanager
def measured() -> Iterator[Measured]:
    """Seconds and peak RSS growth (MiB) of the block over the RSS at its start."""
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _status_kb("VmRSS")
    out = Measured()
    t0 = time.perf_counter()
    yield out
    out.seconds = time.perf_counter() - t0
    out.growth_mib = (_status_kb("VmHWM") - before) / 1024


# --------------------------------------------------------------------------------------- seed


def seed(url: str, rows: int, batch_size: int, xml: bytes) -> int:
    """``rows`` certificates; the first ``batch_size`` form one accepted batch (its number is returned)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        s.add(
            Institution(
                id="000001",
                name="UNIVERSIDAD DEL ÁNGEL DE LA VIRGEN",
                campuses=[Campus(id="000101", name="CAMPUS CENTRO", state="09")],
            )
        )
        s.add(User(username=USER, password_hash=passwords.hash_password(PASSWORD), is_operator=True))
        s.flush()
        batches = []
        for n, (name, cantidad) in enumerate(
            (("FP-BENCH-LOTE", batch_size), ("FP-BENCH-RESTO", max(1, rows - batch_size))), start=1
        ):
            folio = FolioPago(folio=name, institution_id="000001", cantidad=cantidad)
            s.add(folio)
            s.flush()
            batch = Batch(
                folio_id=folio.id,
                institution_id="000001",
                intento=1,
                nombre_archivo=f"lote{n}.zip",
                stored_path=f"lotes/b{n}.bin",
                sha256=f"{n:064d}",
                size_bytes=1,
                kind=BatchKind.ZIP,
                estatus=EstatusLote.ACEPTADO,
                received_at=datetime(2025, 1, 1, tzinfo=UTC),
                processed_at=datetime(2025, 1, 1, tzinfo=UTC),
                total_archivos=cantidad,
                archivos_procesados=cantidad,
            )
            s.add(batch)
            s.flush()
            batches.append((folio.folio, batch.numero_lote))
        start = datetime(2025, 1, 1, tzinfo=UTC)
        statuses = list(EstatusCertificado)
        for offset in range(0, rows, 5000):
            chunk = range(offset, min(rows, offset + 5000))
            s.execute(
                insert(Certificate),
                [
                    {
                        "institution_id": "000001",
                        "campus_id": "000101",
                        "folio_pago": batches[0 if i < batch_size else 1][0],
                        "batch_id": batches[0 if i < batch_size else 1][1],
                        "folio_control": f"UAV-{i:07d}",
                        "folio_digital": f"00000000-0000-4000-8000-{i:012d}",
                        "curp": "PENJ000101HDFXXX01",
                        "nombre_completo": f"JOSÉ PEÑA NÚÑEZ {i}",
                        "carrera": "LICENCIATURA EN DERECHO",
                        "id_carrera": "1021",
                        "clave_plan": "2019",
                        "lugar_expedicion": "CIUDAD DE MÉXICO",
                        "fecha_expedicion": date(2024, 7, 12),
                        "fecha_carga": start + timedelta(seconds=i),
                        "estatus": statuses[i % 3],
                        "stamped_xml": xml,
                    }
                    for i in chunk
                ],
            )
            files = [i for i in chunk if i < batch_size]
            if files:
                s.execute(
                    insert(BatchFile),
                    [
                        {
                            "batch_id": batches[0][1],
                            "ordinal": i,
                            "nombre": f"certificados/UAV-{i:07d}.xml",
                            "folio_control": f"UAV-{i:07d}",
                            "estatus": EstatusArchivo.CORRECTO,
                            "errores": [],
                        }
                        for i in files
                    ],
                )
        s.commit()
    engine.dispose()
    return batches[0][1]


# --------------------------------------------------------------------------------------- SOAP


def consumed(archivo: Archivo) -> int:
    """Read the file piece by piece, as the portal's download does; its size."""
    try:
        return sum(len(piece) for piece in archivo.partes())
    finally:
        archivo.close()


def soap_call(app: Callable[..., Any], operation: str, fields: str) -> int:
    """POST one SOAP request to the WSGI ``app`` in process; the response's byte count (consumed in
    chunks, not kept).  Fails on anything but HTTP 200."""
    import io

    body = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{DEFAULT_NAMESPACE}"><s:Body><m:{operation}>'
        f"<m:autenticacion><m:usuario>{USER}</m:usuario><m:password>{PASSWORD}</m:password></m:autenticacion>"
        f"{fields}</m:{operation}></s:Body></s:Envelope>"
    ).encode()
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mec/ws",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_SOAPACTION": f'"{operation}"',
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    result = app(environ, lambda s, headers, exc_info=None: status.append(s))
    size = 0
    try:
        for chunk in result:
            size += len(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"{operation}: HTTP {status}")
    return size


# --------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=20)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--scrypt-produccion", action="store_true", help="the user's password at the production scrypt cost"
    )
    args = parser.parse_args()
    if not args.scrypt_produccion:  # scrypt's 128 MiB would hide what the file costs (benchmarks/intake.py)
        os.environ.update(MEC_SCRYPT_DEBIL="1", MEC_SCRYPT_N="1024")

    stamped = stamp(seal(default_scenario().certificate(1)), default_pki().sep_signer, now=FIXED_NOW)
    url = "http://127.0.0.1:8000/verificacion/" + stamped.folio_digital
    render_certificate_pdf(stamped.xml, estatus="VIGENTE", verification_url=url)  # warm imports/caches
    t0 = time.perf_counter()
    for _ in range(args.pdfs):
        pdf = render_certificate_pdf(stamped.xml, estatus="VIGENTE", verification_url=url)
    per_pdf = (time.perf_counter() - t0) / args.pdfs
    print(f"PDF (48 subjects): {per_pdf * 1000:.1f} ms per certificate, {len(pdf):,} bytes")

    timeout_s = GUNICORN_TIMEOUT_S
    with tempfile.TemporaryDirectory() as tmp:
        url_db = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        t0 = time.perf_counter()
        lote = seed(url_db, args.rows, min(args.batch, args.rows), stamped.xml)
        print(
            f"seeded {args.rows:,} rows ({len(stamped.xml):,} B of XML each), a batch of "
            f"{min(args.batch, args.rows):,} in {time.perf_counter() - t0:.1f} s"
        )
        settings = Settings.from_env({"MEC_DATA_DIR": tmp, "MEC_DATABASE_URL": url_db})
        operator = Principal(user_id=0, username=USER, institution_id=None, is_operator=True)
        app = MecApp.from_settings(settings)
        wsgi = make_wsgi_app(app, settings)
        soap_call(
            wsgi,
            "consultaCertificados",
            "<m:filtro/><m:pagina>1</m:pagina><m:registrosPorPagina>1</m:registrosPorPagina>",
        )
        print(f"RSS before the measurements: {_status_kb('VmRSS') / 1024:.0f} MiB")

        service_calls: list[tuple[str, Callable[[], int]]] = [
            (
                f"exporta CSV {args.rows:,}",
                lambda: consumed(
                    app.exporta_certificados(operator, FiltroCertificados(), FormatoExportacion.CSV)
                ),
            ),
            (
                f"exporta XLSX {args.rows:,}",
                lambda: consumed(
                    app.exporta_certificados(operator, FiltroCertificados(), FormatoExportacion.XLSX)
                ),
            ),
            (
                f"resultado ZIP {min(args.batch, args.rows):,}",
                lambda: consumed(app.descarga_resultado_carga(operator, lote)),
            ),
        ]
        soap_calls: list[tuple[str, Callable[[], int]]] = [
            (
                f"exporta CSV {args.rows:,}",
                lambda: soap_call(wsgi, "exportaCertificados", "<m:filtro/><m:formato>CSV</m:formato>"),
            ),
            (
                f"exporta XLSX {args.rows:,}",
                lambda: soap_call(wsgi, "exportaCertificados", "<m:filtro/><m:formato>XLSX</m:formato>"),
            ),
            (
                f"resultado ZIP {min(args.batch, args.rows):,}",
                lambda: soap_call(wsgi, "descargaResultadoCarga", f"<m:numeroLote>{lote}</m:numeroLote>"),
            ),
        ]
        table: list[tuple[str, str, Measured]] = []
        for path, calls in (("servicio", service_calls), ("SOAP", soap_calls)):
            for label, call in calls:
                with measured() as m:
                    m.size_bytes = call()
                table.append((label, path, m))
                print(
                    f"{label:<22} {path:<8} {m.seconds:6.2f} s  {m.size_bytes / MIB:7.1f} MiB"
                    f"  peak growth {m.growth_mib:7.1f} MiB ({m.growth_mib / MEMORY_LIMIT_MIB:4.2f} of "
                    f"{MEMORY_LIMIT_MIB})",
                    flush=True,
                )
        app.sessions.kw["bind"].dispose()

    print(
        f"\n| archivo | vía | s | tamaño MiB | crecimiento pico MiB | / {MEMORY_LIMIT_MIB} MiB |\n"
        "|---|---|---:|---:|---:|---:|"
    )
    for label, path, m in table:
        print(
            f"| {label} | {path} | {m.seconds:.2f} | {m.size_bytes / MIB:.1f} | {m.growth_mib:.1f} "
            f"| {m.growth_mib / MEMORY_LIMIT_MIB:.2f} |"
        )
    xlsx = [m for label, path, m in table if "XLSX" in label]
    limit = timeout_s / 3
    for m, path in zip(xlsx, ("servicio", "SOAP"), strict=True):
        print(
            f"XLSX {args.rows:,} filas ({path}): {m.seconds:.1f} s, límite {limit:.0f} s "
            f"(un tercio del timeout de gunicorn, {timeout_s:.0f} s): {m.seconds / limit:.2f}"
        )


if __name__ == "__main__":
    main()
