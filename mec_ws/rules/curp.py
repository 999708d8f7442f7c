"""CURP: the pattern and RENAPO check digit (production validation) and the CURP rules.

A CURP is 18 characters: four letters from the names, the birth date ``YYMMDD``, the sex
(``H``, ``M`` or ``X``), the two-letter state of birth (``NE`` born abroad), three internal
consonants, a differentiator (a digit for births before 2000, a letter from 2000 on) and the
check digit computed by :func:`curp_check_digit`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mec_ws.certificate.document import DecDocument, Node
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error, short_text_cache
from mec_ws.rules.values import int_or_none

STATE_CODES = [
    "AS",
    "BC",
    "BS",
    "CC",
    "CL",
    "CM",
    "CS",
    "CH",
    "DF",
    "DG",
    "GT",
    "GR",
    "HG",
    "JC",
    "MC",
    "MN",
    "MS",
    "NT",
    "NL",
    "OC",
    "PL",
    "QT",
    "QR",
    "SP",
    "SL",
    "SR",
    "TC",
    "TS",
    "TL",
    "VZ",
    "YN",
    "ZS",
    "NE",
]

CURP_PATTERN = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}"  # names
    r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # YYMMDD
    r"[HMX]"  # sex
    rf"(?:{'|'.join(STATE_CODES)})"  # state of birth
    r"[B-DF-HJ-NP-TV-Z]{3}"  # internal consonants
    r"[0-9A-Z]\d$"  # differentiator, check digit
)

_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_VALUES = {ch: i for i, ch in enumerate(_ALPHABET)}

# Sex letter of the CURP -> the idGenero values it agrees with (X: either).
SEXO_GENERO: dict[str, frozenset[int]] = {
    "H": frozenset({251}),
    "M": frozenset({250}),
    "X": frozenset({250, 251}),
}


def curp_check_digit(first17: str) -> str:
    """RENAPO check digit of the first 17 characters (weights 18..2)."""
    if len(first17) != 17:
        raise ValueError("se requieren los primeros 17 caracteres de la CURP")
    try:
        total = sum(_VALUES[ch] * (18 - i) for i, ch in enumerate(first17.upper()))
    except KeyError as exc:
        raise ValueError(f"carácter no válido en una CURP: {exc.args[0]!r}") from None
    return str((10 - total % 10) % 10)


def is_valid_curp(curp: str | None) -> bool:
    """Pattern and check digit."""
    return curp is not None and _valid_curp(curp)


@short_text_cache(4096)  # each file asks about the same CURPs twice or more
def _valid_curp(curp: str) -> bool:
    if not CURP_PATTERN.match(curp):
        return False
    return curp_check_digit(curp[:17]) == curp[17]


def curp_problem(curp: str) -> str:
    """Why a CURP is invalid, in Spanish (call only when :func:`is_valid_curp` is False)."""
    if not CURP_PATTERN.match(curp):
        return f"La CURP «{curp}» no tiene el formato de una CURP (18 caracteres: AAAA######HEECCC##)."
    return (
        f"El dígito verificador de la CURP «{curp}» es incorrecto: debería ser {curp_check_digit(curp[:17])}."
    )


def _check_curp(node: Node, who: str) -> Iterator[Finding]:
    curp = node.get("curp")
    if curp is None or not node.present:
        return  # absent: the XSD finding reports it
    if not is_valid_curp(curp):
        yield error("CURP_INVALIDA", f"CURP del {who}: {curp_problem(curp)}", node.loc("curp"))


def check_curps(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    yield from _check_curp(doc.alumno, "alumno")
    yield from _check_curp(doc.responsable, "responsable")


def check_sexo(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    curp = doc.alumno.get("curp")
    genero = int_or_none(doc.alumno.get("idGenero"))
    if curp is None or not is_valid_curp(curp) or genero not in (250, 251):
        return  # invalid CURP or unknown gender id: reported by their own rules
    letter = curp[10]
    if genero not in SEXO_GENERO[letter]:
        expected = "H (hombre)" if genero == 251 else "M (mujer)"
        yield error(
            "CURP_SEXO_NO_COINCIDE",
            f"La CURP del alumno indica sexo «{letter}», pero idGenero es {genero}; "
            f"se esperaba {expected} o X.",
            doc.alumno.loc("idGenero"),
        )


CURP_RULES: tuple[Rule, ...] = (
    Rule("CURP del alumno y del responsable", ("CURP_INVALIDA",), check_curps),
    Rule("sexo de la CURP y género", ("CURP_SEXO_NO_COINCIDE",), check_sexo),
)
