"""The same bytes of a folio are one batch whatever its status (rejected included).

``ux_batches_folio_sha256_vigente`` left rejected batches out, so the bytes of a rejected upload
could be sent again as a new attempt.  The plain unique index ``ux_batches_folio_sha256`` makes
the same bytes find the earlier batch, spending nothing (issue 7).

A database where a rejected file was sent again as a later attempt holds two batches with one
digest; the upgrade refuses with the batches named instead of guessing which one to keep.

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT folio_id, sha256, COUNT(*) FROM batches GROUP BY folio_id, sha256 HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        listed = ", ".join(f"folio {row[0]} ({row[2]} lotes)" for row in duplicates)
        raise RuntimeError(
            "No se puede actualizar: hay lotes repetidos con los mismos bytes en " + listed + ". "
            "Revise esos lotes (el rechazado y su reenvío idéntico) antes de actualizar."
        )
    op.drop_index("ux_batches_folio_sha256_vigente", table_name="batches")
    op.create_index("ux_batches_folio_sha256", "batches", ["folio_id", "sha256"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_batches_folio_sha256", table_name="batches")
    op.create_index(
        "ux_batches_folio_sha256_vigente",
        "batches",
        ["folio_id", "sha256"],
        unique=True,
        sqlite_where=sa.text("estatus <> 'RECHAZADO'"),
        postgresql_where=sa.text("estatus <> 'RECHAZADO'"),
    )
