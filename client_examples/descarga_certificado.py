"""descargaCertificado: un certificado aceptado, como XML sellado por la SEP (o PDF).

python descarga_certificado.py UAV-2024-000100 --salida descargas/
python descarga_certificado.py --folio-digital 6f1c…-…  --formato PDF

El certificado se indica con exactamente uno de los dos: su folio de control, o su folio digital
(--folio-digital; el único nombre de un certificado que no trae folioControl).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.descargaCertificado(
        autenticacion=mec.autenticacion,
        folioControl=args.folio_control,
        folioDigital=args.folio_digital,
        formato=args.formato,
    )
    path = _common.save(args.salida, r.nombreArchivo, r.archivoBase64)
    nombre = args.folio_control or args.folio_digital
    print(f"Certificado {nombre} guardado en {path} ({len(r.archivoBase64)} bytes)")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument(
        "folio_control", metavar="FOLIO_CONTROL", nargs="?", help="folio de control del certificado"
    )
    p.add_argument(
        "--folio-digital", metavar="UUID", help="folio digital del certificado, en lugar del folio de control"
    )
    p.add_argument("--formato", choices=["XML", "PDF"], default="XML")
    p.add_argument("--salida", type=Path, default=Path("."), help="carpeta donde guardarlo")
    parsed = p.parse_args()
    if bool(parsed.folio_control) == bool(parsed.folio_digital):
        p.error("indique exactamente uno: FOLIO_CONTROL o --folio-digital")
    _common.run(main, parsed)
