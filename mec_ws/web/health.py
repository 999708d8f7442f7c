"""``GET /salud``: liveness and readiness for load balancers and monitoring.

JSON ``{"estado", "baseDatos", "lotesPendientes", "ultimoLatidoSegundos", "trabajadoresQuePuedenSellar",
"lotesFallidos", "motivos"}``:

- ``baseDatos``: the database answered a query.
- ``lotesPendientes``: batches ``RECIBIDO`` or ``EN_PROCESO`` (``null`` when the database is down).
- ``ultimoLatidoSegundos``: seconds since the newest worker heartbeat (any worker on this
  database), ``null`` when no worker is running.
- ``trabajadoresQuePuedenSellar``: live workers (beaten within :data:`STALE_AFTER`) that can read
  the SEP stamping key.
- ``lotesFallidos``: ``numeroLote`` of the batches that ended ``FALLIDO`` and that no operator has
  reviewed or retried yet (``mec-ws admin lotes-fallidos``).
- ``estado``: ``"ok"``; ``"degradado"`` when the database answers but no live worker can stamp
  (batches and due cancellations wait) or a ``FALLIDO`` batch awaits an operator — ``motivos``
  says which, in Spanish; ``"error"`` when the database does not answer.

HTTP 200 while the database is reachable (the SOAP service can take requests), 503 otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mec_ws.services.dto import EstatusLote
from mec_ws.services.failed import unreviewed_failed
from models import Batch, WorkerHeartbeat, utcnow

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PATH = "/salud"
STALE_AFTER = timedelta(seconds=30)
"""A live worker beats every 5 s from a thread of its own (``mec_ws.batches.worker``); the same
bound after which another worker takes its batch over."""


@dataclass(frozen=True, slots=True)
class Salud:
    estado: str
    base_datos: bool
    lotes_pendientes: int | None
    ultimo_latido_segundos: float | None
    trabajadores_que_pueden_sellar: int | None = None
    lotes_fallidos: tuple[int, ...] = ()
    motivos: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "estado": self.estado,
            "baseDatos": self.base_datos,
            "lotesPendientes": self.lotes_pendientes,
            "ultimoLatidoSegundos": self.ultimo_latido_segundos,
            "trabajadoresQuePuedenSellar": self.trabajadores_que_pueden_sellar,
            "lotesFallidos": list(self.lotes_fallidos),
            "motivos": list(self.motivos),
        }


def check(session: Session, *, now: datetime, stale_after: timedelta = STALE_AFTER) -> Salud:
    """The health of the service as seen through ``session``; never raises for a database failure."""
    try:
        session.execute(text("SELECT 1"))
        pending = session.scalar(
            select(func.count())
            .select_from(Batch)
            .where(Batch.estatus.in_((EstatusLote.RECIBIDO, EstatusLote.EN_PROCESO)))
        )
        newest = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
        stampers = session.scalar(
            select(func.count())
            .select_from(WorkerHeartbeat)
            .where(WorkerHeartbeat.seen_at >= now - stale_after, WorkerHeartbeat.can_stamp.is_(True))
        )
        failed = tuple(unreviewed_failed(session))
    except SQLAlchemyError:
        log.exception("salud: la base de datos no respondió")
        return Salud("error", False, None, None, None, (), ("la base de datos no respondió",))
    finally:
        session.rollback()
    age = None if newest is None else round(max((now - newest).total_seconds(), 0.0), 3)
    motivos: list[str] = []
    if age is None or age > stale_after.total_seconds():
        motivos.append("ningún trabajador de lotes está activo: los lotes esperan (`mec-ws worker`)")
    elif not stampers:
        motivos.append(
            "ningún trabajador activo puede sellar: revise la llave de sellado (`mec-ws admin set-stamp-key`)"
        )
    if failed:
        motivos.append(
            f"{len(failed)} lote(s) FALLIDO(s) esperan revisión de un operador "
            "(`mec-ws admin lotes-fallidos`)"
        )
    return Salud(
        "degradado" if motivos else "ok",
        True,
        int(pending or 0),
        age,
        int(stampers or 0),
        failed,
        tuple(motivos),
    )


def health_app(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime] = utcnow,
    stale_after: timedelta = STALE_AFTER,
) -> WsgiApp:
    """The WSGI app for ``/salud``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return []
        try:
            with sessions() as s:
                salud = check(s, now=clock(), stale_after=stale_after)
        except SQLAlchemyError:  # opening or closing the session failed
            log.exception("salud: la base de datos no respondió")
            salud = Salud("error", False, None, None, None, (), ("la base de datos no respondió",))
        data = json.dumps(salud.as_json()).encode()
        start_response(
            "200 OK" if salud.base_datos else "503 Service Unavailable",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [] if method == "HEAD" else [data]

    return app
