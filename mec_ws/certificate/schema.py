"""XSD validation of the certificate: the upload form and the SEP-stamped form.

``xsd/dec-3.0.xsd`` is what an institution uploads (no ``Dreoe``/``SepIpes``; ``folioControl``
required); ``xsd/dec-3.0-sellado.xsd`` is the stamped file the SEP returns.  Both are published
for download (:func:`xsd_bytes`).  The XSDs type the values (dates, decimals, entity keys,
18-character CURPs); finer judgements (CURP check digit, catalogs, totals) are rules.

lxml ``XMLSchema`` objects keep their ``error_log`` on the object, so one validator shared by
threads would mix errors of concurrent runs: each thread compiles its own (once).
"""

from __future__ import annotations

import re
import threading
from importlib import resources

from lxml import etree

from mec_ws.certificate.document import NS
from mec_ws.certificate.reader import hardened_parser
from mec_ws.findings import Finding

XSD_UPLOAD = "dec-3.0.xsd"
XSD_STAMPED = "dec-3.0-sellado.xsd"
XSD_FILES: tuple[str, ...] = (XSD_UPLOAD, XSD_STAMPED)

_local = threading.local()


def xsd_bytes(name: str) -> bytes:
    """The XSD file as shipped (for ``descargaDocumento``)."""
    if name not in XSD_FILES:
        raise KeyError(name)
    return resources.files(__package__).joinpath("xsd", name).read_bytes()


def _schema(name: str) -> etree.XMLSchema:
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(name)
    if schema is None:
        doc = etree.fromstring(xsd_bytes(name), parser=hardened_parser())
        schema = cache[name] = etree.XMLSchema(doc)
    return schema


# --- Spanish messages -----------------------------------------------------------------------

_NS_BRACES = re.compile(r"\{[^}]*\}")
_ELEMENT_ATTR = re.compile(r"^Element '([^']+)', attribute '([^']+)': (.*)$", re.S)
_ELEMENT = re.compile(r"^Element '([^']+)': (.*)$", re.S)
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ?(.*?) ?\)")

_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"The attribute '([^']+)' is required but missing"), "falta el atributo obligatorio {0}"),
    (re.compile(r"The attribute '([^']+)' is not allowed"), "el atributo {0} no está permitido"),
    (
        re.compile(r"'(.*)' is not a valid value of the (?:atomic|local atomic) type '([^']+)'", re.S),
        "el valor '{0}' no es válido para el tipo {1}",
    ),
    (
        re.compile(r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '([^']+)'", re.S),
        "el valor '{0}' no tiene el formato requerido ({1})",
    ),
    (
        re.compile(
            r"\[facet 'length'\] The value '(.*)' has a length of '(\d+)'; this differs from the "
            r"allowed length of '(\d+)'",
            re.S,
        ),
        "el valor '{0}' mide {1} caracteres; debe medir {2}",
    ),
    (
        re.compile(
            r"\[facet 'minLength'\] The value '(.*)' has a length of '(\d+)'; this underruns the "
            r"allowed minimum length of '(\d+)'",
            re.S,
        ),
        "el valor '{0}' está vacío o es demasiado corto (mínimo {2} caracteres)",
    ),
    (re.compile(r"Missing child element\(s\)"), "faltan elementos hijos"),
    (re.compile(r"This element is not expected"), "este elemento no se esperaba en esta posición"),
    (
        re.compile(r"Character content other than whitespace is not allowed"),
        "no se permite texto dentro del elemento",
    ),
    (
        re.compile(r"No matching global declaration available for the validation root"),
        "el elemento raíz no es Dec del espacio de nombres de certificados",
    ),
)


def _spanish(detail: str) -> str:
    """A Spanish rendering of a libxml2 schema error (the raw detail is kept by the caller)."""
    where = ""
    rest = detail
    if m := _ELEMENT_ATTR.match(detail):
        where, rest = f"{m.group(1)}/@{m.group(2)}", m.group(3)
    elif m := _ELEMENT.match(detail):
        where, rest = m.group(1), m.group(2)
    text = ""
    for pattern, template in _TRANSLATIONS:
        if t := pattern.search(rest):
            text = template.format(*t.groups())
            break
    if not text:
        text = "no cumple con el esquema"
    if e := _EXPECTED.search(rest):
        text += f"; se esperaba: {e.group(1)}"
    return f"{where}: {text}" if where else text


def _element_location(tree: etree._ElementTree, xpath: str | None) -> str:
    if not xpath:
        return "Dec"
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:
        return "Dec"
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return "Dec"
    steps: list[str] = []
    el: etree._Element | None = found[0]
    while el is not None:
        local = etree.QName(el).localname
        parent = el.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == el.tag]
            if len(same) > 1:
                local += f"[{same.index(el) + 1}]"
        steps.append(local)
        el = parent
    return "/".join(reversed(steps))


def _validate(root: etree._Element, name: str) -> list[Finding]:
    schema = _schema(name)
    if schema.validate(root):
        return []
    tree = root.getroottree()
    findings: list[Finding] = []
    for error in schema.error_log:
        detail = _NS_BRACES.sub("", error.message).strip()
        location = _element_location(tree, error.path)
        m = _ELEMENT_ATTR.match(detail)
        if m is not None:
            location += f"/@{m.group(2)}"
        findings.append(
            Finding(
                code="XSD_INVALIDO",
                message=f"No cumple el esquema {name}: {_spanish(detail)} (detalle: {detail})",
                location=f"{location} (línea {error.line})",
            )
        )
    return findings


def validate_upload(root: etree._Element) -> list[Finding]:
    """``XSD_INVALIDO`` findings (one per libxml2 error) against the upload schema ``dec-3.0.xsd``."""
    return _validate(root, XSD_UPLOAD)


def validate_stamped(root: etree._Element) -> list[Finding]:
    """``XSD_INVALIDO`` findings against the stamped schema ``dec-3.0-sellado.xsd``."""
    return _validate(root, XSD_STAMPED)


__all__ = ["NS", "XSD_FILES", "XSD_STAMPED", "XSD_UPLOAD", "validate_stamped", "validate_upload", "xsd_bytes"]
