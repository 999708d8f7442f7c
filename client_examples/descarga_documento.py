"""descargaDocumento: descarga uno de los archivos que lista consultaDocumentos y comprueba su huella.

python descarga_documento.py motivo_cancelacion.csv --salida documentos/
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.descargaDocumento(autenticacion=mec.autenticacion, nombre=args.nombre)
    path = _common.save(args.salida, r.nombreArchivo, r.archivoBase64)
    digest = hashlib.sha256(r.archivoBase64).hexdigest()
    print(f"Documento {r.nombreArchivo} guardado en {path} ({len(r.archivoBase64)} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("nombre", metavar="NOMBRE", help="nombre del documento, como lo lista consultaDocumentos")
    p.add_argument("--salida", type=Path, default=Path("."), help="carpeta donde guardarlo")
    _common.run(main, p.parse_args())
