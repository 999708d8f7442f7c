"""One broken certificate per finding code: the files the tests and ``mec-ws demo`` ship.

Each entry of :data:`BROKEN_VARIANTS` makes the bytes of a certificate that, validated against
:func:`broken_context`, yields its code as the *only* ERROR finding (``SELLO_VARIANTE_32``, an
advertencia, yields no error at all).  The tree is mutated and then sealed again, so only the
intended defect remains; the exceptions are the sello and e.firma codes, whose defect is the
seal itself.

Codes a single file cannot produce are listed in :data:`MULTI_FILE_CODES` (they need an upload:
a ZIP, a folio de pago, two files with one folio — see :func:`duplicate_folio_upload`) and
:data:`ENGINE_CODES` (an internal failure of a rule, not a property of a file).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from mec_ws.certificate.document import q
from mec_ws.findings import CODES
from mec_ws.registry import ValidationContext
from mec_ws.testdata.factory import (
    ACCEPTED_FOLIO,
    FIXED_NOW,
    PARCIAL,
    TOTAL,
    Scenario,
    default_scenario,
    make_context,
    seal,
    to_bytes,
)

MULTI_FILE_CODES: frozenset[str] = frozenset(
    {c for c in CODES if c.startswith("ZIP_")} | {"CANTIDAD_NO_COINCIDE", "FOLIO_CONTROL_DUPLICADO"}
)
ENGINE_CODES: frozenset[str] = frozenset({"ERROR_INTERNO_REGLA"})
# Codes of a study program file (mec_ws.programs, tests/programs), not of a certificate.
PROGRAM_FILE_CODES: frozenset[str] = frozenset(
    c
    for c in CODES
    if c.startswith("PROGRAMA_") and c not in {"PROGRAMA_NO_REGISTRADO", "PROGRAMA_NO_COINCIDE"}
)

UNREGISTERED_CAMPUS = "000199"  # not a campus of the institution (its officer is registered for it)
FOREIGN_INSTITUTION = "000777"


# --- special officers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialOfficers:
    """e.firma certificates of the default officer (same CURP) with one defect each."""

    expired: tuple[rsa.RSAPrivateKey, x509.Certificate]  # valid at issue, expired at upload
    not_yet_valid: tuple[rsa.RSAPrivateKey, x509.Certificate]  # issued after Expedicion/@fecha
    untrusted: tuple[rsa.RSAPrivateKey, x509.Certificate]  # from a CA nobody trusts
    unregistered: tuple[rsa.RSAPrivateKey, x509.Certificate]  # valid and trusted, not registered


@cache
def special_officers() -> SpecialOfficers:
    from mec_ws.testdata import pki

    base = pki.default_pki()

    def officer(
        ca: tuple[rsa.RSAPrivateKey, x509.Certificate], start: datetime, end: datetime
    ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        return pki.make_officer_certificate(
            ca[0],
            ca[1],
            curp=base.officer_curp,
            rfc=base.officer_rfc,
            nombre=base.officer_nombre,
            not_before=start,
            not_after=end,
        )

    trusted = (base.ca_key, base.ca_cert)
    return SpecialOfficers(
        expired=officer(trusted, datetime(2020, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)),
        not_yet_valid=officer(trusted, datetime(2024, 9, 1, tzinfo=UTC), datetime(2030, 12, 31, tzinfo=UTC)),
        untrusted=officer(
            pki.make_ca("AC no reconocida"),
            datetime(2020, 1, 1, tzinfo=UTC),
            datetime(2030, 12, 31, tzinfo=UTC),
        ),
        unregistered=officer(trusted, datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 12, 31, tzinfo=UTC)),
    )


def broken_context(scenario: Scenario | None = None, *, now: datetime = FIXED_NOW) -> ValidationContext:
    """The scenario's full context, with the special officers registered for its campus.

    The expired, not-yet-valid and untrusted officers are registered on purpose, so that their files
    fail only on the date or trust check; the default officer is also registered for
    :data:`UNREGISTERED_CAMPUS` (a campus the institution does not have), so that file fails only
    on the campus.  Valid certificates pass in this context too.
    """
    from mec_ws.testdata.pki import default_pki

    scenario = scenario or default_scenario()
    special = special_officers()
    campus = scenario.campus.id
    return make_context(
        scenario,
        now=now,
        officers=[
            (campus, default_pki().officer_cert),
            (campus, special.expired[1]),
            (campus, special.not_yet_valid[1]),
            (campus, special.untrusted[1]),
            (UNREGISTERED_CAMPUS, default_pki().officer_cert),
        ],
    )


# --- helpers ----------------------------------------------------------------------------------------


def _el(root: etree._Element, path: str) -> etree._Element:
    el = root.find("/".join(q(part) for part in path.split("/")))
    if el is None:
        raise LookupError(path)
    return el


def _subjects(root: etree._Element) -> list[etree._Element]:
    return _el(root, "Asignaturas").findall(q("Asignatura"))


def _complementaria(root: etree._Element) -> etree._Element:
    """The subject of type 266 (counts in no total, so changing it disturbs nothing else)."""
    return next(s for s in _subjects(root) if s.get("idTipoAsignatura") == "266")


def _add(root: etree._Element, path: str, attribute: str, delta: str) -> None:
    el = _el(root, path)
    el.set(attribute, str(Decimal(el.get(attribute, "0")) + Decimal(delta)))


def _sealed(root: etree._Element, **kwargs: object) -> bytes:
    return to_bytes(seal(root, **kwargs))  # type: ignore[arg-type]


Mutation = Callable[[etree._Element], None]


def _mutated(n: int, mutate: Mutation, *, tipo: int = TOTAL) -> Callable[[Scenario], bytes]:
    """A variant: build certificate ``n``, apply ``mutate``, seal with the default officer."""

    def make(scenario: Scenario) -> bytes:
        root = scenario.certificate(n, tipo=tipo)
        mutate(root)
        return _sealed(root)

    return make


def _setter(path: str, **attrs: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        el = root if path == "Dec" else _el(root, path)
        for name, value in attrs.items():
            el.set(name, value)

    return mutate


def _future_issue_date(root: etree._Element) -> None:
    # In the future both for the tests' fixed clock and for a real one (``mec-ws validate``), and
    # still inside the default officer's validity, so that only this code fires.
    when = max(FIXED_NOW, datetime.now(UTC)) + timedelta(days=30)
    _el(root, "Expedicion").set("fecha", when.strftime("%Y-%m-%dT10:00:00"))


# --- file-level defects ------------------------------------------------------------------------------


def _valid_bytes(scenario: Scenario, n: int) -> bytes:
    return _sealed(scenario.certificate(n))


def _malformed(scenario: Scenario) -> bytes:
    data = _valid_bytes(scenario, 1)
    return data[: len(data) // 2]


def _latin1(scenario: Scenario) -> bytes:
    root = seal(scenario.certificate(2))
    return etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1")


def _doctype(scenario: Scenario) -> bytes:
    data = _valid_bytes(scenario, 3)
    declaration, _, body = data.partition(b"?>")
    return declaration + b"?>\n<!DOCTYPE Dec>" + body


def _too_big(scenario: Scenario) -> bytes:
    limit = next(f.default for f in fields(ValidationContext) if f.name == "max_xml_bytes")
    assert isinstance(limit, int)
    data = _valid_bytes(scenario, 4)
    padding = b"<!-- " + b"relleno " * ((limit - len(data)) // 8 + 1) + b"-->"
    return data + b"\n" + padding


def _wrong_root(scenario: Scenario) -> bytes:
    root = seal(scenario.certificate(5))
    root.tag = q("Certificado")
    return to_bytes(root)


def _drop_attribute(root: etree._Element) -> None:
    del _el(root, "Alumno").attrib["numeroControl"]


def _stamped(scenario: Scenario) -> bytes:
    from mec_ws.certificate.stamp import stamp
    from mec_ws.testdata.pki import default_pki

    root = seal(scenario.certificate(9))
    return stamp(root, default_pki().sep_signer, now=FIXED_NOW).xml


# --- e.firma and sello defects ------------------------------------------------------------------------


def _signed_by(attr: str, n: int) -> Callable[[Scenario], bytes]:
    def make(scenario: Scenario) -> bytes:
        key, cert = getattr(special_officers(), attr)
        return _sealed(scenario.certificate(n), key=key, cert=cert)

    return make


def _garbage_certificate(scenario: Scenario) -> bytes:
    root = seal(scenario.certificate(40))
    root.set("certificadoResponsable", "TUlJRmFrZUNlcnRpZmljYWRv")  # base64 of text, not DER
    return to_bytes(root)


def _wrong_number(scenario: Scenario) -> bytes:
    root = seal(scenario.certificate(41))
    root.set("noCertificadoResponsable", "00001000000999999999")
    return to_bytes(root)


def _other_curp(root: etree._Element) -> None:
    from mec_ws.testdata.curp import make_curp

    other = make_curp("Rosa María", "Ordóñez", "Ibáñez", datetime(1979, 5, 20).date(), "M", "21")
    _setter("Ipes/Responsable", curp=other, nombre="ROSA MARÍA", primerApellido="ORDÓÑEZ")(root)
    _el(root, "Ipes/Responsable").set("segundoApellido", "IBÁÑEZ")


def _tampered(scenario: Scenario) -> bytes:
    root = seal(scenario.certificate(44))
    _el(root, "Alumno").set("numeroControl", "20999999")  # in the cadena: the sello no longer matches
    return to_bytes(root)


def _variant_32(scenario: Scenario) -> bytes:
    return _sealed(scenario.certificate(45), variant=32)


# --- data defects -------------------------------------------------------------------------------------


def _foreign_institution(root: etree._Element) -> None:
    _setter("ServicioFirmante", idEntidad=FOREIGN_INSTITUTION)(root)
    _setter("Ipes", idNombreInstitucion=FOREIGN_INSTITUTION, nombreInstitucion="INSTITUTO AJENO")(root)


def _first_observacion(root: etree._Element) -> None:
    _subjects(root)[0].set("idObservaciones", "999")


def _bad_check_digit(root: etree._Element) -> None:
    alumno = _el(root, "Alumno")
    curp = alumno.get("curp", "")
    alumno.set("curp", curp[:17] + str((int(curp[17]) + 1) % 10))


def _flip_gender(root: etree._Element) -> None:
    alumno = _el(root, "Alumno")
    alumno.set("idGenero", "250" if alumno.get("idGenero") == "251" else "251")


def _unknown_subject(root: etree._Element) -> None:
    extra = copy.deepcopy(_complementaria(root))
    extra.set("idAsignatura", "59999")
    extra.set("claveAsignatura", "DER-999")
    extra.set("nombre", "TALLER DE ORATORIA")
    _el(root, "Asignaturas").append(extra)


def _subject_type(root: etree._Element) -> None:
    first = next(s for s in _subjects(root) if s.get("idTipoAsignatura") == "263")
    first.set("idTipoAsignatura", "264")
    first.set("tipoAsignatura", "OPTATIVA")


def _duplicate_subject(root: etree._Element) -> None:
    _el(root, "Asignaturas").append(copy.deepcopy(_complementaria(root)))


def _swap_scale(root: etree._Element) -> None:
    _setter("Carrera", calificacionMinima="10", calificacionMaxima="0")(root)


def _complementaria_grade(value: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        _complementaria(root).set("calificacion", value)

    return mutate


def _adder(path: str, attribute: str, delta: str) -> Mutation:
    def mutate(root: etree._Element) -> None:
        _add(root, path, attribute, delta)

    return mutate


def _accepted_folio(scenario: Scenario) -> bytes:
    return _sealed(scenario.certificate(38, folio_control=ACCEPTED_FOLIO))


BrokenFactory = Callable[[Scenario], bytes]

BROKEN_VARIANTS: dict[str, BrokenFactory] = {
    # reading the file
    "XML_MAL_FORMADO": _malformed,
    "XML_CODIFICACION": _latin1,
    "XML_DTD_PROHIBIDO": _doctype,
    "XML_DEMASIADO_GRANDE": _too_big,
    "XML_RAIZ_INVALIDA": _wrong_root,
    # structure
    "XSD_INVALIDO": _mutated(6, _drop_attribute),
    "VERSION_NO_SOPORTADA": _mutated(7, _setter("Dec", version="2.0")),
    "TIPO_CERTIFICADO_INVALIDO": _mutated(8, _setter("Dec", tipoCertificado="4")),
    "NODOS_SEP_PRESENTES": _stamped,
    "VALOR_CON_BARRA": _mutated(10, _setter("Alumno", nombre="JOSÉ|LUIS")),
    # institution, campus, officer
    "INSTITUCION_NO_CORRESPONDE": _mutated(11, _foreign_institution),
    "ENTIDAD_FIRMANTE_NO_CORRESPONDE": _mutated(
        12, _setter("ServicioFirmante", idEntidad=FOREIGN_INSTITUTION)
    ),
    "CAMPUS_NO_REGISTRADO": _mutated(
        13, _setter("Ipes", idCampus=UNREGISTERED_CAMPUS, campus="CAMPUS NORTE")
    ),
    "RESPONSABLE_NO_REGISTRADO": _signed_by("unregistered", 14),
    "CARGO_NO_COINCIDE": _mutated(52, _setter("Ipes/Responsable", idCargo="3", cargo="RECTOR")),
    "ENTIDAD_FEDERATIVA_NO_COINCIDE": _mutated(
        15, _setter("Ipes", idEntidadFederativa="15", entidadFederativa="MÉXICO")
    ),
    # catalogs and identities
    "CLAVE_CATALOGO_INVALIDA": _mutated(16, _first_observacion),
    "CURP_INVALIDA": _mutated(17, _bad_check_digit),
    "CURP_SEXO_NO_COINCIDE": _mutated(18, _flip_gender),
    # dates
    "FECHA_NACIMIENTO_INCONGRUENTE": _mutated(19, _setter("Alumno", fechaNacimiento="2024-08-01T00:00:00")),
    "FECHA_EXPEDICION_FUTURA": _mutated(20, _future_issue_date),
    "FECHA_EXPEDICION_ANTERIOR_RVOE": _mutated(21, _setter("Expedicion", fecha="2020-02-10T10:00:00")),
    # study program
    "PROGRAMA_NO_REGISTRADO": _mutated(22, _setter("Carrera", clavePlan="2015")),
    "PROGRAMA_NO_COINCIDE": _mutated(23, _setter("Rvoe", numero="20200399")),
    "ASIGNATURA_NO_REGISTRADA": _mutated(24, _unknown_subject),
    "ASIGNATURA_NO_COINCIDE": _mutated(25, _subject_type),
    "ASIGNATURA_DUPLICADA": _mutated(26, _duplicate_subject),
    # grades and totals
    "ESCALA_CALIFICACION_INVALIDA": _mutated(27, _swap_scale),
    "CALIFICACION_INVALIDA": _mutated(28, _complementaria_grade("9.555")),
    "CALIFICACION_FUERA_DE_RANGO": _mutated(29, _complementaria_grade("11")),
    "TOTAL_ASIGNATURAS_NO_COINCIDE": _mutated(30, _adder("Asignaturas", "total", "1")),
    "ASIGNADAS_NO_COINCIDE": _mutated(31, _adder("Asignaturas", "asignadas", "-1")),
    "PROMEDIO_NO_COINCIDE": _mutated(32, _adder("Asignaturas", "promedio", "0.50")),
    "CREDITOS_OBTENIDOS_NO_COINCIDE": _mutated(33, _adder("Asignaturas", "creditosObtenidos", "-6")),
    "TOTAL_CREDITOS_NO_COINCIDE": _mutated(34, _adder("Asignaturas", "totalCreditos", "10")),
    "CERTIFICADO_TOTAL_INCOMPLETO": _mutated(
        35, _setter("Expedicion", idTipoCertificacion="79", tipoCertificacion="TOTAL"), tipo=PARCIAL
    ),
    "CERTIFICADO_PARCIAL_COMPLETO": _mutated(
        36, _setter("Expedicion", idTipoCertificacion="80", tipoCertificacion="PARCIAL")
    ),
    "NUMERO_CICLOS_NO_COINCIDE": _mutated(37, _adder("Asignaturas", "numeroCiclos", "1")),
    # folios
    "FOLIO_CONTROL_REGISTRADO": _accepted_folio,
    # e.firma and sello
    "CERTIFICADO_RESPONSABLE_INVALIDO": _garbage_certificate,
    "NO_CERTIFICADO_NO_COINCIDE": _wrong_number,
    "CURP_RESPONSABLE_NO_COINCIDE": _mutated(42, _other_curp),
    "CERTIFICADO_NO_VIGENTE_EXPEDICION": _signed_by("not_yet_valid", 43),
    "CERTIFICADO_VENCIDO": _signed_by("expired", 46),
    "CERTIFICADO_NO_CONFIABLE": _signed_by("untrusted", 47),
    "SELLO_INVALIDO": _tampered,
    "SELLO_VARIANTE_32": _variant_32,
}


def duplicate_folio_upload(scenario: Scenario | None = None) -> list[tuple[str, bytes]]:
    """Two valid certificates of different students sharing one folioControl (FOLIO_CONTROL_DUPLICADO)."""
    scenario = scenario or default_scenario()
    folio = "UAV-2024-DUPLICADO"
    return [
        (f"folio_duplicado_{n}.xml", _sealed(scenario.certificate(n, folio_control=folio))) for n in (50, 51)
    ]


def sample_upload(scenario: Scenario | None = None, *, valid: int = 3) -> list[tuple[str, bytes]]:
    """A demo folder: ``valido_N.xml`` (TOTAL, PARCIAL…) and one ``roto_<código>.xml`` per variant.

    Folios are distinct across all of them, so validating the set as one upload adds nothing.
    """
    scenario = scenario or default_scenario()
    files = [
        (f"valido_{n + 1}.xml", _sealed(scenario.certificate(100 + n, tipo=TOTAL if n % 2 == 0 else PARCIAL)))
        for n in range(valid)
    ]
    files += [(f"roto_{code.lower()}.xml", make(scenario)) for code, make in BROKEN_VARIANTS.items()]
    return files


def broken_file(code: str, scenario: Scenario | None = None) -> bytes:
    return BROKEN_VARIANTS[code](scenario or default_scenario())


__all__ = [
    "BROKEN_VARIANTS",
    "ENGINE_CODES",
    "MULTI_FILE_CODES",
    "PROGRAM_FILE_CODES",
    "SpecialOfficers",
    "broken_context",
    "broken_file",
    "default_scenario",
    "duplicate_folio_upload",
    "sample_upload",
    "special_officers",
]
