"""concluyePruebas: declara concluida la fase de pruebas (solo en el ambiente de pruebas).

python concluye_pruebas.py

Se rechaza con la falla PruebasIncompletas, que dice lo que falta, hasta que la institución tenga
al menos 10 certificados aceptados en pruebas, entre ellos una carga de un solo XML y una en ZIP.
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.concluyePruebas(autenticacion=mec.autenticacion)
    print(f"{r.estatus}: {r.mensaje}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    _common.run(main, p.parse_args())
