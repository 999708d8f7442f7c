"""consultaEstatusCarga: el estado de un folio de pago y de cada lote cargado contra él.

python consulta_estatus_carga.py DEMO-0001
"""

from __future__ import annotations

import argparse

import _common


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    r = mec.service.consultaEstatusCarga(autenticacion=mec.autenticacion, folioPago=args.folio)
    print(
        f"Folio {r.folioPago}: {r.estatusFolio}; ampara {r.cantidadCertificados} certificado(s); "
        f"intentos usados {r.intentosUsados}, restantes {r.intentosRestantes}"
    )
    for lote in _common.items(r.lotes, "lote"):
        procesado = f", procesado {lote.fechaProceso}" if lote.fechaProceso else ""
        print(
            f"  Lote {lote.numeroLote} (intento {lote.intento}) {lote.nombreArchivo}: {lote.estatus}; "
            f"{lote.totalArchivos} archivo(s), {lote.archivosConError} con error; "
            f"cargado {lote.fechaCarga}{procesado}"
        )
        print(f"    {lote.mensaje}")
        for archivo in _common.items(lote.detalle, "archivo"):
            if archivo.estatus != "CORRECTO" or args.todo:
                folio = f" (folio de control {archivo.folioControl})" if archivo.folioControl else ""
                print(f"    {archivo.nombre}{folio}: {archivo.estatus}")
                _common.print_errores(_common.items(archivo.errores, "error"), indent="      ")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("folio", help="folio de pago")
    p.add_argument("--todo", action="store_true", help="muestra también los archivos correctos")
    _common.run(main, p.parse_args())
