"""The migrations produce exactly the models' schema, and the schema guard behaves."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import models
from mec_ws import db
from mec_ws.errors import ConfigurationError


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        diffs = compare_metadata(ctx, models.Base.metadata)
    assert diffs == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_revision_is_head_after_upgrade(engine: Engine) -> None:
    assert db.current_revision(engine) == db.head_revision()
    db.ensure_schema(engine, auto_upgrade_sqlite=False)  # up to date: nothing to do, no error


def test_ensure_schema_upgrades_embedded_sqlite(tmp_path) -> None:
    eng = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'mec.sqlite3'}")
    try:
        assert db.current_revision(eng) is None
        db.ensure_schema(eng)
        assert db.current_revision(eng) == db.head_revision()
    finally:
        eng.dispose()


def test_ensure_schema_refuses_outdated_database(database_url: str) -> None:
    eng = db.make_engine(database_url)
    try:
        with pytest.raises(ConfigurationError, match=r"desactualizada: ejecute `mec-ws db upgrade`"):
            db.ensure_schema(eng, auto_upgrade_sqlite=False)
        assert db.current_revision(eng) is None  # nothing was touched
    finally:
        eng.dispose()


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    from alembic import command

    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_comparison_detects_drift(engine: Engine) -> None:
    """Guards the check above against being vacuous: a missing index is reported."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_certificates_curp")
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    assert [d[0] for d in diffs] == ["add_index"]


def test_sqlite_connections_keep_foreign_keys_on_after_upgrade(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_database_ahead_of_this_version_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    with pytest.raises(ConfigurationError, match="no conoce"):
        db.ensure_schema(engine)


def test_large_binary_columns_are_lz4_on_postgresql(engine: Engine) -> None:
    """Migration 0010: the columns written in a batch's final transaction compress with lz4 (when
    the server has it); the downgrade gives them back the server's default."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        supported = conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar()
        if not supported:
            pytest.skip("this PostgreSQL has no lz4")
        methods = dict(
            conn.exec_driver_sql(
                "SELECT c.relname || '.' || a.attname, a.attcompression FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname IN "
                "('certificates', 'batch_chunks', 'upload_blob_chunks') "
                "AND a.attname IN ('stamped_xml', 'stamped', 'data')"
            ).all()
        )
        assert methods == {
            "certificates.stamped_xml": "l",
            "batch_chunks.stamped": "l",
            "upload_blob_chunks.data": "l",
        }
    from alembic import command

    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        back = conn.exec_driver_sql(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = 'certificates'::regclass "
            "AND attname = 'stamped_xml'"
        ).scalar()
    assert back == ""  # the server's default again
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
