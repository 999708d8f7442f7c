"""Report throughput.  Prints figures; asserts nothing.

    /work/venv-probe/bin/python benchmarks/reports.py [--rows 100000] [--pdfs 20]

- export: ``exportaCertificados`` of ``--rows`` certificates on a fresh SQLite database (CSV and
  XLSX), rows/s and the process's peak RSS before and after (each row stores a real ~16 KB stamped XML,
  so holding all rows would show);
- PDF: ``render_certificate_pdf`` of a 48-subject stamped certificate, ms per certificate and size.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from mec_ws import db
from mec_ws.certificate.stamp import stamp
from mec_ws.config import Settings
from mec_ws.reports.pdf import render_certificate_pdf
from mec_ws.services.dto import EstatusCertificado, FiltroCertificados, FormatoExportacion, Principal
from mec_ws.services.export import exporta_certificados
from mec_ws.testdata.factory import FIXED_NOW, default_scenario, seal
from mec_ws.testdata.pki import default_pki
from models import Batch, BatchKind, Campus, Certificate, FolioPago, Institution


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def seed(url: str, rows: int, xml: bytes) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        s.add(
            Institution(
                id="000001",
                name="UNIVERSIDAD DEL ÁNGEL DE LA VIRGEN",
                campuses=[Campus(id="000101", name="CAMPUS CENTRO", state="09")],
            )
        )
        s.flush()
        folio = FolioPago(folio="FP-BENCH", institution_id="000001", cantidad=rows)
        s.add(folio)
        s.flush()
        batch = Batch(
            folio_id=folio.id,
            institution_id="000001",
            intento=1,
            nombre_archivo="b.zip",
            stored_path="lotes/b.bin",
            sha256="0" * 64,
            size_bytes=1,
            kind=BatchKind.ZIP,
            received_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
        s.add(batch)
        s.flush()
        start = datetime(2025, 1, 1, tzinfo=UTC)
        statuses = list(EstatusCertificado)
        for offset in range(0, rows, 5000):
            s.execute(
                insert(Certificate),
                [
                    {
                        "institution_id": "000001",
                        "campus_id": "000101",
                        "folio_pago": "FP-BENCH",
                        "batch_id": batch.numero_lote,
                        "folio_control": f"UAV-{i:07d}",
                        "folio_digital": f"00000000-0000-4000-8000-{i:012d}",
                        "curp": "PENJ000101HDFXXX01",
                        "nombre_completo": f"JOSÉ PEÑA NÚÑEZ {i}",
                        "carrera": "LICENCIATURA EN DERECHO",
                        "id_carrera": "1021",
                        "clave_plan": "2019",
                        "lugar_expedicion": "CIUDAD DE MÉXICO",
                        "fecha_expedicion": date(2024, 7, 12),
                        "fecha_carga": start + timedelta(seconds=i),
                        "estatus": statuses[i % 3],
                        "stamped_xml": xml,
                    }
                    for i in range(offset, min(rows, offset + 5000))
                ],
            )
        s.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pdfs", type=int, default=20)
    args = parser.parse_args()

    stamped = stamp(seal(default_scenario().certificate(1)), default_pki().sep_signer, now=FIXED_NOW)
    url = "http://127.0.0.1:8000/verificacion/" + stamped.folio_digital
    render_certificate_pdf(stamped.xml, estatus="VIGENTE", verification_url=url)  # warm imports/caches
    t0 = time.perf_counter()
    for _ in range(args.pdfs):
        pdf = render_certificate_pdf(stamped.xml, estatus="VIGENTE", verification_url=url)
    per_pdf = (time.perf_counter() - t0) / args.pdfs
    print(f"PDF (48 subjects): {per_pdf * 1000:.1f} ms per certificate, {len(pdf):,} bytes")

    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        t0 = time.perf_counter()
        seed(url_db, args.rows, stamped.xml)
        print(
            f"seeded {args.rows:,} rows ({len(stamped.xml):,} B of XML each) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        settings = Settings.from_env({"MEC_DATA_DIR": tmp, "MEC_DATABASE_URL": url_db})
        operator = Principal(user_id=0, username="bench", institution_id=None, is_operator=True)
        engine = db.make_engine(url_db)
        print(f"peak RSS before export: {peak_rss_mb():.0f} MB")
        for formato in (FormatoExportacion.CSV, FormatoExportacion.XLSX):
            with db.session_factory(engine)() as s:
                t0 = time.perf_counter()
                archivo = exporta_certificados(s, operator, FiltroCertificados(), formato, settings=settings)
                elapsed = time.perf_counter() - t0
            print(
                f"export {formato.value:<4}: {args.rows / elapsed:10,.0f} rows/s  {elapsed:6.2f} s  "
                f"{len(archivo.contenido) / 1e6:6.1f} MB file  peak RSS {peak_rss_mb():.0f} MB"
            )
            del archivo
        engine.dispose()


if __name__ == "__main__":
    main()
