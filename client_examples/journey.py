"""El recorrido completo de una institución contra el servicio MEC:

1. cargaProgramaEstudios   registra el programa de estudios (si ya tiene certificados, se conserva);
2. cargaCertificados       carga el ZIP de certificados contra el folio de pago;
3. consultaEstatusCarga    consulta el avance hasta que el lote queda ACEPTADO o RECHAZADO;
4. descargaResultadoCarga  descarga el ZIP de resultado (resultado.csv y certificados sellados);
5. consultaCertificados    busca los certificados aceptados del folio;
6. descargaCertificado     descarga el primero en XML, sellado por la SEP;
7. descargaCertificado     descarga el mismo en PDF (con el código QR de verificación);
8. exportaCertificados     exporta en CSV y en XLSX lo que encontró la consulta (mismo filtro);
9. solicitaCancelacion     pide cancelar el último certificado del folio (motivo del catálogo);
10. consultaCertificados   lo consulta de nuevo: queda CANCELACION_SOLICITADA hasta fechaEfectiva.

    python journey.py --credenciales demo/credenciales.txt --demo demo --folio DEMO-0001

Sale con 0 si el lote quedó ACEPTADO y todo se descargó, 1 si el lote fue RECHAZADO o no terminó a
tiempo (o si una consulta no muestra lo esperado), 2 ante una falla SOAP del servicio y 3 ante un
problema de comunicación.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import _common

FINAL = ("ACEPTADO", "RECHAZADO")
STEPS = 10


def step(n: int, text: str) -> None:
    print(f"\n[{n}/{STEPS}] {text}", flush=True)


def load_program(mec: _common.Mec, path: Path) -> None:
    r = mec.service.cargaProgramaEstudios(
        autenticacion=mec.autenticacion, nombreArchivo=path.name, archivoBase64=path.read_bytes()
    )
    print(f"  {r.estatus}: {r.mensaje}")
    errores = _common.items(r.errores, "error")
    _common.print_errores(errores)
    in_use = [e for e in errores if e.codigo == "PROGRAMA_EN_USO"]
    if r.estatus == "ACEPTADO":
        return
    if in_use and len(in_use) == len(errores):
        print("  (ya estaba registrado y en uso: se conserva el registrado y se continúa)")
        return
    raise SystemExit("el programa de estudios fue rechazado; corríjalo antes de cargar certificados.")


def wait_for(mec: _common.Mec, folio: str, numero_lote: int, interval: float, deadline: float) -> Any:
    """Consulta el folio hasta que el lote llegue a un estatus final; imprime cada cambio."""
    last = None
    while True:
        r = mec.service.consultaEstatusCarga(autenticacion=mec.autenticacion, folioPago=folio)
        lote = next((x for x in _common.items(r.lotes, "lote") if x.numeroLote == numero_lote), None)
        if lote is None:
            raise SystemExit(f"el lote {numero_lote} no aparece en el folio {folio}.")
        shown = (lote.estatus, lote.mensaje)
        if shown != last:
            print(f"  {time.strftime('%H:%M:%S')} {lote.estatus}: {lote.mensaje}", flush=True)
            last = shown
        if lote.estatus in FINAL:
            print(
                f"  folio {r.folioPago}: {r.estatusFolio}; intentos usados {r.intentosUsados}, "
                f"restantes {r.intentosRestantes}"
            )
            return lote
        if time.monotonic() > deadline:
            return lote
        time.sleep(interval)


def csv_rows(data: bytes) -> int:
    """Filas de datos (sin el encabezado) de una exportación CSV (UTF-8 con BOM)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return max(len(rows) - 1, 0)


def main(args: argparse.Namespace) -> int:
    programa = args.programa or args.demo / "programa.xml"
    archivo = args.archivo or args.demo / "validos.zip"
    mec = _common.connect(args)

    step(1, f"cargaProgramaEstudios {programa}")
    load_program(mec, programa)

    step(2, f"cargaCertificados {archivo.name} contra el folio {args.folio}")
    carga = mec.service.cargaCertificados(
        autenticacion=mec.autenticacion,
        folioPago=args.folio,
        nombreArchivo=archivo.name,
        archivoBase64=archivo.read_bytes(),
    )
    print(f"  lote {carga.numeroLote}, intento {carga.intento}, {carga.estatus}: {carga.mensaje}")

    step(3, f"consultaEstatusCarga {args.folio} (cada {args.intervalo:g} s)")
    lote = wait_for(mec, args.folio, carga.numeroLote, args.intervalo, time.monotonic() + args.espera_max)
    if lote.estatus not in FINAL:
        print(f"El lote {carga.numeroLote} sigue {lote.estatus} tras {args.espera_max:g} s.")
        return 1

    step(4, f"descargaResultadoCarga {carga.numeroLote}")
    resultado = mec.service.descargaResultadoCarga(
        autenticacion=mec.autenticacion, numeroLote=carga.numeroLote
    )
    zip_path = _common.save(args.salida, resultado.nombreArchivo, resultado.archivoBase64)
    with zipfile.ZipFile(io.BytesIO(resultado.archivoBase64)) as zf:
        names = zf.namelist()
    sellados = [n for n in names if n.lower().endswith(".xml")]
    print(f"  {zip_path}: resultado.csv y {len(sellados)} certificado(s) sellado(s)")
    if lote.estatus != "ACEPTADO":
        print(f"\nLote {carga.numeroLote} RECHAZADO: {lote.archivosConError} archivo(s) con error.")
        for a in _common.items(lote.detalle, "archivo"):
            if a.estatus != "CORRECTO":
                print(f"  {a.nombre}:")
                _common.print_errores(_common.items(a.errores, "error"))
        return 1

    filtro = {"folioPago": args.folio}
    step(5, f"consultaCertificados folioPago={args.folio}")
    consulta = mec.service.consultaCertificados(
        autenticacion=mec.autenticacion, filtro=filtro, pagina=1, registrosPorPagina=500
    )
    certificados = _common.items(consulta.certificados, "certificado")
    print(f"  {consulta.totalRegistros} certificado(s) aceptado(s)")
    for c in certificados:
        print(f"    {c.folioControl}  {c.estatus}  {c.nombre}  folio digital {c.folioDigital}")
    if not certificados:
        print("El lote se aceptó pero la consulta no devolvió certificados.")
        return 1

    primero = certificados[0].folioControl
    step(6, f"descargaCertificado {primero} XML")
    descarga = mec.service.descargaCertificado(
        autenticacion=mec.autenticacion, folioControl=primero, formato="XML"
    )
    xml_path = _common.save(args.salida, descarga.nombreArchivo, descarga.archivoBase64)
    print(f"  {xml_path} ({len(descarga.archivoBase64)} bytes)")

    step(7, f"descargaCertificado {primero} PDF")
    pdf = mec.service.descargaCertificado(
        autenticacion=mec.autenticacion, folioControl=primero, formato="PDF"
    )
    pdf_path = _common.save(args.salida, pdf.nombreArchivo, pdf.archivoBase64)
    print(f"  {pdf_path} ({len(pdf.archivoBase64)} bytes)")

    step(8, f"exportaCertificados folioPago={args.folio} en CSV y XLSX")
    for formato in ("CSV", "XLSX"):
        exporte = mec.service.exportaCertificados(
            autenticacion=mec.autenticacion, filtro=filtro, formato=formato
        )
        path = _common.save(args.salida, exporte.nombreArchivo, exporte.archivoBase64)
        filas = f", {csv_rows(exporte.archivoBase64)} fila(s)" if formato == "CSV" else ""
        print(f"  {formato}: {path} ({len(exporte.archivoBase64)} bytes{filas})")

    cancelado = certificados[-1].folioControl
    step(9, f"solicitaCancelacion {cancelado} motivo {args.motivo}")
    cancelacion = mec.service.solicitaCancelacion(
        autenticacion=mec.autenticacion,
        folioControl=cancelado,
        motivo=args.motivo,
        observaciones="Solicitud de ejemplo del recorrido journey.py",
    )
    efectiva = cancelacion.fechaEfectiva.isoformat(timespec="seconds")
    print(f"  {cancelacion.folioControl}: {cancelacion.estatus}; surte efecto {efectiva}")
    print(f"  {cancelacion.mensaje}")

    step(10, f"consultaCertificados folioControl={cancelado}")
    despues = mec.service.consultaCertificados(
        autenticacion=mec.autenticacion, filtro={"folioControl": cancelado}, pagina=1, registrosPorPagina=1
    )
    encontrados = _common.items(despues.certificados, "certificado")
    if not encontrados:
        print(f"La consulta de {cancelado} no devolvió el certificado.")
        return 1
    print(f"  {encontrados[0].folioControl}: {encontrados[0].estatus}")
    if encontrados[0].estatus != cancelacion.estatus:
        print(f"Se esperaba {cancelacion.estatus} tras la solicitud de cancelación.")
        return 1

    print(
        f"\nRecorrido completo: lote {carga.numeroLote} ACEPTADO, {consulta.totalRegistros} certificado(s); "
        f"{cancelado} {cancelacion.estatus}."
    )
    print(f"Certificado sellado en {xml_path}; su PDF en {pdf_path}.")
    print(f"Verifíquelo con: mec-ws verify --sep-cer {args.demo / 'sep.cer'} {xml_path}")
    return 0


if __name__ == "__main__":
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument(
        "--demo", type=Path, default=Path("demo"), help="carpeta de `mec-ws demo` (omisión: ./demo)"
    )
    p.add_argument("--folio", default="DEMO-0001", help="folio de pago (omisión: DEMO-0001)")
    p.add_argument(
        "--programa", type=Path, help="programa de estudios XML o XLSX (omisión: DEMO/programa.xml)"
    )
    p.add_argument("--archivo", type=Path, help="ZIP o XML de certificados (omisión: DEMO/validos.zip)")
    p.add_argument("--salida", type=Path, default=Path("descargas"), help="carpeta de descargas")
    p.add_argument(
        "--motivo", default="C1", help="clave del catálogo de motivos de cancelación (omisión: C1)"
    )
    p.add_argument("--intervalo", type=float, default=1.0, help="segundos entre consultas de estatus")
    p.add_argument("--espera-max", type=float, default=600.0, help="segundos máximos de espera del lote")
    _common.run(main, p.parse_args())
