"""The cadena original of a ``Dec`` (and of the SEP's ``Dreoe`` / ``SepIpes``), in code and as XSLT.

The cadena is ``||`` + the values joined by ``|`` + ``||``; an absent value keeps its place as
an empty field; every value is whitespace-normalised as XSLT ``normalize-space()`` does.  The
same cadenas are published as XSLT 1.0 stylesheets (``xslt/``); :func:`xslt_cadena` and friends
apply them, and a property test keeps code and XSLT in agreement.
"""

from __future__ import annotations

import re
import threading
from importlib import resources

from lxml import etree

from mec_ws.certificate.document import NS, q
from mec_ws.certificate.reader import hardened_parser

# The 33 fixed fields: (element path below Dec, "" for Dec itself; attribute).
CADENA_FIELDS: tuple[tuple[str, str], ...] = (
    ("", "version"),
    ("", "tipoCertificado"),
    ("ServicioFirmante", "idEntidad"),
    ("Ipes", "idNombreInstitucion"),
    ("Ipes", "idCampus"),
    ("Ipes", "idEntidadFederativa"),
    ("Ipes/Responsable", "curp"),
    ("Ipes/Responsable", "idCargo"),
    ("Rvoe", "numero"),
    ("Rvoe", "fechaExpedicion"),
    ("Carrera", "idCarrera"),
    ("Carrera", "idTipoPeriodo"),
    ("Carrera", "clavePlan"),
    ("Carrera", "idNivelEstudios"),
    ("Carrera", "calificacionMinima"),
    ("Carrera", "calificacionMaxima"),
    ("Carrera", "calificacionMinimaAprobatoria"),
    ("Alumno", "numeroControl"),
    ("Alumno", "curp"),
    ("Alumno", "nombre"),
    ("Alumno", "primerApellido"),
    ("Alumno", "segundoApellido"),
    ("Alumno", "idGenero"),
    ("Alumno", "fechaNacimiento"),
    ("Expedicion", "idTipoCertificacion"),
    ("Expedicion", "fecha"),
    ("Expedicion", "idLugarExpedicion"),
    ("Asignaturas", "total"),
    ("Asignaturas", "asignadas"),
    ("Asignaturas", "promedio"),
    ("Asignaturas", "totalCreditos"),
    ("Asignaturas", "creditosObtenidos"),
    ("Asignaturas", "numeroCiclos"),
)
# Per Asignatura, in document order.
ASIGNATURA_FIELDS: tuple[str, ...] = ("idAsignatura", "ciclo", "calificacion", "idTipoAsignatura", "creditos")
# The field the 32-field variant leaves out.
VARIANT_32_OMITS: tuple[str, str] = ("ServicioFirmante", "idEntidad")

DREOE_FIELDS: tuple[str, ...] = ("fechaDreoe", "selloDec", "noCertificadoDreoe", "curp", "idCargo")
SEPIPES_FIELDS: tuple[str, ...] = (
    "version",
    "folioDigital",
    "fechaSepIpes",
    "selloDreoe",
    "noCertificadoSepIpes",
)

_XML_WS = re.compile(r"[ \t\r\n]+")


def normalize(value: str | None) -> str:
    """XSLT ``normalize-space()``: trim and collapse runs of XML whitespace to one space."""
    if value is None:
        return ""
    if "  " not in value and "\t" not in value and "\n" not in value and "\r" not in value:
        return value.strip(" ")  # no run to collapse (the common case: skip the regex)
    return _XML_WS.sub(" ", value).strip(" ")


def join(values: list[str]) -> str:
    return "||" + "|".join(values) + "||"


def _element(root: etree._Element, path: str) -> etree._Element | None:
    el: etree._Element | None = root
    for local in path.split("/") if path else ():
        el = el.find(q(local)) if el is not None else None
    return el


def _subjects(root: etree._Element) -> list[etree._Element]:
    container = root.find(q("Asignaturas"))
    return container.findall(q("Asignatura")) if container is not None else []


def _raw_fields(root: etree._Element, variant: int) -> list[tuple[str, str | None]]:
    """(location, raw value) of every cadena field in order."""
    if variant not in (32, 33):
        raise ValueError(f"variante de cadena desconocida: {variant}")
    out: list[tuple[str, str | None]] = []
    elements: dict[str, etree._Element | None] = {}
    for path, attr in CADENA_FIELDS:
        if variant == 32 and (path, attr) == VARIANT_32_OMITS:
            continue
        if path not in elements:
            elements[path] = _element(root, path)
        el = elements[path]
        where = f"Dec/{path}/@{attr}" if path else f"Dec/@{attr}"
        out.append((where, el.get(attr) if el is not None else None))
    for i, subject in enumerate(_subjects(root), start=1):
        for attr in ASIGNATURA_FIELDS:
            out.append((f"Dec/Asignaturas/Asignatura[{i}]/@{attr}", subject.get(attr)))
    return out


def cadena_original(root: etree._Element, *, variant: int = 33) -> str:
    """The cadena the institution's ``sello`` signs (33 fixed fields, or 32 without idEntidad)."""
    return join([normalize(value) for _, value in _raw_fields(root, variant)])


def fields_with_pipe(root: etree._Element) -> list[str]:
    """Locations (``Dec/Alumno/@nombre``) of cadena values that contain ``|``."""
    return [where for where, value in _raw_fields(root, 33) if value is not None and "|" in value]


def cadena_dreoe(dreoe: etree._Element) -> str:
    """``||fechaDreoe|selloDec|noCertificadoDreoe|curp|idCargo||`` of a ``Dreoe`` element."""
    return join([normalize(dreoe.get(attr)) for attr in DREOE_FIELDS])


def cadena_sepipes(sepipes: etree._Element) -> str:
    """``||version|folioDigital|fechaSepIpes|selloDreoe|noCertificadoSepIpes||`` of ``SepIpes``."""
    return join([normalize(sepipes.get(attr)) for attr in SEPIPES_FIELDS])


# --- the published XSLTs ----------------------------------------------------------------------

XSLT_FILES: tuple[str, ...] = ("cadena_dec.xslt", "cadena_dreoe.xslt", "cadena_sepipes.xslt")
_local = threading.local()


def xslt_bytes(name: str) -> bytes:
    """The stylesheet as shipped (for download)."""
    if name not in XSLT_FILES:
        raise KeyError(name)
    return resources.files(__package__).joinpath("xslt", name).read_bytes()


def _transform(name: str) -> etree.XSLT:
    # XSLT objects keep per-object error logs: one compiled stylesheet per thread.
    cache: dict[str, etree.XSLT] | None = getattr(_local, "xslt", None)
    if cache is None:
        cache = _local.xslt = {}
    transform = cache.get(name)
    if transform is None:
        transform = cache[name] = compile_stylesheet(xslt_bytes(name))
    return transform


def compile_stylesheet(data: bytes) -> etree.XSLT:
    """Compile a stylesheet with the hardened parser; it may read no file and no URL."""
    doc = etree.fromstring(data, parser=hardened_parser())
    return etree.XSLT(doc, access_control=etree.XSLTAccessControl.DENY_ALL)


def _apply(name: str, root: etree._Element, **params: str) -> str:
    result = _transform(name)(root, **params)
    return str(result)


def xslt_cadena(root: etree._Element, *, variant: int = 33) -> str:
    """The Dec cadena computed by ``xslt/cadena_dec.xslt`` (param ``variante`` = 33 or 32)."""
    if variant not in (32, 33):
        raise ValueError(f"variante de cadena desconocida: {variant}")
    return _apply("cadena_dec.xslt", root, variante=str(variant))


def xslt_cadena_dreoe(node: etree._Element) -> str:
    """``xslt/cadena_dreoe.xslt`` on a stamped ``Dec`` (or on a ``Dreoe`` element itself)."""
    return _apply("cadena_dreoe.xslt", node)


def xslt_cadena_sepipes(node: etree._Element) -> str:
    """``xslt/cadena_sepipes.xslt`` on a stamped ``Dec`` (or on a ``SepIpes`` element itself)."""
    return _apply("cadena_sepipes.xslt", node)


__all__ = [
    "ASIGNATURA_FIELDS",
    "CADENA_FIELDS",
    "DREOE_FIELDS",
    "NS",
    "SEPIPES_FIELDS",
    "cadena_dreoe",
    "cadena_original",
    "cadena_sepipes",
    "fields_with_pipe",
    "normalize",
    "xslt_bytes",
    "xslt_cadena",
    "xslt_cadena_dreoe",
    "xslt_cadena_sepipes",
]
