"""Initial schema: registry, folios de pago, batches, certificates, programs, documents.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=255), nullable=False),
        sa.Column("descripcion", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("nombre", name=op.f("uq_documents_nombre")),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("pruebas_concluidas_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_table(
        "sep_stamp_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=False),
        sa.Column("key_path", sa.String(length=500), nullable=False),
        sa.Column("curp", sa.String(length=18), nullable=False),
        sa.Column("nombre_completo", sa.String(length=300), nullable=False),
        sa.Column("id_cargo", sa.Integer(), nullable=False),
        sa.Column("cargo", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sep_stamp_keys")),
    )
    op.create_index(
        "ux_sep_stamp_keys_active",
        "sep_stamp_keys",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )

    op.create_table(
        "trusted_cas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_cas")),
        sa.UniqueConstraint("sha256", name=op.f("uq_trusted_cas_sha256")),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_seen_at"), "worker_heartbeats", ["seen_at"], unique=False)

    op.create_table(
        "campuses",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.CheckConstraint(
            "state >= '01' AND state <= '32' AND length(state) = 2", name=op.f("ck_campuses_state")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_campuses_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campuses")),
    )
    op.create_index(op.f("ix_campuses_institution_id"), "campuses", ["institution_id"], unique=False)

    op.create_table(
        "folios_pago",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=50), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("cantidad", sa.Integer(), nullable=False),
        sa.Column("intentos_usados", sa.Integer(), nullable=False),
        sa.Column(
            "estatus",
            sa.Enum(
                "DISPONIBLE",
                "EN_PROCESO",
                "ACEPTADO",
                "AGOTADO",
                name="estatus_folio",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cantidad > 0", name=op.f("ck_folios_pago_cantidad")),
        sa.CheckConstraint(
            "intentos_usados >= 0 AND intentos_usados <= 2", name=op.f("ck_folios_pago_intentos")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_folios_pago_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folios_pago")),
        sa.UniqueConstraint("folio", name=op.f("uq_folios_pago_folio")),
    )
    op.create_index(op.f("ix_folios_pago_institution_id"), "folios_pago", ["institution_id"], unique=False)

    op.create_table(
        "study_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("id_carrera", sa.String(length=20), nullable=False),
        sa.Column("clave_carrera", sa.String(length=50), nullable=False),
        sa.Column("nombre_carrera", sa.String(length=300), nullable=False),
        sa.Column("id_nivel_estudios", sa.Integer(), nullable=False),
        sa.Column("id_tipo_periodo", sa.Integer(), nullable=False),
        sa.Column("clave_plan", sa.String(length=50), nullable=False),
        sa.Column("numero_ciclos", sa.Integer(), nullable=False),
        sa.Column("calificacion_minima", sa.String(length=20), nullable=False),
        sa.Column("calificacion_maxima", sa.String(length=20), nullable=False),
        sa.Column("calificacion_minima_aprobatoria", sa.String(length=20), nullable=False),
        sa.Column("total_creditos", sa.String(length=20), nullable=False),
        sa.Column("numero_rvoe", sa.String(length=100), nullable=False),
        sa.Column("fecha_rvoe", sa.Date(), nullable=False),
        sa.Column("modalidad", sa.String(length=30), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_study_programs_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_programs")),
        sa.UniqueConstraint(
            "institution_id",
            "id_carrera",
            "clave_plan",
            name=op.f("uq_study_programs_institution_id_id_carrera_clave_plan"),
        ),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=True),
        sa.Column("is_operator", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(is_operator AND institution_id IS NULL) OR (NOT is_operator AND institution_id IS NOT NULL)",
            name=op.f("ck_users_owner"),
        ),
        sa.CheckConstraint("failed_logins >= 0", name=op.f("ck_users_failed_logins")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_users_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_institution_id"), "users", ["institution_id"], unique=False)

    op.create_table(
        "batches",
        sa.Column(
            "numero_lote",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("folio_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("intento", sa.Integer(), nullable=False),
        sa.Column("nombre_archivo", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("xml", "zip", name="batch_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "estatus",
            sa.Enum(
                "RECIBIDO",
                "EN_PROCESO",
                "ACEPTADO",
                "RECHAZADO",
                name="estatus_lote",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("mensaje", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_archivos", sa.Integer(), nullable=False),
        sa.Column("archivos_procesados", sa.Integer(), nullable=False),
        sa.Column("archivos_con_error", sa.Integer(), nullable=False),
        sa.Column("result_path", sa.String(length=500), nullable=True),
        sa.CheckConstraint("intento >= 1 AND intento <= 2", name=op.f("ck_batches_intento")),
        sa.ForeignKeyConstraint(
            ["folio_id"], ["folios_pago.id"], name=op.f("fk_batches_folio_id_folios_pago")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_batches_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("numero_lote", name=op.f("pk_batches")),
        sa.UniqueConstraint("folio_id", "intento", name=op.f("uq_batches_folio_id_intento")),
    )
    op.create_index("ix_batches_estatus_received_at", "batches", ["estatus", "received_at"], unique=False)
    op.create_index(op.f("ix_batches_institution_id"), "batches", ["institution_id"], unique=False)
    op.create_index(
        "ux_batches_folio_sha256_vigente",
        "batches",
        ["folio_id", "sha256"],
        unique=True,
        sqlite_where=sa.text("estatus <> 'RECHAZADO'"),
        postgresql_where=sa.text("estatus <> 'RECHAZADO'"),
    )

    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.String(length=20), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=False),
        sa.Column("curp", sa.String(length=18), nullable=False),
        sa.Column("rfc", sa.String(length=13), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("cargo_id", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campus_id"], ["campuses.id"], name=op.f("fk_officers_campus_id_campuses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint(
            "campus_id", "certificate_number", name=op.f("uq_officers_campus_id_certificate_number")
        ),
    )
    op.create_index(op.f("ix_officers_campus_id"), "officers", ["campus_id"], unique=False)

    op.create_table(
        "program_campuses",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("campus_id", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_program_campuses_campus_id_campuses")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["study_programs.id"],
            name=op.f("fk_program_campuses_program_id_study_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "campus_id", name=op.f("pk_program_campuses")),
    )
    op.create_index(op.f("ix_program_campuses_campus_id"), "program_campuses", ["campus_id"], unique=False)

    op.create_table(
        "program_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("id_asignatura", sa.String(length=20), nullable=False),
        sa.Column("clave", sa.String(length=50), nullable=False),
        sa.Column("nombre", sa.String(length=300), nullable=False),
        sa.Column("id_tipo", sa.Integer(), nullable=False),
        sa.Column("creditos", sa.String(length=20), nullable=False),
        sa.Column("ciclo", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["study_programs.id"],
            name=op.f("fk_program_subjects_program_id_study_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_subjects")),
        sa.UniqueConstraint(
            "program_id", "id_asignatura", name=op.f("uq_program_subjects_program_id_id_asignatura")
        ),
        sa.UniqueConstraint("program_id", "ordinal", name=op.f("uq_program_subjects_program_id_ordinal")),
    )
    op.create_table(
        "batch_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(length=500), nullable=False),
        sa.Column("folio_control", sa.String(length=100), nullable=True),
        sa.Column(
            "estatus",
            sa.Enum(
                "CORRECTO", "CON_ERRORES", name="estatus_archivo", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("errores", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batches.numero_lote"],
            name=op.f("fk_batch_files_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_files")),
        sa.UniqueConstraint("batch_id", "ordinal", name=op.f("uq_batch_files_batch_id_ordinal")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=20), nullable=False),
        sa.Column("campus_id", sa.String(length=20), nullable=False),
        sa.Column("folio_pago", sa.String(length=50), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folio_control", sa.String(length=100), nullable=False),
        sa.Column("folio_digital", sa.String(length=36), nullable=False),
        sa.Column("curp", sa.String(length=18), nullable=False),
        sa.Column("nombre_completo", sa.String(length=400), nullable=False),
        sa.Column("carrera", sa.String(length=300), nullable=False),
        sa.Column("id_carrera", sa.String(length=20), nullable=False),
        sa.Column("clave_plan", sa.String(length=50), nullable=False),
        sa.Column("lugar_expedicion", sa.String(length=100), nullable=False),
        sa.Column("fecha_expedicion", sa.Date(), nullable=False),
        sa.Column("fecha_carga", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("stamped_xml", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.numero_lote"], name=op.f("fk_certificates_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["campus_id"], ["campuses.id"], name=op.f("fk_certificates_campus_id_campuses")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_certificates_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("folio_digital", name=op.f("uq_certificates_folio_digital")),
        sa.UniqueConstraint(
            "institution_id", "folio_control", name=op.f("uq_certificates_institution_id_folio_control")
        ),
    )
    op.create_index(op.f("ix_certificates_batch_id"), "certificates", ["batch_id"], unique=False)
    op.create_index(op.f("ix_certificates_campus_id"), "certificates", ["campus_id"], unique=False)
    op.create_index(op.f("ix_certificates_curp"), "certificates", ["curp"], unique=False)
    op.create_index(op.f("ix_certificates_estatus"), "certificates", ["estatus"], unique=False)
    op.create_index(
        "ix_certificates_fecha_carga_folio", "certificates", ["fecha_carga", "folio_control"], unique=False
    )
    op.create_index(
        op.f("ix_certificates_fecha_expedicion"), "certificates", ["fecha_expedicion"], unique=False
    )
    op.create_index(op.f("ix_certificates_folio_control"), "certificates", ["folio_control"], unique=False)
    op.create_index(op.f("ix_certificates_folio_pago"), "certificates", ["folio_pago"], unique=False)
    op.create_index(
        "ix_certificates_institution_fecha_carga_folio",
        "certificates",
        ["institution_id", "fecha_carga", "folio_control"],
        unique=False,
    )

    op.create_table(
        "cancellation_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("motivo", sa.String(length=10), nullable=False),
        sa.Column("observaciones", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "estatus",
            sa.Enum(
                "PENDIENTE",
                "APLICADA",
                "RETIRADA",
                name="estatus_cancelacion",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_cancellation_requests_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cancellation_requests")),
    )
    op.create_index(
        op.f("ix_cancellation_requests_certificate_id"),
        "cancellation_requests",
        ["certificate_id"],
        unique=False,
    )
    op.create_index(
        "ix_cancellation_requests_estatus_effective_at",
        "cancellation_requests",
        ["estatus", "effective_at"],
        unique=False,
    )
    op.create_index(
        "ux_cancellation_requests_pendiente",
        "cancellation_requests",
        ["certificate_id"],
        unique=True,
        sqlite_where=sa.text("estatus = 'PENDIENTE'"),
        postgresql_where=sa.text("estatus = 'PENDIENTE'"),
    )


def downgrade() -> None:
    op.drop_table("cancellation_requests")
    op.drop_table("certificates")
    op.drop_table("batch_files")
    op.drop_table("program_subjects")
    op.drop_table("program_campuses")
    op.drop_table("officers")
    op.drop_table("batches")
    op.drop_table("users")
    op.drop_table("study_programs")
    op.drop_table("folios_pago")
    op.drop_table("campuses")
    op.drop_table("worker_heartbeats")
    op.drop_table("trusted_cas")
    op.drop_table("sep_stamp_keys")
    op.drop_table("institutions")
    op.drop_table("documents")
