"""The SOAP operations: one ``@rpc`` method each, a few lines mapping the wire to ``MecServices``.

The service class is built per application (:func:`build_service`) over the wire types of its
namespace.  A method authenticates, calls the one service method of its operation and maps the
plain result onto the response type.  Domain errors become ``errorMec`` faults in
:meth:`MecServiceBase.call_wrapper`; anything unexpected becomes ``Server.Interno`` (traceback
logged, never sent).

Adding an operation: its request fields and response type in :mod:`mec_ws.soap.types`, a mapper
below if its result has a new shape, and a method in :func:`build_service`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from spyne import ComplexModel, ServiceBase, rpc
from spyne.model.fault import Fault

from mec_ws.errors import MecError
from mec_ws.incoming import IncomingFile
from mec_ws.services import dto
from mec_ws.services.protocol import MecServices
from mec_ws.soap import faults
from mec_ws.soap.stream import INCOMING_KEY, OUTGOING_KEY, OUTGOING_MARKER, STREAM_ANSWER_OVER
from mec_ws.soap.types import Field, WireTypes

logger = logging.getLogger(__name__)

SERVICE_NAME = "MecService"


def services_of(ctx: Any) -> MecServices:
    """The ``MecServices`` of the application handling ``ctx`` (see ``app.MecApplication``)."""
    services: MecServices | None = getattr(ctx.app, "mec_services", None)
    if services is None:
        raise RuntimeError("La aplicación SOAP se construyó sin servicios (solo para el WSDL).")
    return services


class MecServiceBase(ServiceBase):
    """Maps every exception leaving an operation to a contract fault."""

    @classmethod
    def call_wrapper(cls, ctx: Any, *args: Any, **kwargs: Any) -> Any:
        tns = ctx.app.interface.get_tns()
        try:
            return super().call_wrapper(ctx, *args, **kwargs)
        except MecError as error:
            raise faults.mec_fault(tns, error) from None
        except faults.MecFault:
            raise
        except Fault as fault:
            raise faults.from_spyne_fault(tns, fault) from None
        except Exception:
            logger.exception("Error inesperado en la operación %s", ctx.method_request_string)
            raise faults.interno(tns) from None


def operation(request: Sequence[Field], response: type[ComplexModel], error_mec: type[ComplexModel]) -> Any:
    """``@rpc`` for a wrapped document/literal operation named like the decorated method.

    The request element is the method name with ``request`` as its sequence; the response element
    is ``<method>Response`` of type ``response`` (no spyne ``...Result`` wrapper); every operation
    declares the ``errorMec`` fault.
    """
    names = [name for name, _ in request]
    models = [model for _, model in request]
    return rpc(
        *models,
        _args=names,
        _returns=response,
        _body_style="out_bare",
        _out_message_name=response.get_type_name(),
        _throws=[error_mec],
    )


# --- small wire helpers ---------------------------------------------------------------------------


def login(ctx: Any, autenticacion: Any) -> dto.Principal:
    return services_of(ctx).authenticate(text(autenticacion.usuario), text(autenticacion.password))


def text(value: str | None) -> str:
    """A required string: an empty element arrives as ``None``; the service sees ``""``."""
    return value if value is not None else ""


def binary(value: Iterable[bytes] | None) -> bytes:
    """spyne hands ``xs:base64Binary`` over as chunks, and an empty element as ``None``."""
    return b"".join(value) if value else b""


def upload(ctx: Any, value: Iterable[bytes] | None) -> bytes | IncomingFile:
    """The ``archivoBase64`` of an upload operation: the file the guard spooled while a large
    request arrived (:mod:`mec_ws.soap.stream`), else the bytes spyne decoded."""
    spooled = ctx.transport.req_env.get(INCOMING_KEY)
    return spooled if isinstance(spooled, IncomingFile) else binary(value)


def payload(ctx: Any, archivo: dto.Archivo) -> list[bytes]:
    """The ``archivoBase64`` of an answer.  A file over
    :data:`~mec_ws.soap.stream.STREAM_ANSWER_OVER` is left to the endpoint, which streams its
    base64 in place of a marker (:class:`~mec_ws.soap.stream.StreamedAnswer`)."""
    if archivo.tamano > STREAM_ANSWER_OVER:
        ctx.transport.req_env[OUTGOING_KEY] = archivo
        return [OUTGOING_MARKER]
    return [archivo.contenido]


# --- result mappers (dto -> wire) -----------------------------------------------------------------


def error_list(t: WireTypes, items: Iterable[dto.Error]) -> list[Any]:
    return [t.Error(codigo=e.codigo, mensaje=e.mensaje, ubicacion=e.ubicacion) for e in items]


def lote(t: WireTypes, item: dto.Lote) -> Any:
    return t.Lote(
        numeroLote=item.numero_lote,
        nombreArchivo=item.nombre_archivo,
        intento=item.intento,
        estatus=str(item.estatus),
        fechaCarga=item.fecha_carga,
        fechaProceso=item.fecha_proceso,
        totalArchivos=item.total_archivos,
        archivosConError=item.archivos_con_error,
        mensaje=item.mensaje,
        detalle=[archivo_lote(t, a) for a in item.detalle],
    )


def archivo_lote(t: WireTypes, a: dto.ArchivoDetalle) -> Any:
    return t.ArchivoLote(
        nombre=a.nombre,
        folioControl=a.folio_control,
        estatus=str(a.estatus),
        errores=error_list(t, a.errores),
    )


def to_filtro(value: Any) -> dto.FiltroCertificados:
    if value is None:
        return dto.FiltroCertificados()
    estatus = dto.EstatusCertificado(value.estatus) if value.estatus else None
    return dto.FiltroCertificados(
        id_institucion=value.idInstitucion or None,
        id_campus=value.idCampus or None,
        folio_pago=value.folioPago or None,
        folio_control=value.folioControl or None,
        folio_digital=value.folioDigital or None,
        curp=value.curp or None,
        fecha_expedicion_desde=value.fechaExpedicionDesde,
        fecha_expedicion_hasta=value.fechaExpedicionHasta,
        fecha_carga_desde=value.fechaCargaDesde,
        fecha_carga_hasta=value.fechaCargaHasta,
        estatus=estatus,
    )


def certificado(t: WireTypes, c: dto.CertificadoResumen) -> Any:
    return t.Certificado(
        institucion=c.institucion,
        campus=c.campus,
        nombre=c.nombre,
        curp=c.curp,
        carrera=c.carrera,
        folioPago=c.folio_pago,
        folioControl=c.folio_control,
        folioDigital=c.folio_digital,
        lugarExpedicion=c.lugar_expedicion,
        fechaExpedicion=c.fecha_expedicion,
        fechaCarga=c.fecha_carga,
        estatus=str(c.estatus),
    )


def programa(t: WireTypes, p: dto.ProgramaResumen) -> Any:
    return t.Programa(
        idCarrera=p.id_carrera,
        claveCarrera=p.clave_carrera,
        nombreCarrera=p.nombre_carrera,
        clavePlan=p.clave_plan,
        numeroRvoe=p.numero_rvoe,
        fechaRvoe=p.fecha_rvoe,
        numeroAsignaturas=p.numero_asignaturas,
        totalCreditos=Decimal(p.total_creditos),
        fechaRegistro=p.fecha_registro,
    )


def documento(t: WireTypes, d: dto.Documento) -> Any:
    return t.Documento(nombre=d.nombre, descripcion=d.descripcion, tamano=d.tamano, sha256=d.sha256)


def optional_text(value: str | None) -> str | None:
    """An optional string: absent or empty is ``None``."""
    return value or None


# --- the operations -------------------------------------------------------------------------------


def build_service(t: WireTypes, error_mec: type[ComplexModel]) -> type[ServiceBase]:
    """The service class of one application, over the wire types ``t``."""

    class MecService(MecServiceBase):
        __service_name__ = SERVICE_NAME

        @operation(t.cargaCertificados_in, t.cargaCertificadosResponse, error_mec)
        def cargaCertificados(ctx, autenticacion, folioPago, nombreArchivo, archivoBase64):
            """Carga certificados (un XML o un ZIP de XML) contra un folio de pago."""
            who = login(ctx, autenticacion)
            r = services_of(ctx).carga_certificados(
                who, text(folioPago), text(nombreArchivo), upload(ctx, archivoBase64)
            )
            return t.cargaCertificadosResponse(
                numeroLote=r.numero_lote,
                folioPago=r.folio_pago,
                intento=r.intento,
                intentosRestantes=r.intentos_restantes,
                estatus=str(r.estatus),
                mensaje=r.mensaje,
            )

        @operation(t.validaCertificados_in, t.validaCertificadosResponse, error_mec)
        def validaCertificados(ctx, autenticacion, nombreArchivo, archivoBase64, folioPago):
            """Valida certificados como lo haría el procesamiento, sin guardar ni consumir nada."""
            r = services_of(ctx).valida_certificados(
                login(ctx, autenticacion),
                text(nombreArchivo),
                upload(ctx, archivoBase64),
                optional_text(folioPago),
            )
            return t.validaCertificadosResponse(
                totalArchivos=r.total_archivos,
                archivosConError=r.archivos_con_error,
                mensaje=r.mensaje,
                detalle=[archivo_lote(t, a) for a in r.detalle],
            )

        @operation(t.consultaEstatusCarga_in, t.consultaEstatusCargaResponse, error_mec)
        def consultaEstatusCarga(ctx, autenticacion, folioPago):
            """Estado de las cargas de un folio de pago, con el detalle de cada archivo."""
            r = services_of(ctx).consulta_estatus_carga(login(ctx, autenticacion), text(folioPago))
            return t.consultaEstatusCargaResponse(
                folioPago=r.folio_pago,
                cantidadCertificados=r.cantidad_certificados,
                intentosUsados=r.intentos_usados,
                intentosRestantes=r.intentos_restantes,
                estatusFolio=str(r.estatus_folio),
                lotes=[lote(t, x) for x in r.lotes],
            )

        @operation(t.descargaResultadoCarga_in, t.descargaResultadoCargaResponse, error_mec)
        def descargaResultadoCarga(ctx, autenticacion, numeroLote):
            """El archivo de resultado (ZIP) de un lote."""
            r = services_of(ctx).descarga_resultado_carga(login(ctx, autenticacion), numeroLote)
            return t.descargaResultadoCargaResponse(
                numeroLote=numeroLote, nombreArchivo=r.nombre_archivo, archivoBase64=payload(ctx, r)
            )

        @operation(t.consultaCertificados_in, t.consultaCertificadosResponse, error_mec)
        def consultaCertificados(ctx, autenticacion, filtro, pagina, registrosPorPagina):
            """Búsqueda paginada de certificados aceptados."""
            r = services_of(ctx).consulta_certificados(
                login(ctx, autenticacion), to_filtro(filtro), pagina, registrosPorPagina
            )
            return t.consultaCertificadosResponse(
                totalRegistros=r.total_registros,
                pagina=r.pagina,
                registrosPorPagina=r.registros_por_pagina,
                certificados=[certificado(t, c) for c in r.certificados],
            )

        @operation(t.exportaCertificados_in, t.exportaCertificadosResponse, error_mec)
        def exportaCertificados(ctx, autenticacion, filtro, formato):
            """Exportar todo: los certificados que cumplen el filtro, en CSV o XLSX."""
            r = services_of(ctx).exporta_certificados(
                login(ctx, autenticacion), to_filtro(filtro), dto.FormatoExportacion(formato)
            )
            return t.exportaCertificadosResponse(
                nombreArchivo=r.nombre_archivo, archivoBase64=payload(ctx, r)
            )

        @operation(t.descargaCertificado_in, t.descargaCertificadoResponse, error_mec)
        def descargaCertificado(ctx, autenticacion, folioControl, folioDigital, formato):
            """Un certificado como XML sellado por la SEP o como PDF, por folioControl o folioDigital."""
            r = services_of(ctx).descarga_certificado(
                login(ctx, autenticacion),
                optional_text(folioControl),
                dto.FormatoCertificado(formato),
                optional_text(folioDigital),
            )
            return t.descargaCertificadoResponse(
                nombreArchivo=r.nombre_archivo, archivoBase64=payload(ctx, r)
            )

        @operation(t.solicitaCancelacion_in, t.solicitaCancelacionResponse, error_mec)
        def solicitaCancelacion(ctx, autenticacion, folioControl, folioDigital, motivo, observaciones):
            """Solicita la cancelación de un certificado (por folioControl o folioDigital); surte efecto
            al vencer el plazo de revisión."""
            r = services_of(ctx).solicita_cancelacion(
                login(ctx, autenticacion),
                optional_text(folioControl),
                text(motivo),
                optional_text(observaciones),
                optional_text(folioDigital),
            )
            return t.solicitaCancelacionResponse(
                folioControl=r.folio_control,
                estatus=str(r.estatus),
                fechaSolicitud=r.fecha_solicitud,
                fechaEfectiva=r.fecha_efectiva,
                mensaje=r.mensaje,
                folioDigital=r.folio_digital,
            )

        @operation(t.cargaProgramaEstudios_in, t.cargaProgramaEstudiosResponse, error_mec)
        def cargaProgramaEstudios(ctx, autenticacion, nombreArchivo, archivoBase64):
            """Carga y valida de inmediato un programa de estudios, en XML o en XLSX."""
            r = services_of(ctx).carga_programa_estudios(
                login(ctx, autenticacion), text(nombreArchivo), upload(ctx, archivoBase64)
            )
            return t.cargaProgramaEstudiosResponse(
                estatus=str(r.estatus),
                mensaje=r.mensaje,
                errores=error_list(t, r.errores),
                idCarrera=r.id_carrera,
                clavePlan=r.clave_plan,
            )

        @operation(t.consultaProgramasEstudios_in, t.consultaProgramasEstudiosResponse, error_mec)
        def consultaProgramasEstudios(ctx, autenticacion):
            """Los programas de estudios registrados de la institución."""
            r = services_of(ctx).consulta_programas_estudios(login(ctx, autenticacion))
            return t.consultaProgramasEstudiosResponse(programas=[programa(t, p) for p in r])

        @operation(t.consultaDocumentos_in, t.consultaDocumentosResponse, error_mec)
        def consultaDocumentos(ctx, autenticacion):
            """Los archivos que la SEP publica para las IPES (esquemas, XSLT, catálogos, WSDL, manual)."""
            r = services_of(ctx).consulta_documentos(login(ctx, autenticacion))
            return t.consultaDocumentosResponse(documentos=[documento(t, d) for d in r])

        @operation(t.descargaDocumento_in, t.descargaDocumentoResponse, error_mec)
        def descargaDocumento(ctx, autenticacion, nombre):
            """Un archivo de los que lista consultaDocumentos."""
            r = services_of(ctx).descarga_documento(login(ctx, autenticacion), text(nombre))
            return t.descargaDocumentoResponse(nombreArchivo=r.nombre_archivo, archivoBase64=payload(ctx, r))

        @operation(t.concluyePruebas_in, t.concluyePruebasResponse, error_mec)
        def concluyePruebas(ctx, autenticacion):
            """Declara concluida la fase de pruebas de la institución (solo en el ambiente de pruebas)."""
            r = services_of(ctx).concluye_pruebas(login(ctx, autenticacion))
            return t.concluyePruebasResponse(estatus=r.estatus, mensaje=r.mensaje)

    return MecService
