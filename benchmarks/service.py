"""End-to-end throughput and memory of a real ``mec-ws serve``.  Prints figures; asserts nothing.

    .venv/bin/python benchmarks/service.py [--n 1000] [--big-mb 95] [--database-url URL]

1. Prepares (and caches under ``--cache``) a demo PKI and enough distinct signed certificates;
   registers the demo world with :func:`mec_ws.testdata.demo_db.load_demo` in a fresh database
   (SQLite file by default; with ``--database-url`` a PostgreSQL database, in a throw-away schema).
2. Engine-only rate, in this process on one core: ``validate_file`` + SEP ``stamp`` of the same
   ``--n`` certificates, with the same registry data.
3. Starts ``mec-ws serve`` (gunicorn + the embedded worker) on a free port and, through zeep:
   uploads a ZIP of ``--n`` certificates and polls ``consultaEstatusCarga`` until ACEPTADO —
   certificates/second end to end (upload, storage, queue, validation, stamping, database);
   then uploads a ~``--big-mb`` MB ZIP (stored, not deflated: as big on the wire as on disk) and
   waits for it too.
4. Peak memory (``VmHWM`` from ``/proc/<pid>/status``) of every gunicorn worker and of the batch
   worker, after each upload.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mec_ws import db
from mec_ws.certificate import efirma
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.stamp import SepSigner, stamp
from mec_ws.config import Settings
from mec_ws.registry import RegisteredOfficer, ValidationContext, programs_lookup
from mec_ws.testdata.demo import DEMO_KEY_PASSWORD, DemoFiles, write_demo
from mec_ws.testdata.demo_db import load_demo
from mec_ws.testdata.factory import default_scenario, seal, to_bytes
from mec_ws.validation import validate_file
from models import FolioPago

MEC_WS = [sys.executable, "-m", "mec_ws.cli"]
FIRST_N = 1000  # certificate numbers start here: clear of the demo's own folios de control
MIB = 1024 * 1024


# --- test data ----------------------------------------------------------------------------------


def demo_files(cache: Path) -> DemoFiles:
    """The cached demo (PKI, program) or a new one; certificates below are sealed with its officer."""
    root = cache / "demo"
    if not (root / "responsable.key").is_file():
        return write_demo(root)
    return DemoFiles(
        root=root.resolve(),
        scenario=default_scenario(),
        valid=tuple(sorted((root / "validos").glob("*.xml"))),
        zip_path=root / "validos.zip",
        broken={},
    )


def certificates(files: DemoFiles, cache: Path, count: int) -> list[Path]:
    folder = cache / "certificados"
    folder.mkdir(parents=True, exist_ok=True)
    key = efirma.load_private_key((files.root / "responsable.key").read_bytes(), DEMO_KEY_PASSWORD)
    cert = efirma.load_certificate((files.root / "responsable.cer").read_bytes())
    paths = []
    made = 0
    start = time.perf_counter()
    for n in range(FIRST_N, FIRST_N + count):
        path = folder / f"certificado-{n:06d}.xml"
        if not path.is_file():
            path.write_bytes(to_bytes(seal(files.scenario.certificate(n), key=key, cert=cert)))
            made += 1
        paths.append(path)
    if made:
        print(f"  {made} certificado(s) generado(s) en {time.perf_counter() - start:.1f} s (cache {folder})")
    return paths


def make_zip(path: Path, members: list[Path], *, stored: bool) -> Path:
    compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for member in members:
            zf.write(member, arcname=member.name)
    return path


def big_members(paths: list[Path], target_bytes: int) -> list[Path]:
    out, total = [], 0
    for p in paths:
        size = p.stat().st_size + 100  # local header + central directory entry
        if total + size > target_bytes:
            break
        out.append(p)
        total += size
    return out


# --- engine-only rate ---------------------------------------------------------------------------


def engine_context(files: DemoFiles) -> ValidationContext:
    """The registry of the demo world in memory (also used by ``benchmarks/worker.py``)."""
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


def engine_rate(files: DemoFiles, paths: list[Path]) -> float:
    root = files.root
    sep_cert = efirma.load_certificate((root / "sep.cer").read_bytes())
    signer = SepSigner(
        key=efirma.load_private_key((root / "sep.key.pem").read_bytes(), None),
        certificate=sep_cert,
        curp=efirma.subject_curp(sep_cert) or "",
        nombre_completo="FUNCIONARIO DE LA SEP",
        id_cargo=1,
        cargo="DIRECTOR GENERAL",
    )
    ctx = engine_context(files)
    data = [p.read_bytes() for p in paths]
    validate_file("calentamiento.xml", data[0], ctx)
    start = time.perf_counter()
    for i, blob in enumerate(data):
        result = validate_file(f"c{i}.xml", blob, ctx)
        if not result.ok:
            raise SystemExit(f"certificado inválido en la medición del motor: {result.findings}")
        stamp(read_xml(blob).getroot(), signer)
    return len(data) / (time.perf_counter() - start)


# --- the server and its processes ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])


def descendants(root: int) -> list[int]:
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    parent = {pid: _ppid(pid) for pid in pids}
    out, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        kids = [pid for pid, pp in parent.items() if pp == current]
        out.extend(kids)
        frontier.extend(kids)
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class ServerProcesses:
    gunicorn_workers: tuple[int, ...]
    batch_worker: int | None


def server_processes(top: int) -> ServerProcesses:
    pids = descendants(top)
    web_master = next((p for p in pids if "--supervised" in cmdline(p)), None)
    batch = next((p for p in pids if cmdline(p)[-1:] == ["worker"]), None)
    workers = tuple(p for p in pids if web_master is not None and _ppid(p) == web_master)
    return ServerProcesses(gunicorn_workers=workers, batch_worker=batch)


def memory_report(label: str, procs: ServerProcesses) -> None:
    parts = [f"gunicorn {p}: {status_kb(p, 'VmHWM') / 1024:7.1f} MiB" for p in procs.gunicorn_workers]
    if procs.batch_worker:
        parts.append(
            f"trabajador {procs.batch_worker}: {status_kb(procs.batch_worker, 'VmHWM') / 1024:7.1f} MiB"
        )
    print(f"  VmHWM {label}: " + "; ".join(parts))


@contextmanager
def serving(env: dict[str, str], cwd: Path, port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    log = (cwd / "serve.log").open("wb")
    server = subprocess.Popen(
        [*MEC_WS, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"mec-ws serve terminó con {server.returncode}; véase {cwd / 'serve.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/mec/ws?wsdl", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("el servicio no respondió en 60 s") from None
                time.sleep(0.2)
        while server_processes(server.pid).batch_worker is None and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()


# --- one upload, end to end ---------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    upload_s: float  # the cargaCertificados call (request sent, stored, answered)
    total_s: float  # from the call until consultaEstatusCarga says ACEPTADO
    estatus: str


def upload_and_wait(client: object, auth: dict[str, str], folio: str, path: Path, poll_s: float) -> Timing:
    service = client.service  # type: ignore[attr-defined]
    data = path.read_bytes()
    start = time.perf_counter()
    r = service.cargaCertificados(
        autenticacion=auth, folioPago=folio, nombreArchivo=path.name, archivoBase64=data
    )
    uploaded = time.perf_counter() - start
    del data
    while True:
        status = service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)
        lote = next(x for x in status.lotes.lote if x.numeroLote == r.numeroLote)
        if lote.estatus in ("ACEPTADO", "RECHAZADO"):
            return Timing(upload_s=uploaded, total_s=time.perf_counter() - start, estatus=lote.estatus)
        time.sleep(poll_s)


# --- database -----------------------------------------------------------------------------------


@contextmanager
def database(url: str | None, work: Path) -> Iterator[str]:
    if url is None:
        yield f"sqlite:///{work / 'data' / 'mec.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        engine = db.make_engine(scoped)
        db.upgrade(engine)
        engine.dispose()
        yield scoped
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def add_folios(settings: Settings, institution_id: str, folios: dict[str, int]) -> None:
    engine = db.open_database(settings.database_url)
    try:
        with db.session_factory(engine)() as s:
            for folio, count in folios.items():
                s.add(FolioPago(folio=folio, institution_id=institution_id, cantidad=count))
            s.commit()
    finally:
        engine.dispose()


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="certificados del lote medido (1000)")
    parser.add_argument(
        "--big-mb", type=float, default=95.0, help="tamaño del ZIP grande en MiB (95; 0 = omitir)"
    )
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+psycopg://…); por omisión SQLite")
    parser.add_argument("--workers", type=int, default=2, help="procesos de gunicorn (2)")
    parser.add_argument("--poll", type=float, default=0.25, help="segundos entre consultas de estatus")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mec-ws-bench-cache",
        help="carpeta donde se guardan la PKI y los certificados generados",
    )
    args = parser.parse_args()

    from zeep import Client
    from zeep.transports import Transport

    print(
        f"mec-ws service benchmark — Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPU"
    )
    files = demo_files(args.cache)
    avg = sum(p.stat().st_size for p in files.valid) / max(1, len(files.valid))
    big_count = int(args.big_mb * MIB // (avg + 100)) if args.big_mb else 0
    paths = certificates(files, args.cache, args.n + big_count)
    small, rest = paths[: args.n], paths[args.n :]

    print(f"\nMotor en proceso (validate_file + stamp, 1 núcleo), {len(small)} certificados:")
    engine_cps = engine_rate(files, small)
    print(f"  {engine_cps:8.1f} certificados/s")

    work = Path(tempfile.mkdtemp(prefix="mec-ws-bench-"))
    try:
        with database(args.database_url, work) as url:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEC_")}
            env.update(
                MEC_DATABASE_URL=url,
                MEC_DATA_DIR=str(work / "data"),
                MEC_PUBLIC_URL=f"http://127.0.0.1:{port}/mec/ws",
            )
            settings = Settings.from_env(env)
            creds = load_demo(settings, files)
            inst = files.scenario.institution.id
            small_zip = make_zip(work / f"lote-{len(small)}.zip", small, stored=False)
            folios = {"BENCH-N": len(small)}
            big_zip = None
            if big_count:
                members = big_members(rest, int(args.big_mb * MIB))
                big_zip = make_zip(work / "lote-grande.zip", members, stored=True)
                folios["BENCH-GRANDE"] = len(members)
            add_folios(settings, inst, folios)
            backend = "PostgreSQL" if args.database_url else "SQLite"
            print(f"\nServicio real ({backend}, gunicorn {args.workers} proceso(s) + trabajador integrado):")
            with serving(env, work, port, args.workers) as server:
                client = Client(creds.wsdl_url, transport=Transport(timeout=30, operation_timeout=1800))
                auth = {"usuario": creds.usuario, "password": creds.password}
                procs = server_processes(server.pid)
                memory_report("al iniciar", procs)
                t = upload_and_wait(client, auth, "BENCH-N", small_zip, args.poll)
                mb = small_zip.stat().st_size / MIB
                print(
                    f"  {len(small)} certificados ({mb:.1f} MiB ZIP): {t.estatus} en {t.total_s:.2f} s "
                    f"(carga {t.upload_s:.2f} s) → {len(small) / t.total_s:.1f} certificados/s "
                    "de punta a punta "
                    f"({len(small) / t.total_s / engine_cps * 100:.0f} % del motor solo)"
                )
                memory_report(f"tras {len(small)}", procs)
                if big_zip is not None:
                    count = folios["BENCH-GRANDE"]
                    mb = big_zip.stat().st_size / MIB
                    t = upload_and_wait(client, auth, "BENCH-GRANDE", big_zip, max(args.poll, 1.0))
                    print(
                        f"  ZIP grande: {count} certificados, {mb:.1f} MiB sin comprimir: {t.estatus} en "
                        f"{t.total_s:.1f} s (carga {t.upload_s:.1f} s) → "
                        f"{count / t.total_s:.1f} certificados/s"
                    )
                    memory_report(f"tras {mb:.0f} MiB", procs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
