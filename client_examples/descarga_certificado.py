"""descargaCertificado: un certificado aceptado, como XML sellado por la SEP (o PDF).

python descarga_certificado.py UAV-2024-000100 --salida descargas/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.descargaCertificado(
        autenticacion=mec.autenticacion, folioControl=args.folio_control, formato=args.formato
    )
    path = _common.save(args.salida, r.nombreArchivo, r.archivoBase64)
    print(f"Certificado {args.folio_control} guardado en {path} ({len(r.archivoBase64)} bytes)")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("folio_control", metavar="FOLIO_CONTROL", help="folio de control del certificado")
    p.add_argument("--formato", choices=["XML", "PDF"], default="XML")
    p.add_argument("--salida", type=Path, default=Path("."), help="carpeta donde guardarlo")
    _common.run(main, p.parse_args())
