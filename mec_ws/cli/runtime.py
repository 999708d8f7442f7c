"""``mec-ws serve`` and ``mec-ws worker``: the running service.

``serve`` checks the schema, prints the WSDL URL and runs the WSGI app on gunicorn; unless
``--no-worker`` it supervises two children: gunicorn (``serve --no-worker``) and a batch worker
(``mec-ws worker``), restarted when it dies (a clean exit, after a stop signal, is not a death),
both stopped on SIGTERM/SIGINT or when the web server ends.  ``worker`` processes batches until
stopped (SIGTERM/SIGINT: it finishes the batch in hand, which is safe to cut short anyway), or
with ``--once`` until no batch is pending.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from mec_ws import db
from mec_ws.config import Settings

log = logging.getLogger("mec_ws.serve")

CLI_ARGV: tuple[str, ...] = (
    sys.executable,
    "-c",
    "import sys; from mec_ws.cli import main; sys.exit(main(sys.argv[1:]))",
)
WORKER_ARGV: tuple[str, ...] = (*CLI_ARGV, "worker")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when ``serve`` dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the supervisor's own signal handling remains
        pass


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
    )


def _check_schema(settings: Settings, *, stamping: bool = False) -> None:
    """The schema is current and, with ``stamping``, the SEP stamping key is usable (else a
    :class:`mec_ws.errors.ConfigurationError` saying what to run)."""
    engine = db.make_engine(settings.database_url)
    try:
        db.ensure_schema(engine)
        if stamping:
            from mec_ws.batches.worker import check_stamping

            check_stamping(db.session_factory(engine), settings)
    finally:
        engine.dispose()


# --- mec-ws worker ------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    from mec_ws.batches.worker import run_worker

    _logging()
    settings = Settings.from_env()
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("señal %s: el trabajador termina tras el lote en curso", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    claimed = run_worker(settings, once=args.once, stop_event=stop)
    print(f"Trabajador detenido; lotes tomados: {claimed}.")
    return 0


# --- mec-ws serve -------------------------------------------------------------------------------


class WorkerSupervisor:
    """Keeps one ``mec-ws worker`` child alive; stops it on :meth:`stop`."""

    def __init__(self, argv: Sequence[str] = WORKER_ARGV, *, restart_delay: float = 2.0) -> None:
        self.argv = list(argv)
        self.restart_delay = restart_delay
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="mec-ws-worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self.process = subprocess.Popen(self.argv, preexec_fn=_die_with_parent)
            log.info("trabajador de lotes iniciado (pid %s)", self.process.pid)

    def _loop(self) -> None:
        self._spawn()
        while not self._stop.wait(0.5):
            proc = self.process
            if proc is None or proc.poll() is None:
                continue
            log.warning(
                "el trabajador de lotes (pid %s) terminó con %s; se reinicia", proc.pid, proc.returncode
            )
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
                log.warning("el trabajador de lotes no terminó en %s s; se detiene a la fuerza", timeout)
                proc.kill()
                proc.wait(5)
        if self._thread is not None:
            self._thread.join(timeout)


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
            from mec_ws.services.app import MecApp
            from mec_ws.web.health import PATH as HEALTH_PATH
            from mec_ws.web.health import health_app
            from mec_ws.web.verification import PREFIX as VERIFICATION_PREFIX
            from mec_ws.web.verification import verification_app
            from mec_ws.web.wsgi import make_wsgi_app

            services = MecApp.from_settings(settings)
            routes = {
                VERIFICATION_PREFIX: verification_app(services.sessions),
                HEALTH_PATH: health_app(services.sessions),
            }
            return make_wsgi_app(services, settings, routes)

    return MecGunicorn()


def _run_gunicorn(settings: Settings, args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "worker_class": "sync",
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "mec-ws",
    }
    _gunicorn_app(settings, options).run()
    return 0


def _supervise(args: argparse.Namespace) -> int:
    """Run gunicorn and the batch worker as two children; restart the worker if it dies.

    The web server is a child too (not this process), so that no process forks gunicorn workers
    while a supervising thread runs in it.  SIGTERM/SIGINT stop both.
    """
    web_argv = [
        *CLI_ARGV,
        "serve",
        "--no-worker",
        "--supervised",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
    ]
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("señal %s: deteniendo el servicio", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    web = subprocess.Popen(web_argv, preexec_fn=_die_with_parent)
    supervisor = WorkerSupervisor()
    supervisor.start()
    try:
        while not stop.wait(0.5):
            if web.poll() is not None:
                log.error("el servidor web terminó con %s", web.returncode)
                break
    finally:
        supervisor.stop()
        if web.poll() is None:
            web.terminate()
            try:
                web.wait(30)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait(5)
    return 0 if stop.is_set() else (web.returncode or 1)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    _logging()
    if not args.supervised:
        _check_schema(settings, stamping=not args.no_worker)
        print(
            f"mec-ws escuchando en http://{args.host}:{args.port}/mec/ws; "
            f"WSDL publicado (MEC_PUBLIC_URL): {settings.public_url}?wsdl",
            flush=True,
        )
    if args.no_worker:
        if not args.supervised:
            print(
                "Sin trabajador de lotes integrado (--no-worker): ejecute `mec-ws worker` aparte.", flush=True
            )
        return _run_gunicorn(settings, args)
    return _supervise(args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="ejecuta el servicio SOAP (gunicorn) con un trabajador de lotes integrado",
        description=(
            "Ejecuta el servicio SOAP, la página de verificación y /salud en gunicorn. Por omisión "
            "también un trabajador de lotes supervisado (se reinicia si termina)."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="dirección donde escuchar (por omisión 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="puerto (por omisión 8000)")
    serve.add_argument("--workers", type=int, default=2, help="procesos de gunicorn (por omisión 2)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="no iniciar el trabajador de lotes integrado (use `mec-ws worker` aparte)",
    )
    serve.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="procesa los lotes pendientes",
        description=(
            "Procesa los lotes recibidos. Pueden correr varios contra una misma base PostgreSQL; "
            "cada lote lo procesa exactamente uno y el de un trabajador que muere se retoma."
        ),
    )
    worker.add_argument("--once", action="store_true", help="termina cuando no queden lotes pendientes")
    worker.set_defaults(func=cmd_worker)
