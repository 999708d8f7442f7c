"""The validation orchestrator: one certificate file in, every finding of it out.

:func:`validate_file` reads the bytes with the hardened reader, checks the root, validates against
the upload XSD and runs every rule of :data:`mec_ws.rules.ALL_RULES` on the lenient document
view, so that one run reports *all* findings of a file, not the first.  :func:`iter_validate`
and :func:`validate_many` do the same for the files of one upload and add
``FOLIO_CONTROL_DUPLICADO`` to the second and later files that repeat a ``folioControl``.

The file is parsed once and its :class:`~mec_ws.certificate.document.DecDocument` is shared by
every rule, with what several rules derive from it (grades, counted subjects, the cadena original)
computed once on the document (:func:`mec_ws.rules.common.figures`, ``document_cadena``).

A rule that raises is a bug, but it must not take the batch down nor let the file through
unchecked: the exception is logged and recorded as an ``ERROR_INTERNO_REGLA`` finding (an ERROR,
so the file is rejected rather than accepted without that check).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from mec_ws.certificate import schema
from mec_ws.certificate.document import DEC_TAG, NS, SEP_TAGS, DecDocument, is_placeholder
from mec_ws.certificate.reader import read_xml
from mec_ws.errors import XmlReadError
from mec_ws.findings import Finding, Status
from mec_ws.registry import ValidationContext
from mec_ws.rules import ALL_RULES
from mec_ws.rules.base import Rule, error

log = logging.getLogger(__name__)

INTERNAL_ERROR = "ERROR_INTERNO_REGLA"
_SELLO_CODES = frozenset({"SELLO_INVALIDO", "SELLO_VARIANTE_32", "CERTIFICADO_RESPONSABLE_INVALIDO"})


@dataclass(frozen=True)
class FileResult:
    """The outcome of validating one certificate file."""

    name: str
    folio_control: str | None
    findings: tuple[Finding, ...]
    document: DecDocument | None

    @property
    def ok(self) -> bool:
        """No ERROR finding (warnings and omitted checks do not reject a file)."""
        return not any(f.status is Status.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.ERROR)

    @property
    def skipped(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.OMITIDA)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.ADVERTENCIA)

    @property
    def sello_variant(self) -> int | None:
        """32 when the sello verified only with the 32-field cadena, 33 when it verified, else None."""
        codes = {f.code for f in self.findings}
        if "SELLO_VARIANTE_32" in codes:
            return 32
        if self.document is None or codes & _SELLO_CODES or INTERNAL_ERROR in codes:
            return None
        return 33


def _run_rule(rule: Rule, doc: DecDocument, ctx: ValidationContext) -> list[Finding]:
    try:
        return rule.run(doc, ctx)
    except Exception:  # a crashing rule must not crash the run nor pass the file unchecked
        log.exception("la regla %r falló", rule.name)
        return [
            error(
                INTERNAL_ERROR,
                f"La verificación «{rule.name}» no pudo completarse por un error interno del servicio; "
                "el archivo no se acepta. Repórtelo a la SEP si persiste.",
            )
        ]


def _upload_part(root: etree._Element) -> etree._Element:
    """The tree the upload XSD judges: without SEP nodes that carry content (their presence is
    NODOS_SEP_PRESENTES, not an XSD finding); empty placeholders stay (the XSD places them at the
    end of ``Dec``), their whitespace-only text dropped (the rule allows it, an XSD empty type not)."""
    sep = [el for el in root if el.tag in SEP_TAGS]
    if not sep or all(is_placeholder(el) and el.text is None for el in sep):
        return root
    part = copy.deepcopy(root)
    for el in [el for el in part if el.tag in SEP_TAGS]:
        if is_placeholder(el):
            el.text = None
        else:
            part.remove(el)
    return part


def check_document(doc: DecDocument, ctx: ValidationContext) -> list[Finding]:
    """XSD plus every business rule on a parsed ``Dec`` document."""
    findings = list(schema.validate_upload(_upload_part(doc.root)))
    for rule in ALL_RULES:
        findings.extend(_run_rule(rule, doc, ctx))
    return findings


def validate_file(name: str, data: bytes, ctx: ValidationContext) -> FileResult:
    """Every finding of one certificate file (never raises on bad input)."""
    try:
        tree = read_xml(data, max_bytes=ctx.max_xml_bytes)
    except XmlReadError as exc:
        return FileResult(name, None, (error(exc.finding_code, exc.mensaje, ""),), None)
    root = tree.getroot()
    if root.tag != DEC_TAG:
        found = root.tag if isinstance(root.tag, str) else "(desconocido)"
        finding = error(
            "XML_RAIZ_INVALIDA",
            f"El elemento raíz es {found}; debe ser Dec en el espacio de nombres {NS}.",
            "",
        )
        return FileResult(name, None, (finding,), None)
    doc = DecDocument.from_tree(tree)
    folio = doc.folio_control.strip() if doc.folio_control else None
    return FileResult(name, folio or None, tuple(check_document(doc, ctx)), doc)


def duplicate_finding(folio_control: str, first_name: str) -> Finding:
    """The finding of a file repeating the ``folioControl`` of the earlier file ``first_name``."""
    return error(
        "FOLIO_CONTROL_DUPLICADO",
        f"El folioControl «{folio_control}» ya se usó en el archivo {first_name} de esta misma carga.",
        "Dec/@folioControl",
    )


def _duplicate(result: FileResult, first_name: str) -> FileResult:
    finding = duplicate_finding(result.folio_control or "", first_name)
    return FileResult(result.name, result.folio_control, (*result.findings, finding), result.document)


def iter_validate(files: Iterable[tuple[str, bytes]], ctx: ValidationContext) -> Iterator[FileResult]:
    """Validate the files of one upload lazily; repeated folios are findings on the later files."""
    first_by_folio: dict[str, str] = {}
    for name, data in files:
        result = validate_file(name, data, ctx)
        folio = result.folio_control
        if folio is not None:
            if folio in first_by_folio:
                result = _duplicate(result, first_by_folio[folio])
            else:
                first_by_folio[folio] = name
        yield result


def validate_many(files: Iterable[tuple[str, bytes]], ctx: ValidationContext) -> list[FileResult]:
    return list(iter_validate(files, ctx))
