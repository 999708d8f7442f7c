"""A CURP generator for test data (the validation itself is production code in mec_ws.rules.curp).

Builds the CURP RENAPO would give: first letter and first internal vowel of the first surname,
first letter of the second surname (``X`` when there is none), first letter of the given name
(the second name when the first is José or María), birth date, sex, state, the first internal
consonant of each of those three names, a differentiator and the check digit.  Accents are
stripped, ``Ñ`` becomes ``X``, leading particles (DE, DEL, LA, …) are skipped and the
inconvenient four-letter words RENAPO lists get their second letter replaced by ``X``.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from mec_ws.rules.curp import CURP_PATTERN, STATE_CODES, curp_check_digit, is_valid_curp

__all__ = ["INEGI_TO_RENAPO", "curp_check_digit", "is_valid_curp", "make_curp", "normalize_name"]

# INEGI state key -> RENAPO two-letter code.
INEGI_TO_RENAPO: dict[str, str] = {f"{i:02d}": code for i, code in enumerate(STATE_CODES[:32], start=1)}

_PARTICLES = frozenset(
    [
        "DA",
        "DAS",
        "DE",
        "DEL",
        "DER",
        "DI",
        "DIE",
        "DD",
        "EL",
        "LA",
        "LAS",
        "LE",
        "LES",
        "LOS",
        "MAC",
        "MC",
        "VAN",
        "VON",
        "Y",
    ]
)
_SKIPPED_FIRST_NAMES = frozenset({"JOSE", "J", "J.", "MARIA", "MA", "MA.", "M", "M."})
_VOWELS = frozenset("AEIOU")

# RENAPO's list of inconvenient words (Instructivo normativo para la asignación de la CURP).
INCONVENIENT_WORDS = frozenset(
    [
        "BACA",
        "BAKA",
        "BUEI",
        "BUEY",
        "CACA",
        "CACO",
        "CAGA",
        "CAGO",
        "CAKA",
        "CAKO",
        "COGE",
        "COGI",
        "COJA",
        "COJE",
        "COJI",
        "COJO",
        "COLA",
        "CULO",
        "FALO",
        "FETO",
        "GETA",
        "GUEI",
        "GUEY",
        "JETA",
        "JOTO",
        "KACA",
        "KACO",
        "KAGA",
        "KAGO",
        "KAKA",
        "KAKO",
        "KOGE",
        "KOGI",
        "KOJA",
        "KOJE",
        "KOJI",
        "KOJO",
        "KOLA",
        "KULO",
        "LILO",
        "LOCA",
        "LOCO",
        "LOKA",
        "LOKO",
        "MAME",
        "MAMO",
        "MEAR",
        "MEAS",
        "MEON",
        "MIAR",
        "MION",
        "MOCO",
        "MOKO",
        "MULA",
        "MULO",
        "NACA",
        "NACO",
        "PEDA",
        "PEDO",
        "PENE",
        "PIPI",
        "PITO",
        "POPO",
        "PUTA",
        "PUTO",
        "QULO",
        "RATA",
        "ROBA",
        "ROBE",
        "ROBO",
        "RUIN",
        "SENO",
        "TETA",
        "VACA",
        "VAGA",
        "VAGO",
        "VAKA",
        "VUEI",
        "VUEY",
        "WUEI",
        "WUEY",
    ]
)


def normalize_name(text: str) -> str:
    """Upper case, accents stripped, Ñ kept as Ñ (callers map it), non-letters dropped."""
    out: list[str] = []
    for ch in text.upper():
        if ch == "Ñ":
            out.append("Ñ")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base if base.isalpha() or base == " " else " ")
    return " ".join("".join(out).split())


def _principal(words: str, *, skip_first: frozenset[str] = frozenset()) -> str:
    """The word that counts for the CURP: particles skipped, then (given names) José/María skipped."""
    parts = [w for w in normalize_name(words).split() if w not in _PARTICLES] or normalize_name(words).split()
    if len(parts) > 1 and parts[0] in skip_first:
        parts = parts[1:]
    return (parts[0] if parts else "X").replace("Ñ", "X")


def _first_internal(word: str, *, vowel: bool) -> str:
    for ch in word[1:]:
        if (ch in _VOWELS) == vowel and ch.isalpha():
            return ch
    return "X"


def make_curp(
    nombre: str,
    primer_apellido: str,
    segundo_apellido: str | None,
    fecha_nacimiento: date,
    sexo: str,
    entidad: str,
    *,
    diferenciador: str | None = None,
) -> str:
    """The CURP of a person; ``entidad`` is an INEGI key (``"09"``) or a RENAPO code (``"DF"``, ``"NE"``)."""
    if sexo not in ("H", "M", "X"):
        raise ValueError("sexo debe ser H, M o X")
    state = INEGI_TO_RENAPO.get(entidad, entidad.upper())
    if state not in STATE_CODES:
        raise ValueError(f"entidad desconocida: {entidad!r}")
    ap1 = _principal(primer_apellido)
    ap2 = _principal(segundo_apellido) if segundo_apellido and segundo_apellido.strip() else "X"
    name = _principal(nombre, skip_first=_SKIPPED_FIRST_NAMES)
    head = ap1[0] + _first_internal(ap1, vowel=True) + ap2[0] + name[0]
    if head in INCONVENIENT_WORDS:
        head = head[0] + "X" + head[2:]
    consonants = "".join(_first_internal(w, vowel=False) if len(w) > 1 else "X" for w in (ap1, ap2, name))
    if diferenciador is None:
        diferenciador = "0" if fecha_nacimiento.year < 2000 else "A"
    first17 = head + fecha_nacimiento.strftime("%y%m%d") + sexo + state + consonants + diferenciador
    curp = first17 + curp_check_digit(first17)
    if not CURP_PATTERN.match(curp):  # e.g. a name made of non-letters only
        raise ValueError(f"no se pudo formar una CURP válida con esos datos: {curp}")
    return curp
