"""e.firma and sello rules: the officer's certificate in the document and the institution's sello.

Every rule reads the certificate from ``Dec/@certificadoResponsable``.  When it is missing or
unreadable, ``CERTIFICADO_RESPONSABLE_INVALIDO`` is the error and the other checks of this module
report themselves as omitted (they cannot run without a certificate).

The sello variant: a sello that verifies only with the 32-field cadena yields the advertencia
``SELLO_VARIANTE_32`` (or ``SELLO_INVALIDO`` under ``ctx.strict_sello``); :func:`sello_variant`
gives the orchestrator the matched variant (33, 32 or None) directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mec_ws import catalogs
from mec_ws.certificate.document import DecDocument
from mec_ws.certificate.efirma import (
    certificate_from_base64,
    certificate_number,
    chains_to,
    subject_curp,
    valid_at,
)
from mec_ws.certificate.sello import verify_document
from mec_ws.certificate.stamp import DATE_FORMAT, MEXICO_CITY
from mec_ws.findings import Finding, Status
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error, skipped
from mec_ws.rules.common import document_cadena

_CERT_LOC = "Dec/@certificadoResponsable"
_NO_CERT = "certificadoResponsable no es un certificado válido."


@lru_cache(maxsize=256)
def _parse(text: str) -> x509.Certificate | ValueError:
    try:
        return certificate_from_base64(text)
    except ValueError as exc:
        return exc


@dataclass(frozen=True, slots=True)
class _Officer:
    """What the rules read of an officer's certificate, derived once per certificate (a batch
    repeats one officer's certificate in every file)."""

    cert: x509.Certificate
    der: bytes
    number: str


@lru_cache(maxsize=256)
def _officer_of(text: str) -> _Officer | None:
    parsed = _parse(text)
    if isinstance(parsed, ValueError):
        return None
    return _Officer(
        cert=parsed,
        der=parsed.public_bytes(serialization.Encoding.DER),
        number=certificate_number(parsed),
    )


def _officer(doc: DecDocument) -> _Officer | None:
    text = doc.dec.get("certificadoResponsable")
    return _officer_of(text) if text else None


def officer_certificate(doc: DecDocument) -> x509.Certificate | None:
    """The certificate in ``Dec/@certificadoResponsable``, or None when absent or unreadable."""
    officer = _officer(doc)
    return officer.cert if officer is not None else None


def _fmt(when: datetime) -> str:
    return when.astimezone(MEXICO_CITY).strftime("%Y-%m-%d %H:%M:%S")


def check_certificate(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    text = doc.dec.get("certificadoResponsable")
    if not text or not text.strip():
        yield error(
            "CERTIFICADO_RESPONSABLE_INVALIDO",
            "El certificado no trae certificadoResponsable (certificado de e.firma del responsable).",
            _CERT_LOC,
        )
        return
    parsed = _parse(text)
    if isinstance(parsed, ValueError):
        yield error(
            "CERTIFICADO_RESPONSABLE_INVALIDO",
            f"{parsed} Debe ser el certificado de e.firma (.cer) del responsable codificado en base64.",
            _CERT_LOC,
        )


def check_certificate_number(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    loc = doc.dec.loc("noCertificadoResponsable")
    officer = _officer(doc)
    if officer is None:
        yield skipped("NO_CERTIFICADO_NO_COINCIDE", _NO_CERT, loc)
        return
    declared = doc.dec.get("noCertificadoResponsable")
    expected = officer.number
    if (declared or "").strip() != expected:
        yield error(
            "NO_CERTIFICADO_NO_COINCIDE",
            f"noCertificadoResponsable es '{declared or ''}', pero el número del certificado de e.firma "
            f"es {expected}.",
            loc,
        )


def check_curp(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    loc = doc.responsable.loc("curp")
    officer = _officer(doc)
    if officer is None:
        yield skipped("CURP_RESPONSABLE_NO_COINCIDE", _NO_CERT, loc)
        return
    declared = (doc.responsable.get("curp") or "").strip().upper()
    in_cert = subject_curp(officer.cert)
    if in_cert is None:
        yield error(
            "CURP_RESPONSABLE_NO_COINCIDE",
            "El certificado de e.firma no contiene una CURP (atributo serialNumber del sujeto).",
            loc,
        )
    elif in_cert != declared:
        yield error(
            "CURP_RESPONSABLE_NO_COINCIDE",
            f"La CURP del Responsable es '{declared}', pero el certificado de e.firma pertenece a la "
            f"CURP {in_cert}.",
            loc,
        )


def issue_date(doc: DecDocument) -> datetime | None:
    """``Expedicion/@fecha`` as an aware datetime in Mexico City time, or None when unreadable."""
    raw = doc.expedicion.get("fecha")
    if raw is None:
        return None
    return _issue_date(raw) if len(raw) <= 32 else _read_issue_date(raw)


@lru_cache(maxsize=4096)  # a pure function of the text; a batch repeats its few issue dates
def _issue_date(raw: str) -> datetime | None:
    return _read_issue_date(raw)


def _read_issue_date(raw: str) -> datetime | None:
    try:
        naive = datetime.strptime(raw.strip(), DATE_FORMAT)
    except ValueError:
        return None
    return naive.replace(tzinfo=MEXICO_CITY)


def check_valid_at_issue(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    loc = doc.expedicion.loc("fecha")
    cert = officer_certificate(doc)
    if cert is None:
        yield skipped("CERTIFICADO_NO_VIGENTE_EXPEDICION", _NO_CERT, loc)
        return
    fecha = issue_date(doc)
    if fecha is None:
        yield skipped(
            "CERTIFICADO_NO_VIGENTE_EXPEDICION",
            "Expedicion/@fecha no es una fecha AAAA-MM-DDThh:mm:ss.",
            loc,
        )
        return
    if not valid_at(cert, fecha):
        yield error(
            "CERTIFICADO_NO_VIGENTE_EXPEDICION",
            f"El certificado de e.firma es vigente del {_fmt(cert.not_valid_before_utc)} al "
            f"{_fmt(cert.not_valid_after_utc)} (hora de la Ciudad de México); la fecha de expedición "
            f"{_fmt(fecha)} queda fuera de ese periodo.",
            loc,
        )


def check_not_expired(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    cert = officer_certificate(doc)
    if cert is None:
        yield skipped("CERTIFICADO_VENCIDO", _NO_CERT, _CERT_LOC)
        return
    if ctx.now > cert.not_valid_after_utc:
        yield error(
            "CERTIFICADO_VENCIDO",
            f"El certificado de e.firma venció el {_fmt(cert.not_valid_after_utc)} (hora de la Ciudad "
            "de México); firme con una e.firma vigente.",
            _CERT_LOC,
        )


def check_trusted(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    if ctx.trusted_cas is None:
        yield skipped(
            "CERTIFICADO_NO_CONFIABLE",
            "no se configuraron las autoridades certificadoras de confianza.",
            _CERT_LOC,
        )
        return
    cert = officer_certificate(doc)
    if cert is None:
        yield skipped("CERTIFICADO_NO_CONFIABLE", _NO_CERT, _CERT_LOC)
        return
    if not chains_to(cert, ctx.trusted_cas, at=ctx.now):
        issuer = cert.issuer.rfc4514_string()
        yield error(
            "CERTIFICADO_NO_CONFIABLE",
            f"El certificado de e.firma fue emitido por '{issuer}', que no es una autoridad "
            "certificadora de confianza vigente (o su firma no verifica).",
            _CERT_LOC,
        )


def check_registered_officer(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    if ctx.officers is None:
        yield skipped(
            "RESPONSABLE_NO_REGISTRADO",
            "no se dieron los responsables registrados de los campus.",
            _CERT_LOC,
        )
        return
    officer = _officer(doc)
    if officer is None:
        yield skipped("RESPONSABLE_NO_REGISTRADO", _NO_CERT, _CERT_LOC)
        return
    campus = (doc.ipes.get("idCampus") or "").strip()
    der = officer.der
    if not any(o.campus_id == campus and o.certificate_der == der for o in ctx.officers):
        yield error(
            "RESPONSABLE_NO_REGISTRADO",
            f"El certificado de e.firma número {officer.number} no está registrado como "
            f"responsable del campus {campus or '(sin idCampus)'}.",
            _CERT_LOC,
        )


def check_officer_cargo(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    """``Responsable/@idCargo`` is the cargo the officer was registered with for the campus."""
    if ctx.officers is None:
        yield skipped(
            "CARGO_NO_COINCIDE", "no se dieron los responsables registrados de los campus.", _CERT_LOC
        )
        return
    officer = _officer(doc)
    if officer is None:
        yield skipped("CARGO_NO_COINCIDE", _NO_CERT, _CERT_LOC)
        return
    campus = (doc.ipes.get("idCampus") or "").strip()
    der = officer.der
    registered = [o for o in ctx.officers if o.campus_id == campus and o.certificate_der == der]
    if not registered:
        return  # RESPONSABLE_NO_REGISTRADO says it
    declared = (doc.responsable.get("idCargo") or "").strip()
    cargos = sorted({str(o.cargo_id) for o in registered})
    if declared not in cargos:
        nombre = catalogs.load("cargo").get(cargos[0], "")
        yield error(
            "CARGO_NO_COINCIDE",
            f"Responsable/@idCargo es «{declared or '(vacío)'}», pero el responsable está registrado "
            f"para el campus {campus} con el cargo {cargos[0]}{f' ({nombre})' if nombre else ''}.",
            doc.responsable.loc("idCargo"),
        )


def sello_variant(doc: DecDocument, ctx: ValidationContext) -> int | None:
    """The cadena variant the sello verified with (33, or 32 unless strict), or None."""
    cert = officer_certificate(doc)
    if cert is None:
        return None
    return verify_document(
        doc.root, cert, strict=ctx.strict_sello, cadena=lambda v: document_cadena(doc, v)
    ).variant


def check_sello(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    loc = doc.dec.loc("sello")
    cert = officer_certificate(doc)
    if cert is None:
        yield skipped("SELLO_INVALIDO", _NO_CERT, loc)
        return
    if not (doc.dec.get("sello") or "").strip():
        yield error("SELLO_INVALIDO", "El certificado no trae sello.", loc)
        return
    result = verify_document(doc.root, cert, cadena=lambda v: document_cadena(doc, v))
    if result.variant == 33:
        return
    if result.variant == 32 and not ctx.strict_sello:
        yield Finding(
            code="SELLO_VARIANTE_32",
            message="El sello verificó con la cadena original de 32 campos "
            "(sin ServicioFirmante/@idEntidad), no con la de 33 campos; "
            "se acepta, pero actualice su generador. Variante: 32.",
            location=loc,
            status=Status.ADVERTENCIA,
        )
    elif result.variant == 32:
        yield error(
            "SELLO_INVALIDO",
            "El sello solo verifica con la cadena de 32 campos (sin ServicioFirmante/@idEntidad); "
            "este servicio exige la cadena de 33 campos.",
            loc,
        )
    else:
        yield error(
            "SELLO_INVALIDO",
            "El sello no corresponde a la cadena original firmada con el certificado del responsable: "
            "algún dato cambió después de firmar, o se firmó con otra llave.",
            loc,
        )


FIRMA_RULES: tuple[Rule, ...] = (
    Rule("certificado del responsable", ("CERTIFICADO_RESPONSABLE_INVALIDO",), check_certificate),
    Rule("número de certificado", ("NO_CERTIFICADO_NO_COINCIDE",), check_certificate_number),
    Rule("CURP del responsable en la e.firma", ("CURP_RESPONSABLE_NO_COINCIDE",), check_curp),
    Rule("vigencia en la expedición", ("CERTIFICADO_NO_VIGENTE_EXPEDICION",), check_valid_at_issue),
    Rule("vigencia en la carga", ("CERTIFICADO_VENCIDO",), check_not_expired),
    Rule("autoridad certificadora", ("CERTIFICADO_NO_CONFIABLE",), check_trusted),
    Rule("responsable registrado", ("RESPONSABLE_NO_REGISTRADO",), check_registered_officer),
    Rule("cargo del responsable", ("CARGO_NO_COINCIDE",), check_officer_cargo),
    Rule("sello", ("SELLO_INVALIDO", "SELLO_VARIANTE_32"), check_sello),
)
