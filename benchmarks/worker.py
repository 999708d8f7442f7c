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

``--repartido`` measures instead one batch of ``--n`` certificates processed by ``mec-ws worker
--una-vez`` as separate processes against one database (SQLite, or PostgreSQL with
``--database-url``): one process, then ``--procesos 2`` (the batch cut into chunks of
``--trozo`` certificates, ``MEC_LOTE_TROZO``), each on a fresh database, interleaved ``--repeat``
times; the wall-clock time of the command (process start-up included), and the speed-up against the
goal of issue 9 (2 processes on 2 cores ≥ 1.6 times as fast as one).

``--desglose`` adds, for every worker run, the CPU time per certificate of its stages (validation,
stamping, the final transaction, progress writes, opening the upload, the rest), measured by
wrapping those functions for the run (a few microseconds of overhead per call).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

# benchmarks/service.py: the cached demo PKI, the certificates, the throw-away database
from service import certificates, database, demo_files, engine_context, engine_rate, make_zip  # type: ignore[import-not-found]
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws import db, validation
from mec_ws.batches import processing
from mec_ws.batches.worker import Worker, WorkerOptions
from mec_ws.certificate import efirma
from mec_ws.certificate.cadena import cadena_original
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.schema import validate_upload
from mec_ws.config import Settings
from mec_ws.services.app import MecApp
from mec_ws.services.dto import EstatusLote, Principal
from mec_ws.testdata.demo import DemoFiles
from mec_ws.testdata.demo_db import DEMO_USER, load_demo
from mec_ws.validation import validate_file
from models import Batch, Certificate, FolioPago, User

TARGET = 0.70
SPEEDUP_TARGET = 1.6
CLI = [sys.executable, "-c", "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))"]


class Timer:
    """Wall-clock and CPU time (of this process) of one measured stretch."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


Rates = tuple[float, float]
"""(certificates per wall-clock second, certificates per CPU second of this process)."""


def floor_rate(files: DemoFiles, blobs: list[bytes]) -> Rates:
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
    with Timer() as t:
        for i in range(len(blobs)):
            one(i)
    return len(blobs) / t.wall, len(blobs) / t.cpu


def validation_rate(files: DemoFiles, paths: list[Path]) -> Rates:
    """Certificates/s of ``validate_file`` alone (every rule, in-memory registry)."""
    ctx = engine_context(files)
    blobs = [p.read_bytes() for p in paths]
    validate_file("calentamiento.xml", blobs[0], ctx)
    with Timer() as t:
        for i, blob in enumerate(blobs):
            result = validate_file(f"c{i}.xml", blob, ctx)
            if not result.ok:
                raise SystemExit(f"certificado inválido en la medición de la validación: {result.findings}")
    return len(blobs) / t.wall, len(blobs) / t.cpu


@dataclass
class Received:
    """One batch of the benchmark's certificates, received and waiting for a worker."""

    settings: Settings
    sessions: Any
    db_url: str
    numero: int


@contextlib.contextmanager
def received_batch(files: DemoFiles, paths: list[Path], url: str | None, work: Path) -> Iterator[Received]:
    """A fresh database (SQLite, or a throw-away PostgreSQL schema) with the demo data and one ZIP
    of ``paths`` received through ``MecApp.carga_certificados``; after the block, the batch must be
    ACEPTADO with every certificate stored (else the benchmark stops)."""
    with database(url, work) as db_url:
        settings = Settings.from_env({"MEC_DATA_DIR": str(work / "data"), "MEC_DATABASE_URL": db_url})
        load_demo(settings, files)
        engine = db.open_database(settings.database_url)
        try:
            sessions = db.session_factory(engine)
            with sessions() as s:
                inst = files.scenario.institution.id
                s.add(FolioPago(folio="BENCH", institution_id=inst, cantidad=len(paths)))
                user = s.scalars(select(User).where(User.username == DEMO_USER)).one()
                who = Principal(user.id, user.username, user.institution_id, False)
                s.commit()
            zipped = make_zip(work / "lote.zip", paths, stored=False).read_bytes()
            app = MecApp(settings, sessions, clock=lambda: datetime.now(UTC))
            numero = app.carga_certificados(who, "BENCH", "lote.zip", zipped).numero_lote
            yield Received(settings, sessions, db_url, numero)
            with sessions() as s:
                batch = s.get(Batch, numero)
                assert batch is not None
                stored = _count(s, numero)
                if batch.estatus is not EstatusLote.ACEPTADO or stored != len(paths):
                    raise SystemExit(f"el lote no se aceptó: {batch.estatus} {batch.mensaje} ({stored})")
        finally:
            engine.dispose()


def worker_rate(
    files: DemoFiles, paths: list[Path], url: str | None, work: Path, stages: dict[str, float] | None = None
) -> Rates:
    """Certificates/s of one ``Worker`` processing the whole ZIP (fresh database); with ``stages``,
    the CPU seconds of its stages too (see :func:`stage_times`)."""
    with received_batch(files, paths, url, work) as batch:
        worker = Worker(batch.sessions, batch.settings, options=WorkerOptions(poll_seconds=0.05))
        timing = stage_times(stages) if stages is not None else contextlib.nullcontext()
        with timing, Timer() as t:
            worker.run(once=True)
        if stages is not None:
            stages["trabajador completo"] = t.cpu
    return len(paths) / t.wall, len(paths) / t.cpu


def cli_worker_seconds(
    files: DemoFiles, paths: list[Path], url: str | None, work: Path, processes: int, trozo: int
) -> tuple[float, float]:
    """Wall-clock seconds of ``mec-ws worker --una-vez [--procesos N]`` processing one batch of
    ``paths`` received through ``MecApp.carga_certificados`` (fresh database), and the CPU seconds
    of its processes (the database server's not included)."""
    with received_batch(files, paths, url, work) as batch:
        env = {
            **os.environ,
            "MEC_DATA_DIR": str(batch.settings.data_dir),
            "MEC_DATABASE_URL": batch.db_url,
            "MEC_LOTE_TROZO": str(trozo),
        }
        argv = [*CLI, "worker", "--una-vez", *(["--procesos", str(processes)] if processes > 1 else [])]
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"el trabajador falló: {done.stderr.decode()[-2000:]}")
    return seconds, cpu


def shared_batch(args: argparse.Namespace, files: DemoFiles, paths: list[Path]) -> None:
    """``--repartido``: one batch, 1 process against 2 (see the module docstring)."""
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"Un lote de {len(paths)} certificados con `mec-ws worker --una-vez` ({backend}, "
        f"MEC_LOTE_TROZO={args.trozo}, {os.cpu_count()} núcleos):"
    )
    times: dict[int, list[float]] = {1: [], 2: []}
    for r in range(1, args.repeat + 1):
        for processes in (1, 2):
            work = Path(tempfile.mkdtemp(prefix="mec-ws-bench-procesos-"))
            try:
                seconds, cpu = cli_worker_seconds(
                    files, paths, args.database_url, work, processes, args.trozo
                )
            finally:
                shutil.rmtree(work, ignore_errors=True)
            times[processes].append(seconds)
            print(
                f"  ronda {r}, {processes} proceso(s): {seconds:6.2f} s "
                f"({len(paths) / seconds:6.1f} cert/s), "
                f"CPU de sus procesos {cpu:6.2f} s",
                flush=True,
            )
        print(f"  ronda {r}: aceleración {times[1][-1] / times[2][-1]:.2f}×", flush=True)
    speedups = [one / two for one, two in zip(times[1], times[2], strict=True)]
    print(f"Resumen ({args.repeat} rondas):")
    print(spread("1 proceso", times[1], "s"))
    print(spread("2 procesos", times[2], "s"))
    print(spread("aceleración (1 proceso / 2 procesos)", speedups, "x"))
    met = statistics.median(speedups) >= SPEEDUP_TARGET
    print(
        f"  meta: 2 procesos ≥ {SPEEDUP_TARGET}× más rápido que 1 — {'se cumple' if met else 'NO se cumple'}"
    )


STAGES: tuple[tuple[str, Any, str], ...] = (
    ("validación (validate_file)", validation, "validate_file"),
    ("sellado (stamp)", processing, "stamp"),
    ("transacción final (_accept)", processing, "_accept"),
    ("avance (record_progress)", Worker, "record_progress"),
    ("abrir la carga (_open)", processing, "_open"),
)


@contextlib.contextmanager
def stage_times(sink: dict[str, float]) -> Iterator[None]:
    """CPU seconds spent in each of :data:`STAGES` while the block runs, added to ``sink``."""
    originals = [(owner, name, getattr(owner, name)) for _, owner, name in STAGES]

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                sink[label] = sink.get(label, 0.0) + time.process_time() - start

        return wrapper

    for (label, _, _), (owner, name, fn) in zip(STAGES, originals, strict=True):
        setattr(owner, name, timed(label, fn))
    try:
        yield
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)


def _count(s: Session, numero: int) -> int:
    from sqlalchemy import func

    return int(
        s.scalar(select(func.count()).select_from(Certificate).where(Certificate.batch_id == numero)) or 0
    )


def spread(label: str, values: list[float], unit: str) -> str:
    med = statistics.median(values)
    return (
        f"  {label:<34} mediana {med:8.1f} {unit}  (mín {min(values):.1f} · máx {max(values):.1f}, "
        f"{len(values)} corridas)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="certificados del lote (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="repeticiones de cada medición (3)")
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+psycopg://…); por omisión SQLite")
    parser.add_argument(
        "--desglose", action="store_true", help="CPU por certificado de cada etapa del trabajador"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mec-ws-bench-cache",
        help="carpeta donde se guardan la PKI y los certificados generados",
    )
    parser.add_argument(
        "--repartido",
        action="store_true",
        help="un lote de --n con `mec-ws worker --una-vez`: 1 proceso contra --procesos 2",
    )
    parser.add_argument("--trozo", type=int, default=1000, help="MEC_LOTE_TROZO para --repartido (1000)")
    args = parser.parse_args()
    print(f"mec-ws worker benchmark — Python {platform.python_version()}, {platform.machine()}")
    files = demo_files(args.cache)
    paths = certificates(files, args.cache, args.n)
    blobs = [p.read_bytes() for p in paths]
    print(f"{len(paths)} certificados, {sum(map(len, blobs)) / len(blobs) / 1024:.1f} KiB c/u")
    if args.repartido:
        shared_batch(args, files, paths)
        return
    print("piso = parse endurecido + XSD + 1 verificación RSA + 2 firmas RSA, por certificado\n")

    backend = "PostgreSQL" if args.database_url else "SQLite"

    stages: dict[str, float] | None = None

    def one_worker() -> Rates:
        nonlocal stages
        work = Path(tempfile.mkdtemp(prefix="mec-ws-bench-worker-"))
        stages = {} if args.desglose else None
        try:
            return worker_rate(files, paths, args.database_url, work, stages)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # Interleaved rounds: each round measures everything within a few seconds, so that the ratio of a
    # round compares figures taken under the same load (the machine may be shared).
    rounds: dict[str, list[Rates]] = {
        "piso": [],
        "validación": [],
        "validación + sellado": [],
        "trabajador": [],
    }
    for r in range(1, args.repeat + 1):
        measured = {
            "piso": floor_rate(files, blobs),
            "validación": validation_rate(files, paths),
            "validación + sellado": engine_cpu(files, paths),
            "trabajador": one_worker(),
        }
        print(f"Ronda {r}:")
        for label, (wall, cpu) in measured.items():
            rounds[label].append((wall, cpu))
            print(
                f"  {label:<22} {wall:8.1f} cert/s ({1000 / wall:6.2f} ms)   "
                f"CPU: {cpu:8.1f} cert/s ({1000 / cpu:6.2f} ms)"
            )
        floor_wall, floor_cpu = measured["piso"]
        work_wall, work_cpu = measured["trabajador"]
        print(
            f"  trabajador ({backend}) / piso: {work_wall / floor_wall * 100:5.1f} % en tiempo real, "
            f"{work_cpu / floor_cpu * 100:5.1f} % en CPU de este proceso",
            flush=True,
        )
        if stages:
            print_stages(stages, len(paths))
        print()

    print(f"Resumen ({args.repeat} rondas, {len(paths)} certificados, {backend}):")
    for label, values in rounds.items():
        print(spread(f"{label} (tiempo real)", [w for w, _ in values], "cert/s"))
        print(spread(f"{label} (CPU)", [c for _, c in values], "cert/s"))
    wall_ratio = [w / f * 100 for (w, _), (f, _) in zip(rounds["trabajador"], rounds["piso"], strict=True)]
    cpu_ratio = [w / f * 100 for (_, w), (_, f) in zip(rounds["trabajador"], rounds["piso"], strict=True)]
    full_ratio = [f / v for (f, _), (v, _) in zip(rounds["piso"], rounds["validación"], strict=True)]
    print(spread("validación completa / piso (veces)", full_ratio, "x"))
    print(spread("trabajador / piso, tiempo real", wall_ratio, "%"))
    print(spread("trabajador / piso, CPU", cpu_ratio, "%"))
    print(f"  meta: trabajador ≥ {TARGET * 100:.0f} % del piso")
    if args.database_url:
        print("  (con PostgreSQL, el CPU del servidor de la base no cuenta en «CPU de este proceso»)")


def print_stages(stages: dict[str, float], n: int) -> None:
    total = stages.pop("trabajador completo")
    print("  desglose del trabajador (CPU por certificado):")
    for label, seconds in stages.items():
        print(f"    {label:<30} {seconds / n * 1000:6.3f} ms")
    print(f"    {'el resto':<30} {(total - sum(stages.values())) / n * 1000:6.3f} ms")
    print(f"    {'total':<30} {total / n * 1000:6.3f} ms")


def engine_cpu(files: DemoFiles, paths: list[Path]) -> Rates:
    """``benchmarks/service.py``'s in-process validate + stamp rate, with CPU time too."""
    with Timer() as t:
        rate = engine_rate(files, paths)
    return rate, len(paths) / t.cpu


if __name__ == "__main__":
    main()
