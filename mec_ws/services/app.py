"""``MecApp``: the services behind the SOAP edge (:class:`mec_ws.services.protocol.MecServices`).

Each call runs in its own session (one unit of work) from the injected session factory; the clock
is injectable so tests control time.  The SOAP layer calls :meth:`authenticate` with the request's
``autenticacion`` block first and passes the resulting :class:`Principal` to the operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db
from mec_ws.batches.storage import BatchStorage, storage_for
from mec_ws.config import Settings
from mec_ws.incoming import IncomingFile
from mec_ws.services import (
    auth,
    cancellation,
    documents,
    dryrun,
    export,
    programs,
    pruebas,
    query,
    status,
    upload,
)
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
from models import utcnow


class MecApp:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        storage: BatchStorage | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.storage = storage or storage_for(settings, sessions)
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> MecApp:
        """An app on the configured database (the caller has checked the schema)."""
        return cls(settings, db.session_factory(db.make_engine(settings.database_url)), clock=clock)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def _read_session(self, *, certificates: bool = False) -> Iterator[Session]:
        """A session whose transaction only reads (on SQLite: no write lock, see :mod:`mec_ws.db`).

        ``certificates``: the read shows certificate statuses, so due cancellations are applied
        first (:func:`mec_ws.services.cancellation.settle_due`).
        """
        with self._session() as session:
            if certificates:
                cancellation.settle_due(session, now=self.clock())
            yield db.read_only(session)

    def authenticate(self, usuario: str, password: str) -> Principal:
        with self._session() as s:
            return auth.authenticate(s, usuario, password, now=self.clock())

    def carga_certificados(
        self, who: Principal, folio_pago: str, nombre_archivo: str, contenido: bytes | IncomingFile
    ) -> CargaResult:
        with self._session() as s:
            return upload.receive_upload(
                s,
                who,
                folio_pago,
                nombre_archivo,
                contenido,
                settings=self.settings,
                storage=self.storage,
                now=self.clock(),
            )

    def valida_certificados(
        self, who: Principal, nombre_archivo: str, contenido: bytes | IncomingFile, folio_pago: str | None
    ) -> ResultadoValidacion:
        with self._session() as s:
            return dryrun.valida_certificados(
                s, who, nombre_archivo, contenido, folio_pago, settings=self.settings, now=self.clock()
            )

    def consulta_estatus_carga(self, who: Principal, folio_pago: str) -> EstatusCarga:
        with self._read_session() as s:
            return status.consulta_estatus_carga(s, who, folio_pago)

    def descarga_resultado_carga(self, who: Principal, numero_lote: int) -> Archivo:
        with self._read_session() as s:
            return status.descarga_resultado_carga(s, who, numero_lote)

    def consulta_certificados(
        self, who: Principal, filtro: FiltroCertificados, pagina: int, registros_por_pagina: int
    ) -> PaginaCertificados:
        with self._read_session(certificates=True) as s:
            return query.consulta_certificados(s, who, filtro, pagina, registros_por_pagina)

    def descarga_certificado(
        self,
        who: Principal,
        folio_control: str | None,
        formato: FormatoCertificado,
        folio_digital: str | None = None,
    ) -> Archivo:
        with self._read_session(certificates=True) as s:
            return query.descarga_certificado(
                s, who, folio_control, formato, folio_digital=folio_digital, settings=self.settings
            )

    def carga_programa_estudios(
        self, who: Principal, nombre_archivo: str, contenido: bytes | IncomingFile
    ) -> ResultadoPrograma:
        with self._session() as s:
            return programs.carga_programa_estudios(s, who, nombre_archivo, contenido, settings=self.settings)

    def consulta_programas_estudios(self, who: Principal) -> list[ProgramaResumen]:
        with self._read_session() as s:
            return programs.consulta_programas_estudios(s, who)

    def exporta_certificados(
        self, who: Principal, filtro: FiltroCertificados, formato: FormatoExportacion
    ) -> Archivo:
        with self._read_session(certificates=True) as s:
            return export.exporta_certificados(
                s, who, filtro, formato, settings=self.settings, now=self.clock()
            )

    def solicita_cancelacion(
        self,
        who: Principal,
        folio_control: str | None,
        motivo: str,
        observaciones: str | None,
        folio_digital: str | None = None,
    ) -> ResultadoCancelacion:
        with self._session() as s:
            cancellation.settle_due(s, now=self.clock())
            return cancellation.solicita_cancelacion(
                s,
                who,
                folio_control,
                motivo,
                observaciones,
                folio_digital=folio_digital,
                settings=self.settings,
                now=self.clock(),
            )

    def consulta_documentos(self, who: Principal) -> list[Documento]:
        with self._read_session() as s:
            return documents.consulta_documentos(s, who, settings=self.settings)

    def descarga_documento(self, who: Principal, nombre: str) -> Archivo:
        with self._read_session() as s:
            return documents.descarga_documento(s, who, nombre, settings=self.settings)

    def concluye_pruebas(self, who: Principal) -> ResultadoPruebas:
        with self._session() as s:
            return pruebas.concluye_pruebas(s, who, settings=self.settings, now=self.clock())
