"""The SEP operator's console (``/portal/sep/``): the same operations as ``mec-ws admin``.

Operators only; to anyone else every page here is 404 (the console is not advertised to an
institution's users).  Each POST is one unit of work through :mod:`mec_ws.services.registry_admin`,
:mod:`mec_ws.services.registration` or :mod:`mec_ws.services.cancellation`; its outcome is shown on
the next page (post/redirect/get) through a one-shot message kept in the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mec_ws import catalogs
from mec_ws.errors import MecError
from mec_ws.portal.app import operator_required, services, who
from mec_ws.services import cancellation, failed, registration, registry_admin, web_queries
from models import EstatusRegistro

sep = Blueprint("sep", __name__)


@contextmanager
def _unit() -> Iterator[Session]:
    with services().sessions() as s:
        try:
            yield s
            s.commit()
        except IntegrityError as exc:
            s.rollback()
            raise registry_admin.AdminError(
                "la operación contradice datos ya registrados (duplicado o referencia inexistente)."
            ) from exc
        except BaseException:
            s.rollback()
            raise


def _act(target: str, action: Callable[[Session], str]) -> Response:
    """Run ``action`` in one transaction; its message (or the fault's) is shown after the redirect."""
    try:
        with _unit() as s:
            session["aviso"] = {"tipo": "ok", "mensaje": action(s)}
    except MecError as exc:
        session.pop("activacion", None)  # nothing was created: no activation link to show
        session["aviso"] = {"tipo": "error", "mensaje": exc.mensaje, "codigo": exc.codigo}
    return redirect(url_for(target))


def _page(template: str, **context: Any) -> str:
    return render_template(template, aviso=session.pop("aviso", None), **context)


def _field(name: str, limit: int = 300) -> str:
    return (request.form.get(name) or "").strip()[:limit]


@sep.route("/")
@operator_required
def index() -> str:
    with services().sessions() as s:
        atencion = web_queries.attention(s)
        fallidos = len(failed.unreviewed_failed(s))
    return _page("sep/index.html", atencion=atencion, fallidos=fallidos)


@sep.route("/instituciones", methods=["GET", "POST"])
@operator_required
def instituciones() -> Any:
    if request.method == "POST":
        if request.form.get("accion") == "campus":
            inst, campus, nombre = _field("institucion", 20), _field("campus", 20), _field("nombre")
            return _act(
                "sep.instituciones",
                lambda s: (
                    f"Campus {registry_admin.add_campus(s, inst, campus, nombre, _field('entidad', 2)).id} "
                    f"registrado para la institución {inst}."
                ),
            )
        clave, nombre = _field("clave", 20), _field("nombre")
        return _act(
            "sep.instituciones",
            lambda s: f"Institución {registry_admin.add_institution(s, clave, nombre).id} registrada.",
        )
    with services().sessions() as s:
        rows = registry_admin.list_institutions(s)
        data = [
            (i.id, i.name, i.pruebas_concluidas_at, [(c.id, c.name, c.state) for c in i.campuses])
            for i in rows
        ]
    return _page("sep/instituciones.html", instituciones=data, entidades=catalogs.load("entidad_federativa"))


@sep.route("/usuarios", methods=["GET", "POST"])
@operator_required
def usuarios() -> Any:
    if request.method == "POST":
        accion = request.form.get("accion")
        username = _field("usuario", 100)
        if accion == "desbloquear":

            def unlock(s: Session) -> str:
                from mec_ws.services import auth

                if not auth.unlock(s, username):
                    raise registry_admin.AdminError(f"el usuario {username} no existe.")
                return f"Usuario {username} desbloqueado."

            return _act("sep.usuarios", unlock)
        if accion in ("deshabilitar", "habilitar"):
            off = accion == "deshabilitar"
            return _act(
                "sep.usuarios",
                lambda s: (
                    f"Usuario {registry_admin.set_disabled(s, username, off).username} "
                    + ("deshabilitado." if off else "habilitado.")
                ),
            )
        operador = request.form.get("operador") == "1"
        inst = None if operador else _field("institucion", 20)

        def add(s: Session) -> str:
            user = registry_admin.add_user(s, username, institution_id=inst, operator=operador, password=None)
            token = registry_admin.issue_activation(s, user, now=services().clock())
            session["activacion"] = {"usuario": user.username, "enlace": _activation_link(token)}
            return f"Usuario {user.username} creado; entréguele el enlace de activación (de un solo uso)."

        return _act("sep.usuarios", add)
    with services().sessions() as s:
        rows = [
            (u.username, u.institution_id, u.is_operator, u.disabled, u.locked_until, u.last_login_at)
            for u in registry_admin.list_users(s)
        ]
        instituciones = [(i.id, i.name) for i in registry_admin.list_institutions(s)]
    now = services().clock()
    return _page(
        "sep/usuarios.html",
        usuarios=rows,
        instituciones=instituciones,
        now=now,
        activacion=session.pop("activacion", None),
    )


def _activation_link(token: str) -> str:
    return url_for("ipes.activar", token=token, _external=True)


@sep.route("/folios", methods=["GET", "POST"])
@operator_required
def folios() -> Any:
    if request.method == "POST":
        folio, inst = _field("folio", 50), _field("institucion", 20)
        try:
            cantidad = int(_field("cantidad", 9) or "0")
        except ValueError:
            cantidad = 0
        return _act(
            "sep.folios",
            lambda s: (
                f"Folio de pago {registry_admin.add_folio(s, folio, inst, cantidad).folio} registrado "
                f"para la institución {inst}: {cantidad} certificado(s)."
            ),
        )
    with services().sessions() as s:
        rows = [
            (f.folio, f.institution_id, f.cantidad, f.intentos_usados, f.estatus.value, f.created_at)
            for f in registry_admin.list_folios(s)
        ]
        instituciones = [(i.id, i.name) for i in registry_admin.list_institutions(s)]
    return _page("sep/folios.html", folios=rows, instituciones=instituciones)


@sep.route("/registros", methods=["GET", "POST"])
@operator_required
def registros() -> Any:
    if request.method == "POST":
        try:
            numero = int(request.form.get("solicitud") or "0")
        except ValueError:
            numero = 0
        if request.form.get("accion") == "rechazar":
            motivo = _field("motivo", 1000)

            def reject(s: Session) -> str:
                done = registration.reject(s, numero, motivo, by=who().username, now=services().clock())
                return f"Solicitud {done.id} rechazada."

            return _act("sep.registros", reject)
        username = _field("usuario", 100)

        def approve(s: Session) -> str:
            done = registration.approve(s, numero, username, by=who().username, now=services().clock())
            session["activacion"] = {"usuario": done.username, "enlace": _activation_link(done.token)}
            return (
                f"Solicitud {done.request_id} aprobada: institución {done.institution_id} y usuario "
                f"{done.username} creados. Entregue el enlace de activación (de un solo uso)."
            )

        return _act("sep.registros", approve)
    with services().sessions() as s:
        rows = []
        for r in registration.requests(s):
            rows.append(
                {
                    "id": r.id,
                    "clave": r.clave,
                    "nombre": r.nombre,
                    "rfc": r.rfc,
                    "contacto": r.contacto,
                    "correo": r.correo,
                    "telefono": r.telefono,
                    "cer": f"{r.cer_nombre} (CURP {r.cer_curp}), certificado {r.cer_number}",
                    "cer_not_after": r.cer_not_after,
                    "confiable": registration.cer_trusted(s, r),
                    "estatus": r.estatus.value,
                    "pendiente": r.estatus is EstatusRegistro.PENDIENTE,
                    "created_at": r.created_at,
                    "decided": (r.decided_by, r.decided_at, r.motivo_rechazo, r.username),
                }
            )
    return _page("sep/registros.html", registros=rows, activacion=session.pop("activacion", None))


@sep.route("/cancelaciones", methods=["GET", "POST"])
@operator_required
def cancelaciones() -> Any:
    if request.method == "POST":
        folio, inst = _field("folioControl", 100) or None, _field("institucion", 20) or None
        digital = None if folio else (_field("folioDigital", 36) or None)
        withdraw = request.form.get("accion") == "retirar"

        def decide(s: Session) -> str:
            # the same service functions as `mec-ws admin cancellations --aprobar/--retirar`; a
            # certificate without folioControl is named by its folioDigital
            act = cancellation.withdraw if withdraw else cancellation.approve
            done = act(s, folio, inst, now=services().clock(), by=who().username, folio_digital=digital)
            named = done.folio_control or f"con folio digital {done.folio_digital}"
            if withdraw:
                return f"Solicitud retirada: el certificado {named} sigue VIGENTE."
            return f"Cancelación aplicada: el certificado {named} queda CANCELADO."

        return _act("sep.cancelaciones", decide)
    motivos = catalogs.load("motivo_cancelacion")
    with services().sessions() as s:
        rows = [
            {
                "folio": r.certificate.folio_control or "",
                "digital": r.certificate.folio_digital,
                "institucion": r.certificate.institution_id,
                "nombre": r.certificate.nombre_completo,
                "motivo": f"{r.motivo} ({motivos.get(r.motivo, '?')})",
                "observaciones": r.observaciones or "",
                "solicitada": r.requested_at,
                "por": r.requested_by,
                "efectiva": r.effective_at,
            }
            for r in cancellation.pending_requests(s)
        ]
    return _page("sep/cancelaciones.html", solicitudes=rows)


@sep.route("/ac", methods=["GET", "POST"])
@operator_required
def ac() -> Any:
    if request.method == "POST":
        upload = request.files.get("cer")
        data = upload.read(1024 * 1024) if upload is not None and upload.filename else b""
        name = (upload.filename or "archivo") if upload is not None else "archivo"

        def trust(s: Session) -> str:
            if not data:
                raise registry_admin.AdminError("seleccione el certificado de la AC (.cer, DER o PEM).")
            results = registry_admin.trust_ca(s, data, source=name)
            return "; ".join(
                ("De confianza: " if r.added else "Ya era de confianza: ") + r.subject for r in results
            )

        return _act("sep.ac", trust)
    with services().sessions() as s:
        rows = [(c.subject, c.sha256, c.not_after, c.added_at) for c in registry_admin.list_trusted(s)]
    return _page("sep/ac.html", acs=rows)


@sep.route("/lotes", methods=["GET", "POST"])
@operator_required
def lotes() -> Any:
    """Batches that ended FALLIDO (the service's fault): retry them or mark them reviewed, with the
    same functions as `mec-ws admin lotes-fallidos`."""
    if request.method == "POST":
        raw = _field("numeroLote", 20)
        retry = request.form.get("accion") == "reintentar"

        def act(s: Session) -> str:
            if not raw.isdigit():
                raise registry_admin.AdminError("indique el número de lote.")
            numero, now, by = int(raw), services().clock(), who().username
            if retry:
                batch = failed.retry_failed(s, numero, operator=by, now=now)
                return (
                    f"Lote {batch.numero_lote} de vuelta en la cola como intento {batch.intento} de su "
                    "folio; un trabajador lo procesará."
                )
            failed.mark_reviewed(s, numero, operator=by, now=now)
            return f"Lote {numero} marcado como revisado; sale de /salud."

        return _act("sep.lotes", act)
    with services().sessions() as s:
        rows = failed.list_failed(s)
    return _page("sep/lotes.html", lotes=rows)
