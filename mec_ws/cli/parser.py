"""An :class:`argparse.ArgumentParser` that speaks Spanish, and hidden aliases for old flag spellings.

argparse builds its own texts ("usage:", "options", "show this help message and exit", its error
messages) with ``gettext`` in the default domain at call time; installing a translation there would
change every library's messages in the process.  Instead, :class:`SpanishArgumentParser` replaces
the few places where those texts are produced: the usage prefix (:class:`SpanishHelpFormatter`),
the two default group titles and ``-h``/``--ayuda`` (``--help`` still works; set in
``__init__``) and :meth:`error`, which translates the message argparse built (the templates in
:data:`_ERRORS`) before printing it.

:func:`hidden_alias` lets an option answer to a second spelling (``--institution`` for
``--institucion``) that parses exactly like the first but is not shown in ``--help``: the old
spelling is registered in the parser's option table pointing at the same action, so ``required``,
mutually exclusive groups and error messages (which name the Spanish spelling) work unchanged.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

USAGE_PREFIX = "uso: "
HELP_HELP = "muestra esta ayuda y termina"
VERSION_HELP = "muestra la versión y termina"
POSITIONALS_TITLE = "argumentos posicionales"
OPTIONALS_TITLE = "opciones"

# argparse's error templates (Python 3.11–3.13) as regular expressions, with their Spanish text.
# Applied in order to the message argparse built; the first match wins, and a message that
# contains a nested one ("argument X: invalid choice: …") is translated part by part.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), spanish)
    for pattern, spanish in (
        (r"^argument (?P<name>.+?): (?P<rest>.*)$", "argumento {name}: {rest}"),
        (r"^the following arguments are required: (?P<a>.*)$", "faltan los argumentos obligatorios: {a}"),
        (r"^one of the arguments (?P<a>.*) is required$", "se requiere uno de los argumentos {a}"),
        (r"^unrecognized arguments: (?P<a>.*)$", "argumentos no reconocidos: {a}"),
        (
            r"^invalid choice: (?P<v>.*?) \(choose from (?P<c>.*)\)$",
            "valor inválido: {v} (elija entre {c})",
        ),
        (r"^invalid (?P<t>.+?) value: (?P<v>.*)$", "valor inválido ({t}): {v}"),
        (r"^not allowed with argument (?P<a>.*)$", "no se permite junto con el argumento {a}"),
        (r"^expected one argument$", "se esperaba un valor"),
        (r"^expected at most one argument$", "se esperaba a lo sumo un valor"),
        (r"^expected at least one argument$", "se esperaba al menos un valor"),
        (r"^expected (?P<n>\d+) arguments?$", "se esperaban {n} valores"),
        (r"^ignored explicit argument (?P<a>.*)$", "se ignoró el valor explícito {a}"),
        (
            r"^ambiguous option: (?P<o>.*?) could match (?P<m>.*)$",
            "opción ambigua: {o} puede ser {m}",
        ),
        (r"^unexpected option string: (?P<o>.*)$", "opción inesperada: {o}"),
        (r"^(?P<o>.*?): not allowed with argument (?P<a>.*)$", "{o}: no se permite junto con {a}"),
    )
)

# Type names argparse puts in "invalid <type> value" (the callable's __name__).
_TYPES = {"int": "entero", "float": "número", "Path": "ruta", "PosixPath": "ruta", "str": "texto"}


def translate_error(message: str) -> str:
    """The Spanish of an argparse error message (unchanged if it is not one of argparse's)."""
    for pattern, spanish in _ERRORS:
        match = pattern.match(message)
        if match is None:
            continue
        parts = match.groupdict()
        if "rest" in parts:
            parts["rest"] = translate_error(parts["rest"])
        if "t" in parts:
            parts["t"] = _TYPES.get(parts["t"], parts["t"])
        return spanish.format(**parts)
    return message


class SpanishHelpFormatter(argparse.HelpFormatter):
    """The default formatter with the usage line introduced by ``uso:``."""

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, USAGE_PREFIX if prefix is None else prefix)


class SpanishArgumentParser(argparse.ArgumentParser):
    """:class:`argparse.ArgumentParser` whose help and error texts are all Spanish.

    Subparsers created with ``add_subparsers().add_parser`` are of this class too (argparse uses
    ``type(self)``), so the whole ``mec-ws`` tree speaks Spanish.
    """

    def __init__(self, *args: Any, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", SpanishHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = POSITIONALS_TITLE
        self._optionals.title = OPTIONALS_TITLE
        if add_help:
            prefix = "-" if "-" in self.prefix_chars else self.prefix_chars[0]
            action = self.add_argument(
                prefix + "h",
                prefix * 2 + "ayuda",
                action="help",
                default=argparse.SUPPRESS,
                help=HELP_HELP,
            )
            hidden_alias(self, action, prefix * 2 + "help")

    def _get_option_tuples(self, option_string: str) -> list[Any]:
        # An abbreviation matching an option and its hidden alias (``--inst`` for ``--institucion``
        # and ``--institution``) means one action, not an ambiguity: keep its first match.
        matches = super()._get_option_tuples(option_string)
        seen: set[int] = set()
        unique = []
        for match in matches:
            if id(match[0]) not in seen:
                seen.add(id(match[0]))
                unique.append(match)
        return unique

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {translate_error(message)}\n")


def hidden_alias(parser: argparse.ArgumentParser, action: argparse.Action, *spellings: str) -> None:
    """Make ``parser`` accept each of ``spellings`` as ``action``'s option, without listing it.

    For the old (English) spellings of renamed flags: scripts keep working, ``--help`` shows one
    language.  Raises :class:`ValueError` if a spelling is already taken.
    """
    for spelling in spellings:
        if spelling in parser._option_string_actions:
            raise ValueError(f"{spelling} ya es una opción de {parser.prog}")
        parser._option_string_actions[spelling] = action


def walk(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and every parser below it (each subcommand once, aliases not repeated)."""
    found: list[argparse.ArgumentParser] = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for sub in action.choices.values():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    found.extend(walk(sub))
    return found
