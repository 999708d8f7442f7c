"""consultaDocumentos: los archivos que la SEP publica para las IPES (XSD, XSLT, catálogos, WSDL,
manual), con su tamaño y su huella SHA-256.

python consulta_documentos.py
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    # zeep entrega directamente la lista de documento (la respuesta tiene un solo hijo, documentos)
    documentos = mec.service.consultaDocumentos(autenticacion=mec.autenticacion) or []
    print(f"{len(documentos)} documento(s):")
    for d in documentos:
        print(f"  {d.nombre}  ({d.tamano} bytes, sha256 {d.sha256})")
        print(f"      {d.descripcion}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    _common.run(main, p.parse_args())
