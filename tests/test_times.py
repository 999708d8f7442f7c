"""One rule for times (mec_ws/times.py): UTC with Z on the wire, Mexico City time with the zone
stated in everything a person reads — checked on the CLI, a SOAP mensaje and the export."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from mec_ws.cli import main
from mec_ws.testdata import pki as testpki
from mec_ws.times import ZONE_NOTE, local, local_iso, local_text

SOAP = Path(__file__).resolve().parents[1] / "docs" / "soap"


def test_local_text_states_the_zone_and_follows_the_historic_offset() -> None:
    assert local_text(datetime(2025, 6, 30, 3, 30, tzinfo=UTC)) == f"2025-06-29 21:30 ({ZONE_NOTE})"
    assert local_text(datetime(2025, 6, 30, 3, 30, 15, tzinfo=UTC), seconds=True).startswith(
        "2025-06-29 21:30:15"
    )
    # until 2022 Mexico City kept summer time: UTC-5 in June 2021
    assert local_iso(datetime(2021, 6, 1, 12, 0, tzinfo=UTC)) == "2021-06-01 07:00:00-05:00"
    assert local_iso(datetime(2025, 6, 1, 12, 0, tzinfo=UTC)) == "2025-06-01 06:00:00-06:00"
    with pytest.raises(ValueError, match="zona horaria"):
        local(datetime(2025, 1, 1))


def test_the_cli_shows_mexico_city_time_with_the_zone(
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    monkeypatch.setenv("MEC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    ca = testpki.default_pki().ca_cert
    path = tmp_path / "ca.pem"
    path.write_bytes(testpki.cert_to_pem(ca))
    assert main(["admin", "trust-ca", str(path)]) == 0
    out = capsys.readouterr().out
    expected = local_text(ca.not_valid_after_utc)
    assert f"vigente hasta {expected}" in out, out
    assert (
        expected != ca.not_valid_after_utc.strftime("%Y-%m-%d %H:%M") + f" ({ZONE_NOTE})"
    )  # really converted


def test_a_soap_mensaje_states_local_time_while_the_wire_is_utc() -> None:
    """solicitaCancelacion as recorded from the real service (docs/soap, replayed by a test)."""
    root = etree.fromstring((SOAP / "solicitaCancelacion.respuesta.xml").read_bytes())
    efectiva = root.findtext(".//{*}fechaEfectiva") or ""
    mensaje = root.findtext(".//{*}mensaje") or ""
    assert efectiva.endswith("Z"), efectiva
    instant = datetime.fromisoformat(efectiva.replace("Z", "+00:00"))
    assert local_text(instant) in mensaje, (efectiva, mensaje)
