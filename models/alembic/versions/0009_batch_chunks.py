"""``batch_chunks``: a large batch cut into chunks that any worker can process.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_chunks",
        sa.Column("numero_lote", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("stop", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=True),
        sa.Column("stamped", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["numero_lote"],
            ["batches.numero_lote"],
            name=op.f("fk_batch_chunks_numero_lote_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("numero_lote", "seq", name=op.f("pk_batch_chunks")),
    )


def downgrade() -> None:
    op.drop_table("batch_chunks")
