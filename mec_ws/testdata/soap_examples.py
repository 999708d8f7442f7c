"""Raw SOAP requests and responses of every operation, recorded from the real service (docs/soap/).

:func:`record` builds the demo world (``mec-ws demo``'s files and database, test environment) on a
throw-away database, drives the real :class:`~mec_ws.services.app.MecApp` behind the real WSGI app
(the bytes gunicorn would see) and returns one :class:`Exchange` per operation of the WSDL.  The
requests are built by zeep from the WSDL, so an operation added to the service is picked up: its
fields are filled by name (:data:`FIELD_VALUES` and the values earlier answers gave), and an
operation with a required field nobody knows how to fill is an error, not a silent gap.

:func:`replay` sends recorded requests to a fresh world and returns the answers, so a test can check
that every recorded request is still accepted (the documents cannot go stale).  For display, base64
payloads longer than :data:`SHORTEN_OVER` characters are cut (``…`` and a comment with the full
size) and the password is :data:`PASSWORD_PLACEHOLDER`; :func:`replay` puts the real ones back.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from mec_ws import db
from mec_ws.certificate.reader import hardened_parser
from mec_ws.config import Settings
from mec_ws.documents.manual import describe_wsdl
from mec_ws.programs import program_to_xlsx
from mec_ws.services.app import MecApp
from mec_ws.testdata.demo import write_demo
from mec_ws.testdata.demo_db import DEMO_USER, load_demo

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PASSWORD_PLACEHOLDER = "CONTRASEÑA"  # noqa: S105 - a placeholder shown instead of the password
SHORTEN_OVER = 120
KEEP = 60
FOLIO_ZIP = "DEMO-0001"
FOLIO_SINGLE = "DEMO-0002"

# The order in which operations are exercised: what later ones need comes first, what changes the
# state (a cancellation) last.  Operations not listed (new ones) run before ``LAST``.
ORDER = (
    "cargaProgramaEstudios",
    "cargaCertificados",
    "consultaEstatusCarga",
    "descargaResultadoCarga",
    "consultaCertificados",
    "exportaCertificados",
    "descargaCertificado",
    "consultaProgramasEstudios",
    "consultaDocumentos",
    "descargaDocumento",
)
LAST = ("concluyePruebas", "solicitaCancelacion")


@dataclass(frozen=True)
class Learned:
    """A value taken from an earlier answer (``numeroLote``, ``folioControl``, ``folioDigital``…)."""

    name: str


# Values by field name.  A required field is filled from here, the operation's payload or an
# earlier answer; an optional one only from here or PER_OPERATION (so a new optional field, e.g.
# an alternative key, is not sent by accident).
FIELD_VALUES: Mapping[str, Any] = {
    "folioPago": FOLIO_ZIP,
    "pagina": 1,
    "registrosPorPagina": 2,
    "motivo": "C1",
    "observaciones": "Error de captura en el nombre del alumno.",
}
PER_OPERATION: Mapping[str, Mapping[str, Any]] = {
    "exportaCertificados": {"formato": "CSV", "filtro": {"folioPago": FOLIO_ZIP}},
    "consultaCertificados": {"filtro": {"folioPago": FOLIO_ZIP}},
    "descargaCertificado": {"formato": "PDF", "folioControl": Learned("folioControl")},
    "solicitaCancelacion": {"folioControl": Learned("folioControl")},
}
# Fields whose value comes from the world or an earlier answer, so a replay substitutes its own.
STATE_FIELDS = ("numeroLote", "folioControl", "folioDigital", "nombre")


@dataclass(frozen=True)
class Exchange:
    operation: str
    request: bytes  # as sent
    response: bytes  # as answered
    status: int

    @property
    def fault(self) -> str | None:
        """The ``faultcode`` of a fault answer, else ``None``."""
        root = etree.fromstring(self.response, parser=hardened_parser())
        code = root.find(f".//{{{SOAP_ENV}}}Fault/faultcode")
        return code.text if code is not None else None


@dataclass
class _World:
    settings: Settings
    app: MecApp
    password: str
    payloads: dict[str, tuple[str, bytes]]  # operation -> (nombreArchivo, content)
    single: tuple[str, bytes]
    values: dict[str, Any] = field(default_factory=dict)

    def learn(self, response: bytes) -> None:
        """Keep the values later requests need from an answer (first occurrence of each)."""
        root = etree.fromstring(response, parser=hardened_parser())
        for name in ("numeroLote", "folioControl", "folioDigital"):
            if name not in self.values:
                found = root.find(f".//{{*}}{name}")
                if found is not None and found.text:
                    self.values[name] = found.text
        documents = [
            (int(d.findtext("{*}tamano") or 0), d.findtext("{*}nombre") or "")
            for d in root.iterfind(".//{*}documentos/{*}documento")
            if d.findtext("{*}nombre")
        ]
        if documents and "nombre" not in self.values:
            self.values["nombre"] = min(documents)[1]


@contextmanager
def demo_world(root: Path, database_url: str | None = None) -> Iterator[_World]:
    """The demo world on ``database_url`` (default: a new SQLite under ``root``), test environment."""
    data = root / "data"
    env = {"MEC_DATA_DIR": str(data), "MEC_DATABASE_URL": database_url or f"sqlite:///{data / 'mec.sqlite3'}"}
    settings = replace(Settings.from_env(env), ambiente="pruebas")
    files = write_demo(root / "demo")
    creds = load_demo(settings, files)
    engine = db.make_engine(settings.database_url)
    try:
        program = program_to_xlsx(files.scenario.program)
        single = creds.single_certificate
        yield _World(
            settings=settings,
            app=MecApp(settings, db.session_factory(engine)),
            password=creds.password,
            payloads={
                "cargaProgramaEstudios": ("programa.xlsx", program),
                "cargaCertificados": (files.zip_path.name, files.zip_path.read_bytes()),
                "validaCertificados": (files.zip_path.name, files.zip_path.read_bytes()),
            },
            single=(single.name, single.read_bytes()),
        )
    finally:
        engine.dispose()


def _plan(operations: list[str]) -> list[str]:
    known = [op for op in ORDER if op in operations]
    new = [op for op in operations if op not in ORDER and op not in LAST]
    return known + new + [op for op in LAST if op in operations]


def _post(world: _World, operation: str, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` to the real WSGI app as gunicorn would hand it over; (status, response)."""
    from mec_ws.web.wsgi import make_wsgi_app

    app = make_wsgi_app(world.app, world.settings)
    status_holder: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[..., Any]:
        status_holder.append(status)
        return lambda _data: None

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mec/ws",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "text/xml; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_SOAPACTION": f'"{operation}"',
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    chunks = app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return int(status_holder[0].split()[0]), content


def _after(world: _World, operation: str) -> None:
    """What the journey does between operations without recording it."""
    if operation == "cargaCertificados":
        from mec_ws.batches.worker import run_worker

        # the single XML upload that concluyePruebas requires, then process both batches
        name, content = world.single
        request = _zeep_request(
            world,
            "cargaCertificados",
            {"folioPago": FOLIO_SINGLE, "nombreArchivo": name, "archivoBase64": content},
        )
        status, response = _post(world, "cargaCertificados", request)
        if status != 200:
            raise RuntimeError(f"la carga individual falló: {response[:500]!r}")
        run_worker(world.settings, once=True)


_CLIENT_CACHE: dict[str, Any] = {}


def _zeep_client(world: _World) -> Any:
    import zeep

    from mec_ws.soap.app import build_wsdl

    wsdl = build_wsdl(world.settings)
    key = wsdl.decode("utf-8", "replace")
    if key not in _CLIENT_CACHE:
        path = world.settings.data_dir / "mec.wsdl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wsdl)
        _CLIENT_CACHE.clear()
        _CLIENT_CACHE[key] = zeep.Client(str(path))
    return _CLIENT_CACHE[key]


def _zeep_request(world: _World, operation: str, values: Mapping[str, Any]) -> bytes:
    client = _zeep_client(world)
    auth = {"usuario": DEMO_USER, "password": world.password}
    envelope = client.create_message(client.service, operation, autenticacion=auth, **values)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _values_for(world: _World, operation: str, wsdl: bytes) -> dict[str, Any]:
    service = describe_wsdl(wsdl)
    op = next(o for o in service.operations if o.name == operation)
    chosen: dict[str, Any] = {}
    payload = world.payloads.get(operation, world.single)
    for f in op.request.fields:
        if f.name == "autenticacion":
            continue
        extra = PER_OPERATION.get(operation, {})
        if f.name in extra:
            value = extra[f.name]
            chosen[f.name] = world.values[value.name] if isinstance(value, Learned) else value
        elif f.name in FIELD_VALUES:
            chosen[f.name] = FIELD_VALUES[f.name]
        elif f.min_occurs == 0:
            continue
        elif f.name == "nombreArchivo":
            chosen[f.name] = payload[0]
        elif f.name == "archivoBase64":
            chosen[f.name] = payload[1]
        elif f.name in world.values:
            value = world.values[f.name]
            chosen[f.name] = int(value) if f.type in ("xs:long", "xs:int") else value
        elif (simple := service.simple_types.get(f.type)) is not None and simple.enumeration:
            chosen[f.name] = simple.enumeration[0]
        else:
            raise LookupError(
                f"{operation}: no sé qué valor dar al campo obligatorio {f.name} ({f.type}); "
                "agréguelo a FIELD_VALUES o PER_OPERATION en mec_ws/testdata/soap_examples.py"
            )
    return chosen


def record(root: Path, database_url: str | None = None) -> list[Exchange]:
    """One exchange per operation of the service's WSDL, in :func:`_plan` order."""
    from mec_ws.soap.app import build_wsdl

    exchanges = []
    with demo_world(root, database_url) as world:
        wsdl = build_wsdl(world.settings)
        for operation in _plan([op.name for op in describe_wsdl(wsdl).operations]):
            request = _zeep_request(world, operation, _values_for(world, operation, wsdl))
            status, response = _post(world, operation, request)
            exchanges.append(Exchange(operation, request, response, status))
            world.learn(response)
            _after(world, operation)
    return exchanges


# --- display ------------------------------------------------------------------------------------

_B64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def for_display(xml: bytes) -> bytes:
    """Pretty-printed, long base64 payloads cut (``…`` + a comment) and the password hidden."""
    root = etree.fromstring(xml, parser=hardened_parser())
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname == "password" and el.text:
            el.text = PASSWORD_PLACEHOLDER
        text = el.text or ""
        if len(el) == 0 and len(text) > SHORTEN_OVER and _B64.fullmatch(text):
            size = len(base64.b64decode(text))
            el.text = text[:KEEP] + "…"
            el.addnext(etree.Comment(f" {el.tag.split('}')[-1]} recortado: {size} bytes "))
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _restore(world: _World, operation: str, shown: bytes) -> bytes:
    """A displayed request made sendable again in ``world``: password, payload, state values."""
    root = etree.fromstring(shown, parser=hardened_parser())
    payload = world.payloads.get(operation, world.single)
    for comment in root.xpath("//comment()"):
        parent = comment.getparent()
        if parent is not None and "recortado" in (comment.text or ""):
            previous = comment.getprevious()
            if previous is not None:  # keep the whitespace the comment carried
                previous.tail = (previous.tail or "") + (comment.tail or "")
            parent.remove(comment)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name == "password":
            el.text = world.password
        elif (el.text or "").endswith("…"):
            el.text = base64.b64encode(payload[1]).decode("ascii")
        elif name in STATE_FIELDS and name in world.values:
            el.text = str(world.values[name])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def replay(root: Path, requests: Mapping[str, bytes], database_url: str | None = None) -> list[Exchange]:
    """Send each displayed request (operation -> bytes as in docs/soap) to a fresh demo world."""
    from mec_ws.soap.app import build_wsdl

    exchanges = []
    with demo_world(root, database_url) as world:
        wsdl = build_wsdl(world.settings)
        for operation in _plan([op.name for op in describe_wsdl(wsdl).operations]):
            if operation not in requests:
                continue
            body = _restore(world, operation, requests[operation])
            status, response = _post(world, operation, body)
            exchanges.append(Exchange(operation, body, response, status))
            world.learn(response)
            _after(world, operation)
    return exchanges
