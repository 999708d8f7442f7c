"""solicitaCancelacion: pide cancelar un certificado; surte efecto al vencer el plazo de revisión.

python solicita_cancelacion.py UAV-2024-000100 --motivo C1 --observaciones "CURP con error"

El motivo es una clave del catálogo de motivos de cancelación (véase consulta_documentos.py).
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.solicitaCancelacion(
        autenticacion=mec.autenticacion,
        folioControl=args.folio_control,
        motivo=args.motivo,
        observaciones=args.observaciones,
    )
    print(f"Certificado {r.folioControl}: {r.estatus}")
    print(f"  solicitada {r.fechaSolicitud}; surte efecto {r.fechaEfectiva}")
    print(f"  {r.mensaje}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("folio_control", metavar="FOLIO_CONTROL", help="folio de control del certificado")
    p.add_argument("--motivo", required=True, help="clave del catálogo de motivos de cancelación, p. ej. C1")
    p.add_argument("--observaciones", help="texto libre (opcional)")
    _common.run(main, p.parse_args())
