"""``mec-ws db``: schema migrations (``upgrade``, ``current``)."""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

from mec_ws import db
from mec_ws.config import Settings


def _engine() -> Engine:
    return db.make_engine(Settings.from_env().database_url)


def cmd_upgrade(args: argparse.Namespace) -> int:
    engine = _engine()
    try:
        before = db.current_revision(engine)
        db.upgrade(engine, args.revision)
        after = db.current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"La base de datos ya estaba al día (revisión {after}).")
    else:
        print(f"Base de datos actualizada: {before or 'vacía'} → {after}.")
    return 0


def cmd_current(_args: argparse.Namespace) -> int:
    engine = _engine()
    try:
        current = db.current_revision(engine)
    finally:
        engine.dispose()
    head = db.head_revision()
    print(f"Revisión actual: {current or 'ninguna (base de datos vacía)'}")
    print(f"Revisión requerida: {head}")
    if current != head:
        print("La base de datos está desactualizada: ejecute `mec-ws db upgrade`.")
        return 1
    print("La base de datos está al día.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "db",
        help="migraciones del esquema de la base de datos",
        description="Migraciones del esquema (Alembic) de la base de datos de MEC_DATABASE_URL.",
    )
    parser.set_defaults(func=lambda _a: (parser.print_help(), 2)[1])
    dbsub = parser.add_subparsers(dest="db_comando", metavar="SUBCOMANDO", title="subcomandos")
    up = dbsub.add_parser(
        "upgrade",
        help="aplica las migraciones pendientes",
        description="Aplica las migraciones pendientes hasta la revisión indicada (por omisión, la última).",
    )
    up.add_argument(
        "revision", nargs="?", default="head", metavar="REVISIÓN", help="revisión destino (por omisión: head)"
    )
    up.set_defaults(func=cmd_upgrade)
    cur = dbsub.add_parser(
        "current",
        help="muestra la revisión actual y la requerida",
        description="Muestra la revisión de la base de datos y la que requiere esta versión; "
        "termina con 1 si está desactualizada.",
    )
    cur.set_defaults(func=cmd_current)
