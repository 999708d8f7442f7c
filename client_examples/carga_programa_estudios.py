"""cargaProgramaEstudios: registra (o reemplaza) un programa de estudios en XML; se valida al momento.

python carga_programa_estudios.py demo/programa.xml
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.cargaProgramaEstudios(
        autenticacion=mec.autenticacion,
        nombreArchivo=args.archivo.name,
        archivoBase64=args.archivo.read_bytes(),
    )
    registrado = f" (idCarrera {r.idCarrera}, clavePlan {r.clavePlan})" if r.idCarrera else ""
    print(f"Programa {args.archivo.name}: {r.estatus}{registrado}")
    print(f"  {r.mensaje}")
    _common.print_errores(_common.items(r.errores, "error"))
    return 0 if r.estatus == "ACEPTADO" else 1


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("archivo", type=Path, help="programa de estudios en XML")
    _common.run(main, p.parse_args())
