"""Portal: IPES registration requests, one-time activation links, and ``users.disabled``.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "registration_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clave", sa.String(length=20), nullable=False),
        sa.Column("nombre", sa.String(length=300), nullable=False),
        sa.Column("rfc", sa.String(length=12), nullable=False),
        sa.Column("contacto", sa.String(length=300), nullable=False),
        sa.Column("correo", sa.String(length=254), nullable=False),
        sa.Column("telefono", sa.String(length=20), nullable=False),
        sa.Column("cer_der", sa.LargeBinary(), nullable=False),
        sa.Column("cer_number", sa.String(length=40), nullable=False),
        sa.Column("cer_curp", sa.String(length=18), nullable=False),
        sa.Column("cer_nombre", sa.String(length=300), nullable=False),
        sa.Column("cer_not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "estatus",
            sa.Enum(
                "PENDIENTE",
                "APROBADA",
                "RECHAZADA",
                name="estatus_registro",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("motivo_rechazo", sa.Text(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_requests")),
    )
    op.create_index(
        op.f("ix_registration_requests_clave"), "registration_requests", ["clave"], unique=False
    )
    op.create_index(
        "ix_registration_requests_estatus_created_at",
        "registration_requests",
        ["estatus", "created_at"],
        unique=False,
    )
    op.create_table(
        "activation_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activation_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_activation_tokens_token_sha256")),
    )
    op.create_index(op.f("ix_activation_tokens_user_id"), "activation_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_activation_tokens_user_id"), table_name="activation_tokens")
    op.drop_table("activation_tokens")
    op.drop_index("ix_registration_requests_estatus_created_at", table_name="registration_requests")
    op.drop_index(op.f("ix_registration_requests_clave"), table_name="registration_requests")
    op.drop_table("registration_requests")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
