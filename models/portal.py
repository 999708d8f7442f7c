"""The portal's own records: IPES registration requests and one-time activation links."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.registry import User


class EstatusRegistro(enum.StrEnum):
    PENDIENTE = "PENDIENTE"
    APROBADA = "APROBADA"
    RECHAZADA = "RECHAZADA"


class RegistrationRequest(Base):
    """A public "Registro de IPES" request; nothing else exists until an SEP operator approves it."""

    __tablename__ = "registration_requests"
    __table_args__ = (Index("ix_registration_requests_estatus_created_at", "estatus", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the "Solicitud <número>"
    clave: Mapped[str] = mapped_column(String(20), index=True)  # MEC institution id (digits)
    nombre: Mapped[str] = mapped_column(String(300))
    rfc: Mapped[str] = mapped_column(String(12))
    contacto: Mapped[str] = mapped_column(String(300))
    correo: Mapped[str] = mapped_column(String(254))
    telefono: Mapped[str] = mapped_column(String(20))
    cer_der: Mapped[bytes] = mapped_column(LargeBinary)
    cer_number: Mapped[str] = mapped_column(String(40))
    cer_curp: Mapped[str] = mapped_column(String(18))
    cer_nombre: Mapped[str] = mapped_column(String(300))
    cer_not_after: Mapped[datetime]
    estatus: Mapped[EstatusRegistro] = mapped_column(
        str_enum(EstatusRegistro, "estatus_registro"), default=EstatusRegistro.PENDIENTE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    motivo_rechazo: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(100))  # the first user, once approved


class ActivationToken(Base):
    """A one-time link to set a user's password; only the SHA-256 of the token is stored."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
