"""The SEP stamp: the ``Dreoe`` and ``SepIpes`` nodes appended to an accepted certificate.

``Dreoe`` records the SEP officer and seals ``||fechaDreoe|selloDec|noCertificadoDreoe|curp|idCargo||``;
``SepIpes`` carries the ``folioDigital`` (UUID4) and seals
``||version|folioDigital|fechaSepIpes|selloDreoe|noCertificadoSepIpes||``.  Both with RSA-SHA256 and
the SEP officer's key; dates are ``YYYY-MM-DDThh:mm:ss`` in Mexico City time.  The institution's
part is not touched, so its ``sello`` still verifies on the stamped file.  Anyone with the SEP
certificate can check a stamped file offline (:func:`verify_stamped`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from mec_ws.certificate.cadena import cadena_dreoe, cadena_sepipes
from mec_ws.certificate.document import DEC_TAG, DREOE_TAG, SEP_IPES_TAG, SEP_TAGS, is_placeholder
from mec_ws.certificate.efirma import certificate_from_base64, certificate_number
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.schema import validate_stamped
from mec_ws.certificate.sello import sign, verify, verify_document
from mec_ws.errors import XmlReadError

MEXICO_CITY = ZoneInfo("America/Mexico_City")
SEP_IPES_VERSION = "1.0"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class SepSigner:
    """The SEP officer who stamps accepted certificates, with the stamping key."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    curp: str
    nombre_completo: str
    id_cargo: int
    cargo: str


@dataclass(frozen=True)
class StampResult:
    folio_digital: str
    fecha_sep_ipes: datetime  # aware, Mexico City time, whole seconds
    xml: bytes  # the stamped document, UTF-8 with XML declaration


def mexico_city_now(now: datetime | None = None) -> datetime:
    """``now`` (aware; default: the current time) in Mexico City, truncated to the second."""
    when = datetime.now(UTC) if now is None else now
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("La fecha del sellado debe tener zona horaria.")
    return when.astimezone(MEXICO_CITY).replace(microsecond=0)


def stamp_date(when: datetime) -> str:
    """``when`` (whole seconds) as :data:`DATE_FORMAT`; ``isoformat`` of the naive time gives the same
    text for four-digit years without ``strftime``'s cost (it is called once per stamped file)."""
    if when.microsecond or not 1000 <= when.year <= 9999:
        return when.strftime(DATE_FORMAT)
    return when.replace(tzinfo=None).isoformat()


@lru_cache(maxsize=8)  # a pure function of the certificate; a worker stamps with one SEP certificate
def _sep_number(certificate: x509.Certificate) -> str:
    return certificate_number(certificate)


def _serialize(root: etree._Element) -> bytes:
    tree = root.getroottree()
    target: etree._ElementTree | etree._Element = tree if tree.getroot() is root else root
    return etree.tostring(target, xml_declaration=True, encoding="UTF-8")


def _place(
    root: etree._Element,
    tag: str,
    placeholder: etree._Element | None,
    *,
    before: etree._Element | None = None,
    after: etree._Element | None = None,
) -> etree._Element:
    """A new empty ``tag`` element: in ``placeholder``'s stead, else before ``before`` / after
    ``after``, else at the end of ``root``."""
    node = etree.Element(tag, nsmap=root.nsmap)
    if placeholder is not None:
        node.tail = placeholder.tail
        root.replace(placeholder, node)
    elif before is not None:
        before.addprevious(node)
    elif after is not None and after.getnext() is not None:
        after.addnext(node)
    else:
        root.append(node)
    return node


def stamp(
    root: etree._Element,
    signer: SepSigner,
    *,
    now: datetime | None = None,
    folio_digital: str | None = None,
) -> StampResult:
    """Add ``Dreoe`` then ``SepIpes`` to ``root`` (in place) and return the stamped bytes.

    ``root`` must be an accepted upload: it has a ``sello`` and no SEP nodes yet, or only the empty
    placeholders ``<Dreoe/>`` ``<SepIpes/>`` at its end, which the filled nodes replace (in their
    place, keeping the surrounding whitespace): the result never has two of either.
    """
    sep_nodes = [el for el in root if el.tag in SEP_TAGS]
    if any(not is_placeholder(el) for el in sep_nodes):
        raise ValueError("El certificado ya tiene los nodos Dreoe o SepIpes.")
    if len(sep_nodes) != len({el.tag for el in sep_nodes}):
        raise ValueError("El certificado repite el marcador Dreoe o SepIpes.")
    sello_dec = root.get("sello")
    if not sello_dec:
        raise ValueError("El certificado no tiene sello; no se puede sellar.")
    when = mexico_city_now(now)
    fecha = stamp_date(when)
    folio = folio_digital or str(uuid.uuid4())
    numero = _sep_number(signer.certificate)

    placeholder = {el.tag: el for el in sep_nodes}
    dreoe = _place(root, DREOE_TAG, placeholder.get(DREOE_TAG), before=placeholder.get(SEP_IPES_TAG))
    dreoe.set("fechaDreoe", fecha)
    dreoe.set("selloDec", sello_dec)
    dreoe.set("noCertificadoDreoe", numero)
    dreoe.set("curp", signer.curp)
    dreoe.set("nombreCompleto", signer.nombre_completo)
    dreoe.set("idCargo", str(signer.id_cargo))
    dreoe.set("cargo", signer.cargo)
    dreoe.set("selloDreoe", sign(cadena_dreoe(dreoe), signer.key))

    sepipes = _place(root, SEP_IPES_TAG, placeholder.get(SEP_IPES_TAG), after=dreoe)
    sepipes.set("version", SEP_IPES_VERSION)
    sepipes.set("folioDigital", folio)
    sepipes.set("fechaSepIpes", fecha)
    sepipes.set("selloDreoe", dreoe.get("selloDreoe", ""))
    sepipes.set("noCertificadoSepIpes", numero)
    sepipes.set("selloSepIpes", sign(cadena_sepipes(sepipes), signer.key))

    return StampResult(folio_digital=folio, fecha_sep_ipes=when, xml=_serialize(root))


@dataclass(frozen=True)
class StampVerification:
    ok: bool
    problems: tuple[str, ...]  # Spanish, one per failed check; empty when ok
    folio_digital: str | None = None
    sello_variant: int | None = None  # which cadena the institution's sello matched (33 or 32)


def _check_institution_sello(root: etree._Element) -> tuple[list[str], int | None]:
    text = root.get("certificadoResponsable")
    if not text:
        return ["El certificado no trae certificadoResponsable."], None
    try:
        officer = certificate_from_base64(text)
    except ValueError as exc:
        return [str(exc)], None
    problems: list[str] = []
    if root.get("noCertificadoResponsable") != certificate_number(officer):
        problems.append("noCertificadoResponsable no coincide con certificadoResponsable.")
    result = verify_document(root, officer)
    if not result.valid:
        problems.append("El sello de la institución (Dec/@sello) no verifica.")
    return problems, result.variant


def verify_stamped(data: bytes, sep_certificate: x509.Certificate) -> StampVerification:
    """Check every seal of a stamped file against the SEP certificate (offline)."""
    try:
        root = read_xml(data).getroot()
    except XmlReadError as exc:
        return StampVerification(ok=False, problems=(exc.mensaje,))
    if root.tag != DEC_TAG:
        return StampVerification(ok=False, problems=("El elemento raíz no es Dec.",))
    problems = [f"{f.location}: {f.message}" for f in validate_stamped(root)]

    inst_problems, variant = _check_institution_sello(root)
    problems += inst_problems

    dreoe = root.find(DREOE_TAG)
    sepipes = root.find(SEP_IPES_TAG)
    if dreoe is None or sepipes is None or is_placeholder(dreoe) or is_placeholder(sepipes):
        problems.append("El archivo no tiene los nodos Dreoe y SepIpes: no está sellado por la SEP.")
        return StampVerification(ok=False, problems=tuple(problems), sello_variant=variant)

    sep_number = certificate_number(sep_certificate)
    if dreoe.get("selloDec") != root.get("sello"):
        problems.append("Dreoe/@selloDec no es copia de Dec/@sello.")
    if dreoe.get("noCertificadoDreoe") != sep_number:
        problems.append("Dreoe/@noCertificadoDreoe no corresponde al certificado de la SEP.")
    if not verify(cadena_dreoe(dreoe), dreoe.get("selloDreoe", ""), sep_certificate):
        problems.append("El sello Dreoe/@selloDreoe no verifica con el certificado de la SEP.")
    if sepipes.get("selloDreoe") != dreoe.get("selloDreoe"):
        problems.append("SepIpes/@selloDreoe no es copia de Dreoe/@selloDreoe.")
    if sepipes.get("noCertificadoSepIpes") != sep_number:
        problems.append("SepIpes/@noCertificadoSepIpes no corresponde al certificado de la SEP.")
    if not verify(cadena_sepipes(sepipes), sepipes.get("selloSepIpes", ""), sep_certificate):
        problems.append("El sello SepIpes/@selloSepIpes no verifica con el certificado de la SEP.")
    return StampVerification(
        ok=not problems,
        problems=tuple(problems),
        folio_digital=sepipes.get("folioDigital"),
        sello_variant=variant,
    )
