"""consultaCertificados: busca certificados aceptados (todos los filtros son opcionales).

python consulta_certificados.py --folio-pago DEMO-0001
python consulta_certificados.py --curp GOMC800101HDFMRR01 --carga-desde 2024-01-01
"""

from __future__ import annotations

import argparse
from datetime import date

import _common

FILTROS = {
    "id_campus": "idCampus",
    "folio_pago": "folioPago",
    "folio_control": "folioControl",
    "folio_digital": "folioDigital",
    "curp": "curp",
    "expedicion_desde": "fechaExpedicionDesde",
    "expedicion_hasta": "fechaExpedicionHasta",
    "carga_desde": "fechaCargaDesde",
    "carga_hasta": "fechaCargaHasta",
    "estatus": "estatus",
    "id_institucion": "idInstitucion",
}


def main(args: argparse.Namespace) -> int:
    mec = _common.connect(args)
    filtro = {wire: getattr(args, name) for name, wire in FILTROS.items() if getattr(args, name) is not None}
    r = mec.service.consultaCertificados(
        autenticacion=mec.autenticacion,
        filtro=filtro or None,
        pagina=args.pagina,
        registrosPorPagina=args.por_pagina,
    )
    certificados = _common.items(r.certificados, "certificado")
    print(f"{r.totalRegistros} certificado(s); página {r.pagina} ({len(certificados)} en esta página)")
    for c in certificados:
        print(
            f"  {c.folioControl}  {c.estatus}  {c.nombre} ({c.curp})  {c.carrera}  "
            f"folio digital {c.folioDigital}  folio de pago {c.folioPago}  expedido {c.fechaExpedicion}  "
            f"cargado {c.fechaCarga}"
        )
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    f = p.add_argument_group("filtro")
    for name in ("id_campus", "folio_pago", "folio_control", "folio_digital", "curp", "id_institucion"):
        f.add_argument("--" + name.replace("_", "-"), dest=name)
    for name in ("expedicion_desde", "expedicion_hasta", "carga_desde", "carga_hasta"):
        f.add_argument(
            "--" + name.replace("_", "-"), dest=name, type=date.fromisoformat, metavar="AAAA-MM-DD"
        )
    f.add_argument("--estatus", choices=["VIGENTE", "CANCELACION_SOLICITADA", "CANCELADO"])
    p.add_argument("--pagina", type=int, default=1)
    p.add_argument("--por-pagina", type=int, default=50, help="de 1 a 500")
    _common.run(main, p.parse_args())
