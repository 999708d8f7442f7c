"""``cargaProgramaEstudios`` (XML or XLSX) and ``consultaProgramasEstudios``.

A program is checked at once (:func:`mec_ws.programs.read_program_xml`, or
:func:`mec_ws.programs.read_program_xlsx` when the content is a ZIP, against the uploader's
institution) and registered when it has no ERROR finding.  Registering the same identity
(``idCarrera`` + ``clavePlan``) again replaces it only while no accepted certificate uses it; else
the upload is rejected with ``PROGRAMA_EN_USO``.  Programs belong to an institution: only its
users load them; an SEP operator may list every institution's.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mec_ws.config import Settings
from mec_ws.errors import SolicitudInvalida
from mec_ws.findings import Finding, Status
from mec_ws.incoming import IncomingFile
from mec_ws.programs import is_zip, read_program_xlsx, read_program_xml
from mec_ws.programs.xlsx_reader import CLAVE_PLAN_LOCATION as XLSX_CLAVE_PLAN_LOCATION
from mec_ws.programs.xlsx_reader import too_large_xlsx
from mec_ws.programs.xml_reader import too_large_xml
from mec_ws.services.dto import Error, EstatusPrograma, Principal, ProgramaResumen, ResultadoPrograma
from mec_ws.services.registry_source import institution_from_row, program_in_use, save_program
from models import Institution, ProgramSubjectRow, StudyProgramRow


def _errores(findings: tuple[Finding, ...] | list[Finding]) -> tuple[Error, ...]:
    return tuple(Error(codigo=f.code, mensaje=f.message, ubicacion=f.location) for f in findings)


def _rejected(findings: list[Finding]) -> ResultadoPrograma:
    errors = sum(1 for f in findings if f.status is Status.ERROR)
    return ResultadoPrograma(
        estatus=EstatusPrograma.RECHAZADO,
        mensaje=f"Programa de estudios rechazado: {errors} error(es). No se registró.",
        errores=_errores(findings),
    )


def carga_programa_estudios(
    session: Session,
    who: Principal,
    nombre_archivo: str,
    contenido: bytes | IncomingFile,
    *,
    settings: Settings,
) -> ResultadoPrograma:
    if who.institution_id is None:
        raise SolicitudInvalida(
            "Solo un usuario de una institución puede registrar sus programas de estudios."
        )
    try:
        inst_row = session.scalars(
            select(Institution)
            .where(Institution.id == who.institution_id)
            .options(selectinload(Institution.campuses))
        ).one()
        incoming = IncomingFile.of(contenido)
        xlsx = is_zip(incoming.head(4))  # decided by content: an XLSX is a ZIP, an XML is not
        if incoming.size > settings.max_xml_bytes:  # a spooled file too big is never read in
            read = (too_large_xlsx if xlsx else too_large_xml)(incoming.size, settings.max_xml_bytes)
        else:
            reader = read_program_xlsx if xlsx else read_program_xml
            read = reader(
                incoming.read(), institution=institution_from_row(inst_row), max_bytes=settings.max_xml_bytes
            )
        findings = list(read.findings)
        program = read.program
        if program is None or any(f.status is Status.ERROR for f in findings):
            session.rollback()
            return _rejected(findings)
        used = program_in_use(session, program.institution_id, program.id_carrera, program.clave_plan)
        if used:
            findings.append(
                Finding(
                    "PROGRAMA_EN_USO",
                    f"El programa idCarrera {program.id_carrera}, clavePlan {program.clave_plan} ya tiene "
                    f"{used} certificado(s) aceptado(s) y no puede reemplazarse; registre los cambios con "
                    "una nueva clavePlan.",
                    XLSX_CLAVE_PLAN_LOCATION if xlsx else "ProgramaEstudios/Carrera/@clavePlan",
                )
            )
            session.rollback()
            return _rejected(findings)
        save_program(session, program)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return ResultadoPrograma(
        estatus=EstatusPrograma.ACEPTADO,
        mensaje=(
            f"Programa de estudios registrado: {program.nombre_carrera} (idCarrera {program.id_carrera}, "
            f"clavePlan {program.clave_plan}), {len(program.subjects)} asignatura(s)."
        ),
        errores=_errores(findings),
        id_carrera=program.id_carrera,
        clave_plan=program.clave_plan,
    )


def consulta_programas_estudios(session: Session, who: Principal) -> list[ProgramaResumen]:
    subjects = (
        select(func.count())
        .where(ProgramSubjectRow.program_id == StudyProgramRow.id)
        .correlate(StudyProgramRow)
        .scalar_subquery()
    )
    query = select(StudyProgramRow, subjects)
    if not who.is_operator:
        query = query.where(StudyProgramRow.institution_id == who.institution_id)
    rows = session.execute(
        query.order_by(StudyProgramRow.institution_id, StudyProgramRow.id_carrera, StudyProgramRow.clave_plan)
    ).all()
    return [
        ProgramaResumen(
            id_carrera=p.id_carrera,
            clave_carrera=p.clave_carrera,
            nombre_carrera=p.nombre_carrera,
            clave_plan=p.clave_plan,
            numero_rvoe=p.numero_rvoe,
            fecha_rvoe=p.fecha_rvoe,
            numero_asignaturas=int(count or 0),
            total_creditos=p.total_creditos,
            fecha_registro=p.registered_at,
        )
        for p, count in rows
    ]
