"""``mec-ws``: the one command-line entry point (Spanish output, ``--help`` everywhere).

Each group of subcommands lives in its own module and registers itself through a
``register(subparsers)`` function that sets ``func`` on its parser; ``func(args) -> int`` is the
exit status.  Domain errors (:class:`mec_ws.errors.MecError`) are printed in Spanish, exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from mec_ws import __version__
from mec_ws.cli.parser import VERSION_HELP, SpanishArgumentParser
from mec_ws.errors import MecError

# Modules that contribute subcommands, in the order --help lists them, with the commands of each.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "mec_ws.cli.engine": ("validate", "verify", "demo"),
    "mec_ws.cli.runtime": ("serve", "worker"),
    "mec_ws.cli.service": ("wsdl",),
    "mec_ws.cli.admin": ("admin",),
    "mec_ws.cli.db": ("db",),
}


def _modules_for(argv: Sequence[str] | None) -> list[str]:
    """The modules to import for ``argv``: only the one of its command when the first argument
    names one (a worker or ``serve`` then starts without importing the administration commands and
    the services behind them), else all of them (``--help``, a mistyped command: argparse lists every
    command)."""
    first = next(iter(argv), None) if argv else None
    for name, commands in COMMAND_MODULES.items():
        if first in commands:
            return [name]
    return list(COMMAND_MODULES)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = SpanishArgumentParser(
        prog="mec-ws",
        description="Módulo Electrónico de Certificación (MEC): servicio SOAP y herramientas.",
    )
    parser.add_argument("--version", action="version", version=f"mec-ws {__version__}", help=VERSION_HELP)
    sub = parser.add_subparsers(dest="comando", metavar="COMANDO", title="comandos")
    for name in _modules_for(argv):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command group not built yet in this checkout
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MecError as exc:
        print(f"error [{exc.codigo}]: {exc.mensaje}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # a database failure no command anticipated: still one line
        from mec_ws.db import explain

        url = os.environ.get("MEC_DATABASE_URL") or "sqlite:///mec-data/mec.sqlite3"
        print(f"error [BaseDatos]: {explain(exc, url)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
