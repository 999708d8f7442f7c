"""Plain data the services take and return: the wire contract's shapes, without spyne.

The SOAP layer (``mec_ws.soap``) maps these one to one onto the types of ``contract.md``;
field names are the contract's, in snake_case.  Instants are aware UTC datetimes; calendar
dates are ``date``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class EstatusLote(enum.StrEnum):
    RECIBIDO = "RECIBIDO"
    EN_PROCESO = "EN_PROCESO"
    ACEPTADO = "ACEPTADO"
    RECHAZADO = "RECHAZADO"
    FALLIDO = "FALLIDO"  # the service could not finish it (our fault): spends no attempt


class EstatusFolio(enum.StrEnum):
    DISPONIBLE = "DISPONIBLE"
    EN_PROCESO = "EN_PROCESO"
    ACEPTADO = "ACEPTADO"
    AGOTADO = "AGOTADO"


class EstatusCertificado(enum.StrEnum):
    VIGENTE = "VIGENTE"
    CANCELACION_SOLICITADA = "CANCELACION_SOLICITADA"
    CANCELADO = "CANCELADO"


class EstatusArchivo(enum.StrEnum):
    CORRECTO = "CORRECTO"
    CON_ERRORES = "CON_ERRORES"


class EstatusPrograma(enum.StrEnum):
    ACEPTADO = "ACEPTADO"
    RECHAZADO = "RECHAZADO"


class FormatoCertificado(enum.StrEnum):
    XML = "XML"
    PDF = "PDF"


class FormatoExportacion(enum.StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an IPES user (``institution_id`` set) or an SEP operator."""

    user_id: int
    username: str
    institution_id: str | None
    is_operator: bool


@dataclass(frozen=True, slots=True)
class Error:
    codigo: str
    mensaje: str
    ubicacion: str = ""


@dataclass(frozen=True, slots=True)
class CargaResult:
    numero_lote: int
    folio_pago: str
    intento: int
    intentos_restantes: int
    estatus: EstatusLote
    mensaje: str


@dataclass(frozen=True, slots=True)
class ArchivoDetalle:
    nombre: str
    folio_control: str | None
    estatus: EstatusArchivo
    errores: tuple[Error, ...] = ()


@dataclass(frozen=True, slots=True)
class Lote:
    numero_lote: int
    nombre_archivo: str
    intento: int
    estatus: EstatusLote
    fecha_carga: datetime
    fecha_proceso: datetime | None
    total_archivos: int
    archivos_con_error: int
    mensaje: str
    detalle: tuple[ArchivoDetalle, ...] = ()


@dataclass(frozen=True, slots=True)
class EstatusCarga:
    folio_pago: str
    cantidad_certificados: int
    intentos_usados: int
    intentos_restantes: int
    estatus_folio: EstatusFolio
    lotes: tuple[Lote, ...]


@dataclass(frozen=True, slots=True)
class Archivo:
    nombre_archivo: str
    contenido: bytes


@dataclass(frozen=True, slots=True)
class FiltroCertificados:
    id_institucion: str | None = None  # SEP operators only
    id_campus: str | None = None
    folio_pago: str | None = None
    folio_control: str | None = None
    folio_digital: str | None = None
    curp: str | None = None
    fecha_expedicion_desde: date | None = None
    fecha_expedicion_hasta: date | None = None
    fecha_carga_desde: date | None = None
    fecha_carga_hasta: date | None = None
    estatus: EstatusCertificado | None = None


@dataclass(frozen=True, slots=True)
class CertificadoResumen:
    institucion: str
    campus: str
    nombre: str
    curp: str
    carrera: str
    folio_pago: str
    folio_control: str
    folio_digital: str
    lugar_expedicion: str
    fecha_expedicion: date
    fecha_carga: datetime
    estatus: EstatusCertificado


@dataclass(frozen=True, slots=True)
class PaginaCertificados:
    total_registros: int
    pagina: int
    registros_por_pagina: int
    certificados: tuple[CertificadoResumen, ...]


@dataclass(frozen=True, slots=True)
class ResultadoPrograma:
    estatus: EstatusPrograma
    mensaje: str
    errores: tuple[Error, ...] = ()
    id_carrera: str | None = None
    clave_plan: str | None = None


@dataclass(frozen=True, slots=True)
class ProgramaResumen:
    id_carrera: str
    clave_carrera: str
    nombre_carrera: str
    clave_plan: str
    numero_rvoe: str
    fecha_rvoe: date
    numero_asignaturas: int
    total_creditos: str  # decimal text as registered
    fecha_registro: datetime


@dataclass(frozen=True, slots=True)
class ResultadoCancelacion:
    folio_control: str
    estatus: EstatusCertificado
    fecha_solicitud: datetime
    fecha_efectiva: datetime
    mensaje: str


@dataclass(frozen=True, slots=True)
class Documento:
    nombre: str
    descripcion: str
    tamano: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ResultadoPruebas:
    estatus: str
    mensaje: str
    faltantes: tuple[str, ...] = field(default_factory=tuple)
