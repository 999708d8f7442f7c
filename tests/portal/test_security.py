"""The portal's security rules (``portal.md`` "Rules"), on SQLite and PostgreSQL: CSRF, cookie flags,
idle timeout, the lockout shared with SOAP, isolation between institutions, the console closed to
IPES users, disabled users refused by SOAP and the portal alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from mec_ws.errors import Autenticacion, CuentaBloqueada
from mec_ws.portal.app import create_app
from mec_ws.portal.secret import load_secret
from mec_ws.services import auth, registry_admin
from models import User
from tests.portal.conftest import SECRET, Portal
from tests.services.world import PASSWORD, add_certificate


def test_login_then_logout(portal: Portal) -> None:
    c = portal.client()
    r = portal.login(c, "ipes1")
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/inicio")
    page = c.get("/portal/inicio").get_data(as_text=True)
    assert "Menú IPES" in page and "ipes1" in page
    r = portal.post(c, "/portal/salir", {}, page="/portal/inicio")
    assert r.status_code == 302
    assert c.get("/portal/inicio").status_code == 302  # back to the login


def test_a_copied_session_cookie_ends_with_salir(portal: Portal) -> None:
    """Salir ends every session of the account: a copy of the cookie taken before is refused, and
    so is the account's session in another browser; a new login works."""
    c, other = portal.client(), portal.client()
    portal.login(c, "ipes1")
    portal.login(other, "ipes1")
    stolen = c.get_cookie("mec_portal", path="/portal")
    assert stolen is not None
    assert portal.post(c, "/portal/salir", {}, page="/portal/inicio").status_code == 302
    thief = portal.client()
    thief.set_cookie(stolen.key, stolen.value, domain=stolen.domain or "localhost", path=stolen.path)
    assert thief.get("/portal/inicio").status_code == 302
    assert other.get("/portal/inicio").status_code == 302
    again = portal.client()
    portal.login(again, "ipes1")
    assert again.get("/portal/inicio").status_code == 200


def test_a_new_password_ends_the_sessions_begun_before(portal: Portal) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    assert c.get("/portal/inicio").status_code == 200
    with portal.world.sessions() as s:
        user = s.scalars(select(User).where(User.username == "ipes1")).one()
        token = registry_admin.issue_activation(s, user, now=portal.world.clock())
        s.commit()
    with portal.world.sessions() as s:
        registry_admin.activate(s, token, "otra-contraseña-larga-2026", now=portal.world.clock())
        s.commit()
    assert c.get("/portal/inicio").status_code == 302


def test_wrong_password_is_shown_with_its_code(portal: Portal) -> None:
    c = portal.client()
    r = portal.login(c, "ipes1", "equivocada")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Iniciar sesión" in page
    assert auth.MENSAJE_AUTENTICACION in page and "<code>Autenticacion</code>" in page


@pytest.mark.parametrize("path", ["/portal/", "/portal/salir", "/portal/registro", "/portal/carga"])
def test_post_without_csrf_token_is_refused(portal: Portal, path: str) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    r = c.post(path, data={"usuario": "ipes1", "password": PASSWORD, "folioPago": "X"})
    assert r.status_code == 400
    assert "CSRF" in r.get_data(as_text=True)
    r = c.post(path, data={"csrf_token": "falso", "usuario": "ipes1", "password": PASSWORD})
    assert r.status_code == 400


def test_csrf_token_of_another_session_is_refused(portal: Portal) -> None:
    a, b = portal.client(), portal.client()
    token_a = portal.token(a)
    portal.token(b)
    r = b.post("/portal/", data={"usuario": "ipes1", "password": PASSWORD, "csrf_token": token_a})
    assert r.status_code == 400


def test_session_cookie_flags(portal: Portal) -> None:
    c = portal.client()
    r = portal.login(c, "ipes1")
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("mec_portal="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie  # MEC_PUBLIC_URL is http here
    assert "Expires=" in cookie  # 30 minutes, renewed on each request


def test_cookie_is_secure_when_the_public_url_is_https(portal: Portal) -> None:
    world = portal.world
    settings = dataclasses.replace(world.settings, public_url="https://mec.example.mx/mec/ws")
    app = create_app(world.app, settings, secret_key=SECRET)
    c = app.test_client()
    token = Portal(world, app).token(c)
    r = c.post("/portal/", data={"usuario": "ipes1", "password": PASSWORD, "csrf_token": token})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("mec_portal="))
    assert "Secure" in cookie


def test_security_headers_and_strict_csp(portal: Portal) -> None:
    r = portal.client().get("/portal/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in r.get_data(as_text=True)  # no inline script anywhere


def test_idle_timeout(portal: Portal) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    portal.world.clock.advance(minutes=29)
    assert c.get("/portal/inicio").status_code == 200  # activity renews the half hour
    portal.world.clock.advance(minutes=29)
    assert c.get("/portal/inicio").status_code == 200
    portal.world.clock.advance(minutes=31)
    r = c.get("/portal/inicio")
    assert r.status_code == 302
    page = c.get("/portal/").get_data(as_text=True)
    assert "Iniciar sesión" in page


def test_idle_message_on_the_login(portal: Portal) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    portal.world.clock.advance(minutes=31)
    assert "terminó por inactividad" in c.get("/portal/").get_data(as_text=True)


def test_lockout_is_shared_with_soap(portal: Portal) -> None:
    c = portal.client()
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        assert "<code>Autenticacion</code>" in portal.login(c, "ipes1", "mala").get_data(as_text=True)
    with pytest.raises(CuentaBloqueada):  # the fifth failure, by SOAP's service, locks
        portal.world.app.authenticate("ipes1", "mala")
    with pytest.raises(CuentaBloqueada):  # SOAP sees the lock the portal started
        portal.world.app.authenticate("ipes1", PASSWORD)
    page = portal.login(c, "ipes1").get_data(as_text=True)
    assert "<code>CuentaBloqueada</code>" in page and "bloqueada" in page
    portal.world.clock.advance(minutes=16)
    assert portal.login(c, "ipes1").status_code == 302


def test_institution_never_sees_anothers_folios_or_certificates(portal: Portal) -> None:
    world = portal.world
    mine = add_certificate(world, "MIO-1", fecha_carga=world.clock.now)
    theirs = add_certificate(
        world, "AJENO-1", fecha_carga=world.clock.now, institution_id="000002", campus_id="000201"
    )
    c = portal.client()
    portal.login(c, "ipes1")
    page = c.get("/portal/consulta?buscar=1").get_data(as_text=True)
    assert "MIO-1" in page and "AJENO-1" not in page
    page = c.get(f"/portal/consulta?folioPago={theirs.folio_pago}").get_data(as_text=True)
    assert "0 certificado(s)" in page
    r = c.get(f"/portal/certificados/{mine.folio_digital}.xml")
    assert r.status_code == 200 and b"MIO-1" in r.data
    for ext in ("xml", "pdf"):
        assert c.get(f"/portal/certificados/{theirs.folio_digital}.{ext}").status_code == 404
    assert c.get("/portal/certificados/no-existe.xml").status_code == 404
    page = c.get(f"/portal/estatus?folioPago={theirs.folio_pago}").get_data(as_text=True)
    assert "<code>FolioInexistente</code>" in page
    assert c.get(f"/portal/estatus/lote/{theirs.batch_id}.json").status_code == 404
    assert c.get(f"/portal/estatus/lote/{theirs.batch_id}/resultado").status_code == 404
    csv = c.get("/portal/consulta/exportar?formato=CSV").get_data(as_text=True)
    assert "MIO-1" in csv and "AJENO-1" not in csv
    page = c.get("/portal/cancelacion/solicitar?folioControl=AJENO-1").get_data(as_text=True)
    token = portal.token(c, "/portal/cancelacion/solicitar?folioControl=AJENO-1")
    r = c.post(
        "/portal/cancelacion/solicitar",
        data={"folioControl": "AJENO-1", "motivo": "C1", "csrf_token": token},
    )
    assert "<code>CertificadoInexistente</code>" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/portal/sep/", "/portal/sep/usuarios", "/portal/sep/registros", "/portal/sep/ac", "/portal/sep/folios"],
)
def test_console_does_not_exist_for_ipes_users(portal: Portal, path: str) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    assert c.get(path).status_code == 404
    if path == "/portal/sep/":
        return
    token = portal.token(c, "/portal/inicio")
    r = c.post(path, data={"csrf_token": token, "folio": "X", "institucion": "000001", "cantidad": "5"})
    assert r.status_code == 404
    with portal.world.sessions() as s:
        assert all(f.folio != "X" for f in registry_admin.list_folios(s))


def test_console_requires_login_and_serves_operators(portal: Portal) -> None:
    c = portal.client()
    assert c.get("/portal/sep/").status_code == 302
    r = portal.login(c, "operador")
    assert r.headers["Location"].endswith("/portal/sep/")
    assert "Consola de la SEP" in c.get("/portal/sep/").get_data(as_text=True)


def test_disabled_user_is_refused_by_soap_and_portal(portal: Portal) -> None:
    c = portal.client()
    portal.login(c, "ipes1")
    assert c.get("/portal/inicio").status_code == 200
    op = portal.client()
    portal.login(op, "operador")
    r = portal.post(op, "/portal/sep/usuarios", {"accion": "deshabilitar", "usuario": "ipes1"})
    assert r.status_code == 302
    assert "Usuario ipes1 deshabilitado." in op.get("/portal/sep/usuarios").get_data(as_text=True)
    assert c.get("/portal/inicio").status_code == 302  # the open session ends at once
    with pytest.raises(Autenticacion, match="deshabilitada"):
        portal.world.app.authenticate("ipes1", PASSWORD)
    page = portal.login(c, "ipes1").get_data(as_text=True)
    assert "deshabilitada" in page and "<code>Autenticacion</code>" in page
    portal.post(op, "/portal/sep/usuarios", {"accion": "habilitar", "usuario": "ipes1"})
    assert portal.world.app.authenticate("ipes1", PASSWORD).username == "ipes1"


def test_operator_screens_of_an_institution_are_403(portal: Portal) -> None:
    c = portal.client()
    portal.login(c, "operador")
    assert c.get("/portal/carga").status_code == 403


def test_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_secret(tmp_path, env={})
    assert len(first) >= 32
    path = tmp_path / "portal-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_secret(tmp_path, env={}) == first
    assert load_secret(tmp_path, env={"MEC_PORTAL_SECRET": "x" * 40}) == "x" * 40
