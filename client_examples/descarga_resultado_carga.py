"""descargaResultadoCarga: el ZIP de resultado de un lote (resultado.csv y, si fue aceptado, los
certificados sellados por la SEP).

    python descarga_resultado_carga.py 1 --salida resultados/
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.descargaResultadoCarga(autenticacion=mec.autenticacion, numeroLote=args.lote)
    path = _common.save(args.salida, r.nombreArchivo, r.archivoBase64)
    with zipfile.ZipFile(io.BytesIO(r.archivoBase64)) as zf:
        names = zf.namelist()
    print(f"Resultado del lote {r.numeroLote} guardado en {path} ({len(names)} archivo(s)):")
    for name in names:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("lote", type=int, help="número de lote (lo da cargaCertificados)")
    p.add_argument("--salida", type=Path, default=Path("."), help="carpeta donde guardar el ZIP")
    _common.run(main, p.parse_args())
