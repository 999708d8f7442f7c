"""consultaCertificados at national scale: ordered, covering indexes and kept counts.

Each filter's index also yields the results' order (fecha_carga, folio_control, institution_id, id)
and ends in id, so any page is found by an index-only scan (``benchmarks/queries.py``).  Replaces
the single-column indexes on campus_id, estatus and fecha_expedicion and the two order indexes
without id.  The migration runs in one transaction, so ``CREATE INDEX`` locks the table against
writes while it builds (about 10 s per index per million rows on the benchmark machine): run it in
a maintenance window, or create the indexes ``CONCURRENTLY`` by hand beforehand with these names.

``certificate_counts`` holds how many certificates each (institution, campus, estatus) has, kept
by triggers on ``certificates`` (insert, delete, update of those columns) on both databases, and
filled here from the existing rows: the exact total of a query filtered only by those columns is
then a sum over a few rows instead of a count over millions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ["fecha_carga", "folio_control", "institution_id", "id"]
NEW: tuple[tuple[str, list[str], list[str]], ...] = (
    (
        "ix_certificates_institution_order",
        ["institution_id", "fecha_carga", "folio_control", "id"],
        ["campus_id", "estatus", "fecha_expedicion"],
    ),
    ("ix_certificates_order", ORDER, ["campus_id", "estatus", "fecha_expedicion"]),
    ("ix_certificates_campus_order", ["campus_id", *ORDER], ["estatus", "fecha_expedicion"]),
    ("ix_certificates_estatus_order", ["estatus", *ORDER], []),
    (
        "ix_certificates_fecha_expedicion_order",
        ["fecha_expedicion", "institution_id", "fecha_carga", "folio_control", "id"],
        [],
    ),
)
OLD: tuple[tuple[str, list[str]], ...] = (
    ("ix_certificates_institution_fecha_carga_folio", ["institution_id", "fecha_carga", "folio_control"]),
    ("ix_certificates_fecha_carga_folio", ["fecha_carga", "folio_control"]),
    ("ix_certificates_campus_id", ["campus_id"]),
    ("ix_certificates_estatus", ["estatus"]),
    ("ix_certificates_fecha_expedicion", ["fecha_expedicion"]),
)


def _create(name: str, columns: list[str], include: list[str]) -> None:
    op.create_index(name, "certificates", columns, postgresql_include=include)


KEY = ("institution_id", "campus_id", "estatus")

# PostgreSQL: statement-level triggers over transition tables, one aggregated change per statement
# (a multi-row INSERT of a whole batch touches each counter row once; row-level triggers would
# update the same counter row once per certificate inside one transaction, which grows its
# version chain and makes a bulk insert quadratic).
_PG_UPSERT = """
    INSERT INTO certificate_counts (institution_id, campus_id, estatus, n)
    SELECT institution_id, campus_id, estatus, sum(delta) FROM ({changes}) AS c
    GROUP BY institution_id, campus_id, estatus HAVING sum(delta) <> 0
    ON CONFLICT (institution_id, campus_id, estatus) DO UPDATE SET n = certificate_counts.n + EXCLUDED.n"""
_PG_CHANGES = {
    "insert": "SELECT institution_id, campus_id, estatus, 1 AS delta FROM new_rows",
    "delete": "SELECT institution_id, campus_id, estatus, -1 AS delta FROM old_rows",
    "update": (
        "SELECT o.institution_id, o.campus_id, o.estatus, -1 AS delta FROM old_rows o JOIN new_rows n USING (id) "
        "WHERE (o.institution_id, o.campus_id, o.estatus) IS DISTINCT FROM (n.institution_id, n.campus_id, n.estatus) "
        "UNION ALL "
        "SELECT n.institution_id, n.campus_id, n.estatus, 1 FROM old_rows o JOIN new_rows n USING (id) "
        "WHERE (o.institution_id, o.campus_id, o.estatus) IS DISTINCT FROM (n.institution_id, n.campus_id, n.estatus)"
    ),
}
_PG_TABLES = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
PG_STATEMENTS = tuple(
    statement
    for op_name in ("insert", "delete", "update")
    for statement in (
        f"CREATE FUNCTION certificate_counts_{op_name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + _PG_UPSERT.format(changes=_PG_CHANGES[op_name])
        + "; RETURN NULL; END $$",
        f"CREATE TRIGGER certificate_counts_{op_name} AFTER {op_name.upper()} ON certificates "
        f"{_PG_TABLES[op_name]} FOR EACH STATEMENT EXECUTE FUNCTION certificate_counts_{op_name}()",
    )
)
# SQLite has row-level triggers only (and updates rows in place, so they stay cheap).
CHANGED = (
    "OLD.institution_id <> NEW.institution_id OR OLD.campus_id <> NEW.campus_id OR OLD.estatus <> NEW.estatus"
)
_SQLITE_ADD = """
    INSERT INTO certificate_counts (institution_id, campus_id, estatus, n)
    VALUES (NEW.institution_id, NEW.campus_id, NEW.estatus, 1)
    ON CONFLICT (institution_id, campus_id, estatus) DO UPDATE SET n = n + 1;"""
_SQLITE_REMOVE = """
    UPDATE certificate_counts SET n = n - 1
    WHERE institution_id = OLD.institution_id AND campus_id = OLD.campus_id AND estatus = OLD.estatus;"""
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER certificate_counts_insert AFTER INSERT ON certificates BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER certificate_counts_delete AFTER DELETE ON certificates BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER certificate_counts_update AFTER UPDATE OF institution_id, campus_id, estatus ON certificates "
    f"WHEN {CHANGED} BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
)
TRIGGERS = ("certificate_counts_insert", "certificate_counts_delete", "certificate_counts_update")


def upgrade() -> None:
    op.create_table(
        "certificate_counts",
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("campus_id", sa.String(length=20), nullable=False),
        sa.Column(
            "estatus",
            sa.Enum(
                "VIGENTE",
                "CANCELACION_SOLICITADA",
                "CANCELADO",
                name="estatus_certificado",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_certificate_counts")),
    )
    op.execute(
        "INSERT INTO certificate_counts (institution_id, campus_id, estatus, n) "
        "SELECT institution_id, campus_id, estatus, count(*) FROM certificates "
        "GROUP BY institution_id, campus_id, estatus"
    )
    if op.get_context().dialect.name == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    for name, columns, include in NEW:
        _create(name, columns, include)
    for name, _ in OLD:
        op.drop_index(name, table_name="certificates")


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON certificates" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        for name in TRIGGERS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("certificate_counts")
    for name, columns in OLD:
        op.create_index(name, "certificates", columns)
    for name, _, _ in NEW:
        op.drop_index(name, table_name="certificates")
