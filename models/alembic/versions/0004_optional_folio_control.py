"""certificates.folio_control optional (NULL when the certificate carries no folioControl).

Revision ID: 0004
Revises: 0002 (re-chained on merging main; written against 0001)
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column("folio_control", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    # Certificates without a folioControl cannot go back to a NOT NULL column: refuse rather than
    # invent folios (run the downgrade only on a database that has none).
    bind = op.get_bind()
    missing = bind.execute(sa.text("SELECT COUNT(*) FROM certificates WHERE folio_control IS NULL")).scalar()
    if missing:
        raise RuntimeError(
            f"{missing} certificado(s) no tienen folioControl; no se puede volver a la revisión anterior."
        )
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column("folio_control", existing_type=sa.String(length=100), nullable=False)
