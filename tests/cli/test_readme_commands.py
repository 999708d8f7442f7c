"""Every `mec-ws …` command the README shows parses with today's parser (flags, subcommands).

Synopsis lines (with ``[``, ``…`` or ``...``) are skipped, placeholders (``LOTE``) become ``1``;
environment assignments and a leading ``.venv/bin/`` are allowed; ``&&``/``|`` chains are split.
The PostgreSQL section must exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from mec_ws.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> list[str]:
    blocks: list[str] = []
    fence: str | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                blocks.append("")
            else:
                fence = None
        elif fence in ("", "sh"):
            blocks[-1] += line + "\n"
    found = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|\||;", line):
                words = shlex.split(part, comments=True)
                while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                    words.pop(0)
                if words and words[0].endswith("mec-ws") and words[0] in ("mec-ws", ".venv/bin/mec-ws"):
                    # a placeholder (LOTE, FOLIO, ARCHIVO) stands for a value: "1" fits every type
                    args = ["1" if re.fullmatch(r"[A-ZÁÉÍÓÚÑ_]{2,}", w) else w for w in words[1:]]
                    found.append(" ".join(shlex.quote(w) for w in args))
    return [c for c in found if not re.search(r"\[|…|\.\.\.", c)]


def test_the_readme_shows_the_postgresql_path() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Producción con PostgreSQL", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "createdb",
        "MEC_DATABASE_URL=postgresql+psycopg://",
        "mec-ws db upgrade",
        "mec-ws admin add-user",
        "--sin-trabajador",
        "mec-ws worker",
        "/salud",
    ):
        assert needed in section, needed


def test_there_are_many_commands_to_check() -> None:
    assert len(_commands()) >= 25


@pytest.mark.parametrize("command", _commands())
def test_every_readme_command_parses(command: str) -> None:
    args = build_parser().parse_args(shlex.split(command))
    assert getattr(args, "func", None) is not None, command
