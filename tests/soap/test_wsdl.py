"""The WSDL: golden copy, stable bytes, named types, faults everywhere, operation signatures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import wsgiadapter
import zeep
from lxml import etree
from zeep.transports import Transport

from mec_ws import cli
from mec_ws.config import DEFAULT_NAMESPACE, DEFAULT_PUBLIC_URL
from mec_ws.services import dto
from mec_ws.soap.app import build_wsdl
from mec_ws.web.wsgi import make_wsgi_app
from tests.services.world import PASSWORD, World
from tests.soap.conftest import BASE, WSDL_URL, make_settings, mount, unbound_services

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "wsdl" / "mec.wsdl"
XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
NS = {"xs": XS, "wsdl": WSDL, "soap": SOAP}

OPERATIONS = [  # every operation of contract.md, in its order
    "cargaCertificados",
    "validaCertificados",
    "consultaEstatusCarga",
    "descargaResultadoCarga",
    "consultaCertificados",
    "exportaCertificados",
    "descargaCertificado",
    "solicitaCancelacion",
    "cargaProgramaEstudios",
    "consultaProgramasEstudios",
    "consultaDocumentos",
    "descargaDocumento",
    "concluyePruebas",
]
OPTIONAL_ARGUMENTS = {
    "filtro",
    "observaciones",
    "folioControl",
    "folioDigital",
    ("validaCertificados", "folioPago"),
}

SIGNATURES = {
    "cargaCertificados": (
        ["autenticacion", "folioPago", "nombreArchivo", "archivoBase64"],
        ["numeroLote", "folioPago", "intento", "intentosRestantes", "estatus", "mensaje"],
    ),
    "validaCertificados": (
        ["autenticacion", "nombreArchivo", "archivoBase64", "folioPago"],
        ["totalArchivos", "archivosConError", "mensaje", "detalle"],
    ),
    "consultaEstatusCarga": (
        ["autenticacion", "folioPago"],
        ["folioPago", "cantidadCertificados", "intentosUsados", "intentosRestantes", "estatusFolio", "lotes"],
    ),
    "descargaResultadoCarga": (
        ["autenticacion", "numeroLote"],
        ["numeroLote", "nombreArchivo", "archivoBase64"],
    ),
    "consultaCertificados": (
        ["autenticacion", "filtro", "pagina", "registrosPorPagina"],
        ["totalRegistros", "pagina", "registrosPorPagina", "certificados"],
    ),
    "descargaCertificado": (
        ["autenticacion", "folioControl", "folioDigital", "formato"],
        ["nombreArchivo", "archivoBase64"],
    ),
    "cargaProgramaEstudios": (
        ["autenticacion", "nombreArchivo", "archivoBase64"],
        ["estatus", "mensaje", "errores", "idCarrera", "clavePlan"],
    ),
    "consultaProgramasEstudios": (["autenticacion"], ["programas"]),
    "exportaCertificados": (["autenticacion", "filtro", "formato"], ["nombreArchivo", "archivoBase64"]),
    "solicitaCancelacion": (
        ["autenticacion", "folioControl", "folioDigital", "motivo", "observaciones"],
        ["folioControl", "estatus", "fechaSolicitud", "fechaEfectiva", "mensaje", "folioDigital"],
    ),
    "consultaDocumentos": (["autenticacion"], ["documentos"]),
    "descargaDocumento": (["autenticacion", "nombre"], ["nombreArchivo", "archivoBase64"]),
    "concluyePruebas": (["autenticacion"], ["estatus", "mensaje"]),
}

ENUMS = {
    "EstatusLote": dto.EstatusLote,
    "EstatusFolio": dto.EstatusFolio,
    "EstatusCertificado": dto.EstatusCertificado,
    "EstatusArchivo": dto.EstatusArchivo,
    "EstatusPrograma": dto.EstatusPrograma,
    "FormatoCertificado": dto.FormatoCertificado,
    "FormatoExportacion": dto.FormatoExportacion,
}


@pytest.fixture(scope="module")
def served() -> bytes:
    session = requests.Session()
    session.mount(
        BASE, wsgiadapter.WSGIAdapter(make_wsgi_app(unbound_services(make_settings()), make_settings()))
    )
    response = session.get(WSDL_URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    return response.content


@pytest.fixture(scope="module")
def tree(served: bytes) -> etree._Element:
    return etree.fromstring(served)


def test_served_wsdl_matches_the_golden_copy(served: bytes) -> None:
    assert served == GOLDEN.read_bytes(), (
        "El WSDL servido difiere de wsdl/mec.wsdl. Si el cambio es intencional, regenérelo con "
        "`mec-ws wsdl --output wsdl/mec.wsdl` (con MEC_PUBLIC_URL y MEC_NAMESPACE sin definir)."
    )


def test_wsdl_bytes_are_stable_across_hash_seeds() -> None:
    code = "import sys; from mec_ws.config import Settings; from mec_ws.soap.app import build_wsdl; " + (
        "sys.stdout.buffer.write(build_wsdl(Settings.from_env({})))"
    )
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, check=True, cwd=ROOT
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert outputs == {GOLDEN.read_bytes()}


def test_address_is_the_configured_public_url_not_the_request_host() -> None:
    public = "https://mec.sep.example/mec/ws"
    session = requests.Session()
    session.mount(
        BASE,
        wsgiadapter.WSGIAdapter(
            make_wsgi_app(unbound_services(make_settings()), make_settings(MEC_PUBLIC_URL=public))
        ),
    )
    tree = etree.fromstring(session.get(WSDL_URL, headers={"Host": "evil.example"}).content)
    assert tree.xpath("//soap:address/@location", namespaces=NS) == [public]


def test_target_namespace_is_configurable() -> None:
    ns = "urn:mec:pruebas"
    tree = etree.fromstring(build_wsdl(make_settings(MEC_NAMESPACE=ns)))
    assert tree.get("targetNamespace") == ns
    assert tree.xpath("//xs:schema/@targetNamespace", namespaces=NS) == [ns]


def test_default_address_and_namespace(tree: etree._Element) -> None:
    assert tree.xpath("//soap:address/@location", namespaces=NS) == [DEFAULT_PUBLIC_URL]
    assert tree.get("targetNamespace") == DEFAULT_NAMESPACE
    assert tree.xpath("//soap:binding/@style", namespaces=NS) == ["document"]
    assert set(tree.xpath("//soap:body/@use", namespaces=NS)) == {"literal"}
    assert len(tree.xpath("//wsdl:port", namespaces=NS)) == 1


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enumerations_are_named_types_in_the_target_namespace(tree: etree._Element, name: str) -> None:
    (simple,) = tree.xpath(f"//xs:schema/xs:simpleType[@name='{name}']", namespaces=NS)
    values = simple.xpath("xs:restriction/xs:enumeration/@value", namespaces=NS)
    assert values == [m.value for m in ENUMS[name]]
    assert tree.xpath(f"//xs:element[@type='tns:{name}']", namespaces=NS)


def test_no_anonymous_or_derived_enumerations(tree: etree._Element) -> None:
    names = tree.xpath("//xs:schema/xs:simpleType/@name", namespaces=NS)
    assert sorted(names) == sorted([*ENUMS, "Pagina", "RegistrosPorPagina"])


def test_no_xs_integer_and_nothing_nillable(served: bytes, tree: etree._Element) -> None:
    assert b"xs:integer" not in served
    assert not tree.xpath("//xs:element[@nillable='true']", namespaces=NS)
    types = set(tree.xpath("//xs:element/@type | //xs:restriction/@base", namespaces=NS))
    assert {t for t in types if t.startswith("xs:")} <= {
        "xs:string",
        "xs:int",
        "xs:long",
        "xs:date",
        "xs:dateTime",
        "xs:base64Binary",
        "xs:decimal",
    }


def test_exactly_the_contracts_thirteen_operations_in_its_order(tree: etree._Element) -> None:
    assert len(OPERATIONS) == 13
    assert tree.xpath("//wsdl:portType/wsdl:operation/@name", namespaces=NS) == OPERATIONS
    assert tree.xpath("//wsdl:binding/wsdl:operation/@name", namespaces=NS) == OPERATIONS
    elements = set(tree.xpath("//xs:schema/xs:element/@name", namespaces=NS))
    assert {*OPERATIONS, *(f"{op}Response" for op in OPERATIONS)} <= elements


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_declares_the_errormec_fault(tree: etree._Element, operation: str) -> None:
    port = tree.xpath(f"//wsdl:portType/wsdl:operation[@name='{operation}']", namespaces=NS)[0]
    assert port.xpath("wsdl:fault/@message", namespaces=NS) == ["tns:errorMec"]
    binding = tree.xpath(f"//wsdl:binding/wsdl:operation[@name='{operation}']", namespaces=NS)[0]
    assert binding.xpath("wsdl:fault/soap:fault/@use", namespaces=NS) == ["literal"]
    (part,) = tree.xpath("//wsdl:message[@name='errorMec']/wsdl:part/@element", namespaces=NS)
    assert part == "tns:errorMec"
    fields = tree.xpath("//xs:complexType[@name='errorMec']/xs:sequence/xs:element/@name", namespaces=NS)
    assert fields == ["codigo", "mensaje"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_zeep_sees_the_operation_signatures(client: zeep.Client, operation: str) -> None:
    binding = client.service._binding
    op = binding.get(operation)
    request, response = SIGNATURES[operation]
    assert op.input.body.qname == etree.QName(DEFAULT_NAMESPACE, operation)
    assert op.output.body.qname == etree.QName(DEFAULT_NAMESPACE, f"{operation}Response")
    assert [name for name, _ in op.input.body.type.elements] == request
    assert [name for name, _ in op.output.body.type.elements] == response
    required = [name for name, el in op.input.body.type.elements if el.min_occurs >= 1]
    optional = {n for n in OPTIONAL_ARGUMENTS if isinstance(n, str)} | {
        n[1] for n in OPTIONAL_ARGUMENTS if isinstance(n, tuple) and n[0] == operation
    }
    assert required == [n for n in request if n not in optional]


def test_required_fields_are_min_occurs_1(client: zeep.Client) -> None:
    lote = client.get_type(f"{{{DEFAULT_NAMESPACE}}}Lote")
    optional = [name for name, el in lote.elements if el.min_occurs == 0]
    assert optional == ["fechaProceso"]
    filtro = client.get_type(f"{{{DEFAULT_NAMESPACE}}}FiltroCertificados")
    assert all(el.min_occurs == 0 for _, el in filtro.elements)
    documento = client.get_type(f"{{{DEFAULT_NAMESPACE}}}Documento")
    assert [(name, el.min_occurs, el.type.name) for name, el in documento.elements] == [
        ("nombre", 1, "string"),
        ("descripcion", 1, "string"),
        ("tamano", 1, "long"),
        ("sha256", 1, "string"),
    ]


def test_cli_writes_the_golden_wsdl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MEC_PUBLIC_URL", "MEC_NAMESPACE"):
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "sub" / "mec.wsdl"
    assert cli.main(["wsdl", "--output", str(out)]) == 0
    assert out.read_bytes() == GOLDEN.read_bytes()


def test_zeep_client_from_the_golden_file_reaches_the_service(world: World) -> None:
    session = mount(make_wsgi_app(world.app, world.settings))
    client = zeep.Client(str(GOLDEN), transport=Transport(session=session))
    (programa,) = client.service.consultaProgramasEstudios(
        autenticacion={"usuario": "ipes1", "password": PASSWORD}
    )
    assert programa.idCarrera == world.scenario.program.id_carrera
