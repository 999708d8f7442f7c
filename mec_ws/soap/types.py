"""The wire types of the SOAP contract (``contract.md``), as spyne models.

spyne binds a model class to its namespace by mutating it when an application is built, and the
target namespace is configurable; so the types are not module globals but are built per
application by :func:`build_types`.  Every name here is part of the public API: element names,
their order, types and enumerations.

Conventions (see ``contract.md``):

- required fields ``minOccurs=1`` and not nillable; optional ones ``minOccurs=0``, not nillable;
- integers ``xs:int`` / ``xs:long`` (never ``xs:integer``), calendar dates ``xs:date``, instants
  ``xs:dateTime`` in UTC with ``Z``;
- enumerations are named simple types in the target namespace;
- lists are one level deep, wrapped in a named element (``lotes/lote``);
- binary payloads ``xs:base64Binary``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

from spyne import Array, ByteArray, ComplexModel, Date, DateTime, Decimal, Integer32, Integer64, Unicode
from spyne.model import ModelBase

from mec_ws.services import dto

Field = tuple[str, type[ModelBase]]
TypeFactory = Callable[..., type[ModelBase]]

MAX_REGISTROS_POR_PAGINA = 500


def required(model: type[ModelBase], doc: str = "", **attrs: Any) -> type[ModelBase]:
    """A mandatory, non-nillable element (``minOccurs=1``)."""
    return model.customize(min_occurs=1, nillable=False, doc=doc, **attrs)


def optional(model: type[ModelBase], doc: str = "", **attrs: Any) -> type[ModelBase]:
    """An element that may be absent (``minOccurs=0``) but is never ``xsi:nil``."""
    return model.customize(min_occurs=0, nillable=False, doc=doc, **attrs)


def complex_type(tns: str, name: str, fields: Sequence[Field], doc: str = "") -> type[ComplexModel]:
    """A named ``xs:complexType`` whose ``xs:sequence`` is ``fields`` in order."""
    attrs: dict[str, Any] = {"__namespace__": tns, "__type_name__": name, "_type_info": list(fields)}
    if doc:
        attrs["Annotations"] = type("Annotations", (ComplexModel.Annotations,), {"doc": doc})
    return type(name, (ComplexModel,), attrs)


def wrapped_list(item: type[ModelBase], member: str) -> type[ModelBase]:
    """A required wrapper element holding zero or more ``member`` items (``lotes/lote``).

    No field documentation here: spyne would attach it to the shared wrapper type.
    """
    return required(Array(item.customize(nillable=False), member_name=member))


def enum_type(tns: str, name: str, values: type[enum.Enum], doc: str) -> TypeFactory:
    """A factory of uses of one named enumeration (``xs:simpleType name=...``).

    ``customize()`` on an enumerated ``Unicode`` would derive an anonymous type per use, so each
    use is built afresh with the same type name and namespace.
    """
    members = [str(m.value) for m in values]

    def use(**attrs: Any) -> type[ModelBase]:
        return Unicode(values=members, type_name=name, __namespace__=tns, doc=doc, **attrs)

    return use


def restricted_int(tns: str, name: str, doc: str, **facets: int) -> TypeFactory:
    """A factory of uses of one named ``xs:int`` restriction (``minInclusive``/``maxInclusive``)."""

    def use(**attrs: Any) -> type[ModelBase]:
        return Integer32(type_name=name, __namespace__=tns, doc=doc, **facets, **attrs)

    return use


class WireTypes:
    """Every wire type of the contract, bound to one target namespace.

    Adding an operation means adding its request fields (a list of ``Field``) and its response
    type here, then one ``@rpc`` method in :mod:`mec_ws.soap.service`.
    """

    def __init__(self, tns: str) -> None:
        self.tns = tns

        # --- enumerations -----------------------------------------------------------------------
        self.EstatusLote = enum_type(
            tns,
            "EstatusLote",
            dto.EstatusLote,
            "Estado de un lote: RECIBIDO (guardado, en espera), EN_PROCESO, ACEPTADO, RECHAZADO o FALLIDO "
            "(falla del servicio, no de los certificados: no consume intento y libera el folio).",
        )
        self.EstatusFolio = enum_type(
            tns,
            "EstatusFolio",
            dto.EstatusFolio,
            "Estado de un folio de pago: DISPONIBLE, EN_PROCESO, ACEPTADO o AGOTADO "
            "(dos intentos rechazados).",
        )
        self.EstatusCertificado = enum_type(
            tns,
            "EstatusCertificado",
            dto.EstatusCertificado,
            "Estado de un certificado aceptado: VIGENTE, CANCELACION_SOLICITADA o CANCELADO.",
        )
        self.EstatusArchivo = enum_type(
            tns,
            "EstatusArchivo",
            dto.EstatusArchivo,
            "Resultado de un archivo de un lote: CORRECTO o CON_ERRORES.",
        )
        self.EstatusPrograma = enum_type(
            tns,
            "EstatusPrograma",
            dto.EstatusPrograma,
            "Resultado de la carga de un programa de estudios: ACEPTADO o RECHAZADO.",
        )
        self.FormatoCertificado = enum_type(
            tns,
            "FormatoCertificado",
            dto.FormatoCertificado,
            "Formato de descarga de un certificado: XML (sellado por la SEP) o PDF (representación "
            "impresa con código QR de verificación).",
        )
        self.FormatoExportacion = enum_type(
            tns,
            "FormatoExportacion",
            dto.FormatoExportacion,
            "Formato de exportación de certificados: CSV (UTF-8 con BOM) o XLSX (libro de Excel).",
        )

        # --- restricted integers (named, so every client maps them to a plain int) --------------
        self.Pagina = restricted_int(tns, "Pagina", "Número de página, desde 1.", ge=1)
        self.RegistrosPorPagina = restricted_int(
            tns,
            "RegistrosPorPagina",
            f"Tamaño de página, de 1 a {MAX_REGISTROS_POR_PAGINA}.",
            ge=1,
            le=MAX_REGISTROS_POR_PAGINA,
        )

        # --- common blocks ----------------------------------------------------------------------
        self.Autenticacion = complex_type(
            tns,
            "Autenticacion",
            [
                ("usuario", required(Unicode, "Nombre de usuario asignado por la SEP.")),
                ("password", required(Unicode, "Contraseña del usuario.")),
            ],
            "Credenciales: primer elemento de toda solicitud. Tras varios intentos fallidos la cuenta "
            "se bloquea temporalmente (falla CuentaBloqueada).",
        )
        self.Error = complex_type(
            tns,
            "Error",
            [
                ("codigo", required(Unicode, "Código estable del hallazgo.")),
                ("mensaje", required(Unicode, "Descripción en español.")),
                (
                    "ubicacion",
                    required(
                        Unicode,
                        "Elemento o atributo donde se encontró, p. ej. Dec/Alumno/@curp; "
                        "vacío cuando el hallazgo es del archivo completo.",
                    ),
                ),
            ],
            "Un hallazgo de validación.",
        )
        self.ArchivoLote = complex_type(
            tns,
            "ArchivoLote",
            [
                ("nombre", required(Unicode, "Nombre del archivo (dentro del ZIP, si lo hubo).")),
                ("folioControl", optional(Unicode, "Presente solo cuando pudo leerse del archivo.")),
                ("estatus", self.EstatusArchivo(min_occurs=1, nillable=False)),
                ("errores", wrapped_list(self.Error, "error")),
            ],
            "Resultado de un archivo del lote; errores está vacío cuando el archivo es CORRECTO.",
        )
        self.Lote = complex_type(
            tns,
            "Lote",
            [
                ("numeroLote", required(Integer64)),
                ("nombreArchivo", required(Unicode)),
                ("intento", required(Integer32, "1 o 2.")),
                ("estatus", self.EstatusLote(min_occurs=1, nillable=False)),
                ("fechaCarga", required(DateTime, "Instante de recepción, en UTC.")),
                (
                    "fechaProceso",
                    optional(DateTime, "Instante del procesamiento, en UTC; ausente hasta entonces."),
                ),
                ("totalArchivos", required(Integer32)),
                ("archivosConError", required(Integer32)),
                ("mensaje", required(Unicode)),
                ("detalle", wrapped_list(self.ArchivoLote, "archivo")),
            ],
            "Un intento de carga de un folio de pago.",
        )
        self.FiltroCertificados = complex_type(
            tns,
            "FiltroCertificados",
            [
                (
                    "idInstitucion",
                    optional(Unicode, "Solo operadores de la SEP; un usuario de una IPES ve solo la suya."),
                ),
                ("idCampus", optional(Unicode, "Clave del campus tal como aparece en el certificado.")),
                ("folioPago", optional(Unicode)),
                ("folioControl", optional(Unicode)),
                ("folioDigital", optional(Unicode)),
                ("curp", optional(Unicode)),
                ("fechaExpedicionDesde", optional(Date, "Inclusive, fecha de la Ciudad de México.")),
                ("fechaExpedicionHasta", optional(Date, "Inclusive, fecha de la Ciudad de México.")),
                ("fechaCargaDesde", optional(Date, "Inclusive, fecha de la Ciudad de México.")),
                ("fechaCargaHasta", optional(Date, "Inclusive, fecha de la Ciudad de México.")),
                ("estatus", self.EstatusCertificado(min_occurs=0, nillable=False)),
            ],
            "Criterios de búsqueda, todos opcionales y combinados con Y; un filtro ausente o vacío "
            "no filtra.",
        )
        self.Certificado = complex_type(
            tns,
            "Certificado",
            [
                ("institucion", required(Unicode)),
                ("campus", required(Unicode)),
                ("nombre", required(Unicode, "Nombre completo del alumno.")),
                ("curp", required(Unicode)),
                ("carrera", required(Unicode)),
                ("folioPago", required(Unicode)),
                ("folioControl", required(Unicode)),
                ("folioDigital", required(Unicode)),
                ("lugarExpedicion", required(Unicode)),
                ("fechaExpedicion", required(Date)),
                ("fechaCarga", required(DateTime, "Instante de aceptación, en UTC.")),
                ("estatus", self.EstatusCertificado(min_occurs=1, nillable=False)),
            ],
            "Un certificado aceptado.",
        )
        self.Programa = complex_type(
            tns,
            "Programa",
            [
                ("idCarrera", required(Unicode)),
                ("claveCarrera", required(Unicode)),
                ("nombreCarrera", required(Unicode)),
                ("clavePlan", required(Unicode)),
                ("numeroRvoe", required(Unicode)),
                ("fechaRvoe", required(Date)),
                ("numeroAsignaturas", required(Integer32)),
                ("totalCreditos", required(Decimal, "Tal como se registró en el programa.")),
                ("fechaRegistro", required(DateTime, "Instante de registro, en UTC.")),
            ],
            "Un programa de estudios registrado.",
        )
        self.Documento = complex_type(
            tns,
            "Documento",
            [
                ("nombre", required(Unicode, "Nombre con el que se descarga (descargaDocumento).")),
                ("descripcion", required(Unicode)),
                ("tamano", required(Integer64, "Tamaño en bytes.")),
                ("sha256", required(Unicode, "Huella SHA-256 del contenido, en hexadecimal minúsculo.")),
            ],
            "Un archivo que la SEP publica para las IPES.",
        )

        # --- request fields (after autenticacion) and responses, one pair per operation --------
        auth = ("autenticacion", required(self.Autenticacion))

        self.cargaCertificados_in: list[Field] = [
            auth,
            ("folioPago", required(Unicode)),
            ("nombreArchivo", required(Unicode)),
            (
                "archivoBase64",
                required(
                    ByteArray,
                    "Un XML de certificado o un ZIP de XML; el tipo se decide por el contenido, "
                    "no por el nombre.",
                ),
            ),
        ]
        self.cargaCertificadosResponse = complex_type(
            tns,
            "cargaCertificadosResponse",
            [
                ("numeroLote", required(Integer64)),
                ("folioPago", required(Unicode)),
                ("intento", required(Integer32, "1 o 2.")),
                ("intentosRestantes", required(Integer32)),
                ("estatus", self.EstatusLote(min_occurs=1, nillable=False)),
                ("mensaje", required(Unicode)),
            ],
            "Reenviar los mismos bytes para el mismo folio devuelve el mismo numeroLote sin consumir "
            "un intento.",
        )

        self.consultaEstatusCarga_in: list[Field] = [auth, ("folioPago", required(Unicode))]
        self.consultaEstatusCargaResponse = complex_type(
            tns,
            "consultaEstatusCargaResponse",
            [
                ("folioPago", required(Unicode)),
                ("cantidadCertificados", required(Integer32, "Certificados que ampara el folio.")),
                ("intentosUsados", required(Integer32)),
                ("intentosRestantes", required(Integer32)),
                ("estatusFolio", self.EstatusFolio(min_occurs=1, nillable=False)),
                ("lotes", wrapped_list(self.Lote, "lote")),
            ],
            "Estado de un folio de pago; lotes lista sus intentos, del primero al último.",
        )

        self.descargaResultadoCarga_in: list[Field] = [auth, ("numeroLote", required(Integer64))]
        self.descargaResultadoCargaResponse = complex_type(
            tns,
            "descargaResultadoCargaResponse",
            [
                ("numeroLote", required(Integer64)),
                ("nombreArchivo", required(Unicode)),
                (
                    "archivoBase64",
                    required(
                        ByteArray,
                        "ZIP con resultado.csv (UTF-8 con BOM) y, si el lote fue aceptado, los "
                        "certificados sellados por la SEP.",
                    ),
                ),
            ],
        )

        self.consultaCertificados_in: list[Field] = [
            auth,
            ("filtro", optional(self.FiltroCertificados)),
            ("pagina", self.Pagina(min_occurs=1, nillable=False)),
            ("registrosPorPagina", self.RegistrosPorPagina(min_occurs=1, nillable=False)),
        ]
        self.consultaCertificadosResponse = complex_type(
            tns,
            "consultaCertificadosResponse",
            [
                ("totalRegistros", required(Integer32, "Total de certificados que cumplen el filtro.")),
                ("pagina", required(Integer32)),
                ("registrosPorPagina", required(Integer32)),
                ("certificados", wrapped_list(self.Certificado, "certificado")),
            ],
            "Una página de certificados, ordenados por fechaCarga y folioControl; el orden es "
            "estable entre páginas.",
        )

        self.descargaCertificado_in: list[Field] = [
            auth,
            ("folioControl", required(Unicode)),
            ("formato", self.FormatoCertificado(min_occurs=1, nillable=False)),
        ]
        self.descargaCertificadoResponse = complex_type(
            tns,
            "descargaCertificadoResponse",
            [("nombreArchivo", required(Unicode)), ("archivoBase64", required(ByteArray))],
            "XML: el certificado tal como lo selló la SEP. PDF: representación impresa con los datos "
            "del alumno, asignaturas y calificaciones, los sellos y un código QR con la URL pública "
            "de verificación.",
        )

        self.exportaCertificados_in: list[Field] = [
            auth,
            ("filtro", optional(self.FiltroCertificados)),
            ("formato", self.FormatoExportacion(min_occurs=1, nillable=False)),
        ]
        self.exportaCertificadosResponse = complex_type(
            tns,
            "exportaCertificadosResponse",
            [
                ("nombreArchivo", required(Unicode)),
                (
                    "archivoBase64",
                    required(
                        ByteArray,
                        "Todos los certificados que cumplen el filtro, con las columnas de "
                        "consultaCertificados, en el orden de consultaCertificados.",
                    ),
                ),
            ],
            "Exportar todo: el resultado completo de un filtro en un solo archivo, sin paginar.",
        )

        self.solicitaCancelacion_in: list[Field] = [
            auth,
            ("folioControl", required(Unicode)),
            (
                "motivo",
                required(
                    Unicode,
                    "Clave del catálogo de motivos de cancelación (p. ej. C1); el catálogo se "
                    "obtiene con consultaDocumentos y descargaDocumento.",
                ),
            ),
            ("observaciones", optional(Unicode, "Texto libre, opcional.")),
        ]
        self.solicitaCancelacionResponse = complex_type(
            tns,
            "solicitaCancelacionResponse",
            [
                ("folioControl", required(Unicode)),
                ("estatus", self.EstatusCertificado(min_occurs=1, nillable=False)),
                ("fechaSolicitud", required(DateTime, "Instante de la solicitud, en UTC.")),
                (
                    "fechaEfectiva",
                    required(
                        DateTime,
                        "Instante en que la cancelación surte efecto, en UTC (48 horas después de la "
                        "solicitud, salvo otra configuración); antes de él un operador de la SEP "
                        "puede retirarla.",
                    ),
                ),
                ("mensaje", required(Unicode)),
            ],
            "La solicitud queda pendiente (CANCELACION_SOLICITADA) hasta fechaEfectiva; desde "
            "entonces el certificado está CANCELADO en consultas, descargas y verificación pública.",
        )

        self.consultaDocumentos_in: list[Field] = [auth]
        self.consultaDocumentosResponse = complex_type(
            tns,
            "consultaDocumentosResponse",
            [("documentos", wrapped_list(self.Documento, "documento"))],
            "Descargas archivos IPES: esquemas XSD, la XSLT de la cadena original, los catálogos "
            "(CSV), este WSDL y el manual para integradores.",
        )

        self.descargaDocumento_in: list[Field] = [
            auth,
            ("nombre", required(Unicode, "Un nombre de los que lista consultaDocumentos.")),
        ]
        self.descargaDocumentoResponse = complex_type(
            tns,
            "descargaDocumentoResponse",
            [("nombreArchivo", required(Unicode)), ("archivoBase64", required(ByteArray))],
        )

        self.concluyePruebas_in: list[Field] = [auth]
        self.concluyePruebasResponse = complex_type(
            tns,
            "concluyePruebasResponse",
            [
                (
                    "estatus",
                    required(Unicode, "CONCLUIDAS: la fase de pruebas de la institución está concluida."),
                ),
                ("mensaje", required(Unicode)),
            ],
            "Solo en el ambiente de pruebas y para usuarios de una institución (en otro caso, falla "
            "SolicitudInvalida). Se rechaza con la falla PruebasIncompletas (que dice lo que falta) "
            "hasta que la institución tenga al menos 10 certificados aceptados en pruebas, entre "
            "ellos una carga de un solo XML y una carga ZIP. Repetirla una vez concluida responde "
            "igual, con la fecha en que se concluyó.",
        )

        self.cargaProgramaEstudios_in: list[Field] = [
            auth,
            ("nombreArchivo", required(Unicode)),
            (
                "archivoBase64",
                required(
                    ByteArray,
                    "El programa de estudios en XML o en XLSX (hoja de cálculo con las columnas "
                    "documentadas); el tipo se decide por el contenido, no por el nombre.",
                ),
            ),
        ]
        self.cargaProgramaEstudiosResponse = complex_type(
            tns,
            "cargaProgramaEstudiosResponse",
            [
                ("estatus", self.EstatusPrograma(min_occurs=1, nillable=False)),
                ("mensaje", required(Unicode)),
                ("errores", wrapped_list(self.Error, "error")),
                ("idCarrera", optional(Unicode, "Presente cuando el programa fue ACEPTADO.")),
                ("clavePlan", optional(Unicode, "Presente cuando el programa fue ACEPTADO.")),
            ],
            "El programa se valida de inmediato; errores está vacío cuando es ACEPTADO.",
        )

        self.consultaProgramasEstudios_in: list[Field] = [auth]
        self.consultaProgramasEstudiosResponse = complex_type(
            tns,
            "consultaProgramasEstudiosResponse",
            [("programas", wrapped_list(self.Programa, "programa"))],
            "Los programas de estudios registrados de la institución.",
        )


def build_types(tns: str) -> WireTypes:
    """Fresh wire types bound to ``tns`` (one set per spyne application)."""
    return WireTypes(tns)
