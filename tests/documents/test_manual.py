"""The integrator's manual is generated from the WSDL and the code tables: every operation, field,
fault and finding code is in it, and every zeep example is a call zeep accepts."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import zeep
from lxml import etree

from mec_ws import catalogs, errors
from mec_ws.config import Settings
from mec_ws.documents import build_manual
from mec_ws.documents.manual import FAULT_DESCRIPTIONS, Operation, ServiceDescription, describe_wsdl
from mec_ws.findings import CODES
from mec_ws.programs.xlsx_reader import COLUMNS
from mec_ws.soap.app import build_wsdl

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return replace(Settings.from_env({}), public_url="https://mec.example.gob.mx/mec/ws")


@pytest.fixture(scope="module")
def wsdl(settings: Settings) -> bytes:
    return build_wsdl(settings)


@pytest.fixture(scope="module")
def service(wsdl: bytes) -> ServiceDescription:
    return describe_wsdl(wsdl)


@pytest.fixture(scope="module")
def manual(settings: Settings) -> str:
    return build_manual(settings).decode("utf-8")


def section(manual: str, operation: str) -> str:
    start = manual.index(f"\n### {operation}\n")
    end = manual.find("\n### ", start + 1)
    return manual[start:end]


def wsdl_operations(wsdl: bytes) -> list[str]:
    root = etree.fromstring(wsdl)
    return [op.get("name") for op in root.iterfind(f"{{{WSDL_NS}}}portType/{{{WSDL_NS}}}operation")]


def test_the_description_has_every_operation_of_the_wsdl_in_order(
    wsdl: bytes, service: ServiceDescription
) -> None:
    names = wsdl_operations(wsdl)
    assert len(names) >= 9
    assert [op.name for op in service.operations] == names
    for op in service.operations:
        assert op.request.name == op.name and op.response.name == f"{op.name}Response"
        assert op.request.fields and op.request.fields[0].name == "autenticacion"
        assert op.faults == ("errorMec",)


def test_every_operation_and_its_fields_are_in_the_manual(manual: str, service: ServiceDescription) -> None:
    for op in service.operations:
        text = section(manual, op.name)
        assert op.documentation and op.documentation in text
        request, _, response = text.partition("**Respuesta**")
        for part, fields in ((request, op.request.fields), (response, op.response.fields)):
            for f in fields:
                row = next(line for line in part.splitlines() if line.startswith(f"| `{f.name}` |"))
                assert f"| {f.min_occurs} | {f.max_occurs} |" in row
                assert f"`{f.type}`" in row
                assert f.documentation.replace("|", "\\|") in row
        assert f"cliente.service.{op.name}(" in text


def test_named_types_and_enumerations_are_described(manual: str, service: ServiceDescription) -> None:
    assert "EstatusLote" in service.simple_types
    for name, simple in service.simple_types.items():
        assert f"### {name}\n" in manual
        for value in simple.enumeration:
            assert f"`{value}`" in manual
    assert "### Autenticacion\n" in manual and "[`Autenticacion`](#tipo-autenticacion)" in manual


def test_every_fault_code_has_a_description_and_is_in_the_manual(manual: str) -> None:
    assert set(FAULT_DESCRIPTIONS) == set(errors.FAULT_CODES)
    for code in errors.FAULT_CODES:
        side = "Client" if getattr(errors, code).cliente else "Server"
        assert f"| `{code}` | `soapenv:{side}.{code}` | {FAULT_DESCRIPTIONS[code]} |" in manual
    assert "`soapenv:Server.Interno`" in manual and "`soapenv:Client.PruebasIncompletas`" in manual


def test_every_finding_code_is_in_the_manual(manual: str) -> None:
    for code, (area, text) in CODES.items():
        assert f"| `{code}` | {area} | {text.replace('|', chr(92) + '|')} |" in manual


def test_catalogs_programs_and_documents_are_in_the_manual(manual: str) -> None:
    for name in catalogs.CATALOGS:
        assert f"`catalogo_{name}.csv`" in manual
        for key in catalogs.load(name):
            assert f"| `{key}` |" in manual
    for column in COLUMNS:
        assert f"`{column}`" in manual
    for name in (
        "dec-3.0.xsd",
        "programa-1.0.xsd",
        "cadena_sepipes.xslt",
        "mec.wsdl",
        "manual-integracion.md",
    ):
        assert f"| `{name}` |" in manual


def test_the_environment_comes_from_the_settings(settings: Settings, manual: str) -> None:
    assert "`https://mec.example.gob.mx/mec/ws`" in manual
    assert 'Client("https://mec.example.gob.mx/mec/ws?wsdl")' in manual
    assert "| Ambiente (`MEC_AMBIENTE`) | producción |" in manual
    pruebas = replace(settings, ambiente="pruebas", max_upload_mb=250)
    other = build_manual(pruebas).decode()
    assert "| Ambiente (`MEC_AMBIENTE`) | pruebas |" in other and "| 250 MB |" in other
    assert "Este es el ambiente de **pruebas**" in other


def test_the_manual_is_deterministic(settings: Settings, manual: str) -> None:
    assert build_manual(settings).decode() == manual
    assert manual.endswith("\n") and "\r" not in manual


# --- the zeep examples run against zeep itself ----------------------------------------------------


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


class Recorder:
    """Stands for ``cliente``: each call is checked by zeep (create_message) and answered."""

    def __init__(self, client: zeep.Client, service: ServiceDescription) -> None:
        self.client = client
        self.responses = {op.name: op for op in service.operations}
        self.calls: list[str] = []
        self.service = self

    def __getattr__(self, name: str) -> Any:
        op: Operation = self.responses[name]

        def call(**kwargs: object) -> SimpleNamespace:
            self.client.create_message(self.client.service, name, **kwargs)
            self.calls.append(name)
            answer: dict[str, object] = {f.name: f"valor-{f.name}" for f in op.response.fields}
            if "nombreArchivo" in answer:
                answer["nombreArchivo"] = f"{name}.out"
            for f in op.response.fields:
                if f.type == "xs:base64Binary":
                    answer[f.name] = b"contenido"
            return SimpleNamespace(**answer)

        return call


def test_every_zeep_example_is_accepted_by_zeep(
    manual: str, wsdl: bytes, service: ServiceDescription, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mec.wsdl"
    path.write_bytes(wsdl)
    client = zeep.Client(str(path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archivo").write_bytes(b"<Dec/>")
    recorder = Recorder(client, service)
    for op in service.operations:
        (block,) = python_blocks(section(manual, op.name))
        namespace: dict[str, object] = {
            "cliente": recorder,
            "AUTENTICACION": {"usuario": "u", "password": "p"},
            "print": lambda *_a: None,
        }
        exec(compile(block, op.name, "exec"), namespace)  # noqa: S102 - our own generated example
        assert recorder.calls[-1] == op.name
    assert len(recorder.calls) == len(service.operations)
    assert (tmp_path / "descargaDocumento.out").read_bytes() == b"contenido"


def test_the_client_preamble_compiles(manual: str) -> None:
    preamble = manual[manual.index("## Cliente con zeep") : manual.index("## Operaciones")]
    for block in python_blocks(preamble):
        compile(block, "preamble", "exec")


def test_manual_says_exactly_one_key_for_download_and_cancellation(manual: str) -> None:
    for operation in ("descargaCertificado", "solicitaCancelacion"):
        section = manual.split(f"### {operation}", 1)[1].split("\n### ", 1)[0]
        assert "exactamente uno de folioControl o folioDigital" in section
        assert re.search(r"^    folioControl=.*exactamente uno", section, re.M), section
        assert re.search(r"^    # folioDigital=.*en lugar de folioControl", section, re.M), section


def test_the_dry_run_and_what_spends_an_attempt_are_explained(settings: Settings, manual: str) -> None:
    assert "### validaCertificados" in manual
    assert "## Qué gasta un intento" in manual
    section = manual[manual.index("## Qué gasta un intento") :]
    section = section[: section.index("\n## ", 3)]
    for words in ("CantidadNoCoincide", "ArchivoInvalido", "mismos bytes", "validaCertificados"):
        assert words in section, words
    assert f"(`MEC_VALIDA_MAX_ARCHIVOS`) | {settings.valida_max_archivos} |" in manual
    assert "| `CantidadNoCoincide` |" in manual
