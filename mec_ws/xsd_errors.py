"""libxml2 schema errors made readable: a Spanish sentence and a location path.

Shared by every XSD check (certificates, study programs): the raw English detail is kept for
integrators, the Spanish text is for the registrar, the location names the element and attribute
(``Dec/Asignaturas/Asignatura[3]/@calificacion``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from lxml import etree

_NS_BRACES = re.compile(r"\{[^}]*\}")
_ELEMENT_ATTR = re.compile(r"^Element '([^']+)', attribute '([^']+)': (.*)$", re.S)
_ELEMENT = re.compile(r"^Element '([^']+)': (.*)$", re.S)
_MISSING_ATTR = re.compile(r"The attribute '([^']+)' is required but missing")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ?(.*?) ?\)")

_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_MISSING_ATTR, "falta el atributo obligatorio {0}"),
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
    (
        re.compile(r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}", re.S),
        "el valor '{0}' no es uno de los permitidos ({1})",
    ),
    (
        re.compile(
            r"\[facet 'minInclusive'\] The value '(.*)' is less than the minimum value allowed \('(.*)'\)"
        ),
        "el valor '{0}' es menor que el mínimo permitido ({1})",
    ),
    (re.compile(r"The value '(.*)' does not match the fixed value constraint '(.*)'"), "debe valer '{1}'"),
    (re.compile(r"Missing child element\(s\)"), "faltan elementos hijos"),
    (re.compile(r"This element is not expected"), "este elemento no se esperaba en esta posición"),
    (
        re.compile(r"Character content other than whitespace is not allowed"),
        "no se permite texto dentro del elemento",
    ),
    (
        re.compile(r"No matching global declaration available for the validation root"),
        "el elemento raíz no corresponde al esquema",
    ),
)


@dataclass(frozen=True, slots=True)
class XsdError:
    location: str  # element path, plus /@attribute when the error names one
    spanish: str  # what is wrong, in Spanish
    detail: str  # libxml2's own text, namespaces removed
    line: int


def spanish(detail: str) -> str:
    """A Spanish rendering of one libxml2 schema error (without the element prefix)."""
    if m := _ELEMENT_ATTR.match(detail):
        rest = m.group(3)
    elif m := _ELEMENT.match(detail):
        rest = m.group(2)
    else:
        rest = detail
    text = next((tpl.format(*t.groups()) for pat, tpl in _TRANSLATIONS if (t := pat.search(rest))), "")
    text = text or "no cumple con el esquema"
    if e := _EXPECTED.search(rest):
        text += f"; se esperaba: {e.group(1)}"
    return text


def element_path(el: etree._Element, *, always_index: Collection[str] = ()) -> str:
    """``Dec/Asignaturas/Asignatura[2]``: repeated siblings (and ``always_index`` names) get [n]."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        local = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1 or local in always_index:
                local += f"[{same.index(node) + 1}]"
        steps.append(local)
        node = parent
    return "/".join(reversed(steps))


def schema_errors(
    schema: etree.XMLSchema, root: etree._Element, *, root_name: str, always_index: Collection[str] = ()
) -> list[XsdError]:
    """Validate ``root``; one :class:`XsdError` per libxml2 error (empty when valid)."""
    if schema.validate(root):
        return []
    tree = root.getroottree()
    errors: list[XsdError] = []
    for error in schema.error_log:
        detail = _NS_BRACES.sub("", error.message).strip()
        location = root_name
        if error.path:
            try:
                found = tree.xpath(error.path)
            except etree.XPathError:
                found = None
            if isinstance(found, list) and found and isinstance(found[0], etree._Element):
                location = element_path(found[0], always_index=always_index)
        if m := _ELEMENT_ATTR.match(detail):
            location += f"/@{m.group(2)}"
        elif missing := _MISSING_ATTR.search(detail):
            location += f"/@{missing.group(1)}"
        errors.append(XsdError(location=location, spanish=spanish(detail), detail=detail, line=error.line))
    return errors
