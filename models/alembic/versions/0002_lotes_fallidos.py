"""Batches that always end (FALLIDO), heartbeats that say who can stamp, texts that always fit.

- ``batches.estatus`` gains ``FALLIDO`` (the service could not finish the batch: no attempt spent);
  ``(folio_id, intento)`` stays unique only among batches that are not ``FALLIDO``; the cause and
  the operator's review are kept (``failure_reason``, ``failure_reviewed_at``/``_by``).
- ``worker_heartbeats.can_stamp``: whether that worker can read the SEP stamping key.
- Every free text a certificate, a batch file or a study program keeps becomes ``TEXT`` (the XSD
  does not bound them); the texts that are keys stay bounded (``folioControl`` by the XSD,
  ``clavePlan`` by a program rule).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = ("RECIBIDO", "EN_PROCESO", "ACEPTADO", "RECHAZADO")
NEW_STATES = (*OLD_STATES, "FALLIDO")

# (table, column, old type): free texts that become TEXT
TEXTS: tuple[tuple[str, str, sa.types.TypeEngine], ...] = (
    ("batch_files", "nombre", sa.String(500)),
    ("batch_files", "folio_control", sa.String(100)),
    ("certificates", "nombre_completo", sa.String(400)),
    ("certificates", "carrera", sa.String(300)),
    ("certificates", "id_carrera", sa.String(20)),
    ("certificates", "clave_plan", sa.String(50)),
    ("certificates", "lugar_expedicion", sa.String(100)),
    ("study_programs", "clave_carrera", sa.String(50)),
    ("study_programs", "nombre_carrera", sa.String(300)),
    ("study_programs", "calificacion_minima", sa.String(20)),
    ("study_programs", "calificacion_maxima", sa.String(20)),
    ("study_programs", "calificacion_minima_aprobatoria", sa.String(20)),
    ("study_programs", "total_creditos", sa.String(20)),
    ("study_programs", "numero_rvoe", sa.String(100)),
    ("program_subjects", "clave", sa.String(50)),
    ("program_subjects", "nombre", sa.String(300)),
    ("program_subjects", "creditos", sa.String(20)),
)


def _states_check(states: Sequence[str]) -> str:
    return "estatus IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _retype(to_text: bool) -> None:
    tables: dict[str, list[tuple[str, sa.types.TypeEngine]]] = {}
    for table, column, old in TEXTS:
        tables.setdefault(table, []).append((column, old))
    for table, columns in tables.items():
        with op.batch_alter_table(table) as batch:
            for column, old in columns:
                batch.alter_column(
                    column,
                    type_=sa.Text() if to_text else old,
                    existing_type=old if to_text else sa.Text(),
                )


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_constraint(op.f("uq_batches_folio_id_intento"), type_="unique")
        batch.drop_constraint(op.f("ck_batches_estatus_lote"), type_="check")
        batch.create_check_constraint("estatus_lote", _states_check(NEW_STATES))
        batch.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("failure_reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure_reviewed_by", sa.String(length=100), nullable=True))
    op.create_index(
        "ux_batches_folio_intento",
        "batches",
        ["folio_id", "intento"],
        unique=True,
        sqlite_where=sa.text("estatus <> 'FALLIDO'"),
        postgresql_where=sa.text("estatus <> 'FALLIDO'"),
    )
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.add_column(sa.Column("can_stamp", sa.Boolean(), server_default=sa.false(), nullable=False))
    _retype(to_text=True)


def downgrade() -> None:
    _retype(to_text=False)
    with op.batch_alter_table("worker_heartbeats") as batch:
        batch.drop_column("can_stamp")
    op.drop_index("ux_batches_folio_intento", table_name="batches")
    op.execute("DELETE FROM batches WHERE estatus = 'FALLIDO'")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("failure_reviewed_by")
        batch.drop_column("failure_reviewed_at")
        batch.drop_column("failure_reason")
        batch.drop_constraint(op.f("ck_batches_estatus_lote"), type_="check")
        batch.create_check_constraint("estatus_lote", _states_check(OLD_STATES))
        batch.create_unique_constraint("uq_batches_folio_id_intento", ["folio_id", "intento"])
