"""Alembic environment of mec-ws, driven programmatically by :func:`mec_ws.db.upgrade`.

The caller passes an open connection in ``config.attributes["connection"]``; without one (plain
``alembic`` use with a ``-x url=…`` or ``sqlalchemy.url``), an engine is made from that URL or from
``MEC_DATABASE_URL`` through :func:`mec_ws.db.make_engine`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    from mec_ws.config import Settings

    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or Settings.from_env().database_url
    )


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        from mec_ws.db import make_engine

        engine = make_engine(_url())
        try:
            with engine.connect() as conn:
                _run(conn)
        finally:
            engine.dispose()
