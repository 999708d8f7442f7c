"""Write the sample study program of docs/programa.md, in both formats, from the test-data factory.

    .venv/bin/python docs/ejemplos/generar.py

``programa.xml`` and ``programa.xlsx`` are the program of the demo institution (``mec-ws demo``:
institution 000001, its campus); tests/documents/test_docs_examples.py checks that both are accepted
by the readers the service uses and describe the same program as the factory.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mec_ws.programs import program_to_xlsx, program_to_xml
from mec_ws.testdata.factory import default_scenario

HERE = Path(__file__).resolve().parent


def main() -> int:
    program = default_scenario().program
    (HERE / "programa.xml").write_bytes(program_to_xml(program))
    (HERE / "programa.xlsx").write_bytes(program_to_xlsx(program))
    print(f"Escritos {HERE / 'programa.xml'} y {HERE / 'programa.xlsx'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
