"""Who takes part: institutions, campuses, their officers' e.firma certificates, users, the CAs the
deployment trusts and the SEP's own stamping key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Institution(Base):
    """An IPES, identified by its MEC id as written in the certificate (``"000001"``)."""

    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    pruebas_concluidas_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campuses: Mapped[list[Campus]] = relationship(
        back_populates="institution", order_by="Campus.id", cascade="all, delete-orphan"
    )


class Campus(Base):
    __tablename__ = "campuses"
    __table_args__ = (CheckConstraint("state >= '01' AND state <= '32' AND length(state) = 2", name="state"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(2))  # INEGI key '01'..'32'

    institution: Mapped[Institution] = relationship(back_populates="campuses")
    officers: Mapped[list[Officer]] = relationship(back_populates="campus", order_by="Officer.id")


class Officer(Base):
    """An officer's e.firma certificate registered for a campus (``add-officer``)."""

    __tablename__ = "officers"
    __table_args__ = (UniqueConstraint("campus_id", "certificate_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), index=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_number: Mapped[str] = mapped_column(String(40))
    curp: Mapped[str] = mapped_column(String(18))
    rfc: Mapped[str | None] = mapped_column(String(13))
    name: Mapped[str] = mapped_column(String(300))
    cargo_id: Mapped[int]
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    campus: Mapped[Campus] = relationship(back_populates="officers")


class User(Base):
    """A web-service account: an IPES user (``institution_id``) or an SEP operator."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(is_operator AND institution_id IS NULL) OR (NOT is_operator AND institution_id IS NOT NULL)",
            name="owner",
        ),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(default=0)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Portal sessions carry the epoch they began in; ``Salir`` or a new password moves it on,
    which ends every session of the account (a copied cookie included)."""
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution: Mapped[Institution | None] = relationship()


class TrustedCA(Base):
    """A CA certificate whose e.firma certificates the deployment accepts (``trust-ca``)."""

    __tablename__ = "trusted_cas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    not_after: Mapped[datetime]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SepStampKey(Base):
    """The SEP officer's stamping certificate; the key stays on disk (0600) under the data dir.

    At most one row is active (a partial unique index): ``set-stamp-key`` deactivates the previous
    one, which stays for the record.
    """

    __tablename__ = "sep_stamp_keys"
    __table_args__ = (
        Index(
            "ux_sep_stamp_keys_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_number: Mapped[str] = mapped_column(String(40))
    key_path: Mapped[str] = mapped_column(String(500))  # relative to MEC_DATA_DIR
    curp: Mapped[str] = mapped_column(String(18))
    nombre_completo: Mapped[str] = mapped_column(String(300))
    id_cargo: Mapped[int]
    cargo: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
