"""Service commands: ``wsdl`` (``serve``/``worker`` live in :mod:`mec_ws.cli.runtime`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mec_ws.cli.parser import hidden_alias
from mec_ws.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``mec-ws`` parser (one ``_add_*`` per command)."""
    _add_wsdl(sub)


def _add_wsdl(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "wsdl",
        help="escribe el WSDL del servicio",
        description=(
            "Escribe el WSDL del servicio SOAP con soap:address tomado de MEC_PUBLIC_URL "
            "(el mismo que sirve /mec/ws?wsdl). Con la URL por omisión es wsdl/mec.wsdl."
        ),
    )
    a = p.add_argument(
        "--salida",
        "-o",
        dest="output",
        type=Path,
        metavar="ARCHIVO",
        help="archivo de salida (por omisión, la salida estándar)",
    )
    hidden_alias(p, a, "--output")
    p.set_defaults(func=cmd_wsdl)


def cmd_wsdl(args: argparse.Namespace) -> int:
    from mec_ws.soap.app import build_wsdl  # spyne is imported only when needed

    wsdl = build_wsdl(Settings.from_env())
    if args.output is None:
        sys.stdout.buffer.write(wsdl)
        sys.stdout.buffer.flush()
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(wsdl)
        print(f"WSDL escrito en {args.output}", file=sys.stderr)
    return 0
