"""Plain data the services take and return: the wire contract's shapes, without spyne.

The SOAP layer (``mec_ws.soap``) maps these one to one onto the types of ``contract.md``;
field names are the contract's, in snake_case.  Instants are aware UTC datetimes; calendar
dates are ``date``.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

# The stored statuses are wire values too: defined with the models, re-exported here.
from models.enums import EstatusArchivo as EstatusArchivo
from models.enums import EstatusCertificado as EstatusCertificado
from models.enums import EstatusFolio as EstatusFolio
from models.enums import EstatusLote as EstatusLote


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
class ResultadoValidacion:
    """``validaCertificados``: what the worker would find, without storing or spending anything."""

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


class Archivo:
    """A file the services hand out: its bytes, or a file they built in a temporary file
    (``archivo``, an open binary file; it is closed with :meth:`close` or when collected).

    Edges that can send it piece by piece use :attr:`tamano` and :meth:`partes` (the SOAP
    endpoint streams the base64 of a large one, the portal streams the download); :attr:`contenido`
    reads it whole, for the small ones.
    """

    __slots__ = ("_archivo", "_contenido", "nombre_archivo", "tamano")

    def __init__(
        self, nombre_archivo: str, contenido: bytes | None = None, *, archivo: IO[bytes] | None = None
    ) -> None:
        if (contenido is None) == (archivo is None):
            raise TypeError("Archivo lleva contenido o archivo, uno de los dos")
        self.nombre_archivo = nombre_archivo
        self._contenido = contenido
        self._archivo = archivo
        if archivo is not None:
            archivo.seek(0, io.SEEK_END)
            self.tamano = archivo.tell()
            archivo.seek(0)
        else:
            assert contenido is not None
            self.tamano = len(contenido)

    @property
    def contenido(self) -> bytes:
        """All the bytes, in memory (a temporary file is read once and closed)."""
        if self._contenido is None:
            assert self._archivo is not None
            self._archivo.seek(0)
            self._contenido = self._archivo.read()
            self._archivo.close()
            self._archivo = None
        return self._contenido

    def partes(self, tamano: int = 3 * 256 * 1024) -> Iterator[bytes]:
        """The bytes in pieces of ``tamano`` (the last one shorter), from the start."""
        if self._contenido is not None:
            for start in range(0, len(self._contenido), tamano):
                yield self._contenido[start : start + tamano]
            return
        assert self._archivo is not None
        self._archivo.seek(0)
        while block := self._archivo.read(tamano):
            yield block

    def close(self) -> None:
        if self._archivo is not None:
            self._archivo.close()

    def __del__(self) -> None:  # a temporary file nobody read is closed with its Archivo
        self.close()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Archivo):
            return NotImplemented
        return (self.nombre_archivo, self.contenido) == (other.nombre_archivo, other.contenido)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Archivo(nombre_archivo={self.nombre_archivo!r}, tamano={self.tamano})"


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
    folio_control: str | None  # None: the certificate has no folioControl (optional in the XSD)
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
    folio_control: str | None  # None when the certificate has no folioControl
    estatus: EstatusCertificado
    fecha_solicitud: datetime
    fecha_efectiva: datetime
    mensaje: str
    folio_digital: str | None = None


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
