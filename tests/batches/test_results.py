"""resultado.csv: uploader-controlled text never becomes a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest

from mec_ws.batches.results import ResultFile, result_csv
from mec_ws.reports import export
from mec_ws.services.dto import EstatusArchivo


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_names_and_folios_are_guarded_like_the_export(start: str) -> None:
    name = f'{start}HYPERLINK("http://x")&.xml'
    folio = f"{start}1+1"
    files = [
        ResultFile(name, folio, EstatusArchivo.CORRECTO, ()),
        ResultFile(name, folio, EstatusArchivo.CON_ERRORES, ({"codigo": "XSD_INVALIDO", "mensaje": "=mal"},)),
    ]
    rows = list(csv.reader(io.StringIO(result_csv(files).decode("utf-8-sig"), newline="")))
    assert rows[0] == ["ARCHIVO", "ESTATUS", "FOLIO CONTROL", "CODIGO", "DESCRIPCION"]
    for row in rows[1:]:
        assert row[0] == export.spreadsheet_safe(name) == "'" + name
        assert row[2] == "'" + folio
    assert rows[2][4] == "'=mal"


def test_plain_text_is_untouched() -> None:
    rows = list(
        csv.reader(
            io.StringIO(
                result_csv([ResultFile("a.xml", "F-1", EstatusArchivo.CORRECTO, ())]).decode("utf-8-sig"),
                newline="",
            )
        )
    )
    assert rows[1][:3] == ["a.xml", "CORRECTO", "F-1"]
