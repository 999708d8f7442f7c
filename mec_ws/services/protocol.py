"""The services as the edges see them: one method per SOAP operation.

``mec_ws.soap`` depends only on this protocol and on :mod:`mec_ws.services.dto`; the real
implementation is :class:`mec_ws.services.app.MecApp`.  Every method authenticates first (the
``autenticacion`` block of every request) and raises :mod:`mec_ws.errors` subclasses for faults.
"""

from __future__ import annotations

from typing import Protocol

from mec_ws.incoming import IncomingFile
from mec_ws.services.dto import (
    Archivo,
    CargaResult,
    Documento,
    EstatusCarga,
    FiltroCertificados,
    FormatoCertificado,
    FormatoExportacion,
    PaginaCertificados,
    Principal,
    ProgramaResumen,
    ResultadoCancelacion,
    ResultadoPrograma,
    ResultadoPruebas,
    ResultadoValidacion,
)


class MecServices(Protocol):
    def authenticate(self, usuario: str, password: str) -> Principal: ...

    def carga_certificados(
        self, who: Principal, folio_pago: str, nombre_archivo: str, contenido: bytes | IncomingFile
    ) -> CargaResult: ...

    def valida_certificados(
        self, who: Principal, nombre_archivo: str, contenido: bytes | IncomingFile, folio_pago: str | None
    ) -> ResultadoValidacion: ...

    def consulta_estatus_carga(self, who: Principal, folio_pago: str) -> EstatusCarga: ...

    def descarga_resultado_carga(self, who: Principal, numero_lote: int) -> Archivo: ...

    def consulta_certificados(
        self, who: Principal, filtro: FiltroCertificados, pagina: int, registros_por_pagina: int
    ) -> PaginaCertificados: ...

    def descarga_certificado(
        self,
        who: Principal,
        folio_control: str | None,
        formato: FormatoCertificado,
        folio_digital: str | None = None,
    ) -> Archivo:
        """Exactly one of ``folio_control`` / ``folio_digital`` names the certificate."""
        ...

    def carga_programa_estudios(
        self, who: Principal, nombre_archivo: str, contenido: bytes | IncomingFile
    ) -> ResultadoPrograma: ...

    def consulta_programas_estudios(self, who: Principal) -> list[ProgramaResumen]: ...

    # --- the rest of the contract (issue 4) -----------------------------------------------
    def exporta_certificados(
        self, who: Principal, filtro: FiltroCertificados, formato: FormatoExportacion
    ) -> Archivo: ...

    def solicita_cancelacion(
        self,
        who: Principal,
        folio_control: str | None,
        motivo: str,
        observaciones: str | None,
        folio_digital: str | None = None,
    ) -> ResultadoCancelacion:
        """Exactly one of ``folio_control`` / ``folio_digital`` names the certificate."""
        ...

    def consulta_documentos(self, who: Principal) -> list[Documento]: ...

    def descarga_documento(self, who: Principal, nombre: str) -> Archivo: ...

    def concluye_pruebas(self, who: Principal) -> ResultadoPruebas: ...
