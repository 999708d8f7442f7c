"""Ordered, covering indexes for consultaCertificados at national scale.

Each filter's index also yields the results' order (fecha_carga, folio_control, institution_id, id)
and ends in id, so any page is found by an index-only scan (``benchmarks/queries.py``).  Replaces
the single-column indexes on campus_id, estatus and fecha_expedicion and the two order indexes
without id.  The migration runs in one transaction, so ``CREATE INDEX`` locks the table against
writes while it builds (about 10 s per index per million rows on the benchmark machine): run it in
a maintenance window, or create the indexes ``CONCURRENTLY`` by hand beforehand with these names.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ["fecha_carga", "folio_control", "institution_id", "id"]
NEW: tuple[tuple[str, list[str], list[str]], ...] = (
    ("ix_certificates_institution_order", ["institution_id", "fecha_carga", "folio_control", "id"],
     ["campus_id", "estatus", "fecha_expedicion"]),
    ("ix_certificates_order", ORDER, ["campus_id", "estatus", "fecha_expedicion"]),
    ("ix_certificates_campus_order", ["campus_id", *ORDER], ["estatus", "fecha_expedicion"]),
    ("ix_certificates_estatus_order", ["estatus", *ORDER], []),
    ("ix_certificates_fecha_expedicion_order",
     ["fecha_expedicion", "institution_id", "fecha_carga", "folio_control", "id"], []),
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


def upgrade() -> None:
    for name, columns, include in NEW:
        _create(name, columns, include)
    for name, _ in OLD:
        op.drop_index(name, table_name="certificates")


def downgrade() -> None:
    for name, columns in OLD:
        op.create_index(name, "certificates", columns)
    for name, _, _ in NEW:
        op.drop_index(name, table_name="certificates")
