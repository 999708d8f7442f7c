"""The Flask application: configuration, the session rules, security headers and error pages.

Sessions are Flask's signed cookie (``mec_portal``; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when
``MEC_PUBLIC_URL`` is https, path ``/portal``) holding only the user id and the time of the last
request; every request reloads the user, so a disabled account loses its session at once.  After
:data:`IDLE_TIMEOUT` without a request the session is dropped.  Every POST carries a CSRF token
(Flask-WTF's ``CSRFProtect``); a POST without a valid one gets 400.  The clock is the services'
(``MecApp.clock``), so tests control time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from mec_ws.config import Settings
from mec_ws.errors import ArchivoInvalido, MecError
from mec_ws.services import auth
from mec_ws.services.app import MecApp
from mec_ws.services.dto import Principal

PREFIX = "/portal"
IDLE_TIMEOUT = timedelta(minutes=30)
MEXICO_CITY = ZoneInfo("America/Mexico_City")
FORM_OVERHEAD = 256 * 1024  # multipart boundaries and the other fields, beyond the file itself
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

F = TypeVar("F", bound=Callable[..., Any])


def services() -> MecApp:
    return g.services  # type: ignore[no-any-return]


def who() -> Principal:
    principal: Principal | None = g.get("who")
    if principal is None:  # pragma: no cover - the decorators run first
        raise RuntimeError("sin sesión")
    return principal


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("who") is None:
            return redirect(url_for("ipes.login"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def ipes_required(view: F) -> F:
    """Screens of an institution's user; an SEP operator is told to use the console."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = g.get("who")
        if principal is None:
            return redirect(url_for("ipes.login"))
        if principal.institution_id is None:
            return render_template(
                "error.html",
                titulo="Pantalla de las instituciones",
                mensaje="Esta pantalla es para los usuarios de una institución; use la consola de la SEP.",
            ), 403
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def operator_required(view: F) -> F:
    """The SEP console: to anyone else it does not exist (404, like another institution's data)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        principal = g.get("who")
        if principal is None:
            return redirect(url_for("ipes.login"))
        if not principal.is_operator:
            return not_found()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def not_found() -> tuple[str, int]:
    return render_template(
        "error.html", titulo="No encontrado", mensaje="La página o el registro que busca no existe."
    ), 404


def local(when: datetime | None) -> str:
    """``AAAA-MM-DD HH:MM`` in Mexico City time (``portal.md``)."""
    if when is None:
        return "—"
    return when.astimezone(MEXICO_CITY).strftime("%Y-%m-%d %H:%M")


def fault(exc: MecError) -> dict[str, str]:
    return {"mensaje": exc.mensaje, "codigo": exc.codigo}


def create_app(mec: MecApp, settings: Settings, *, secret_key: str | None = None) -> Flask:
    from mec_ws.portal.secret import load_secret
    from mec_ws.portal.sep import sep
    from mec_ws.portal.views import ipes

    here = Path(__file__).parent
    app = Flask(
        "mec_ws.portal",
        static_folder=str(here / "static"),
        static_url_path=f"{PREFIX}/static",
        template_folder=str(here / "templates"),
    )
    app.config.update(
        SECRET_KEY=secret_key or load_secret(settings.data_dir),
        SESSION_COOKIE_NAME="mec_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.lower().startswith("https://"),
        SESSION_COOKIE_PATH=PREFIX,
        PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_OVERHEAD,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (30 min idle)
        WTF_CSRF_SSL_STRICT=True,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.filters["local"] = local

    @app.before_request
    def load_user() -> Response | None:
        g.services = mec
        g.settings = settings
        g.who = None
        g.expired = False
        uid = session.get("uid")
        if uid is None:
            return None
        now = mec.clock().timestamp()
        seen = float(session.get("seen", 0))
        if now - seen > IDLE_TIMEOUT.total_seconds():
            session.clear()
            g.expired = True
            return None
        with mec.sessions() as s:
            principal = auth.active_principal(s, int(uid), int(session.get("epoca", -1)))
            s.rollback()
        if principal is None:
            session.clear()
            return None
        g.who = principal
        if request.endpoint != "ipes.avance":  # polling the progress is not activity
            session["seen"] = now
        return None

    @app.before_request
    def refuse_too_large() -> None:
        """An over-limit upload is refused from its Content-Length, before any byte is read."""
        if (request.content_length or 0) > app.config["MAX_CONTENT_LENGTH"]:
            raise RequestEntityTooLarge()

    CSRFProtect(app)  # after load_user: a refused POST still renders with the user's menu

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith(f"{PREFIX}/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"who": g.get("who"), "settings": settings, "pruebas": settings.pruebas}

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html",
            titulo="Solicitud rechazada",
            mensaje="La solicitud no llevaba un token de seguridad válido (CSRF). Vuelva a cargar la "
            "página e intente de nuevo.",
        ), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
        error = ArchivoInvalido(
            f"El archivo excede el máximo permitido de {settings.max_upload_mb} MB por carga."
        )
        return render_template(
            "error.html", titulo="Archivo demasiado grande", mensaje=error.mensaje, codigo=error.codigo
        ), 413

    @app.errorhandler(404)
    def error_404(exc: HTTPException) -> tuple[str, int]:
        return not_found()

    @app.errorhandler(405)
    def error_405(exc: HTTPException) -> tuple[str, int]:
        return render_template(
            "error.html", titulo="Método no permitido", mensaje="Use los botones de la página."
        ), 405

    @app.errorhandler(500)
    def error_500(exc: Exception) -> tuple[str, int]:
        return render_template(
            "error.html",
            titulo="Error interno",
            mensaje="Ocurrió un error interno del servicio; no es un problema de su solicitud. Intente más "
            "tarde y, si persiste, avise a la SEP.",
            codigo="Interno",
        ), 500

    app.register_blueprint(ipes, url_prefix=PREFIX)
    app.register_blueprint(sep, url_prefix=f"{PREFIX}/sep")
    return app
