"""``mec-ws --help`` and its errors are Spanish everywhere; the old English flags still parse."""

from __future__ import annotations

import argparse
import re

import pytest

from mec_ws.cli import build_parser, main
from mec_ws.cli.parser import SpanishArgumentParser, translate_error, walk

# Texts argparse writes in English on its own.
ENGLISH = (
    "usage:",
    "options:",
    "optional arguments",
    "positional arguments",
    "show this help",
    "show program's",
    "the following arguments are required",
    "invalid choice",
    "unrecognized arguments",
    "not allowed with",
    "expected one argument",
    "invalid int value",
    "argument ",
    "choose from",
    "error: the",
)

# The spellings before the flags were made Spanish: accepted, never shown.
OLD_SPELLINGS = {
    ("serve",): {"--host": "--direccion", "--port": "--puerto", "--workers": "--procesos"},
    ("worker",): {},
    ("wsdl",): {"--output": "--salida"},
    ("verify",): {"--sep-cer": "--cer-sep"},
    ("demo",): {"--dir": "--carpeta"},
    ("admin", "add-campus"): {"--state": "--estado"},
    ("admin", "add-user"): {"--institution": "--institucion"},
    ("admin", "add-folio"): {"--institution": "--institucion", "--count": "--cantidad"},
    ("admin", "set-stamp-key"): {"--key": "--llave"},
    ("admin", "cancellations"): {"--institution": "--institucion"},
    ("admin", "list-folios"): {"--institution": "--institucion"},
}
ENGLISH_WORDS = re.compile(
    r"\b(FILE|NAME|USERNAME|INSTITUTION|CAMPUS_ID|INSTITUTION_ID|HOST|PORT|WORKERS|OUTPUT|DIR|KEY|"
    r"--host|--port|--workers|--no-worker|--once|--output|--dir|--state|--institution|--operator|"
    r"--count|--key|--approve|--withdraw|--sep-cer)\b"
)


def _parsers() -> list[argparse.ArgumentParser]:
    return walk(build_parser())


def test_the_walk_reaches_every_subcommand() -> None:
    progs = {p.prog for p in _parsers()}
    assert {"mec-ws", "mec-ws serve", "mec-ws admin", "mec-ws admin add-user", "mec-ws db upgrade"} <= progs
    assert len(progs) >= 23  # the root, 8 commands, 12 admin and 2 db subcommands, and the root
    assert all(isinstance(p, SpanishArgumentParser) for p in _parsers())


@pytest.mark.parametrize("parser", _parsers(), ids=lambda p: p.prog)
def test_every_help_is_spanish(parser: argparse.ArgumentParser) -> None:
    text = parser.format_help()
    assert text.startswith("uso: "), text
    for english in ENGLISH:
        assert english not in text, (parser.prog, english)
    assert not ENGLISH_WORDS.search(text), (parser.prog, ENGLISH_WORDS.search(text))
    assert "muestra esta ayuda y termina" in text


@pytest.mark.parametrize("parser", _parsers(), ids=lambda p: p.prog)
def test_every_error_is_spanish(parser: argparse.ArgumentParser, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*parser.prog.split()[1:], "--no-existe-esta-opcion"]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("uso: "), err
    assert "error:" in err
    for english in ENGLISH:
        assert english not in err, (argv, english, err)


@pytest.mark.parametrize(
    ("argv", "spanish"),
    [
        (["admin", "add-folio", "F"], "faltan los argumentos obligatorios: --institucion, --cantidad"),
        (["no-hay"], "argumento COMANDO: valor inválido: 'no-hay' (elija entre 'validate'"),
        (["serve", "--puerto", "x"], "argumento --puerto: valor inválido (entero): 'x'"),
        (["admin", "add-user", "u"], "se requiere uno de los argumentos --institucion --operador"),
        (
            ["admin", "add-user", "u", "--institucion", "1", "--operador"],
            "argumento --operador: no se permite junto con el argumento --institucion",
        ),
        (["admin", "add-folio", "F", "--cantidad"], "argumento --cantidad: se esperaba un valor"),
        (["worker", "sobrante"], "argumentos no reconocidos: sobrante"),
    ],
)
def test_error_messages(argv: list[str], spanish: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert spanish in err, err


@pytest.mark.parametrize(("path", "renames"), list(OLD_SPELLINGS.items()), ids=lambda v: str(v))
def test_old_spellings_parse_like_the_new_ones_and_are_not_shown(
    path: tuple[str, ...], renames: dict[str, str]
) -> None:
    parser = build_parser()
    target = next(p for p in walk(parser) if p.prog == " ".join(("mec-ws", *path)))
    shown = target.format_help()
    for old, new in renames.items():
        assert old not in shown.replace(new, "")
        action = target._option_string_actions[old]
        assert action is target._option_string_actions[new]
        assert new in action.option_strings and old not in action.option_strings


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            ["admin", "add-folio", "F", "--institution", "000001", "--count", "3"],
            ["admin", "add-folio", "F", "--institucion", "000001", "--cantidad", "3"],
        ),
        (["admin", "add-user", "u", "--operator"], ["admin", "add-user", "u", "--operador"]),
        (
            ["admin", "cancellations", "--approve", "A1", "--institution", "000001"],
            ["admin", "cancellations", "--aprobar", "A1", "--institucion", "000001"],
        ),
        (["admin", "cancellations", "--withdraw=A1"], ["admin", "cancellations", "--retirar=A1"]),
        (
            ["admin", "add-campus", "1", "2", "N", "--state", "09"],
            ["admin", "add-campus", "1", "2", "N", "--estado", "09"],
        ),
        (
            ["admin", "set-stamp-key", "--cer", "a", "--key", "b"],
            ["admin", "set-stamp-key", "--cer", "a", "--llave", "b"],
        ),
        (
            ["serve", "--host", "10.0.0.1", "--port", "1", "--workers", "3", "--no-worker"],
            ["serve", "--direccion", "10.0.0.1", "--puerto", "1", "--procesos", "3", "--sin-trabajador"],
        ),
        (["worker", "--once"], ["worker", "--una-vez"]),
        (["wsdl", "--output", "x"], ["wsdl", "--salida", "x"]),
        (["verify", "a.xml", "--sep-cer", "s"], ["verify", "a.xml", "--cer-sep", "s"]),
        (["demo", "--dir", "d"], ["demo", "--carpeta", "d"]),
    ],
)
def test_old_and_new_spellings_give_the_same_arguments(old: list[str], new: list[str]) -> None:
    parser = build_parser()
    assert vars(parser.parse_args(old)) == vars(parser.parse_args(new))


def test_old_spellings_also_satisfy_required_and_exclusive_groups(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["admin", "add-user", "u", "--institution", "000001"])
    assert args.institution == "000001" and args.operator is False
    with pytest.raises(SystemExit):
        parser.parse_args(["admin", "add-user", "u", "--institution", "000001", "--operador"])
    assert "no se permite junto con" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--ayuda", "--help", "-h"])
def test_help_answers_to_ayuda_and_help(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["admin", "add-folio", flag])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: mec-ws admin add-folio") and "-h, --ayuda" in out and "--help" not in out


def test_an_abbreviation_of_an_option_and_its_alias_is_not_ambiguous() -> None:
    args = build_parser().parse_args(["admin", "add-folio", "F", "--inst", "000001", "--cant", "2"])
    assert (args.institution, args.count) == ("000001", 2)


def test_unknown_messages_pass_through_unchanged() -> None:
    assert translate_error("el archivo no existe") == "el archivo no existe"
    assert (
        translate_error("argument -x: invalid float value: 'a'")
        == "argumento -x: valor inválido (número): 'a'"
    )


def test_a_command_builds_only_its_own_parser_and_parses_the_same() -> None:
    """``mec-ws worker`` (or ``serve``) imports only its command group: a worker process starts
    without the administration commands and the services behind them.  What it parses is what the
    whole parser parses."""
    import subprocess
    import sys

    probe = (
        "import sys; from mec_ws.cli import build_parser; build_parser(['worker', '--una-vez']); "
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('mec_ws.cli.', 'mec_ws.services')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.strip().split(","))
    assert "mec_ws.cli.runtime" in loaded
    assert not loaded & {"mec_ws.cli.admin", "mec_ws.cli.engine", "mec_ws.services.cancellation"}
    for argv in (
        ["worker", "--una-vez", "--procesos", "2"],
        ["serve", "--puerto", "8081", "--sin-trabajador"],
        ["admin", "add-folio", "F", "--inst", "000001", "--cant", "2"],
        ["db", "current"],
        ["validate", "a.xml"],
    ):
        narrow, whole = build_parser(argv).parse_args(argv), build_parser().parse_args(argv)
        assert vars(narrow) == vars(whole), argv


def test_an_unknown_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["wroker"])
    err = capsys.readouterr().err
    assert all(name in err for name in ("worker", "serve", "admin", "validate", "db"))
