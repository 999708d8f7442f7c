"""The result file of a batch: a ZIP with ``resultado.csv`` and, when accepted, the stamped XMLs.

``resultado.csv`` is UTF-8 with a BOM (so spreadsheets open accents right), comma separated, with
the columns ``ARCHIVO, ESTATUS, FOLIO CONTROL, CODIGO, DESCRIPCION``: one row per finding, and one
row for each correct file without findings.  ``ESTATUS`` is the file's (``CORRECTO`` /
``CON_ERRORES``); a finding that is not an error (a warning, an omitted check) says so in its
description, and the description ends with where the finding is.  The stamped certificates go in
``certificados/`` under the names they had in the upload.  Every cell goes through the export's
spreadsheet-formula guard (:func:`mec_ws.reports.export.spreadsheet_safe`): file names and folios
come from the uploader.  The ZIP is built in a ``SpooledTemporaryFile`` (memory up to
``SPOOL_MAX``, then disk), each member written through as it comes (the CSV row by row, the
certificates one at a time), so building it holds no more than one certificate and the compressor's
window whatever the batch's size.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from mec_ws.reports.export import spreadsheet_safe
from models.enums import EstatusArchivo

CSV_NAME = "resultado.csv"
CERTS_DIR = "certificados"
COLUMNS = ("ARCHIVO", "ESTATUS", "FOLIO CONTROL", "CODIGO", "DESCRIPCION")
SPOOL_MAX = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ResultFile:
    """One row source: a file of the batch (or the upload itself) and its findings."""

    nombre: str
    folio_control: str | None
    estatus: EstatusArchivo
    errores: tuple[dict[str, Any], ...]
    folio_digital: str | None = None


def _describe(finding: dict[str, Any]) -> str:
    text = str(finding.get("mensaje", ""))
    status = str(finding.get("estatus", "ERROR"))
    if status == "ADVERTENCIA":
        text = f"Advertencia: {text}"
    elif status == "OMITIDA":
        text = f"Verificación omitida: {text}"
    where = str(finding.get("ubicacion") or "")
    return f"{text} (ubicación: {where})" if where else text


def csv_rows(files: Iterable[ResultFile]) -> Iterable[tuple[str, str, str, str, str]]:
    for f in files:
        folio = f.folio_control or ""
        if not f.errores:
            if f.estatus is EstatusArchivo.CORRECTO and f.folio_digital:
                description = f"Certificado correcto, sellado por la SEP con folio digital {f.folio_digital}."
            else:
                description = "Certificado correcto."
            yield f.nombre, str(f.estatus), folio, "", description
            continue
        for finding in f.errores:
            yield f.nombre, str(f.estatus), folio, str(finding.get("codigo", "")), _describe(finding)


def write_result_csv(files: Iterable[ResultFile], out: IO[bytes]) -> None:
    """``resultado.csv`` (BOM, header, rows) written to ``out`` row by row."""
    out.write("\ufeff".encode())
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(tuple(spreadsheet_safe(cell) for cell in row) for row in csv_rows(files))
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller


def result_csv(files: Iterable[ResultFile]) -> bytes:
    """``resultado.csv`` as bytes (small results and tests; the ZIP streams it instead)."""
    out = io.BytesIO()
    write_result_csv(files, out)
    return out.getvalue()


def safe_member_name(name: str) -> str:
    """The base name of an entry, without any directory part (never a path out of the folder)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "certificado.xml"
    return base if base.lower().endswith(".xml") else f"{base}.xml"


def build_result_zip(files: Iterable[ResultFile], stamped: Iterable[tuple[str, bytes]]) -> IO[bytes]:
    """The result ZIP, positioned at 0; ``stamped`` is ``(member name, stamped XML)`` pairs."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 - returned
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(CSV_NAME, "w") as member:
            write_result_csv(files, member)
        used: set[str] = set()
        for name, xml in stamped:
            member = safe_member_name(name)
            stem, n = member[:-4], 2
            while member in used:
                member, n = f"{stem}-{n}.xml", n + 1
            used.add(member)
            zf.writestr(f"{CERTS_DIR}/{member}", xml)
    spool.seek(0)
    return spool
