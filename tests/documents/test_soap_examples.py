"""docs/soap: one recorded request and response per operation, still accepted by the service.

The requests in docs/soap/*.solicitud.xml (recorded by docs/soap/grabar.py) are sent, with the
password, the cut payloads and the world's own lote/folio values put back, to a fresh demo world on
the test database; each must be answered with the same response element (no fault) as recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from mec_ws.certificate.reader import hardened_parser
from mec_ws.config import Settings
from mec_ws.documents.manual import describe_wsdl
from mec_ws.soap.app import build_wsdl
from mec_ws.testdata.soap_examples import PASSWORD_PLACEHOLDER, SHORTEN_OVER, for_display, replay

SOAP = Path(__file__).resolve().parents[2] / "docs" / "soap"
REGENERATE = "regenere con `.venv/bin/python docs/soap/grabar.py`"


def _operations() -> list[str]:
    return [op.name for op in describe_wsdl(build_wsdl(Settings.from_env({}))).operations]


def _body_child(xml: bytes) -> str:
    root = etree.fromstring(xml, parser=hardened_parser())
    body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    return etree.QName(body[0]).localname


def test_every_operation_of_the_wsdl_has_a_recorded_pair_and_no_other() -> None:
    recorded = {p.name.split(".")[0] for p in SOAP.glob("*.solicitud.xml")}
    answers = {p.name.split(".")[0] for p in SOAP.glob("*.respuesta.xml")}
    assert recorded == answers == set(_operations()), REGENERATE
    index = (SOAP / "README.md").read_text(encoding="utf-8")
    for op in recorded:
        assert f"[{op}.solicitud.xml]({op}.solicitud.xml)" in index


def test_recorded_requests_hide_the_password_and_cut_payloads() -> None:
    for path in SOAP.glob("*.xml"):
        text = path.read_text(encoding="utf-8")
        root = etree.fromstring(text.encode("utf-8"), parser=hardened_parser())
        for el in root.iter():
            if isinstance(el.tag, str):
                assert len(el.text or "") <= SHORTEN_OVER or " " in (el.text or ""), (path.name, el.tag)
        if path.name.endswith(".solicitud.xml"):
            assert f"<ns0:password>{PASSWORD_PLACEHOLDER}</ns0:password>" in text, path.name


def test_every_recorded_request_is_still_accepted(database_url: str, engine: Engine, tmp_path: Path) -> None:
    requests = {p.name.split(".")[0]: p.read_bytes() for p in SOAP.glob("*.solicitud.xml")}
    exchanges = replay(tmp_path, requests, database_url)
    assert {ex.operation for ex in exchanges} == set(requests)
    for ex in exchanges:
        assert ex.status == 200 and ex.fault is None, (ex.operation, ex.response[:2000])
        recorded = (SOAP / f"{ex.operation}.respuesta.xml").read_bytes()
        assert _body_child(ex.response) == _body_child(recorded), (ex.operation, REGENERATE)
        # the answer has the same elements as the recorded one (values may differ)
        shown = etree.fromstring(for_display(ex.response), parser=hardened_parser())
        then = etree.fromstring(recorded, parser=hardened_parser())
        names = lambda root: sorted({etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)})  # noqa: E731
        assert names(shown) == names(then), (ex.operation, REGENERATE)


def test_a_changed_request_is_caught(database_url: str, engine: Engine, tmp_path: Path) -> None:
    """The replay is a real check: a request the service no longer accepts fails it."""
    bad = (SOAP / "consultaEstatusCarga.solicitud.xml").read_bytes().replace(b"folioPago>", b"folioDePago>")
    (ex,) = replay(tmp_path, {"consultaEstatusCarga": bad}, database_url)
    assert ex.fault is not None and "SolicitudInvalida" in ex.fault


def _wsdl_with_a_new_operation(extra_field: str | None) -> bytes:
    """The service's WSDL plus ``nuevaOperacion`` (as a later operation would arrive)."""
    fields = (
        '<xs:element name="autenticacion" type="tns:Autenticacion"/>'
        '<xs:element name="nombreArchivo" type="xs:string"/>'
        '<xs:element name="archivoBase64" type="xs:base64Binary"/>'
        '<xs:element name="folioDigital" type="xs:string" minOccurs="0"/>'
    )
    if extra_field:
        fields += f'<xs:element name="{extra_field}" type="xs:string"/>'
    text = build_wsdl(Settings.from_env({})).decode("utf-8")
    text = text.replace(
        '<xs:complexType name="descargaDocumento">',
        f'<xs:complexType name="nuevaOperacion"><xs:sequence>{fields}</xs:sequence></xs:complexType>'
        '<xs:complexType name="descargaDocumento">',
        1,
    )
    text = text.replace(
        '<xs:element name="descargaDocumento" type="tns:descargaDocumento"/>',
        '<xs:element name="nuevaOperacion" type="tns:nuevaOperacion"/>'
        '<xs:element name="descargaDocumento" type="tns:descargaDocumento"/>',
        1,
    )
    text = text.replace(
        '<wsdl:message name="descargaDocumento">',
        '<wsdl:message name="nuevaOperacion"><wsdl:part name="nuevaOperacion" element="tns:nuevaOperacion"/>'
        '</wsdl:message><wsdl:message name="descargaDocumento">',
        1,
    )
    text = text.replace(
        '<wsdl:operation name="descargaDocumento" parameterOrder="descargaDocumento">',
        '<wsdl:operation name="nuevaOperacion"><wsdl:input message="tns:nuevaOperacion"/></wsdl:operation>'
        '<wsdl:operation name="descargaDocumento" parameterOrder="descargaDocumento">',
        1,
    )
    return text.encode("utf-8")


def test_a_new_operation_is_recorded_too_or_says_what_it_lacks(tmp_path: Path) -> None:
    from mec_ws.testdata.soap_examples import _plan, _values_for, _World

    operations = [op.name for op in describe_wsdl(_wsdl_with_a_new_operation(None)).operations]
    assert "nuevaOperacion" in operations
    plan = _plan(operations)
    assert plan.index("nuevaOperacion") < plan.index("concluyePruebas") < plan.index("solicitaCancelacion")
    world = _World(
        settings=Settings.from_env({}),
        app=None,  # type: ignore[arg-type]  # not called: only the request values are built
        password="x",
        payloads={},
        single=("certificado-11.xml", b"<Dec/>"),
        values={"folioDigital": "abc"},
    )
    values = _values_for(world, "nuevaOperacion", _wsdl_with_a_new_operation(None))
    # the payload by field name; an optional field is not sent just because a value is known
    assert values == {"nombreArchivo": "certificado-11.xml", "archivoBase64": b"<Dec/>"}
    with pytest.raises(LookupError, match=r"nuevaOperacion: .*campo obligatorio idRaro"):
        _values_for(world, "nuevaOperacion", _wsdl_with_a_new_operation("idRaro"))
