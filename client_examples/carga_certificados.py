"""cargaCertificados: carga un certificado XML o un ZIP de certificados contra un folio de pago.

python carga_certificados.py DEMO-0001 demo/validos.zip
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.cargaCertificados(
        autenticacion=mec.autenticacion,
        folioPago=args.folio,
        nombreArchivo=args.archivo.name,
        archivoBase64=args.archivo.read_bytes(),
    )
    print(f"Lote {r.numeroLote} del folio {r.folioPago}: {r.estatus}")
    print(f"  intento {r.intento}, intentos restantes {r.intentosRestantes}")
    print(f"  {r.mensaje}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("folio", help="folio de pago")
    p.add_argument("archivo", type=Path, help="certificado XML o ZIP de certificados")
    _common.run(main, p.parse_args())
