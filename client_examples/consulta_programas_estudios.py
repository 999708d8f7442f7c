"""consultaProgramasEstudios: los programas de estudios registrados de la institución.

python consulta_programas_estudios.py
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.consultaProgramasEstudios(autenticacion=mec.autenticacion)
    # The response has a single child (programas/programa): zeep hands back the list itself.
    programas = list(r or []) if isinstance(r, list) else _common.items(r.programas, "programa")
    print(f"{len(programas)} programa(s) de estudios registrado(s)")
    for p in programas:
        print(
            f"  {p.idCarrera}/{p.clavePlan}  {p.nombreCarrera}  RVOE {p.numeroRvoe} ({p.fechaRvoe})  "
            f"{p.numeroAsignaturas} asignatura(s), {p.totalCreditos} créditos  registrado {p.fechaRegistro}"
        )
    return 0


if __name__ == "__main__":
    _common.run(main, _common.parser(__doc__.splitlines()[0]).parse_args())
