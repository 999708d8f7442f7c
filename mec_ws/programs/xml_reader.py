"""Reading a study program in XML (``programa-1.0.xsd``) into findings and a typed program.

Lenient on purpose, like the certificate reader: the XSD findings are reported and the rules
still run over whatever could be read, so one run reports everything.  A rule finding at a
location the XSD already flagged is dropped (the XSD finding already says what is wrong there).
"""

from __future__ import annotations

import threading
from importlib import resources
from types import MappingProxyType

from lxml import etree

from mec_ws.certificate.reader import hardened_parser, read_xml, too_large
from mec_ws.errors import XmlReadError
from mec_ws.findings import Finding
from mec_ws.programs._rules import ProgramReadResult, RawField, RawProgram, RawRecord, check_program
from mec_ws.registry import Institution
from mec_ws.xsd_errors import schema_errors

NS = "https://www.siged.sep.gob.mx/certificados/programas/"
VERSION = "1.0"
XSD_NAME = "programa-1.0.xsd"
ROOT = "ProgramaEstudios"
CARRERA_PATH = f"{ROOT}/Carrera"
_INDEXED = frozenset({"Campus", "Asignatura"})  # repeated elements: always located with [n]

_local = threading.local()


def q(local: str) -> str:
    return f"{{{NS}}}{local}"


def xsd_bytes() -> bytes:
    """The program XSD as shipped (for ``descargaDocumento``)."""
    return resources.files(__package__).joinpath("xsd", XSD_NAME).read_bytes()


def _schema() -> etree.XMLSchema:
    # XMLSchema keeps its error_log on the object: one per thread.
    schema: etree.XMLSchema | None = getattr(_local, "schema", None)
    if schema is None:
        schema = _local.schema = etree.XMLSchema(etree.fromstring(xsd_bytes(), parser=hardened_parser()))
    return schema


# --- XSD findings -----------------------------------------------------------------------------


def _xsd_findings(root: etree._Element) -> list[Finding]:
    return [
        Finding(
            code="PROGRAMA_XSD_INVALIDO",
            message=f"No cumple el esquema {XSD_NAME} (línea {e.line}): {e.spanish} (detalle: {e.detail})",
            location=e.location,
        )
        for e in schema_errors(_schema(), root, root_name=ROOT, always_index=_INDEXED)
    ]


# --- raw program from the tree -----------------------------------------------------------------


def _record(el: etree._Element, location: str) -> RawRecord:
    fields = {
        name: RawField(value, f"{location}/@{name}")
        for name, value in el.attrib.items()
        if isinstance(name, str)
    }
    return RawRecord(location=location, fields=MappingProxyType(fields))


def _raw_program(carrera: etree._Element) -> RawProgram:
    campuses = tuple(
        RawField(el.get("idCampus"), f"{CARRERA_PATH}/Campus[{i}]/@idCampus")
        for i, el in enumerate(carrera.findall(q("Campus")), start=1)
    )
    subjects = tuple(
        _record(el, f"{CARRERA_PATH}/Asignatura[{i}]")
        for i, el in enumerate(carrera.findall(q("Asignatura")), start=1)
    )
    return RawProgram(
        carrera=_record(carrera, CARRERA_PATH),
        campuses=campuses,
        subjects=subjects,
        campuses_location=CARRERA_PATH,
        subjects_location=CARRERA_PATH,
    )


def too_large_xml(size: int, max_bytes: int) -> ProgramReadResult:
    """The result for a program XML of ``size`` bytes over ``max_bytes`` (known before reading it)."""
    exc = too_large(size, max_bytes)
    return ProgramReadResult(None, (Finding(exc.finding_code, exc.mensaje, ROOT),))


def read_program_xml(
    data: bytes, *, institution: Institution | None, max_bytes: int = 5 * 1024 * 1024
) -> ProgramReadResult:
    """Read and check a program XML.  Never raises for a bad file: everything is a finding.

    ``institution`` is the uploader's: the program's campuses must be its campuses and the
    program gets its id; with ``None`` the campus check is reported as omitted (``OMITIDA``) and
    ``program.institution_id`` is ``""``.
    """
    try:
        tree = read_xml(data, max_bytes=max_bytes)
    except XmlReadError as exc:
        return ProgramReadResult(None, (Finding(exc.finding_code, exc.mensaje, ROOT),))
    root = tree.getroot()
    if root.tag != q(ROOT):
        name = etree.QName(root)
        return ProgramReadResult(
            None,
            (
                Finding(
                    "PROGRAMA_RAIZ_INVALIDA",
                    f"El elemento raíz es {name.localname} (espacio de nombres '{name.namespace or ''}'); "
                    f"debe ser {ROOT} en el espacio de nombres {NS}.",
                    etree.QName(root).localname,
                ),
            ),
        )
    xsd = _xsd_findings(root)
    carrera = root.find(q("Carrera"))
    if carrera is None:  # nothing to apply the rules to; the XSD has said why
        return ProgramReadResult(None, tuple(xsd))
    checked = check_program(_raw_program(carrera), institution)
    flagged = {f.location for f in xsd}
    rules = tuple(f for f in checked.findings if f.location not in flagged)
    findings = (*xsd, *rules)
    return ProgramReadResult(checked.program if not xsd else None, findings)
