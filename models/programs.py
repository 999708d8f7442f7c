"""Registered study programs (``programa.md``), mirroring :class:`mec_ws.registry.StudyProgram`.

Grades and credits are kept as the decimal text the institution registered (portable and exact on
both databases; :func:`mec_ws.services.registry_source.program_from_row` turns them into
``Decimal``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

DECIMAL_TEXT = Text()  # as written (xs:decimal has no length bound)


class StudyProgramRow(Base):
    __tablename__ = "study_programs"
    __table_args__ = (UniqueConstraint("institution_id", "id_carrera", "clave_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    id_carrera: Mapped[str] = mapped_column(String(20))
    clave_carrera: Mapped[str] = mapped_column(Text, default="")
    nombre_carrera: Mapped[str] = mapped_column(Text)
    id_nivel_estudios: Mapped[int]
    id_tipo_periodo: Mapped[int]
    clave_plan: Mapped[str] = mapped_column(String(50))  # part of the key: at most 50 (rule)
    numero_ciclos: Mapped[int]
    calificacion_minima: Mapped[str] = mapped_column(DECIMAL_TEXT)
    calificacion_maxima: Mapped[str] = mapped_column(DECIMAL_TEXT)
    calificacion_minima_aprobatoria: Mapped[str] = mapped_column(DECIMAL_TEXT)
    total_creditos: Mapped[str] = mapped_column(DECIMAL_TEXT)
    numero_rvoe: Mapped[str] = mapped_column(Text)
    fecha_rvoe: Mapped[date]
    modalidad: Mapped[str | None] = mapped_column(String(30))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    subjects: Mapped[list[ProgramSubjectRow]] = relationship(
        back_populates="program", order_by="ProgramSubjectRow.ordinal", cascade="all, delete-orphan"
    )
    campuses: Mapped[list[ProgramCampusRow]] = relationship(
        back_populates="program", order_by="ProgramCampusRow.campus_id", cascade="all, delete-orphan"
    )


class ProgramSubjectRow(Base):
    __tablename__ = "program_subjects"
    __table_args__ = (
        UniqueConstraint("program_id", "id_asignatura"),
        UniqueConstraint("program_id", "ordinal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("study_programs.id", ondelete="CASCADE"))
    ordinal: Mapped[int]  # position in the registered program
    id_asignatura: Mapped[str] = mapped_column(String(20))
    clave: Mapped[str] = mapped_column(Text, default="")
    nombre: Mapped[str] = mapped_column(Text)
    id_tipo: Mapped[int]
    creditos: Mapped[str] = mapped_column(DECIMAL_TEXT)
    ciclo: Mapped[int]

    program: Mapped[StudyProgramRow] = relationship(back_populates="subjects")


class ProgramCampusRow(Base):
    """A campus where a program is offered."""

    __tablename__ = "program_campuses"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("study_programs.id", ondelete="CASCADE"), primary_key=True
    )
    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), primary_key=True, index=True)

    program: Mapped[StudyProgramRow] = relationship(back_populates="campuses")
