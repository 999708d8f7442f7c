"""The integrator's manual (Spanish Markdown), generated so it never drifts from the service.

Everything in it comes from a source the service itself uses: the operations, their request and
response fields (type, ``minOccurs``/``maxOccurs``, ``xs:documentation``) and the named types are
read from the WSDL that :func:`mec_ws.soap.app.build_wsdl` serves for ``settings`` (parsed with the
hardened parser); the fault codes from :data:`mec_ws.errors.FAULT_CODES` (with the descriptions
below, which a test keeps complete); the finding codes from :data:`mec_ws.findings.CODES`; the
catalogs from :mod:`mec_ws.catalogs`; the XLSX columns of a study program from
:mod:`mec_ws.programs.xlsx_reader`; the environment from ``settings``.  A zeep example per
operation is generated from its field list.  The output is deterministic (no dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lxml import etree

from mec_ws import catalogs, errors
from mec_ws.certificate.reader import hardened_parser
from mec_ws.config import Settings
from mec_ws.findings import CODES
from mec_ws.programs import NS as PROGRAM_NS
from mec_ws.programs import XSD_NAME as PROGRAM_XSD
from mec_ws.programs.xlsx_reader import COLUMNS as XLSX_COLUMNS
from mec_ws.programs.xlsx_reader import MODALIDAD_COLUMN

MANUAL_NAME = "manual-integracion.md"

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"

FAULT_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "Autenticacion": "Usuario o contraseña incorrectos, o usuario inexistente.",
        "CuentaBloqueada": "La cuenta está bloqueada temporalmente por intentos fallidos repetidos; "
        "espere el tiempo indicado o pida a la SEP que la desbloquee.",
        "FolioInexistente": "El folio de pago no existe o no pertenece a su institución.",
        "FolioAgotado": "El folio de pago ya usó sus dos intentos (ambos rechazados).",
        "FolioAceptado": "El folio de pago ya fue aceptado; no hay nada más que cargar con él.",
        "CargaEnProceso": "Hay un intento anterior de este folio que aún se está procesando; "
        "consulte su estado con consultaEstatusCarga.",
        "CantidadNoCoincide": "La carga no contiene el número de certificados que ampara el folio de "
        "pago; el mensaje dice ambos números. No se consume ningún intento.",
        "ArchivoInvalido": "El archivo está vacío, no es XML ni ZIP, el ZIP está dañado o excede el tamaño "
        "máximo, o el paquete no se puede procesar: ZIP sin certificados, carpetas, archivos comprimidos "
        "dentro, entradas cifradas o ilegibles, demasiadas entradas, nombres repetidos, entradas que no "
        "son .xml, una entrada mayor que el máximo por XML o con compresión anómala. El mensaje dice "
        "qué entrada y por qué (con el límite); no se consume ningún intento.",
        "LoteInexistente": "El número de lote no existe o no pertenece a su institución.",
        "CertificadoInexistente": "El folio de control no corresponde a un certificado aceptado de su "
        "institución.",
        "CancelacionNoPermitida": "El certificado no admite la cancelación solicitada (ya está cancelado, "
        "ya tiene una solicitud pendiente o el motivo no es válido).",
        "ProgramaInvalido": "La solicitud sobre un programa de estudios no puede atenderse.",
        "DocumentoInexistente": "No existe un documento con ese nombre; consulte la lista con "
        "consultaDocumentos.",
        "PruebasIncompletas": "Aún no se cumplen los requisitos para concluir la fase de pruebas; el "
        "mensaje dice qué falta.",
        "SolicitudInvalida": "La solicitud SOAP no cumple el esquema del servicio (campo faltante, tipo o "
        "valor inválido, base64 mal formado) o no está permitida en este ambiente o para este usuario.",
        "Interno": "Error interno del servicio; no es un problema de su solicitud. Intente más tarde y, si "
        "persiste, avise a la SEP.",
    }
)
"""Spanish description of each fault code of :data:`mec_ws.errors.FAULT_CODES`."""

COMMON_FAULTS: tuple[tuple[str, str], ...] = (
    ("Autenticacion", "usuario o contraseña incorrectos, o usuario inexistente"),
    ("CuentaBloqueada", "la cuenta está bloqueada por intentos fallidos repetidos"),
    (
        "SolicitudInvalida",
        "la solicitud no cumple el esquema (campo faltante, tipo o valor inválido, base64 mal formado, "
        "XML mal formado o con DOCTYPE)",
    ),
    ("ArchivoInvalido", "la solicitud completa excede el tamaño máximo de carga"),
    ("Interno", "error del servicio, no de la solicitud: intente más tarde"),
)
"""The faults every operation can answer: authentication, the request envelope and the service."""

OPERATION_FAULTS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "cargaCertificados": (
            ("FolioInexistente", "el folio de pago no existe o no es de su institución"),
            ("FolioAceptado", "el folio de pago ya fue aceptado"),
            ("FolioAgotado", "el folio de pago ya usó sus dos intentos"),
            ("CargaEnProceso", "un intento anterior del folio aún se procesa, o llegó otra carga a la vez"),
            (
                "ArchivoInvalido",
                "el archivo está vacío, no es XML ni ZIP, el ZIP está dañado o excede los límites",
            ),
            (
                "CantidadNoCoincide",
                "la carga no contiene exactamente los certificados que ampara el folio (dice ambos números)",
            ),
            ("SolicitudInvalida", "quien carga no es un usuario de una institución (un operador de la SEP)"),
        ),
        "validaCertificados": (
            ("FolioInexistente", "(con folioPago) el folio de pago no existe o no es de su institución"),
            (
                "CantidadNoCoincide",
                "(con folioPago) la carga no contiene exactamente los certificados que ampara el folio",
            ),
            (
                "ArchivoInvalido",
                "el archivo está vacío, no es XML ni ZIP, el ZIP está dañado, excede los límites o trae más "
                "certificados que MEC_VALIDA_MAX_ARCHIVOS",
            ),
            ("SolicitudInvalida", "quien valida no es un usuario de una institución (un operador de la SEP)"),
        ),
        "consultaEstatusCarga": (
            ("FolioInexistente", "el folio de pago no existe o no es de su institución"),
        ),
        "descargaResultadoCarga": (
            ("LoteInexistente", "el lote no existe o no es de su institución"),
            ("CargaEnProceso", "el lote aún no termina de procesarse"),
        ),
        "consultaCertificados": (
            (
                "SolicitudInvalida",
                "una fecha «desde» posterior a «hasta», o pagina/registrosPorPagina fuera de rango",
            ),
        ),
        "exportaCertificados": (
            (
                "SolicitudInvalida",
                "una fecha «desde» posterior a «hasta», o un formato distinto de CSV y XLSX",
            ),
        ),
        "descargaCertificado": (
            (
                "CertificadoInexistente",
                "el folio de control no es de un certificado aceptado de su institución",
            ),
            (
                "SolicitudInvalida",
                "un formato distinto de XML y PDF, o (operador de la SEP) un folio de control repetido en "
                "varias instituciones",
            ),
            (
                "ArchivoInvalido",
                "(PDF) el XML guardado del certificado no puede leerse; no es un error de la solicitud: "
                "avise a la SEP",
            ),
        ),
        "solicitaCancelacion": (
            (
                "CertificadoInexistente",
                "el folio de control no es de un certificado aceptado de su institución",
            ),
            (
                "CancelacionNoPermitida",
                "el certificado ya está cancelado o ya tiene una solicitud pendiente, o quien la pide es un "
                "operador de la SEP",
            ),
            (
                "SolicitudInvalida",
                "falta el folio de control, el motivo no está en el catálogo o las observaciones son "
                "demasiado largas",
            ),
        ),
        "cargaProgramaEstudios": (
            (
                "ProgramaInvalido",
                "la institución o alguno de los campus del programa no está registrado, o el programa ya "
                "tiene certificados aceptados",
            ),
            ("SolicitudInvalida", "quien carga no es un usuario de una institución (un operador de la SEP)"),
        ),
        "consultaProgramasEstudios": (),
        "consultaDocumentos": (),
        "descargaDocumento": (("DocumentoInexistente", "no hay un documento con ese nombre"),),
        "concluyePruebas": (
            ("PruebasIncompletas", "aún faltan certificados aceptados, una carga XML individual o una ZIP"),
            (
                "SolicitudInvalida",
                "el servicio no es el ambiente de pruebas, o quien la pide es un operador de la SEP",
            ),
        ),
    }
)
"""Per operation, the faults it can answer besides :data:`COMMON_FAULTS` (code, when), in Spanish.

tests/documents/test_manual_faults.py checks this table against the services: every operation of
the WSDL is here, and the codes listed for an operation are exactly those its service path raises.
"""


# --- the WSDL as data --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str  # "xs:string" for built-ins, the type name for the service's own types
    builtin: bool
    min_occurs: int
    max_occurs: str  # "1" or "unbounded"
    documentation: str


@dataclass(frozen=True, slots=True)
class SimpleType:
    name: str
    base: str
    enumeration: tuple[str, ...]
    facets: tuple[tuple[str, str], ...]  # (facet, value), e.g. ("minInclusive", "1")


@dataclass(frozen=True, slots=True)
class ComplexType:
    name: str
    documentation: str
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    documentation: str
    request: ComplexType
    response: ComplexType
    faults: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServiceDescription:
    namespace: str
    address: str
    conventions: str
    operations: tuple[Operation, ...]
    complex_types: Mapping[str, ComplexType]
    simple_types: Mapping[str, SimpleType]


def _text(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _doc(el: etree._Element) -> str:
    return _text(el.find(f"{{{XS}}}annotation/{{{XS}}}documentation"))


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


def _field(el: etree._Element) -> Field:
    type_ = el.get("type") or ""
    prefix = type_.partition(":")[0] if ":" in type_ else None
    builtin = el.nsmap.get(prefix) == XS
    return Field(
        name=el.get("name") or el.get("ref") or "",
        type=f"xs:{_local(type_)}" if builtin else _local(type_),
        builtin=builtin,
        min_occurs=int(el.get("minOccurs", "1")),
        max_occurs=el.get("maxOccurs", "1"),
        documentation=_doc(el),
    )


def describe_wsdl(wsdl: bytes) -> ServiceDescription:
    """The operations and types of a WSDL of this service (document/literal wrapped)."""
    root = etree.fromstring(wsdl, parser=hardened_parser())
    schema = root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
    if schema is None:
        raise ValueError("el WSDL no tiene xs:schema")
    complex_types = {
        ct.get("name", ""): ComplexType(
            name=ct.get("name", ""),
            documentation=_doc(ct),
            fields=tuple(_field(el) for el in ct.iterfind(f"{{{XS}}}sequence/{{{XS}}}element")),
        )
        for ct in schema.iterfind(f"{{{XS}}}complexType")
    }
    simple_types: dict[str, SimpleType] = {}
    for st in schema.iterfind(f"{{{XS}}}simpleType"):
        restriction = st.find(f"{{{XS}}}restriction")
        facets = [] if restriction is None else [c for c in restriction if isinstance(c.tag, str)]
        simple_types[st.get("name", "")] = SimpleType(
            name=st.get("name", ""),
            base=restriction.get("base", "") if restriction is not None else "",
            enumeration=tuple(
                f.get("value", "") for f in facets if etree.QName(f).localname == "enumeration"
            ),
            facets=tuple(
                (etree.QName(f).localname, f.get("value", ""))
                for f in facets
                if etree.QName(f).localname != "enumeration"
            ),
        )
    elements = {el.get("name"): _local(el.get("type", "")) for el in schema.iterfind(f"{{{XS}}}element")}
    messages = {
        m.get("name"): _local(part.get("element", ""))
        for m in root.iterfind(f"{{{WSDL}}}message")
        if (part := m.find(f"{{{WSDL}}}part")) is not None
    }
    operations = []
    for op in root.iterfind(f"{{{WSDL}}}portType/{{{WSDL}}}operation"):
        io_types = []
        for kind in ("input", "output"):
            msg = op.find(f"{{{WSDL}}}{kind}")
            element = messages.get(_local(msg.get("message", ""))) if msg is not None else None
            type_name = elements.get(element or "")
            io_types.append(complex_types.get(type_name or "", ComplexType(element or "", "", ())))
        operations.append(
            Operation(
                name=op.get("name", ""),
                documentation=_text(op.find(f"{{{WSDL}}}documentation")),
                request=io_types[0],
                response=io_types[1],
                faults=tuple(f.get("name", "") for f in op.iterfind(f"{{{WSDL}}}fault")),
            )
        )
    address = root.find(f".//{{{WSDL}}}port/*[@location]")
    return ServiceDescription(
        namespace=root.get("targetNamespace", ""),
        address=address.get("location", "") if address is not None else "",
        conventions=_text(schema.find(f"{{{XS}}}annotation/{{{XS}}}documentation")),
        operations=tuple(operations),
        complex_types=MappingProxyType(complex_types),
        simple_types=MappingProxyType(simple_types),
    )


# --- Markdown helpers ----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _anchor(type_name: str) -> str:
    return f"tipo-{type_name.lower()}"


def _type_ref(f: Field, service: ServiceDescription) -> str:
    if f.builtin:
        return f"`{f.type}`"
    if f.type in service.complex_types or f.type in service.simple_types:
        return f"[`{f.type}`](#{_anchor(f.type)})"
    return f"`{f.type}`"


def _fields_table(fields: tuple[Field, ...], service: ServiceDescription) -> list[str]:
    if not fields:
        return ["(sin campos)", ""]
    return _table(
        ("Campo", "Tipo", "minOccurs", "maxOccurs", "Descripción"),
        (
            (f"`{f.name}`", _type_ref(f, service), str(f.min_occurs), f.max_occurs, f.documentation)
            for f in fields
        ),
    )


# --- zeep examples -------------------------------------------------------------------------------

_BUILTIN_SAMPLES = {
    "xs:int": "1",
    "xs:long": "1",
    "xs:short": "1",
    "xs:integer": "1",
    "xs:decimal": '"0"',
    "xs:boolean": "False",
    "xs:date": "date(2024, 7, 15)",
    "xs:dateTime": "datetime(2024, 7, 15, 12, 0, tzinfo=timezone.utc)",
    "xs:base64Binary": 'Path("archivo").read_bytes()',
}


def _sample(f: Field, service: ServiceDescription, depth: int = 0) -> str:
    if f.builtin:
        return _BUILTIN_SAMPLES.get(f.type, f'"<{f.name}>"')
    simple = service.simple_types.get(f.type)
    if simple is not None:
        if simple.enumeration:
            return f'"{simple.enumeration[0]}"'
        facets = dict(simple.facets)
        return facets.get("minInclusive", _BUILTIN_SAMPLES.get(simple.base, f'"<{f.name}>"'))
    complex_ = service.complex_types.get(f.type)
    if complex_ is None or depth > 2:
        return "{}"
    chosen = [c for c in complex_.fields if c.min_occurs > 0] or list(complex_.fields[:1])
    inner = ", ".join(f'"{c.name}": {_sample(c, service, depth + 1)}' for c in chosen)
    return "{" + inner + "}"


def _uses(text: str, name: str) -> bool:
    return name in text


ALTERNATIVE_KEYS: tuple[tuple[str, str], ...] = (("folioControl", "folioDigital"),)
"""Optional request fields of which exactly one must be given: the example uses the first."""


def zeep_example(op: Operation, service: ServiceDescription) -> list[str]:
    """A runnable zeep call of ``op`` built from its request and response fields."""
    args: list[str] = []
    names = {f.name for f in op.request.fields}
    chosen = {first: second for first, second in ALTERNATIVE_KEYS if {first, second} <= names}
    others = {second: first for first, second in chosen.items()}
    for f in op.request.fields:
        if f.type == "Autenticacion":
            line = f"    {f.name}=AUTENTICACION,"
        else:
            line = f"    {f.name}={_sample(f, service)},"
        if f.name in chosen:
            args.append(f"{line}  # o bien {chosen[f.name]}: exactamente uno de los dos")
        elif f.name in others:
            args.append(f"    # {line.strip()}  # en lugar de {others[f.name]}")
        else:
            args.append(line if f.min_occurs > 0 else f"    # {line.strip()}  # opcional")
    call = (
        [f"respuesta = cliente.service.{op.name}(", *args, ")"]
        if args
        else [f"respuesta = cliente.service.{op.name}()"]
    )
    after: list[str] = []
    names = {f.name for f in op.response.fields}
    for f in op.response.fields:
        if f.type == "xs:base64Binary":
            target = "respuesta.nombreArchivo" if "nombreArchivo" in names else f'"{op.name}.bin"'
            after.append(f"Path({target}).write_bytes(respuesta.{f.name})  # zeep ya decodificó el base64")
    if op.response.fields:
        after.append(f"print(respuesta.{op.response.fields[0].name})")
    body = "\n".join([*call, *after])
    imports = []
    if _uses(body, "date(") and not _uses(body, "datetime("):
        imports.append("from datetime import date")
    elif _uses(body, "datetime("):
        imports.append("from datetime import date, datetime, timezone")
    if _uses(body, "Path("):
        imports.append("from pathlib import Path")
    return ["```python", *imports, *([""] if imports else []), body, "```", ""]


# --- the manual ------------------------------------------------------------------------------------


def _fault_rows() -> list[tuple[str, str, str]]:
    rows = []
    for code in errors.FAULT_CODES:
        cls = getattr(errors, code, None)
        side = "Client" if isinstance(cls, type) and getattr(cls, "cliente", False) else "Server"
        rows.append((f"`{code}`", f"`soapenv:{side}.{code}`", FAULT_DESCRIPTIONS.get(code, "")))
    return rows


def _documents_section() -> list[str]:
    from mec_ws.documents import document_specs  # the package imports this module

    return _table(("Nombre", "Descripción"), ((f"`{s.nombre}`", s.descripcion) for s in document_specs()))


def _introduction(settings: Settings, service: ServiceDescription) -> list[str]:
    from mec_ws.services.pruebas import REQUIRED_CERTIFICATES

    ambiente = "pruebas" if settings.pruebas else "producción"
    return [
        "# Manual de integración del servicio MEC de certificados",
        "",
        "Este manual se genera a partir del WSDL que publica el servicio y de las tablas de códigos del "
        "propio servicio; siempre corresponde a la versión instalada.",
        "",
        "## Conexión",
        "",
        *_table(
            ("Dato", "Valor"),
            (
                ("Dirección del servicio (endpoint)", f"`{service.address}`"),
                ("WSDL", f"`{service.address}?wsdl` (también `mec.wsdl` en descargaDocumento)"),
                ("Espacio de nombres", f"`{service.namespace}`"),
                ("Protocolo", "SOAP 1.1, document/literal wrapped (WS-I Basic Profile 1.1)"),
            ),
        ),
        "Toda solicitud lleva como primer elemento `autenticacion` con `usuario` y `password` (asignados "
        "por la SEP). Varios intentos fallidos seguidos bloquean la cuenta por un tiempo (falla "
        "`CuentaBloqueada`). Un usuario de una institución solo ve los folios, lotes y certificados de su "
        "institución; los de otra responden como inexistentes.",
        "",
        f"Convenciones del esquema: {service.conventions}",
        "",
        "## Ambiente",
        "",
        *_table(
            ("Parámetro", "Valor"),
            (
                ("Ambiente (`MEC_AMBIENTE`)", ambiente),
                ("Tamaño máximo de una carga (`MEC_MAX_UPLOAD_MB`)", f"{settings.max_upload_mb} MB"),
                ("Certificados máximos por ZIP (`MEC_MAX_ZIP_ENTRIES`)", str(settings.max_zip_entries)),
                ("Tamaño máximo de un XML (`MEC_MAX_XML_MB`)", f"{settings.max_xml_mb} MB"),
                (
                    "Certificados máximos por llamada a validaCertificados (`MEC_VALIDA_MAX_ARCHIVOS`)",
                    str(settings.valida_max_archivos),
                ),
                (
                    "Plazo antes de que una cancelación surta efecto (`MEC_CANCELACION_HORAS`)",
                    f"{settings.cancelacion_horas} horas",
                ),
            ),
        ),
        (
            "Este es el ambiente de **pruebas**: "
            if settings.pruebas
            else "En el ambiente de **pruebas** (no en este): "
        )
        + f"`concluyePruebas` declara terminada la fase de pruebas cuando la institución tiene al menos "
        f"{REQUIRED_CERTIFICATES} certificados aceptados, entre ellos al menos uno cargado como XML "
        "individual y al menos uno cargado en un ZIP; mientras falte algo responde `PruebasIncompletas` "
        "diciendo qué falta. En producción responde `SolicitudInvalida`.",
        "",
        "## Qué gasta un intento",
        "",
        "Cada folio de pago tiene dos intentos. Solo los gasta un lote cuyos certificados se leyeron y "
        "juzgaron (`RECHAZADO`; un lote `ACEPTADO` usa el suyo y cierra el folio). Lo que se sabe del "
        "paquete mismo es una falla inmediata de `cargaCertificados` que no crea lote ni gasta nada: "
        "`CantidadNoCoincide` (dice cuántos certificados trae la carga y cuántos ampara el folio) y "
        "`ArchivoInvalido` nombrando la entrada y el motivo (ZIP vacío, carpetas, archivos comprimidos "
        "dentro, entradas cifradas o ilegibles, demasiadas entradas, nombres repetidos, entradas que no "
        "son .xml, una entrada mayor que el máximo por XML; el código de hallazgo va entre corchetes). "
        "El paquete se revisa antes que la cantidad. Enviar otra vez los mismos bytes para el mismo "
        "folio devuelve el lote anterior, sea cual sea su estatus, sin gastar nada. `validaCertificados` "
        "hace las mismas revisiones que el procesamiento de una carga, con el registro de su "
        "institución, sin guardar nada: úsela antes de cargar.",
        "",
    ]


def _preamble(service: ServiceDescription) -> list[str]:
    auth = service.complex_types.get("Autenticacion")
    fields = auth.fields if auth is not None else ()
    auth_dict = ", ".join(f'"{f.name}": "<{f.name}>"' for f in fields)
    return [
        "## Cliente con zeep (Python)",
        "",
        "Los ejemplos de cada operación suponen este cliente:",
        "",
        "```python",
        "from zeep import Client",
        "from zeep.exceptions import Fault",
        "",
        f'cliente = Client("{service.address}?wsdl")',
        f"AUTENTICACION = {{{auth_dict}}}",
        "```",
        "",
        "Las fallas llegan como `zeep.exceptions.Fault`; el código está en `detail/errorMec/codigo`:",
        "",
        "```python",
        "try:",
        "    respuesta = cliente.service.consultaDocumentos(autenticacion=AUTENTICACION)",
        "except Fault as falla:",
        f'    codigo = falla.detail.findtext(".//{{{service.namespace}}}codigo")',
        "    print(codigo, falla.message)",
        "```",
        "",
    ]


def _operations(service: ServiceDescription) -> list[str]:
    lines = ["## Operaciones", ""]
    lines += [f"- [`{op.name}`](#{op.name.lower()}): {op.documentation}" for op in service.operations]
    lines.append("")
    for op in service.operations:
        lines += [f"### {op.name}", "", op.documentation or "(sin descripción)", ""]
        if op.request.documentation:
            lines += [op.request.documentation, ""]
        lines += [f"**Solicitud** (elemento `{op.name}`):", "", *_fields_table(op.request.fields, service)]
        lines += [f"**Respuesta** (elemento `{op.response.name}`):", ""]
        if op.response.documentation:
            lines += [op.response.documentation, ""]
        lines += _fields_table(op.response.fields, service)
        lines += [*_operation_faults(op.name), "**Ejemplo con zeep**:", ""]
        lines += zeep_example(op, service)
    return lines


def _operation_faults(name: str) -> list[str]:
    own = OPERATION_FAULTS.get(name, ())
    common = ", ".join(f"`{code}`" for code, _ in COMMON_FAULTS)
    lines = ["**Fallas** (`errorMec/codigo`):", ""]
    lines += [f"- `{code}`: {when}." for code, when in own]
    lines += [f"- además las de toda operación ({common}); véase [Fallas](#fallas).", ""]
    return lines


def _types(service: ServiceDescription) -> list[str]:
    wrappers = {op.request.name for op in service.operations} | {
        op.response.name for op in service.operations
    }
    lines = ["## Tipos", ""]
    for name in sorted(service.simple_types):
        st = service.simple_types[name]
        lines += [f'<a id="{_anchor(name)}"></a>', "", f"### {name}", ""]
        if st.enumeration:
            lines += [f"Enumeración (`{st.base}`): " + ", ".join(f"`{v}`" for v in st.enumeration) + ".", ""]
        else:
            facets = ", ".join(f"{k} = {v}" for k, v in st.facets)
            lines += [f"`{st.base}` con {facets}." if facets else f"`{st.base}`.", ""]
    for name in sorted(n for n in service.complex_types if n not in wrappers):
        ct = service.complex_types[name]
        lines += [f'<a id="{_anchor(name)}"></a>', "", f"### {name}", ""]
        if ct.documentation:
            lines += [ct.documentation, ""]
        lines += _fields_table(ct.fields, service)
    return lines


def _faults() -> list[str]:
    return [
        "## Fallas",
        "",
        "Los errores de la solicitud son fallas SOAP. `faultcode` es `soapenv:Client.<codigo>` cuando la "
        "solicitud tiene un error y `soapenv:Server.<codigo>` cuando el error es del servicio; `faultstring` "
        "es una frase en español; `detail` lleva el elemento `errorMec` con `codigo` y `mensaje`.",
        "",
        *_table(("Código", "faultcode", "Significado"), _fault_rows()),
        "Toda operación puede responder "
        + "; ".join(f"`{code}` ({when})" for code, when in COMMON_FAULTS)
        + ". Las demás, por operación, se listan en cada operación.",
        "",
    ]


def _findings() -> list[str]:
    lines = [
        "## Códigos de hallazgo",
        "",
        "Los problemas dentro de los archivos cargados no son fallas: son hallazgos en el estado del lote "
        "(`consultaEstatusCarga`, `descargaResultadoCarga`) o en la respuesta de `cargaProgramaEstudios`, "
        "cada uno con `codigo`, `mensaje` y `ubicacion` (elemento o atributo, o fila/columna de un XLSX).",
        "",
    ]
    return lines + _table(
        ("Código", "Área", "Significado"),
        ((f"`{code}`", area, text) for code, (area, text) in CODES.items()),
    )


def _programs() -> list[str]:
    optional = f"{MODALIDAD_COLUMN} (opcional) y CLAVE_CARRERA (opcional)"
    return [
        "## Programas de estudios",
        "",
        f"`cargaProgramaEstudios` acepta un XML conforme a `{PROGRAM_XSD}` (espacio de nombres "
        f"`{PROGRAM_NS}`) o un libro XLSX; el formato se decide por el contenido. En el XLSX, la primera "
        "hoja tiene en la fila 1 el encabezado y después una fila por asignatura; las columnas de la "
        "carrera se repiten en cada fila (una celda vacía repite el valor de la primera fila; un valor "
        "distinto es el hallazgo `PROGRAMA_XLSX_INCONSISTENTE`). Los hallazgos indican fila y columna, "
        "por ejemplo `fila 3/CREDITOS`. Escriba las claves con ceros a la izquierda (campus) como texto.",
        "",
        "Columnas: " + ", ".join(f"`{c}`" for c in XLSX_COLUMNS) + f"; además {optional}. `ID_CAMPUS` "
        "admite varios campus separados por comas.",
        "",
    ]


def _catalogs() -> list[str]:
    lines = ["## Catálogos", ""]
    for name, description in catalogs.CATALOGS.items():
        lines += [f"### {name}", "", f"{description}. Descarga: `catalogo_{name}.csv`.", ""]
        lines += _table(("ID", "Descripción"), ((f"`{k}`", v) for k, v in catalogs.load(name).items()))
    return lines


def build_manual(settings: Settings) -> bytes:
    """The manual for the service as deployed with ``settings`` (UTF-8 Markdown)."""
    from mec_ws.soap.app import build_wsdl  # spyne is imported only when the manual is built

    service = describe_wsdl(build_wsdl(settings))
    lines = [
        *_introduction(settings, service),
        *_preamble(service),
        *_operations(service),
        *_types(service),
        *_faults(),
        *_findings(),
        *_programs(),
        *_catalogs(),
        "## Documentos descargables",
        "",
        "`consultaDocumentos` los lista con tamaño y SHA-256; `descargaDocumento` entrega uno por nombre.",
        "",
        *_documents_section(),
    ]
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


__all__ = [
    "COMMON_FAULTS",
    "FAULT_DESCRIPTIONS",
    "MANUAL_NAME",
    "OPERATION_FAULTS",
    "ServiceDescription",
    "build_manual",
    "describe_wsdl",
    "zeep_example",
]
