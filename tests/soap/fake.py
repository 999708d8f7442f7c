"""An in-memory ``MecServices`` with real state, for testing the SOAP edge without a database.

It keeps users (with lockout after repeated failures), folios de pago with two attempts,
batches, accepted certificates, cancellation requests, study programs and published documents,
and enforces the contract's rules closely enough that every operation and every fault can be
reached through real behaviour.  A batch is
"processed" by :meth:`FakeMec.procesar` (what the worker would do).  :attr:`FakeMec.fail_next`
makes the next service call raise a given exception (for the fault-mapping tests).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from mec_ws import errors
from mec_ws.reports.export import write_csv, write_xlsx
from mec_ws.services import dto

# A study program the fake accepts (root attributes are what it registers).
PROGRAMA = (
    b'<Programa idCarrera="C-10" claveCarrera="LD" nombreCarrera="Derecho" clavePlan="2020" '
    b'numeroRvoe="RVOE-1" fechaRvoe="2020-08-01" totalCreditos="350.50"><Asignatura/><Asignatura/></Programa>'
)

MAX_FALLOS = 3
INTENTOS = 2
MOTIVOS_CANCELACION = ("C1", "C2", "R1", "R2", "R3", "R4", "R5")
CANCELACION_HORAS = 48
PRUEBAS_MINIMO = 10

# What consultaDocumentos lists: name -> (description, content).
DOCUMENTOS = {
    "certificado-1.0.xsd": ("Esquema XSD del certificado electrónico.", b'<xs:schema id="dec"/>'),
    "motivo_cancelacion.csv": ("Catálogo de motivos de cancelación.", b"ID,DESCRIPCION\nC1,ERROR\n"),
}


@dataclass
class FakeUser:
    principal: dto.Principal
    password: str
    fallos: int = 0


@dataclass
class FakeFolio:
    folio: str
    institucion: str
    cantidad: int
    lotes: list[int] = field(default_factory=list)
    aceptado: bool = False


@dataclass
class FakeLote:
    numero: int
    folio: str
    institucion: str
    nombre_archivo: str
    digest: str
    intento: int
    fecha_carga: datetime
    estatus: dto.EstatusLote = dto.EstatusLote.RECIBIDO
    fecha_proceso: datetime | None = None
    detalle: tuple[dto.ArchivoDetalle, ...] = ()
    es_zip: bool = False


@dataclass
class FakeCertificado:
    institucion: str
    resumen: dto.CertificadoResumen
    xml: bytes


class FakeMec:
    """Implements ``mec_ws.services.protocol.MecServices`` for the operations of the SOAP edge."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2024, 5, 1, 17, 3, 0, tzinfo=UTC)
        self.users: dict[str, FakeUser] = {}
        self.folios: dict[str, FakeFolio] = {}
        self.lotes: dict[int, FakeLote] = {}
        self.certificados: list[FakeCertificado] = []
        self.programas: dict[str, list[dto.ProgramaResumen]] = {}
        self.cancelaciones: dict[str, dto.ResultadoCancelacion] = {}
        self.documentos = dict(DOCUMENTOS)
        self.ambiente_pruebas = True
        self.pruebas_concluidas: set[str] = set()
        self.fail_next: BaseException | None = None
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    # --- set-up -----------------------------------------------------------------------------------
    def add_user(self, username: str, password: str, institution: str | None) -> dto.Principal:
        principal = dto.Principal(
            user_id=len(self.users) + 1,
            username=username,
            institution_id=institution,
            is_operator=institution is None,
        )
        self.users[username] = FakeUser(principal, password)
        return principal

    def add_folio(self, folio: str, institucion: str, cantidad: int) -> None:
        self.folios[folio] = FakeFolio(folio, institucion, cantidad)

    def add_certificado(self, institucion: str, resumen: dto.CertificadoResumen, xml: bytes) -> None:
        self.certificados.append(FakeCertificado(institucion, resumen, xml))

    def procesar(self, numero: int, detalle: tuple[dto.ArchivoDetalle, ...]) -> None:
        """What the worker does: accept the batch when no file has errors, reject it otherwise."""
        lote = self.lotes[numero]
        rechazado = any(a.estatus is dto.EstatusArchivo.CON_ERRORES for a in detalle)
        lote.estatus = dto.EstatusLote.RECHAZADO if rechazado else dto.EstatusLote.ACEPTADO
        lote.fecha_proceso = self.now + timedelta(minutes=1)
        lote.detalle = detalle
        if not rechazado:
            self.folios[lote.folio].aceptado = True

    # --- helpers ----------------------------------------------------------------------------------
    def _enter(self, name: str, *args: object) -> None:
        self.calls.append((name, args))
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    @staticmethod
    def _sees(who: dto.Principal, institucion: str) -> bool:
        return who.is_operator or who.institution_id == institucion

    def _folio(self, who: dto.Principal, folio_pago: str) -> FakeFolio:
        folio = self.folios.get(folio_pago)
        if folio is None or not self._sees(who, folio.institucion):
            raise errors.FolioInexistente(f"El folio de pago {folio_pago!r} no existe.")
        return folio

    def _matching(self, who: dto.Principal, filtro: dto.FiltroCertificados) -> list[dto.CertificadoResumen]:
        """The certificates ``who`` sees that match ``filtro``, in the contract's order."""
        if filtro.id_institucion is not None and not who.is_operator:
            raise errors.SolicitudInvalida("Solo un operador de la SEP puede filtrar por institución.")
        found = [
            c.resumen
            for c in self.certificados
            if self._sees(who, c.institucion)
            and (filtro.id_institucion in (None, c.institucion))
            and (filtro.curp in (None, c.resumen.curp))
            and (filtro.folio_pago in (None, c.resumen.folio_pago))
            and (filtro.estatus in (None, c.resumen.estatus))
            and (
                filtro.fecha_expedicion_desde is None
                or c.resumen.fecha_expedicion >= filtro.fecha_expedicion_desde
            )
            and (
                filtro.fecha_expedicion_hasta is None
                or c.resumen.fecha_expedicion <= filtro.fecha_expedicion_hasta
            )
        ]
        found.sort(key=lambda r: (r.fecha_carga, r.folio_control))
        return found

    def _certificado(
        self, who: dto.Principal, folio_control: str | None, folio_digital: str | None = None
    ) -> FakeCertificado:
        if bool(folio_control) == bool(folio_digital):
            raise errors.SolicitudInvalida("Indique exactamente uno de folioControl o folioDigital.")
        for c in self.certificados:
            key = c.resumen.folio_digital if folio_digital else c.resumen.folio_control
            if key == (folio_digital or folio_control) and self._sees(who, c.institucion):
                return c
        raise errors.CertificadoInexistente(f"El certificado {folio_control or folio_digital!r} no existe.")

    def _lote_view(self, lote: FakeLote) -> dto.Lote:
        con_error = sum(1 for a in lote.detalle if a.estatus is dto.EstatusArchivo.CON_ERRORES)
        return dto.Lote(
            numero_lote=lote.numero,
            nombre_archivo=lote.nombre_archivo,
            intento=lote.intento,
            estatus=lote.estatus,
            fecha_carga=lote.fecha_carga,
            fecha_proceso=lote.fecha_proceso,
            total_archivos=len(lote.detalle),
            archivos_con_error=con_error,
            mensaje=f"Lote {lote.estatus.value.lower()}.",
            detalle=lote.detalle,
        )

    # --- MecServices --------------------------------------------------------------------------------
    def authenticate(self, usuario: str, password: str) -> dto.Principal:
        self._enter("authenticate", usuario)
        user = self.users.get(usuario)
        if user is not None and user.fallos >= MAX_FALLOS:
            raise errors.CuentaBloqueada("La cuenta está bloqueada temporalmente por intentos fallidos.")
        if user is None or user.password != password:
            if user is not None:
                user.fallos += 1
            raise errors.Autenticacion("Usuario o contraseña incorrectos.")
        user.fallos = 0
        return user.principal

    def carga_certificados(
        self, who: dto.Principal, folio_pago: str, nombre_archivo: str, contenido: bytes
    ) -> dto.CargaResult:
        self._enter("carga_certificados", folio_pago, nombre_archivo, contenido)
        folio = self._folio(who, folio_pago)
        if not contenido:
            raise errors.ArchivoInvalido("El archivo está vacío.")
        digest = hashlib.sha256(contenido).hexdigest()
        previos = [self.lotes[n] for n in folio.lotes]
        for lote in previos:
            if lote.digest == digest:  # a network retry: same batch, nothing consumed
                return self._carga_result(folio, lote)
        if folio.aceptado:
            raise errors.FolioAceptado("El folio ya fue aceptado; no hay nada más que cargar.")
        if any(lote.estatus in (dto.EstatusLote.RECIBIDO, dto.EstatusLote.EN_PROCESO) for lote in previos):
            raise errors.CargaEnProceso("Hay un intento anterior de este folio en proceso.")
        if len(previos) >= INTENTOS:
            raise errors.FolioAgotado("El folio ya usó sus dos intentos.")
        numero = len(self.lotes) + 1
        lote = FakeLote(
            numero,
            folio.folio,
            folio.institucion,
            nombre_archivo,
            digest,
            len(previos) + 1,
            self.now,
            es_zip=contenido.startswith(b"PK"),
        )
        self.lotes[numero] = lote
        folio.lotes.append(numero)
        return self._carga_result(folio, lote)

    def _carga_result(self, folio: FakeFolio, lote: FakeLote) -> dto.CargaResult:
        return dto.CargaResult(
            numero_lote=lote.numero,
            folio_pago=folio.folio,
            intento=lote.intento,
            intentos_restantes=INTENTOS - len(folio.lotes),
            estatus=lote.estatus,
            mensaje="Archivo recibido; consulte el estatus de la carga.",
        )

    def valida_certificados(
        self, who: dto.Principal, nombre_archivo: str, contenido: bytes, folio_pago: str | None
    ) -> dto.ResultadoValidacion:
        """One file; CON_ERRORES (XML_MAL_FORMADO) unless it starts like XML; stores nothing."""
        self._enter("valida_certificados", nombre_archivo, contenido, folio_pago)
        if folio_pago is not None:
            self._folio(who, folio_pago)
        if not contenido:
            raise errors.ArchivoInvalido("El archivo está vacío.")
        errores: tuple[dto.Error, ...] = ()
        if not contenido.lstrip().startswith(b"<"):
            errores = (dto.Error("XML_MAL_FORMADO", "El archivo no es XML bien formado.", nombre_archivo),)
        estatus = dto.EstatusArchivo.CON_ERRORES if errores else dto.EstatusArchivo.CORRECTO
        archivo = dto.ArchivoDetalle(nombre_archivo, None, estatus, errores)
        return dto.ResultadoValidacion(
            total_archivos=1,
            archivos_con_error=1 if errores else 0,
            mensaje="Validación simulada; no se guardó nada.",
            detalle=(archivo,),
        )

    def consulta_estatus_carga(self, who: dto.Principal, folio_pago: str) -> dto.EstatusCarga:
        self._enter("consulta_estatus_carga", folio_pago)
        folio = self._folio(who, folio_pago)
        lotes = [self.lotes[n] for n in folio.lotes]
        if folio.aceptado:
            estatus = dto.EstatusFolio.ACEPTADO
        elif any(x.estatus in (dto.EstatusLote.RECIBIDO, dto.EstatusLote.EN_PROCESO) for x in lotes):
            estatus = dto.EstatusFolio.EN_PROCESO
        elif len(lotes) >= INTENTOS:
            estatus = dto.EstatusFolio.AGOTADO
        else:
            estatus = dto.EstatusFolio.DISPONIBLE
        return dto.EstatusCarga(
            folio_pago=folio.folio,
            cantidad_certificados=folio.cantidad,
            intentos_usados=len(lotes),
            intentos_restantes=INTENTOS - len(lotes),
            estatus_folio=estatus,
            lotes=tuple(self._lote_view(x) for x in lotes),
        )

    def descarga_resultado_carga(self, who: dto.Principal, numero_lote: int) -> dto.Archivo:
        self._enter("descarga_resultado_carga", numero_lote)
        lote = self.lotes.get(numero_lote)
        if lote is None or not self._sees(who, lote.institucion):
            raise errors.LoteInexistente(f"El lote {numero_lote} no existe.")
        if lote.fecha_proceso is None:
            raise errors.CargaEnProceso("El lote aún no se procesa.")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            rows = ["archivo,estatus,codigo,mensaje,ubicacion"]
            for a in lote.detalle:
                rows += [f"{a.nombre},{a.estatus},{e.codigo},{e.mensaje},{e.ubicacion}" for e in a.errores]
                if not a.errores:
                    rows.append(f"{a.nombre},{a.estatus},,,")
            zf.writestr("resultado.csv", "\ufeff" + "\n".join(rows) + "\n")
        return dto.Archivo(nombre_archivo=f"resultado_{numero_lote}.zip", contenido=buffer.getvalue())

    def consulta_certificados(
        self, who: dto.Principal, filtro: dto.FiltroCertificados, pagina: int, registros_por_pagina: int
    ) -> dto.PaginaCertificados:
        self._enter("consulta_certificados", filtro, pagina, registros_por_pagina)
        found = self._matching(who, filtro)
        start = (pagina - 1) * registros_por_pagina
        return dto.PaginaCertificados(
            total_registros=len(found),
            pagina=pagina,
            registros_por_pagina=registros_por_pagina,
            certificados=tuple(found[start : start + registros_por_pagina]),
        )

    def descarga_certificado(
        self,
        who: dto.Principal,
        folio_control: str | None,
        formato: dto.FormatoCertificado,
        folio_digital: str | None = None,
    ) -> dto.Archivo:
        extra = (folio_digital,) if folio_digital is not None else ()
        self._enter("descarga_certificado", folio_control, formato, *extra)
        c = self._certificado(who, folio_control, folio_digital)
        stem = c.resumen.folio_control or c.resumen.folio_digital
        if formato is dto.FormatoCertificado.XML:
            return dto.Archivo(f"{stem}.xml", c.xml)
        return dto.Archivo(f"{stem}.pdf", b"%PDF-1.7\n" + c.xml)

    def carga_programa_estudios(
        self, who: dto.Principal, nombre_archivo: str, contenido: bytes
    ) -> dto.ResultadoPrograma:
        self._enter("carga_programa_estudios", nombre_archivo, contenido)
        if not contenido:
            raise errors.ArchivoInvalido("El archivo está vacío.")
        try:
            root = etree.fromstring(contenido, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            raise errors.ProgramaInvalido("El programa de estudios no es un XML legible.") from None
        faltantes = [a for a in ("idCarrera", "clavePlan") if not root.get(a)]
        if faltantes:
            return dto.ResultadoPrograma(
                estatus=dto.EstatusPrograma.RECHAZADO,
                mensaje="El programa de estudios tiene errores.",
                errores=tuple(
                    dto.Error("PROGRAMA_ATRIBUTO_FALTANTE", f"Falta el atributo {a}.", f"Programa/@{a}")
                    for a in faltantes
                ),
            )
        institucion = who.institution_id or "SEP"
        self.programas.setdefault(institucion, []).append(
            dto.ProgramaResumen(
                id_carrera=root.get("idCarrera", ""),
                clave_carrera=root.get("claveCarrera", ""),
                nombre_carrera=root.get("nombreCarrera", ""),
                clave_plan=root.get("clavePlan", ""),
                numero_rvoe=root.get("numeroRvoe", ""),
                fecha_rvoe=date.fromisoformat(root.get("fechaRvoe", "2020-01-01")),
                numero_asignaturas=len(root),
                total_creditos=root.get("totalCreditos", "0"),
                fecha_registro=self.now,
            )
        )
        return dto.ResultadoPrograma(
            estatus=dto.EstatusPrograma.ACEPTADO,
            mensaje="Programa de estudios registrado.",
            id_carrera=root.get("idCarrera"),
            clave_plan=root.get("clavePlan"),
        )

    def consulta_programas_estudios(self, who: dto.Principal) -> list[dto.ProgramaResumen]:
        self._enter("consulta_programas_estudios")
        return list(self.programas.get(who.institution_id or "SEP", []))

    def exporta_certificados(
        self, who: dto.Principal, filtro: dto.FiltroCertificados, formato: dto.FormatoExportacion
    ) -> dto.Archivo:
        self._enter("exporta_certificados", filtro, formato)
        found = self._matching(who, filtro)  # the real writers, over the fake's rows
        buffer = io.BytesIO()
        if formato is dto.FormatoExportacion.CSV:
            write_csv(found, buffer)
        else:
            write_xlsx(found, buffer)
        return dto.Archivo(f"certificados.{formato.value.lower()}", buffer.getvalue())

    def solicita_cancelacion(
        self,
        who: dto.Principal,
        folio_control: str | None,
        motivo: str,
        observaciones: str | None,
        folio_digital: str | None = None,
    ) -> dto.ResultadoCancelacion:
        extra = (folio_digital,) if folio_digital is not None else ()
        self._enter("solicita_cancelacion", folio_control, motivo, observaciones, *extra)
        c = self._certificado(who, folio_control, folio_digital)
        if motivo not in MOTIVOS_CANCELACION:
            raise errors.SolicitudInvalida(f"El motivo de cancelación {motivo!r} no está en el catálogo.")
        if c.resumen.estatus is not dto.EstatusCertificado.VIGENTE:
            raise errors.CancelacionNoPermitida(
                f"El certificado {folio_control or folio_digital!r} ya tiene una cancelación "
                "solicitada o aplicada."
            )
        c.resumen = dataclasses.replace(c.resumen, estatus=dto.EstatusCertificado.CANCELACION_SOLICITADA)
        result = dto.ResultadoCancelacion(
            folio_control=c.resumen.folio_control,
            estatus=dto.EstatusCertificado.CANCELACION_SOLICITADA,
            fecha_solicitud=self.now,
            fecha_efectiva=self.now + timedelta(hours=CANCELACION_HORAS),
            mensaje="Cancelación solicitada; surtirá efecto al concluir el plazo de revisión.",
            folio_digital=c.resumen.folio_digital,
        )
        self.cancelaciones[c.resumen.folio_digital] = result
        return result

    def consulta_documentos(self, who: dto.Principal) -> list[dto.Documento]:
        self._enter("consulta_documentos")
        return [
            dto.Documento(nombre, descripcion, len(contenido), hashlib.sha256(contenido).hexdigest())
            for nombre, (descripcion, contenido) in sorted(self.documentos.items())
        ]

    def descarga_documento(self, who: dto.Principal, nombre: str) -> dto.Archivo:
        self._enter("descarga_documento", nombre)
        if nombre not in self.documentos:
            raise errors.DocumentoInexistente(f"No hay un documento llamado {nombre!r}.")
        return dto.Archivo(nombre, self.documentos[nombre][1])

    def concluye_pruebas(self, who: dto.Principal) -> dto.ResultadoPruebas:
        self._enter("concluye_pruebas")
        if not self.ambiente_pruebas:
            raise errors.SolicitudInvalida("concluyePruebas solo está disponible en el ambiente de pruebas.")
        aceptados = [
            lote
            for lote in self.lotes.values()
            if lote.estatus is dto.EstatusLote.ACEPTADO and lote.institucion == who.institution_id
        ]
        faltantes = []
        total = sum(len(lote.detalle) for lote in aceptados)
        if total < PRUEBAS_MINIMO:
            faltantes.append(f"{PRUEBAS_MINIMO - total} certificados aceptados más")
        if not any(not lote.es_zip for lote in aceptados):
            faltantes.append("una carga aceptada de un solo XML")
        if not any(lote.es_zip for lote in aceptados):
            faltantes.append("una carga aceptada en ZIP")
        if faltantes:
            raise errors.PruebasIncompletas(
                "Faltan, para concluir las pruebas: " + "; ".join(faltantes) + "."
            )
        self.pruebas_concluidas.add(who.institution_id or "")
        return dto.ResultadoPruebas(estatus="CONCLUIDAS", mensaje="Fase de pruebas concluida.")
