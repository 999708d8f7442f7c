"""One batch worker against the cryptographic floor.  Prints figures; asserts nothing.

    .venv/bin/python benchmarks/worker.py [--n 1000] [--repeat 3] [--database-url URL]

Measured in the same run, on the same ``--n`` distinct certificates (48 subjects each, sealed with
the demo officer's e.firma; cached under ``--cache`` like ``benchmarks/service.py``):

  floor            per certificate: hardened parse + upload XSD + one RSA verify of its sello +
                   two RSA signs (the SEP stamp's Dreoe and SepIpes) — what no implementation of the
                   service can avoid;
  full validation  ``validate_file`` with a full registry context (every rule, sello included);
  worker           end to end, one process: a ZIP of the ``--n`` certificates received through
                   ``MecApp.carga_certificados`` and processed by ``Worker.run(once=True)`` (read,
                   validate, stamp, write every row, ACEPTADO), on a fresh database each time —
                   SQLite by default, PostgreSQL with ``--database-url`` (a throw-away schema).

Each measure runs ``--repeat`` times (the machine may be shared): every run, then min / median /
max.  The goal of issue 9 is worker ≥ 70 % of the floor rate.
"""

from __future__ import annotations

import argparse
import base64
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select
from sqlalchemy.orm import Session

# benchmarks/service.py: the cached demo PKI, the certificates, the throw-away database
from service import certificates, database, demo_files, engine_rate, make_zip  # type: ignore[import-not-found]

from mec_ws import db
from mec_ws.batches.worker import Worker, WorkerOptions
from mec_ws.certificate import efirma
from mec_ws.certificate.cadena import cadena_original
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.schema import validate_upload
from mec_ws.config import Settings
from mec_ws.registry import RegisteredOfficer, ValidationContext, programs_lookup
from mec_ws.services.app import MecApp
from mec_ws.services.dto import EstatusLote, Principal
from mec_ws.testdata.demo import DemoFiles
from mec_ws.testdata.demo_db import DEMO_USER, load_demo
from mec_ws.validation import validate_file
from models import Batch, Certificate, FolioPago, User

TARGET = 0.70


def floor_rate(files: DemoFiles, blobs: list[bytes]) -> float:
    """Certificates/s of parse + XSD + 1 verify + 2 signs, on one core."""
    root = files.root
    sep_key = efirma.load_private_key((root / "sep.key.pem").read_bytes(), None)
    prepared = []
    for blob in blobs:  # what to verify / sign, prepared outside the timing
        doc = read_xml(blob).getroot()
        cert = efirma.certificate_from_base64(doc.get("certificadoResponsable") or "")
        sello = base64.b64decode(doc.get("sello") or "")
        cadena = cadena_original(doc).encode("utf-8")
        dreoe = f"||2025-01-01T00:00:00|{doc.get('sello')}|00001000000000000001|CURP|1||".encode()
        prepared.append((cert.public_key(), sello, cadena, dreoe))
    pkcs, sha = padding.PKCS1v15(), hashes.SHA256()

    def one(i: int) -> None:
        doc = read_xml(blobs[i]).getroot()
        if validate_upload(doc):
            raise SystemExit("certificado inválido en la medición del piso")
        public, sello, cadena, dreoe = prepared[i]
        public.verify(sello, cadena, pkcs, sha)  # type: ignore[union-attr,call-arg]
        first = sep_key.sign(dreoe, pkcs, sha)
        sep_key.sign(b"||1.0|00000000-0000-4000-8000-000000000000|2025|" + first + b"|0001||", pkcs, sha)

    one(0)
    start = time.perf_counter()
    for i in range(len(blobs)):
        one(i)
    return len(blobs) / (time.perf_counter() - start)


def engine_context(files: DemoFiles) -> ValidationContext:
    """The registry of the demo world in memory (as ``benchmarks/service.py`` builds it)."""
    root = files.root
    return ValidationContext(
        now=datetime.now(UTC),
        institution=files.scenario.institution,
        officers=(
            RegisteredOfficer(
                campus_id=files.scenario.campus.id,
                certificate_der=(root / "responsable.cer").read_bytes(),
                cargo_id=5,
            ),
        ),
        find_program=programs_lookup([files.scenario.program]),
        is_folio_accepted=lambda _i, _f: False,
        trusted_cas=tuple(efirma.load_certificates((root / "ca.cer").read_bytes())),
    )


def validation_rate(files: DemoFiles, paths: list[Path]) -> float:
    """Certificates/s of ``validate_file`` alone (every rule, in-memory registry)."""
    ctx = engine_context(files)
    blobs = [p.read_bytes() for p in paths]
    validate_file("calentamiento.xml", blobs[0], ctx)
    start = time.perf_counter()
    for i, blob in enumerate(blobs):
        result = validate_file(f"c{i}.xml", blob, ctx)
        if not result.ok:
            raise SystemExit(f"certificado inválido en la medición de la validación: {result.findings}")
    return len(blobs) / (time.perf_counter() - start)


def worker_rate(files: DemoFiles, paths: list[Path], url: str | None, work: Path) -> float:
    """Certificates/s of one ``Worker`` processing the whole ZIP (fresh database)."""
    with database(url, work) as db_url:
        settings = Settings.from_env({"MEC_DATA_DIR": str(work / "data"), "MEC_DATABASE_URL": db_url})
        load_demo(settings, files)
        engine = db.open_database(settings.database_url)
        try:
            sessions = db.session_factory(engine)
            with sessions() as s:
                s.add(FolioPago(folio="BENCH-W", institution_id=files.scenario.institution.id, cantidad=len(paths)))
                user = s.scalars(select(User).where(User.username == DEMO_USER)).one()
                who = Principal(user.id, user.username, user.institution_id, False)
                s.commit()
            zipped = make_zip(work / "lote.zip", paths, stored=False).read_bytes()
            app = MecApp(settings, sessions, clock=lambda: datetime.now(UTC))
            numero = app.carga_certificados(who, "BENCH-W", "lote.zip", zipped).numero_lote
            worker = Worker(sessions, settings, options=WorkerOptions(poll_seconds=0.05))
            start = time.perf_counter()
            worker.run(once=True)
            elapsed = time.perf_counter() - start
            with sessions() as s:
                batch = s.get(Batch, numero)
                assert batch is not None
                stored = _count(s, numero)
                if batch.estatus is not EstatusLote.ACEPTADO or stored != len(paths):
                    raise SystemExit(f"el lote no se aceptó: {batch.estatus} {batch.mensaje} ({stored})")
        finally:
            engine.dispose()
    return len(paths) / elapsed


def _count(s: Session, numero: int) -> int:
    from sqlalchemy import func

    return int(s.scalar(select(func.count()).select_from(Certificate).where(Certificate.batch_id == numero)) or 0)


def repeated(label: str, repeat: int, fn: Callable[[], float]) -> float:
    rates = []
    for _ in range(repeat):
        rates.append(fn())
        print(f"  {label:<26} {rates[-1]:8.1f} certificados/s   {1000 / rates[-1]:7.3f} ms c/u", flush=True)
    med = statistics.median(rates)
    print(f"  {'':<26} mín {min(rates):.1f} · mediana {med:.1f} · máx {max(rates):.1f}\n", flush=True)
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="certificados del lote (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="repeticiones de cada medición (3)")
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+psycopg://…); por omisión SQLite")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mec-ws-bench-cache",
        help="carpeta donde se guardan la PKI y los certificados generados",
    )
    args = parser.parse_args()
    print(f"mec-ws worker benchmark — Python {platform.python_version()}, {platform.machine()}")
    files = demo_files(args.cache)
    paths = certificates(files, args.cache, args.n)
    blobs = [p.read_bytes() for p in paths]
    print(f"{len(paths)} certificados, {sum(map(len, blobs)) / len(blobs) / 1024:.1f} KiB c/u")
    print("piso = parse endurecido + XSD + 1 verificación RSA + 2 firmas RSA, por certificado\n")

    floor = repeated("piso", args.repeat, lambda: floor_rate(files, blobs))
    full = repeated("validación completa", args.repeat, lambda: validation_rate(files, paths))
    engine = repeated("validación + sellado", args.repeat, lambda: engine_rate(files, paths))
    backend = "PostgreSQL" if args.database_url else "SQLite"

    def one_worker() -> float:
        work = Path(tempfile.mkdtemp(prefix="mec-ws-bench-worker-"))
        try:
            return worker_rate(files, paths, args.database_url, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    worker = repeated(f"trabajador ({backend})", args.repeat, one_worker)
    print("Razones (medianas):")
    print(f"  validación completa / piso       {floor / full:6.2f}x el costo del piso")
    print(f"  trabajador / piso                {worker / floor * 100:6.1f} %  (meta ≥ {TARGET * 100:.0f} %)")
    print(f"  trabajador / motor en proceso    {worker / engine * 100:6.1f} %")


if __name__ == "__main__":
    main()
