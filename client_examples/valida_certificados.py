"""validaCertificados: valida certificados como lo haría una carga, sin guardar ni consumir nada.

python valida_certificados.py demo/validos.zip --folio DEMO-0001

Revisa el paquete, cada certificado (esquema, catálogos, sellos, e.firma) y el registro de la
institución (campus, responsables, programas, folios de control ya aceptados); con --folio, además,
que la carga tenga los certificados que ampara el folio. Sale con 0 si todo es correcto y con 1 si
algún archivo tiene errores (2 si el servicio respondió con una falla).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.validaCertificados(
        autenticacion=mec.autenticacion,
        nombreArchivo=args.archivo.name,
        archivoBase64=args.archivo.read_bytes(),
        folioPago=args.folio,
    )
    print(f"{r.totalArchivos} archivo(s), {r.archivosConError} con error")
    print(f"  {r.mensaje}")
    for archivo in _common.items(r.detalle, "archivo"):
        if archivo.estatus != "CORRECTO" or args.todo:
            folio = f" (folio de control {archivo.folioControl})" if archivo.folioControl else ""
            print(f"  {archivo.nombre}{folio}: {archivo.estatus}")
            _common.print_errores(_common.items(archivo.errores, "error"), indent="    ")
    return 0 if r.archivosConError == 0 else 1


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("archivo", type=Path, help="certificado XML o ZIP de certificados")
    p.add_argument("--folio", help="folio de pago: revisa también la cantidad de certificados")
    p.add_argument("--todo", action="store_true", help="muestra también los archivos correctos")
    _common.run(main, p.parse_args())
