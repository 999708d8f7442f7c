"""A folio de pago is money (issue 7), end to end: zeep against a real ``mec-ws serve`` (gunicorn and
its embedded worker) with the demo data, on SQLite and, with ``MEC_TEST_DATABASE_URL``, PostgreSQL.

Uploads a certificate with over-long free texts, one with the empty ``<Dreoe/>`` ``<SepIpes/>``
placeholders of public generators, one without ``folioControl``, one whose ``folioControl`` is one
character past its bound, and packages that are wrong in themselves (a ZIP of the wrong count, a
ZIP with a folder).  Shows that every batch ends, no folio is left blocked, and attempts are spent
only by judged certificates: package faults answer at once and spend nothing.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault

from mec_ws.certificate import efirma
from mec_ws.certificate.document import q
from mec_ws.testdata.factory import default_scenario, seal, to_bytes
from tests.test_journey import MEC_WS, free_port, run, service_env, serving

PENDING = ("RECIBIDO", "EN_PROCESO")


def _credentials(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


class Officer:
    """The demo officer's e.firma, to seal certificates as the institution would."""

    def __init__(self, demo: Path) -> None:
        password = (demo / "responsable.key.txt").read_text(encoding="utf-8").strip().encode()
        self.key = efirma.load_private_key((demo / "responsable.key").read_bytes(), password)
        self.cert = efirma.load_certificate((demo / "responsable.cer").read_bytes())
        self.scenario = default_scenario()

    def certificate(self, n: int, folio_control: str | None, **kwargs: Any) -> bytes:
        attrs: dict[str, tuple[str, str]] = kwargs.pop("attrs", {})
        root = self.scenario.certificate(n, folio_control=folio_control, **kwargs)
        for element, (attribute, value) in attrs.items():
            node = root.find(f".//{q(element)}")
            assert node is not None
            node.set(attribute, value)
        return to_bytes(seal(root, key=self.key, cert=self.cert))


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _fault_code(fault: Fault) -> str:
    return str(fault.code).rsplit(".", 1)[-1]


@pytest.mark.slow
def test_every_batch_ends_and_only_judged_certificates_spend_attempts(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    demo = tmp_path / "demo"
    if not database_url.startswith("sqlite"):
        upgraded = run([*MEC_WS, "db", "upgrade"], env, tmp_path)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    made = run([*MEC_WS, "demo", "--dir", demo], env, tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    creds = _credentials(demo / "credenciales.txt")
    officer = Officer(demo)

    long_name = "MARÍA " + "J" * 444  # 450 characters: past the old 400-character column
    long_place = "CIUDAD " + "X" * 200
    uploads = {
        "DEMO-0004": officer.certificate(
            20,
            "LARGO-0001",
            attrs={"Alumno": ("nombre", long_name), "Expedicion": ("lugarExpedicion", long_place)},
        ),
        "DEMO-0005": officer.certificate(21, "MARCADORES-0001", placeholders=True),
    }
    too_long_folio = officer.certificate(22, "F" * 101)
    without_folio = officer.certificate(23, None)

    with serving(env, tmp_path, port) as log:
        client = zeep.Client(f"http://127.0.0.1:{port}/mec/ws?wsdl")
        auth = {"usuario": creds["MEC_USUARIO"], "password": creds["MEC_PASSWORD"]}
        service: Any = client.service

        def status(folio: str) -> Any:
            return service.consultaEstatusCarga(autenticacion=auth, folioPago=folio)

        def settled(folio: str, timeout: float = 120) -> Any:
            deadline = time.monotonic() + timeout
            while True:
                current = status(folio)
                if all(lote.estatus not in PENDING for lote in current.lotes.lote):
                    return current
                assert time.monotonic() < deadline, (folio, current, log.read_text(errors="replace"))
                time.sleep(0.3)

        def upload(folio: str, name: str, data: bytes) -> Any:
            return service.cargaCertificados(
                autenticacion=auth, folioPago=folio, nombreArchivo=name, archivoBase64=data
            )

        # package faults: answered at once, nothing spent, no batch
        wrong_count = _zip(
            {"a.xml": officer.certificate(24, "CUENTA-1"), "b.xml": officer.certificate(25, "CUENTA-2")}
        )
        with pytest.raises(Fault) as fault:
            upload("DEMO-0003", "dos.zip", wrong_count)
        assert _fault_code(fault.value) == "CantidadNoCoincide"
        assert "2" in fault.value.message and "10" in fault.value.message
        with pytest.raises(Fault) as fault:
            upload("DEMO-0003", "carpeta.zip", _zip({"sub/a.xml": officer.certificate(24, "CUENTA-1")}))
        assert _fault_code(fault.value) == "ArchivoInvalido" and "sub/a.xml" in fault.value.message
        spared = status("DEMO-0003")
        assert (spared.intentosUsados, spared.intentosRestantes, spared.estatusFolio) == (0, 2, "DISPONIBLE")
        assert not (spared.lotes and spared.lotes.lote)

        # over-long texts and placeholders: accepted, stored whole
        for folio, data in uploads.items():
            answer = upload(folio, f"{folio}.xml", data)
            assert (answer.intento, answer.estatus) == (1, "RECIBIDO")
        for folio in uploads:
            done = settled(folio)
            (lote,) = done.lotes.lote
            assert lote.estatus == "ACEPTADO", (folio, lote.mensaje)
            assert (done.intentosUsados, done.intentosRestantes, done.estatusFolio) == (1, 0, "ACEPTADO")

        # a folioControl past its bound is judged (a finding, an attempt); the corrected file is accepted
        first = upload("DEMO-0002", "largo.xml", too_long_folio)
        judged = settled("DEMO-0002")
        (lote,) = judged.lotes.lote
        assert (lote.numeroLote, lote.estatus) == (first.numeroLote, "RECHAZADO")
        assert (judged.intentosUsados, judged.intentosRestantes, judged.estatusFolio) == (1, 1, "DISPONIBLE")
        again = upload("DEMO-0002", "largo.xml", too_long_folio)  # the same bytes: the same batch, free
        assert (again.numeroLote, again.intentosRestantes) == (first.numeroLote, 1)
        second = upload("DEMO-0002", "sin-folio.xml", without_folio)
        assert second.intento == 2
        final = settled("DEMO-0002")
        assert [lote.estatus for lote in final.lotes.lote] == ["RECHAZADO", "ACEPTADO"]
        assert (final.intentosUsados, final.intentosRestantes, final.estatusFolio) == (2, 0, "ACEPTADO")

        # the certificate without folioControl: listed (no element), downloaded by its folioDigital
        page = service.consultaCertificados(
            autenticacion=auth, filtro={"folioPago": "DEMO-0002"}, pagina=1, registrosPorPagina=10
        )
        (cert,) = page.certificados.certificado
        assert cert.folioControl is None and cert.folioDigital
        xml = service.descargaCertificado(autenticacion=auth, folioDigital=cert.folioDigital, formato="XML")
        stamped = etree.fromstring(xml.archivoBase64)
        assert stamped.get("folioControl") is None
        assert len(stamped.findall(q("Dreoe"))) == 1
        long_page = service.consultaCertificados(
            autenticacion=auth, filtro={"folioPago": "DEMO-0004"}, pagina=1, registrosPorPagina=10
        )
        (long_cert,) = long_page.certificados.certificado
        assert long_name in long_cert.nombre and long_cert.lugarExpedicion == long_place
        marked = service.descargaCertificado(
            autenticacion=auth, folioControl="MARCADORES-0001", formato="XML"
        )
        marked_root = etree.fromstring(marked.archivoBase64)
        assert len(marked_root.findall(q("Dreoe"))) == len(marked_root.findall(q("SepIpes"))) == 1

        # nothing is left pending anywhere, and the server never crashed
        for folio in ("DEMO-0002", "DEMO-0003", "DEMO-0004", "DEMO-0005"):
            assert status(folio).estatusFolio != "EN_PROCESO"
        server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log
