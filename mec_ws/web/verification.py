"""``GET /verificacion/<folioDigital>``: the public page the PDF's QR code opens.

It says whether the certificate exists and its status (``VIGENTE``, ``CANCELACION_SOLICITADA``,
``CANCELADO``) with the student's name, the program, the institution and the issue date — nothing
more (no CURP, no grades).  ``?formato=json`` gives the same as JSON.  An unknown or malformed
folio gets a 404 page (or JSON); a database failure a 503.

The HTML is one self-contained page: ``lang="es"``, headings and a definition list, the status as
a word (not only a colour) with colours of sufficient contrast, no external resources, and a strict
Content-Security-Policy allowing only its own inline stylesheet (by hash).  Nothing is cached
(``Cache-Control: no-store``): the status can change, and the page carries a person's name.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db
from mec_ws.services.cancellation import settle_due
from mec_ws.services.dto import EstatusCertificado
from models import Certificate, Institution, utcnow

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PREFIX = "/verificacion/"
FOLIO_DIGITAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

STYLE = """
:root { color-scheme: light; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 1.0625rem; line-height: 1.5; color: #1a1a1a; background: #f4f4f4; }
main { max-width: 42rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #ffffff;
  border: 1px solid #c8c8c8; border-radius: 0.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 0.5rem; }
.estatus { margin: 0 0 1rem; padding: 0.75rem 1rem; border: 2px solid; border-radius: 0.375rem; }
.estatus strong { font-size: 1.25rem; letter-spacing: 0.02em; }
.vigente { color: #0b5323; background: #e7f5ec; border-color: #0b5323; }
.solicitada { color: #5c3900; background: #fff4d6; border-color: #5c3900; }
.cancelado { color: #8a1414; background: #fdecec; border-color: #8a1414; }
.no-encontrado { color: #1a1a1a; background: #eeeeee; border-color: #4d4d4d; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.25rem; margin: 0; }
dt { font-weight: 700; }
dd { margin: 0; overflow-wrap: anywhere; }
footer { max-width: 42rem; margin: 0 auto 2rem; padding: 0 2rem; font-size: 0.9375rem; color: #404040; }
""".strip()

STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS_COMMON = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]

MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

# status -> (word shown, CSS class, explanation)
STATUS_TEXT: dict[EstatusCertificado, tuple[str, str, str]] = {
    EstatusCertificado.VIGENTE: (
        "VIGENTE",
        "vigente",
        "El certificado está registrado en la Secretaría de Educación Pública y es válido.",
    ),
    EstatusCertificado.CANCELACION_SOLICITADA: (
        "CANCELACIÓN SOLICITADA",
        "solicitada",
        "La institución que expidió el certificado solicitó su cancelación; la solicitud está en "
        "revisión. Mientras tanto, el certificado no debe tomarse como definitivo.",
    ),
    EstatusCertificado.CANCELADO: (
        "CANCELADO",
        "cancelado",
        "El certificado fue cancelado y no es válido.",
    ),
}


@dataclass(frozen=True, slots=True)
class Verificacion:
    """What the page shows, and all it shows."""

    folio_digital: str
    estatus: EstatusCertificado
    nombre: str
    carrera: str
    institucion: str
    fecha_expedicion: date

    def as_json(self) -> dict[str, str]:
        return {
            "folioDigital": self.folio_digital,
            "estatus": self.estatus.value,
            "nombre": self.nombre,
            "carrera": self.carrera,
            "institucion": self.institucion,
            "fechaExpedicion": self.fecha_expedicion.isoformat(),
        }


def normalize_folio(raw: str) -> str | None:
    """The folio digital (a UUID, lower case) in ``raw``, or None when it is not one."""
    folio = raw.strip().lower()
    return folio if FOLIO_DIGITAL.fullmatch(folio) else None


def lookup(session: Session, folio_digital: str) -> Verificacion | None:
    row = session.execute(
        select(
            Certificate.folio_digital,
            Certificate.estatus,
            Certificate.nombre_completo,
            Certificate.carrera,
            Institution.name,
            Certificate.fecha_expedicion,
        )
        .join(Institution, Institution.id == Certificate.institution_id)
        .where(Certificate.folio_digital == folio_digital)
    ).first()
    if row is None:
        return None
    return Verificacion(*row)


def spanish_date(day: date) -> str:
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


# --- rendering ------------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="es">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<main>\n{body}\n</main>\n{FOOTER}\n</body>\n</html>\n"
    )


FOOTER = (
    "<footer><p>Secretaría de Educación Pública — Módulo Electrónico de Certificación. "
    "Esta página solo confirma la existencia y el estatus del certificado.</p></footer>"
)


def render_found(v: Verificacion) -> str:
    word, css, explanation = STATUS_TEXT[v.estatus]
    e = html.escape
    body = (
        "<h1>Verificación de certificado electrónico de estudios</h1>\n"
        f'<p class="estatus {css}" id="estatus" role="status">Estatus: <strong>{e(word)}</strong>. '
        f"{e(explanation)}</p>\n"
        "<h2>Datos del certificado</h2>\n<dl>\n"
        f"<dt>Folio digital</dt><dd>{e(v.folio_digital)}</dd>\n"
        f'<dt>Nombre del alumno</dt><dd id="nombre">{e(v.nombre)}</dd>\n'
        f"<dt>Programa</dt><dd>{e(v.carrera)}</dd>\n"
        f"<dt>Institución</dt><dd>{e(v.institucion)}</dd>\n"
        f'<dt>Fecha de expedición</dt><dd><time datetime="{v.fecha_expedicion.isoformat()}">'
        f"{spanish_date(v.fecha_expedicion)}</time></dd>\n"
        "</dl>"
    )
    return _page(f"{word} — Verificación de certificado", body)


def render_not_found(folio: str | None) -> str:
    if folio is None:
        detail = "La dirección no contiene un folio digital válido."
    else:
        detail = f"No hay ningún certificado registrado con el folio digital {html.escape(folio)}."
    body = (
        "<h1>Certificado no encontrado</h1>\n"
        f'<p class="estatus no-encontrado" id="estatus" role="status"><strong>NO ENCONTRADO</strong>. '
        f"{detail} Revise que la dirección sea la del código QR del certificado.</p>"
    )
    return _page("No encontrado — Verificación de certificado", body)


def render_message(title: str, text: str) -> str:
    e = html.escape
    return _page(title, f"<h1>{e(title)}</h1>\n<p>{e(text)}</p>")


# --- the WSGI app ---------------------------------------------------------------------------------


def _respond(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    status: str,
    body: str,
    media_type: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = body.encode("utf-8")
    headers = [
        ("Content-Type", f"{media_type}; charset=utf-8"),
        ("Content-Length", str(len(data))),
        *HEADERS_COMMON,
        *(extra or []),
    ]
    if media_type == "text/html":
        headers.append(("Content-Security-Policy", CSP))
    start_response(status, headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [data]


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


UNAVAILABLE = "El servicio de verificación no está disponible; intente más tarde."
NOT_FOUND_JSON = {
    "error": "CertificadoInexistente",
    "mensaje": "No hay ningún certificado registrado con ese folio digital.",
}


def _answer(
    sessions: sessionmaker[Session], path: str, as_json: bool, clock: Callable[[], datetime]
) -> tuple[str, str]:
    """Status line and body for a GET of ``path``."""
    raw = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    folio = normalize_folio(raw)
    found: Verificacion | None = None
    if folio is not None:
        try:
            with sessions() as s:
                settle_due(s, now=clock())  # a cancellation shows from its effective time
                found = lookup(db.read_only(s), folio)
        except SQLAlchemyError:
            log.exception("verificación: la base de datos no respondió")
            if as_json:
                return "503 Service Unavailable", _json({"error": "NoDisponible", "mensaje": UNAVAILABLE})
            return "503 Service Unavailable", render_message("Servicio no disponible", UNAVAILABLE)
    if found is None:
        return "404 Not Found", _json(NOT_FOUND_JSON) if as_json else render_not_found(folio)
    return "200 OK", _json(found.as_json()) if as_json else render_found(found)


def verification_app(sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> WsgiApp:
    """The WSGI app for ``/verificacion/<folioDigital>`` (mount it at :data:`PREFIX`); ``clock`` says
    when "now" is (a cancellation shows as CANCELADO from its effective time)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(str(environ.get("QUERY_STRING") or ""))
        formato = (query.get("formato") or ["html"])[0].strip().lower()
        if method not in ("GET", "HEAD"):
            page = render_message("Método no permitido", "Esta página solo admite consultas GET.")
            return _respond(
                environ, start_response, "405 Method Not Allowed", page, "text/html", [("Allow", "GET, HEAD")]
            )
        if formato not in ("html", "json"):
            page = render_message("Formato no admitido", "El parámetro formato admite «html» o «json».")
            return _respond(environ, start_response, "400 Bad Request", page, "text/html")
        as_json = formato == "json"
        status, body = _answer(sessions, str(environ.get("PATH_INFO") or ""), as_json, clock)
        media_type = "application/json" if as_json else "text/html"
        return _respond(environ, start_response, status, body, media_type)

    return app
