"""consultaCertificados: certificates per institution and month of fecha_carga, kept by triggers.

``certificate_month_counts`` holds how many certificates each institution has per month
(``'YYYY-MM'`` of ``fecha_carga`` in UTC), kept by triggers on ``certificates`` (insert, delete,
update of ``institution_id``/``fecha_carga``) on both databases exactly like ``certificate_counts``
(migration ``0005``), and filled here from the existing rows.  A deep page of a query filtered by
nothing or only by the institution is then located from the cumulative month counts and the
ordered index is walked only inside one month (``mec_ws.services.query``).

The bucket is the same on both databases: PostgreSQL ``to_char(fecha_carga AT TIME ZONE 'UTC',
'YYYY-MM')`` (``timestamptz`` has microseconds, no rounding); SQLite the first seven characters of
the stored text (SQLAlchemy stores naive UTC as ``YYYY-MM-DD HH:MM:SS.ffffff`` and compares it as
text; SQLite's date functions would round to milliseconds).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_MONTH = "to_char({row}fecha_carga AT TIME ZONE 'UTC', 'YYYY-MM')"
SQLITE_MONTH = "substr({row}fecha_carga, 1, 7)"

# PostgreSQL: statement-level triggers over transition tables, one aggregated change per statement
# (see 0005); the counter rows are written in key order so that two statements touching the same
# months lock them in the same order.
_PG_UPSERT = """
    INSERT INTO certificate_month_counts (institution_id, mes, n)
    SELECT institution_id, mes, sum(delta) FROM ({changes}) AS c
    GROUP BY institution_id, mes HAVING sum(delta) <> 0 ORDER BY institution_id, mes
    ON CONFLICT (institution_id, mes) DO UPDATE SET n = certificate_month_counts.n + EXCLUDED.n"""
_OLD, _NEW = PG_MONTH.format(row="o."), PG_MONTH.format(row="n.")
_MOVED = f"(o.institution_id, {_OLD}) IS DISTINCT FROM (n.institution_id, {_NEW})"
_PG_CHANGES = {
    "insert": f"SELECT institution_id, {PG_MONTH.format(row='')} AS mes, 1 AS delta FROM new_rows",
    "delete": f"SELECT institution_id, {PG_MONTH.format(row='')} AS mes, -1 AS delta FROM old_rows",
    "update": (
        f"SELECT o.institution_id, {_OLD} AS mes, -1 AS delta FROM old_rows o JOIN new_rows n USING (id) "
        f"WHERE {_MOVED} "
        "UNION ALL "
        f"SELECT n.institution_id, {_NEW}, 1 FROM old_rows o JOIN new_rows n USING (id) WHERE {_MOVED}"
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
        f"CREATE FUNCTION certificate_month_counts_{op_name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + _PG_UPSERT.format(changes=_PG_CHANGES[op_name])
        + "; RETURN NULL; END $$",
        f"CREATE TRIGGER certificate_month_counts_{op_name} AFTER {op_name.upper()} ON certificates "
        f"{_PG_TABLES[op_name]} FOR EACH STATEMENT EXECUTE FUNCTION certificate_month_counts_{op_name}()",
    )
)
# SQLite: row-level triggers (as in 0005).
_SQLITE_NEW, _SQLITE_OLD = SQLITE_MONTH.format(row="NEW."), SQLITE_MONTH.format(row="OLD.")
_SQLITE_ADD = f"""
    INSERT INTO certificate_month_counts (institution_id, mes, n)
    VALUES (NEW.institution_id, {_SQLITE_NEW}, 1)
    ON CONFLICT (institution_id, mes) DO UPDATE SET n = n + 1;"""
_SQLITE_REMOVE = f"""
    UPDATE certificate_month_counts SET n = n - 1
    WHERE institution_id = OLD.institution_id AND mes = {_SQLITE_OLD};"""
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER certificate_month_counts_insert AFTER INSERT ON certificates BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER certificate_month_counts_delete AFTER DELETE ON certificates BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER certificate_month_counts_update AFTER UPDATE OF institution_id, fecha_carga ON certificates "
    f"WHEN OLD.institution_id <> NEW.institution_id OR {_SQLITE_OLD} <> {_SQLITE_NEW} "
    f"BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
)
TRIGGERS = (
    "certificate_month_counts_insert",
    "certificate_month_counts_delete",
    "certificate_month_counts_update",
)


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    op.create_table(
        "certificate_month_counts",
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("mes", sa.String(length=7), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", "mes", name=op.f("pk_certificate_month_counts")),
    )
    month = (PG_MONTH if postgresql else SQLITE_MONTH).format(row="")
    op.execute(
        "INSERT INTO certificate_month_counts (institution_id, mes, n) "
        f"SELECT institution_id, {month}, count(*) FROM certificates GROUP BY institution_id, {month}"
    )
    for statement in PG_STATEMENTS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    op.create_index("ix_certificate_month_counts_mes_n", "certificate_month_counts", ["mes", "n"])


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON certificates" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        for name in TRIGGERS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_index("ix_certificate_month_counts_mes_n", table_name="certificate_month_counts")
    op.drop_table("certificate_month_counts")
