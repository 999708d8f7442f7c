"""Each portal screen through the Flask test client against the real services, on SQLite and
PostgreSQL: what it shows, what it calls, the faults it shows (message and code)."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mec_ws.portal.app import create_app
from mec_ws.services.app import MecApp
from mec_ws.testdata.pki import cert_to_der, cert_to_pem, default_pki, make_ca
from models import (
    ActivationToken,
    Certificate,
    EstatusRegistro,
    FolioPago,
    Institution,
    RegistrationRequest,
    User,
)
from tests.portal.conftest import SECRET, Portal
from tests.services.world import make_zip


def _file(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def _ipes(portal: Portal):  # type: ignore[no-untyped-def]
    c = portal.client()
    portal.login(c, "ipes1")
    return c


def test_carga_estatus_and_detail(portal: Portal) -> None:
    world = portal.world
    folio = world.folio(2)
    c = _ipes(portal)
    page = c.get("/portal/carga").get_data(as_text=True)
    assert "dos intentos" in page and 'name="folioPago"' in page and 'name="archivo"' in page
    zipped = make_zip({"a.xml": world.certificate(1), "b.xml": world.certificate(2)})
    r = portal.post(c, "/portal/carga", {"folioPago": folio, "archivo": _file(zipped, "lote.zip")})
    page = r.get_data(as_text=True)
    numero = int(re.search(r"Lote (\d+)</h2>", page).group(1))  # type: ignore[union-attr]
    assert "1 de 2" in page and f"/portal/estatus?folioPago={folio}" in page
    status = c.get(f"/portal/estatus?folioPago={folio}").get_data(as_text=True)
    assert "0 de 2" in status and "Actualizar" in status and "RECIBIDO" in status
    progress = c.get(f"/portal/estatus/lote/{numero}.json").get_json()
    assert progress == {
        "numeroLote": numero,
        "estatus": "RECIBIDO",
        "procesados": 0,
        "total": 2,
        "mensaje": progress["mensaje"],
        "final": False,
    }
    world.drain()
    progress = c.get(f"/portal/estatus/lote/{numero}.json").get_json()
    assert progress["final"] and progress["procesados"] == 2 and progress["estatus"] == "ACEPTADO"
    status = c.get(f"/portal/estatus?folioPago={folio}").get_data(as_text=True)
    assert "2 de 2" in status and "Estatus detalle" in status and "Descargar" in status
    assert "a.xml" in status and "CORRECTO" in status
    r = c.get(f"/portal/estatus/lote/{numero}/resultado")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert "attachment" in r.headers["Content-Disposition"]


def test_broken_upload_shows_findings(portal: Portal) -> None:
    world = portal.world
    folio = world.folio(1)
    c = _ipes(portal)
    broken = world.certificate(3).replace(b'curp="', b'curp="X', 1)
    portal.post(c, "/portal/carga", {"folioPago": folio, "archivo": _file(broken, "roto.xml")})
    world.drain()
    status = c.get(f"/portal/estatus?folioPago={folio}").get_data(as_text=True)
    assert "RECHAZADO" in status and "CON_ERRORES" in status
    assert re.search(r"<code>[A-Z_]+</code>: ", status)  # each finding: code, message


def test_carga_faults_are_shown_with_their_code(portal: Portal) -> None:
    c = _ipes(portal)
    r = portal.post(c, "/portal/carga", {"folioPago": "NO-EXISTE", "archivo": _file(b"<a/>", "a.xml")})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "<code>FolioInexistente</code>" in page
    folio = portal.world.folio(1)
    r = portal.post(c, "/portal/carga", {"folioPago": folio, "archivo": _file(b"hola", "a.txt")})
    assert "<code>ArchivoInvalido</code>" in r.get_data(as_text=True)
    with portal.world.sessions() as s:  # nothing consumed
        assert s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one().intentos_usados == 0


def test_over_limit_upload_gets_the_archivo_invalido_message(portal: Portal) -> None:
    world = portal.world
    settings = dataclasses.replace(world.settings, max_upload_mb=1)
    app = create_app(world.app, settings, secret_key=SECRET)
    small = Portal(world, app)
    c = small.client()
    small.login(c, "ipes1")
    big = b"<a>" + b"x" * (2 * 1024 * 1024) + b"</a>"
    fields = {
        "folioPago": world.folio(1),
        "archivo": FileStorage(io.BytesIO(big), "g.xml"),
        "csrf_token": small.token(c, "/portal/carga"),
    }
    boundary, body = encode_multipart(fields)  # in memory: the test client would spool it to a file
    r = c.post("/portal/carga", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    page = r.get_data(as_text=True)
    assert r.status_code == 413, page[page.find("<main") :]
    assert "<code>ArchivoInvalido</code>" in page and "1 MB" in page and "Menú IPES" in page, page[
        page.find("<main") :
    ]


def test_consulta_paging_export_and_links(portal: Portal) -> None:
    from tests.services.world import add_certificate

    world = portal.world
    for n in range(25):
        add_certificate(world, f"F-{n:03d}", fecha_carga=world.clock.now)
    c = _ipes(portal)
    page = c.get("/portal/consulta").get_data(as_text=True)
    assert "Exportar Todo" in page and "Limpiar" in page and 'name="idInstitucion"' not in page
    page = c.get("/portal/consulta?buscar=1").get_data(as_text=True)
    assert "25 certificado(s)" in page and "página 1 de 2" in page
    for header in (
        "Institución",
        "Campus",
        "Nombre",
        "CURP",
        "Carrera",
        "Folio de Pago",
        "Folio del Certificado",
        "Lugar de Expedición",
        "Fecha de Expedición",
        "Estatus",
        "PDF",
        "XML",
    ):
        assert f'<th scope="col">{header}</th>' in page
    assert page.count("/portal/certificados/") == 40
    page2 = c.get("/portal/consulta?pagina=2").get_data(as_text=True)
    assert "página 2 de 2" in page2 and page2.count(".pdf") == 5
    r = c.get("/portal/consulta/exportar?folioControl=F-001&formato=XLSX")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    r = c.get("/portal/consulta/exportar?formato=ODS")
    assert r.status_code == 422 and "<code>SolicitudInvalida</code>" in r.get_data(as_text=True)
    r = c.get("/portal/consulta?fechaExpedicion=2024-13-01")
    assert "AAAA-MM-DD" in r.get_data(as_text=True)


def test_operator_consulta_filters_by_institution(portal: Portal) -> None:
    from tests.services.world import add_certificate

    world = portal.world
    add_certificate(world, "UNO-1", fecha_carga=world.clock.now)
    add_certificate(world, "DOS-1", fecha_carga=world.clock.now, institution_id="000002", campus_id="000201")
    c = portal.client()
    portal.login(c, "operador")
    page = c.get("/portal/consulta?idInstitucion=000002").get_data(as_text=True)
    assert "DOS-1" in page and "UNO-1" not in page


def test_cancelacion_flow_and_operator_review(portal: Portal) -> None:
    from tests.services.world import add_certificate

    world = portal.world
    add_certificate(world, "CAN-1", fecha_carga=world.clock.now)
    c = _ipes(portal)
    page = c.get("/portal/cancelacion?folioControl=CAN-1").get_data(as_text=True)
    assert "/portal/cancelacion/solicitar?folioControl=CAN-1" in page
    form = c.get("/portal/cancelacion/solicitar?folioControl=CAN-1").get_data(as_text=True)
    assert '<select id="motivo" name="motivo"' in form and "Confirmar cancelación" in form
    r = portal.post(
        c,
        "/portal/cancelacion/solicitar",
        {"folioControl": "CAN-1", "motivo": "ZZ", "observaciones": ""},
        page="/portal/cancelacion/solicitar?folioControl=CAN-1",
    )
    assert "<code>SolicitudInvalida</code>" in r.get_data(as_text=True)
    r = portal.post(
        c,
        "/portal/cancelacion/solicitar",
        {"folioControl": "CAN-1", "motivo": "C1", "observaciones": "Error de captura"},
        page="/portal/cancelacion/solicitar?folioControl=CAN-1",
    )
    page = r.get_data(as_text=True)
    assert "CANCELACION_SOLICITADA" in page and "Fecha efectiva" in page
    op = portal.client()
    portal.login(op, "operador")
    assert "CAN-1" in op.get("/portal/sep/cancelaciones").get_data(as_text=True)
    portal.post(
        op,
        "/portal/sep/cancelaciones",
        {"accion": "aprobar", "folioControl": "CAN-1", "institucion": "000001"},
    )
    page = op.get("/portal/sep/cancelaciones").get_data(as_text=True)
    assert "queda CANCELADO" in page
    with world.sessions() as s:
        assert (
            s.scalars(select(Certificate.estatus).where(Certificate.folio_control == "CAN-1")).one()
            == "CANCELADO"
        )


def test_a_certificate_without_folio_control_is_found_and_cancelled_by_its_folio_digital(
    portal: Portal,
) -> None:
    from tests.services.world import add_certificate

    world = portal.world
    cert = add_certificate(world, None, fecha_carga=world.clock.now)
    digital = cert.folio_digital
    c = _ipes(portal)
    page = c.get(f"/portal/cancelacion?folioDigital={digital}").get_data(as_text=True)
    assert "1 certificado(s) encontrado(s)" in page
    assert f"/portal/cancelacion/solicitar?folioDigital={digital}" in page
    assert "solicitar?folioControl=None" not in page and "solicitar?folioControl=&" not in page
    form = c.get(f"/portal/cancelacion/solicitar?folioDigital={digital}").get_data(as_text=True)
    assert f"Certificado con folio digital {digital}" in form
    assert f'name="folioDigital" value="{digital}"' in form
    r = portal.post(
        c,
        "/portal/cancelacion/solicitar",
        {"folioControl": "", "folioDigital": digital, "motivo": "C1", "observaciones": ""},
        page=f"/portal/cancelacion/solicitar?folioDigital={digital}",
    )
    page = r.get_data(as_text=True)
    assert "CANCELACION_SOLICITADA" in page and digital in page
    with world.sessions() as s:
        assert s.scalars(select(Certificate.estatus).where(Certificate.id == cert.id)).one() == (
            "CANCELACION_SOLICITADA"
        )
    other = portal.client()  # another institution's user cannot reach it by its folioDigital
    portal.login(other, "ipes2")
    r = portal.post(
        other,
        "/portal/cancelacion/solicitar",
        {"folioDigital": digital, "motivo": "C1", "observaciones": ""},
        page=f"/portal/cancelacion/solicitar?folioDigital={digital}",
    )
    assert "<code>CertificadoInexistente</code>" in r.get_data(as_text=True)


def test_programas_screen(portal: Portal) -> None:
    c = _ipes(portal)
    page = c.get("/portal/programas").get_data(as_text=True)
    assert "LICENCIATURA EN DERECHO" in page  # the world's registered program
    r = portal.post(c, "/portal/programas", {"archivo": _file(b"<programa/>", "p.xml")})
    page = r.get_data(as_text=True)
    assert "RECHAZADO" in page and "Hallazgos del archivo" in page


def test_descargas_and_manual(portal: Portal) -> None:
    c = _ipes(portal)
    page = c.get("/portal/descargas").get_data(as_text=True)
    assert "manual-integracion.md" in page and "/portal/descargas/manual" in page
    manual = c.get("/portal/descargas/manual").get_data(as_text=True)
    assert "<h1>" in manual and "cargaCertificados" in manual and "<table>" in manual
    r = c.get("/portal/descargas/archivo/manual-integracion.md")
    assert r.status_code == 200 and b"cargaCertificados" in r.data
    assert c.get("/portal/descargas/archivo/no-existe.txt").status_code == 404


def test_pruebas_only_in_the_test_environment(portal: Portal) -> None:
    c = _ipes(portal)
    assert c.get("/portal/pruebas").status_code == 404
    assert "Pruebas Finalizadas" not in c.get("/portal/inicio").get_data(as_text=True)
    world = portal.world
    settings = dataclasses.replace(world.settings, ambiente="pruebas")
    app = create_app(MecApp(settings, world.sessions, clock=world.clock), settings, secret_key=SECRET)
    p = Portal(world, app)
    c = p.client()
    p.login(c, "ipes1")
    page = c.get("/portal/pruebas").get_data(as_text=True)
    assert "faltan 10 certificados" in page
    page = p.post(c, "/portal/pruebas", {}).get_data(as_text=True)
    assert "<code>PruebasIncompletas</code>" in page


def _registro(portal: Portal, c, **over):  # type: ignore[no-untyped-def]
    pki = default_pki()
    data = {
        "clave": "000777",
        "nombre": "Universidad del Bosque",
        "rfc": "UBO010203AB1",
        "contacto": "María López",
        "correo": "titulacion@bosque.edu.mx",
        "telefono": "55 1234 5678",
        "responsableCer": _file(cert_to_der(pki.officer_cert), "responsable.cer"),
    }
    data.update(over)
    return portal.post(c, "/portal/registro", data)


def test_registro_validation(portal: Portal) -> None:
    c = portal.client()
    r = _registro(
        portal,
        c,
        clave="ABC",
        rfc="XAXX010101000",
        correo="no",
        telefono="12",
        responsableCer=_file(b"no es un certificado", "x.cer"),
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in ("clave", "rfc", "correo", "telefono", "responsableCer"):
        assert f'id="{field}-error"' in page and 'aria-describedby="' in page
    assert _registro(portal, c, rfc="UBO011303AB1").status_code == 422  # month 13
    assert _registro(portal, c, clave="000001").status_code == 422  # already registered
    ca = make_ca()[1]
    assert "autoridad certificadora" in _registro(
        portal, c, responsableCer=_file(cert_to_pem(ca), "ca.cer")
    ).get_data(as_text=True)
    with portal.world.sessions() as s:
        assert s.scalars(select(RegistrationRequest)).all() == []


def test_registro_approval_activation_and_login(portal: Portal) -> None:
    c = portal.client()
    r = _registro(portal, c)
    numero = int(re.search(r"Solicitud (\d+)</strong>", r.get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    with portal.world.sessions() as s:
        assert s.get(Institution, "000777") is None  # nothing until approved
    assert _registro(portal, c).status_code == 422  # a second pending request for the same clave
    op = portal.client()
    portal.login(op, "operador")
    page = op.get("/portal/sep/registros").get_data(as_text=True)
    assert f"Solicitud {numero}" in page and "AC de confianza" in page
    portal.post(
        op, "/portal/sep/registros", {"solicitud": str(numero), "accion": "aprobar", "usuario": "bosque"}
    )
    page = op.get("/portal/sep/registros").get_data(as_text=True)
    link = re.search(r'class="enlace-activacion" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert "APROBADA" in page
    assert "enlace-activacion" not in op.get("/portal/sep/registros").get_data(as_text=True)  # shown once
    with portal.world.sessions() as s:
        assert s.get(Institution, "000777") is not None
        token_row = s.scalars(select(ActivationToken)).one()
        assert token_row.token_sha256 not in link and link.rsplit("/", 1)[1] not in token_row.token_sha256
    path = link.split("localhost", 1)[1]
    new = portal.client()
    form = new.get(path).get_data(as_text=True)
    assert "bosque" in form
    r = portal.post(new, path, {"password": "corta", "confirmacion": "corta"})
    assert "al menos 8" in r.get_data(as_text=True)
    r = portal.post(new, path, {"password": "una-clave-larga", "confirmacion": "una-clave-larga"})
    assert "Cuenta activada" in r.get_data(as_text=True)
    assert new.get(path).status_code == 404  # one time only
    assert portal.login(new, "bosque", "una-clave-larga").status_code == 302
    assert "Institución 000777" in new.get("/portal/inicio").get_data(as_text=True)


def test_registro_rejection(portal: Portal) -> None:
    c = portal.client()
    _registro(portal, c)
    op = portal.client()
    portal.login(op, "operador")
    with portal.world.sessions() as s:
        numero = s.scalars(select(RegistrationRequest.id)).one()
    portal.post(op, "/portal/sep/registros", {"solicitud": str(numero), "accion": "rechazar", "motivo": ""})
    assert "motivo del rechazo" in op.get("/portal/sep/registros").get_data(as_text=True)
    portal.post(
        op,
        "/portal/sep/registros",
        {"solicitud": str(numero), "accion": "rechazar", "motivo": "RFC no coincide"},
    )
    with portal.world.sessions() as s:
        req = s.get(RegistrationRequest, numero)
        assert (
            req is not None
            and req.estatus is EstatusRegistro.RECHAZADA
            and req.motivo_rechazo == "RFC no coincide"
        )
        assert s.get(Institution, "000777") is None


def test_console_institutions_folios_users_and_ca(portal: Portal) -> None:
    op = portal.client()
    portal.login(op, "operador")
    portal.post(
        op,
        "/portal/sep/instituciones",
        {"accion": "institucion", "clave": "000900", "nombre": "Escuela Nueva"},
    )
    portal.post(
        op,
        "/portal/sep/instituciones",
        {
            "accion": "campus",
            "institucion": "000900",
            "campus": "090001",
            "nombre": "Centro",
            "entidad": "09",
        },
    )
    page = op.get("/portal/sep/instituciones").get_data(as_text=True)
    assert "Escuela Nueva" in page and "090001 — Centro" in page
    portal.post(op, "/portal/sep/folios", {"institucion": "000900", "folio": "PAGO-9", "cantidad": "3"})
    assert "Folio de pago PAGO-9 registrado" in op.get("/portal/sep/folios").get_data(as_text=True)
    portal.post(op, "/portal/sep/folios", {"institucion": "000900", "folio": "PAGO-9", "cantidad": "3"})
    page = op.get("/portal/sep/folios").get_data(as_text=True)
    assert "ya existe" in page and "<code>Administracion</code>" in page
    portal.post(
        op, "/portal/sep/usuarios", {"accion": "agregar", "usuario": "nuevo", "institucion": "000900"}
    )
    page = op.get("/portal/sep/usuarios").get_data(as_text=True)
    assert "Usuario nuevo creado" in page and "/portal/activar/" in page
    with portal.world.sessions() as s:
        user = s.scalars(select(User).where(User.username == "nuevo")).one()
        assert user.institution_id == "000900" and not user.is_operator
    ca_key, ca = make_ca()
    del ca_key
    portal.post(op, "/portal/sep/ac", {"cer": _file(cert_to_der(ca), "ac.cer")})
    assert "De confianza:" in op.get("/portal/sep/ac").get_data(as_text=True)
    portal.post(op, "/portal/sep/ac", {"cer": _file(cert_to_der(default_pki().officer_cert), "no-ac.cer")})
    assert "no son de una autoridad certificadora" in op.get("/portal/sep/ac").get_data(as_text=True)


def test_console_unlock(portal: Portal) -> None:
    c = portal.client()
    for _ in range(5):
        portal.login(c, "ipes1", "mala")
    op = portal.client()
    portal.login(op, "operador")
    assert "BLOQUEADO" in op.get("/portal/sep/usuarios").get_data(as_text=True)
    portal.post(op, "/portal/sep/usuarios", {"accion": "desbloquear", "usuario": "ipes1"})
    assert portal.login(c, "ipes1").status_code == 302


@pytest.mark.parametrize("path", ["/portal/inicio", "/portal/carga", "/portal/consulta", "/portal/descargas"])
def test_screens_need_a_session(portal: Portal, path: str) -> None:
    r = portal.client().get(path)
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/")


def test_served_under_portal_by_the_service_router(portal: Portal) -> None:
    """``mec-ws serve``'s router sends ``/portal`` and everything below it to the portal."""
    from werkzeug.test import Client

    from mec_ws.portal import portal_routes
    from mec_ws.web.wsgi import Router

    world = portal.world
    router = Router(portal_routes(world.app, world.settings))
    client = Client(router)
    r = client.get("/portal")
    assert r.status_code in (301, 308) and r.headers["Location"].endswith("/portal/")
    r = client.get("/portal/")
    assert r.status_code == 200 and "Inicio de sesión" in r.get_data(as_text=True)
    with client.get("/portal/static/portal.css") as css:
        assert css.status_code == 200 and b"--vino" in css.get_data()
    with client.get("/portal/static/estatus.js") as js:
        assert js.headers["Content-Type"].startswith("text/javascript")
    assert client.get("/portalx").status_code == 404  # not ours
    secret = world.settings.data_dir / "portal-secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_failed_approval_creates_nothing_and_shows_no_link(portal: Portal) -> None:
    c = portal.client()
    _registro(portal, c)
    op = portal.client()
    portal.login(op, "operador")
    with portal.world.sessions() as s:
        numero = s.scalars(select(RegistrationRequest.id)).one()
    portal.post(
        op, "/portal/sep/registros", {"solicitud": str(numero), "accion": "aprobar", "usuario": "ipes1"}
    )
    page = op.get("/portal/sep/registros").get_data(as_text=True)
    assert "el usuario ipes1 ya existe" in page and "enlace-activacion" not in page
    with portal.world.sessions() as s:
        assert s.get(Institution, "000777") is None  # the whole approval was rolled back
        req = s.get(RegistrationRequest, numero)
        assert req is not None and req.estatus is EstatusRegistro.PENDIENTE


def test_console_failed_batches_retry_and_review(portal: Portal) -> None:
    from mec_ws.batches.failure import fail_batch
    from models import Batch

    world = portal.world
    folio = world.folio(1)
    first = world.app.carga_certificados(world.ipes, folio, "a.xml", world.certificate(0)).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, first, reason="la llave de sellado no se pudo leer", now=world.clock.now)
    second_folio = world.folio(1)
    second = world.app.carga_certificados(world.ipes, second_folio, "b.xml", world.certificate(1)).numero_lote
    with world.sessions() as s:
        assert fail_batch(s, second, reason="error inesperado (RuntimeError)", now=world.clock.now)
    op = portal.client()
    portal.login(op, "operador")
    home = op.get("/portal/sep/").get_data(as_text=True)
    assert '<span class="cifra">2</span> lote(s) FALLIDO sin revisar' in home
    page = op.get("/portal/sep/lotes").get_data(as_text=True)
    assert "la llave de sellado no se pudo leer" in page and folio in page and "Reintentar" in page
    r = portal.post(op, "/portal/sep/lotes", {"accion": "reintentar", "numeroLote": str(first)})
    assert r.status_code == 302
    page = op.get("/portal/sep/lotes").get_data(as_text=True)
    assert f"Lote {first} de vuelta en la cola como intento 1" in page
    portal.post(op, "/portal/sep/lotes", {"accion": "revisado", "numeroLote": str(second)})
    page = op.get("/portal/sep/lotes").get_data(as_text=True)
    assert f"Lote {second} marcado como revisado" in page
    assert '<span class="cifra">0</span> lote(s) FALLIDO sin revisar' in op.get("/portal/sep/").get_data(
        as_text=True
    )
    r = portal.post(op, "/portal/sep/lotes", {"accion": "reintentar", "numeroLote": str(first)})
    page = op.get("/portal/sep/lotes").get_data(as_text=True)
    assert f"No hay un lote FALLIDO con número {first}" in page  # already back in the queue
    with world.sessions() as s:
        assert s.get(Batch, first).estatus == "RECIBIDO"  # type: ignore[union-attr]
        assert s.get(Batch, second).estatus == "FALLIDO"  # type: ignore[union-attr]
    assert portal.world.drain() == 1
    c = _ipes(portal)
    assert c.get("/portal/sep/lotes").status_code == 404  # the console is not there for an institution
