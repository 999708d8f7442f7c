"""exportaCertificados: "Exportar todo", cada certificado que cumple el filtro en un CSV o XLSX.

python exporta_certificados.py --formato XLSX --salida exportes/
python exporta_certificados.py --folio-pago DEMO-0001 --estatus VIGENTE
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

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
    r = mec.service.exportaCertificados(
        autenticacion=mec.autenticacion, filtro=filtro or None, formato=args.formato
    )
    path = _common.save(args.salida, r.nombreArchivo, r.archivoBase64)
    print(f"Exportación {args.formato} guardada en {path} ({len(r.archivoBase64)} bytes)")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    f = p.add_argument_group("filtro (el de consultaCertificados; todo opcional)")
    for name in ("id_campus", "folio_pago", "folio_control", "folio_digital", "curp", "id_institucion"):
        f.add_argument("--" + name.replace("_", "-"), dest=name)
    for name in ("expedicion_desde", "expedicion_hasta", "carga_desde", "carga_hasta"):
        f.add_argument(
            "--" + name.replace("_", "-"), dest=name, type=date.fromisoformat, metavar="AAAA-MM-DD"
        )
    f.add_argument("--estatus", choices=["VIGENTE", "CANCELACION_SOLICITADA", "CANCELADO"])
    p.add_argument("--formato", choices=["CSV", "XLSX"], default="CSV")
    p.add_argument("--salida", type=Path, default=Path("."), help="carpeta donde guardar el archivo")
    _common.run(main, p.parse_args())
