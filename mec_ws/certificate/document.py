"""The ``Dec`` document as the rules see it: a lenient, read-only view of the parsed tree.

Lenient on purpose: a file that fails the XSD is still read as far as possible so that one run
reports *all* findings of a file.  Every value is the attribute's text as written (``None`` when
absent); rules convert and judge.  ``Node.loc(attr)`` gives the location used in findings, e.g.
``Dec/Asignaturas/Asignatura[3]/@calificacion``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

NS = "https://www.siged.sep.gob.mx/certificados/"
VERSION = "3.0"
TIPO_CERTIFICADO_IPES = "5"


def q(local: str) -> str:
    return f"{{{NS}}}{local}"


DEC_TAG = q("Dec")
DREOE_TAG, SEP_IPES_TAG = q("Dreoe"), q("SepIpes")
SEP_TAGS = (DREOE_TAG, SEP_IPES_TAG)  # the nodes only the SEP fills


_NO_ATTRS: Mapping[str, str] = MappingProxyType({})
_ASIGNATURA = q("Asignatura")
_TAG = {
    local: q(local)
    for local in (
        "ServicioFirmante",
        "Ipes",
        "Rvoe",
        "Carrera",
        "Alumno",
        "Expedicion",
        "Asignaturas",
        "Dreoe",
        "SepIpes",
    )
}


class Node:
    """One element of the document as the rules see it: its location and a copy of its attributes.

    Read-only by contract (nothing writes a node after :meth:`DecDocument.from_tree` built it).  A
    plain slotted class rather than a frozen dataclass: a document has ~60 nodes and rules read
    them ~650 times per file, so building them and ``get`` are kept as cheap as Python allows
    (``get`` is the attribute mapping's own ``get``).
    """

    __slots__ = ("attrs", "get", "path", "placeholder", "present")

    path: str
    # A private copy of the element's attributes (a plain dict, never written).
    attrs: Mapping[str, str]
    present: bool
    placeholder: bool  # an empty <Dreoe/> / <SepIpes/> (see :func:`is_placeholder`)
    get: Callable[[str], str | None]  # the value of an attribute, None when absent

    def __init__(
        self,
        path: str,
        attrs: Mapping[str, str] = _NO_ATTRS,
        present: bool = True,
        placeholder: bool = False,
    ) -> None:
        self.path = path
        self.attrs = attrs
        self.present = present
        self.placeholder = placeholder
        self.get = attrs.get

    def loc(self, name: str | None = None) -> str:
        return f"{self.path}/@{name}" if name else self.path

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return (self.path, dict(self.attrs), self.present, self.placeholder) == (
            other.path,
            dict(other.attrs),
            other.present,
            other.placeholder,
        )

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the mapping it holds

    def __repr__(self) -> str:
        return (
            f"Node(path={self.path!r}, attrs={dict(self.attrs)!r}, present={self.present!r}, "
            f"placeholder={self.placeholder!r})"
        )


SEP_NODES: tuple[str, ...] = ("Dreoe", "SepIpes")


def is_placeholder(el: etree._Element) -> bool:
    """An empty SEP node as public generators emit it (``<Dreoe/>``): no attribute, no child of
    any kind (element, comment, processing instruction), no text but whitespace."""
    return not el.attrib and len(el) == 0 and not (el.text or "").strip()


def sep_placeholders(root: etree._Element) -> list[etree._Element]:
    """The empty ``Dreoe``/``SepIpes`` placeholders directly below ``Dec`` (the stamp replaces them)."""
    return [el for el in root if el.tag in SEP_TAGS and is_placeholder(el)]


def _node_of(el: etree._Element | None, path: str) -> Node:
    if el is None:
        return Node(path, _NO_ATTRS, False)
    attrs = dict(el.items())
    # is_placeholder(el), from the attributes already read (no attribute: el.attrib is empty)
    return Node(path, attrs, True, not attrs and len(el) == 0 and not (el.text or "").strip())


_SUBJECT_PATHS: list[str] = []
"""``Dec/Asignaturas/Asignatura[i]`` for i = 1, 2, …: built once, shared by every document."""


def _subject_paths(count: int) -> list[str]:
    paths = _SUBJECT_PATHS
    if len(paths) < count:
        paths.extend(f"Dec/Asignaturas/Asignatura[{i}]" for i in range(len(paths) + 1, count + 1))
    return paths


def _node(parent: etree._Element | None, local: str, path: str) -> Node:
    return _node_of(parent.find(q(local)) if parent is not None else None, path)


@dataclass(frozen=True, slots=True)
class DecDocument:
    root: etree._Element
    dec: Node
    servicio_firmante: Node
    ipes: Node
    responsable: Node
    rvoe: Node
    carrera: Node
    alumno: Node
    expedicion: Node
    asignaturas: Node
    asignatura: tuple[Node, ...]
    dreoe: Node
    sep_ipes: Node
    # Figures the rules derive from the document (grades, counted subjects, the cadena…), computed on
    # first use and shared by every rule of one validation run: see ``mec_ws.rules.common.figures``.
    # Like the nodes, they describe the tree as it was read; a changed tree needs a new document.
    derived: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def folio_control(self) -> str | None:
        return self.dec.get("folioControl")

    @property
    def is_stamped(self) -> bool:
        """A ``Dreoe`` or ``SepIpes`` with content (empty placeholders do not count)."""
        return any(n.present and not n.placeholder for n in (self.dreoe, self.sep_ipes))

    @classmethod
    def from_tree(cls, tree: etree._ElementTree | etree._Element) -> DecDocument:
        root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
        first: dict[object, etree._Element] = {}  # the first child of Dec with each tag (as find())
        for child in root:
            first.setdefault(child.tag, child)
        ipes_el = first.get(_TAG["Ipes"])
        asigs_el = first.get(_TAG["Asignaturas"])
        subjects: list[Node] = []
        if asigs_el is not None:
            elements = list(asigs_el.iterchildren(_ASIGNATURA))
            paths = _subject_paths(len(elements))
            subjects = [Node(paths[i], dict(el.items())) for i, el in enumerate(elements)]
        return cls(
            root=root,
            dec=Node("Dec", dict(root.items())),
            servicio_firmante=_node_of(first.get(_TAG["ServicioFirmante"]), "Dec/ServicioFirmante"),
            ipes=_node_of(ipes_el, "Dec/Ipes"),
            responsable=_node(ipes_el, "Responsable", "Dec/Ipes/Responsable"),
            rvoe=_node_of(first.get(_TAG["Rvoe"]), "Dec/Rvoe"),
            carrera=_node_of(first.get(_TAG["Carrera"]), "Dec/Carrera"),
            alumno=_node_of(first.get(_TAG["Alumno"]), "Dec/Alumno"),
            expedicion=_node_of(first.get(_TAG["Expedicion"]), "Dec/Expedicion"),
            asignaturas=_node_of(asigs_el, "Dec/Asignaturas"),
            asignatura=tuple(subjects),
            dreoe=_node_of(first.get(_TAG["Dreoe"]), "Dec/Dreoe"),
            sep_ipes=_node_of(first.get(_TAG["SepIpes"]), "Dec/SepIpes"),
        )
