"""``mec-ws serve`` and ``mec-ws worker``: the running service.

``serve`` checks the schema, prints the WSDL URL and runs the WSGI app on gunicorn; unless
``--sin-trabajador`` it supervises two children: gunicorn (``serve --sin-trabajador``) and a batch worker
(``mec-ws worker``), restarted when it dies (a clean exit, after a stop signal, is not a death),
both stopped on SIGTERM/SIGINT or when the web server ends.  ``worker`` processes batches until
stopped (SIGTERM/SIGINT: it finishes the batch in hand, which is safe to cut short anyway), or
with ``--una-vez`` until no batch is pending.
"""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from mec_ws import db
from mec_ws.cli.forked import ForkedWorkers, QuickDeaths, die_with_parent, run_one_worker, stop_on_signals
from mec_ws.cli.parser import hidden_alias
from mec_ws.config import Settings
from mec_ws.errors import ConfigurationError

log = logging.getLogger("mec_ws.serve")

CLI_ARGV: tuple[str, ...] = (
    sys.executable,
    "-c",
    "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))",
)
WORKER_ARGV: tuple[str, ...] = (*CLI_ARGV, "worker")


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
    )


def preflight(settings: Settings, *, needs_signer: bool) -> None:
    """What must hold before serving, each failure one Spanish line (:class:`ConfigurationError`)
    saying what to run: the password cost, the database (reachable, migrated — SQLite is migrated
    on the spot), at least one user, and, for the batch worker, a readable stamping key."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from mec_ws import passwords
    from mec_ws.batches.storage import BatchStorage
    from mec_ws.batches.worker import check_stamping
    from models import User

    passwords.current_params()
    removed = BatchStorage(settings.data_dir).remove_orphans()
    if removed:
        print(f"Se eliminaron {removed} archivo(s) temporales de cargas interrumpidas.", flush=True)
    engine = db.open_database(settings.database_url)
    try:
        with db.session_factory(engine)() as session:
            if not session.scalar(select(func.count()).select_from(User)):
                raise ConfigurationError(
                    "la base de datos no tiene usuarios: ejecute `mec-ws demo` (datos de demostración) "
                    "o registre la institución y sus usuarios con `mec-ws admin` (vea el README)."
                )
            session.rollback()
        if needs_signer:
            check_stamping(db.session_factory(engine), settings)
    except SQLAlchemyError as exc:
        raise ConfigurationError(db.explain(exc, settings.database_url)) from None
    finally:
        engine.dispose()


def check_port(host: str, port: int) -> None:
    """:class:`ConfigurationError` when ``host:port`` cannot be listened on (gunicorn would retry
    for a while, in English)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"el puerto {port} de {host} ya está en uso (¿otro `mec-ws serve`?): deténgalo o "
                    "elija otro con --port."
                ) from None
            raise ConfigurationError(
                f"no se puede escuchar en {host}:{port} ({exc.strerror}): elija otra dirección con "
                "--host o un puerto mayor que 1024 con --port."
            ) from None


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"debe ser un número entero (se recibió {raw!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"debe ser al menos 1 (se recibió {value})")
    return value


# --- mec-ws worker ------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    preflight(settings, needs_signer=True)
    _logging()
    stop = stop_on_signals()
    if args.processes > 1:
        return ForkedWorkers(settings, args.processes, once=args.once).run(stop)
    return run_one_worker(settings, args.once, stop)


# --- mec-ws serve -------------------------------------------------------------------------------


class ChildSupervisor:
    """Keeps one child process alive (restarted ``restart_delay`` s after it ends, whatever the
    reason); stops it on :meth:`stop`.  A child that keeps dying within ``quick`` s of its start
    (``max_quick_deaths`` times in a row) is given up on: :attr:`gave_up` is set."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        restart_delay: float = 2.0,
        quick: float = 10.0,
        max_quick_deaths: int = 5,
    ) -> None:
        self.argv = list(argv)
        self.name = name
        self.restart_delay = restart_delay
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.gave_up = threading.Event()
        self._started_at = 0.0
        self._deaths = QuickDeaths(quick, max_quick_deaths)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"mec-ws-{self.name}-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self.process = subprocess.Popen(self.argv, preexec_fn=die_with_parent)
            self._started_at = time.monotonic()
            log.info("%s iniciado (pid %s)", self.name, self.process.pid)

    def _loop(self) -> None:
        self._spawn()
        while not self._stop.wait(0.5):
            proc = self.process
            if proc is None or proc.poll() is None:
                continue
            if self._deaths.died(time.monotonic() - self._started_at, self.name):
                self.gave_up.set()
                return
            log.warning("%s (pid %s) terminó con %s; se reinicia", self.name, proc.pid, proc.returncode)
            self.restarts += 1
            if self._stop.wait(self.restart_delay):
                break
            self._spawn()

    def stop(self, timeout: float = 15.0) -> None:
        with self._lock:
            self._stop.set()
            proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s no terminó en %s s; se detiene a la fuerza", self.name, timeout)
                proc.kill()
                proc.wait(5)
        if self._thread is not None:
            self._thread.join(timeout)


class WorkerSupervisor(ChildSupervisor):
    """Keeps one ``mec-ws worker`` child alive; stops it on :meth:`stop`."""

    def __init__(self, argv: Sequence[str] = WORKER_ARGV, *, restart_delay: float = 2.0) -> None:
        super().__init__(argv, name="el trabajador de lotes", restart_delay=restart_delay)


def _gunicorn_app(settings: Settings, options: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        options = {**options, "control_socket_disable": True}  # no socket under $HOME

    class MecGunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            from mec_ws.portal import portal_routes
            from mec_ws.services.app import MecApp
            from mec_ws.web.health import PATH as HEALTH_PATH
            from mec_ws.web.health import health_app
            from mec_ws.web.verification import PREFIX as VERIFICATION_PREFIX
            from mec_ws.web.verification import verification_app
            from mec_ws.web.wsgi import make_wsgi_app

            services = MecApp.from_settings(settings)
            routes = {
                VERIFICATION_PREFIX: verification_app(services.sessions, services.clock),
                HEALTH_PATH: health_app(services.sessions),
                **portal_routes(services, settings),
            }
            return make_wsgi_app(services, settings, routes)

    return MecGunicorn()


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings for ``serve``.

    ``gthread``: each process serves ``threads`` requests at once, so a slow client holds one
    thread, not a whole process; a connection that sends nothing waits in gunicorn's poller, not in
    a thread.  The WSGI guard bounds the time a body may take (see :mod:`mec_ws.soap.guard`).
    Each request opens its own database session; the engine's pool is shared by the threads.
    For the open internet, put a buffering reverse proxy in front (README, "Frente a internet").
    """
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 5,
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "mec-ws",
    }


def _run_gunicorn(settings: Settings, args: argparse.Namespace) -> int:
    options = gunicorn_options(args.host, args.port, args.workers, args.threads)
    _gunicorn_app(settings, options).run()
    return 0


def _supervise(args: argparse.Namespace) -> int:
    """Run gunicorn and the batch worker as two supervised children, each restarted when it ends
    (the gunicorn master killed, the worker crashed).

    The web server is a child too (not this process), so that no process forks gunicorn workers
    while a supervising thread runs in it.  SIGTERM/SIGINT stop both.  A web server that cannot
    stay up (it dies right after starting, again and again) ends the service with status 1.
    """
    web_argv = [
        *CLI_ARGV,
        "serve",
        "--sin-trabajador",
        "--supervised",
        "--direccion",
        args.host,
        "--puerto",
        str(args.port),
        "--procesos",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]
    stop = stop_on_signals("deteniendo el servicio")
    web = ChildSupervisor(web_argv, name="el servidor web", restart_delay=1.0, quick=5.0)
    supervisor = WorkerSupervisor()
    web.start()
    supervisor.start()
    try:
        while not stop.wait(0.5):
            if web.gave_up.is_set():
                log.error("el servidor web no logra mantenerse en marcha; el servicio se detiene")
                break
    finally:
        supervisor.stop()
        web.stop(30)
    return 0 if stop.is_set() else 1


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not args.supervised:
        preflight(settings, needs_signer=not args.no_worker)
        check_port(args.host, args.port)
    _logging()
    if not args.supervised:
        print(
            f"mec-ws escuchando en http://{args.host}:{args.port}/mec/ws; "
            f"WSDL publicado (MEC_PUBLIC_URL): {settings.public_url}?wsdl",
            flush=True,
        )
    if args.no_worker:
        if not args.supervised:
            print(
                "Sin trabajador de lotes integrado (--sin-trabajador): ejecute `mec-ws worker` aparte.",
                flush=True,
            )
        return _run_gunicorn(settings, args)
    return _supervise(args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="ejecuta el servicio SOAP (gunicorn) con un trabajador de lotes integrado",
        description=(
            "Ejecuta el servicio SOAP, el portal web (/portal/), la página de verificación y /salud "
            "en gunicorn. Por omisión también un trabajador de lotes supervisado (se reinicia si termina)."
        ),
    )
    a = serve.add_argument(
        "--direccion",
        dest="host",
        default="127.0.0.1",
        metavar="DIRECCIÓN",
        help="dirección donde escuchar (por omisión 127.0.0.1)",
    )
    hidden_alias(serve, a, "--host")
    a = serve.add_argument(
        "--puerto", dest="port", type=int, default=8000, metavar="PUERTO", help="puerto (por omisión 8000)"
    )
    hidden_alias(serve, a, "--port")
    a = serve.add_argument(
        "--procesos",
        dest="workers",
        type=int,
        default=2,
        metavar="N",
        help="procesos de gunicorn (por omisión 2)",
    )
    hidden_alias(serve, a, "--workers")
    a = serve.add_argument(
        "--hilos",
        dest="threads",
        type=int,
        default=8,
        metavar="N",
        help="hilos por proceso de gunicorn: solicitudes simultáneas de cada uno (por omisión 8)",
    )
    hidden_alias(serve, a, "--threads")
    a = serve.add_argument(
        "--sin-trabajador",
        dest="no_worker",
        action="store_true",
        help="no iniciar el trabajador de lotes integrado (use `mec-ws worker` aparte)",
    )
    hidden_alias(serve, a, "--no-worker")
    serve.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="procesa los lotes pendientes",
        description=(
            "Procesa los lotes recibidos. Pueden correr varios contra una misma base PostgreSQL; "
            "cada lote lo toma exactamente uno (el de un trabajador que muere se retoma) y un lote de "
            "más de MEC_LOTE_TROZO certificados (1000) se reparte en trozos entre todos; la "
            "decisión de aceptarlo o rechazarlo sigue siendo una sola transacción."
        ),
    )
    a = worker.add_argument(
        "--una-vez", dest="once", action="store_true", help="termina cuando no queden lotes pendientes"
    )
    hidden_alias(worker, a, "--once")
    worker.add_argument(
        "--procesos",
        dest="processes",
        type=_positive,
        default=1,
        metavar="N",
        help=(
            "procesos trabajadores en esta máquina; cada uno toma lotes, y los trozos de un lote "
            "grande que tomó otro (por omisión 1)"
        ),
    )
    worker.set_defaults(func=cmd_worker)
