"""solicitaCancelacion: pide cancelar un certificado; surte efecto al vencer el plazo de revisión.

python solicita_cancelacion.py UAV-2024-000100 --motivo C1 --observaciones "CURP con error"
python solicita_cancelacion.py --folio-digital 6f1c…-… --motivo C1

El certificado se indica con exactamente uno de los dos: su folio de control, o su folio digital
(--folio-digital; el único nombre de un certificado que no trae folioControl).  El motivo es una
clave del catálogo de motivos de cancelación (véase consulta_documentos.py).
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.solicitaCancelacion(
        autenticacion=mec.autenticacion,
        folioControl=args.folio_control,
        folioDigital=args.folio_digital,
        motivo=args.motivo,
        observaciones=args.observaciones,
    )
    nombre = r.folioControl or r.folioDigital or args.folio_control or args.folio_digital
    print(f"Certificado {nombre}: {r.estatus}")
    if r.folioDigital:
        print(f"  folio digital {r.folioDigital}")
    print(f"  solicitada {r.fechaSolicitud}; surte efecto {r.fechaEfectiva}")
    print(f"  {r.mensaje}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument(
        "folio_control", metavar="FOLIO_CONTROL", nargs="?", help="folio de control del certificado"
    )
    p.add_argument(
        "--folio-digital", metavar="UUID", help="folio digital del certificado, en lugar del folio de control"
    )
    p.add_argument("--motivo", required=True, help="clave del catálogo de motivos de cancelación, p. ej. C1")
    p.add_argument("--observaciones", help="texto libre (opcional)")
    parsed = p.parse_args()
    if bool(parsed.folio_control) == bool(parsed.folio_digital):
        p.error("indique exactamente uno: FOLIO_CONTROL o --folio-digital")
    _common.run(main, parsed)
