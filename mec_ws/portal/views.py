"""The IPES screens of ``portal.md`` (and the public ones: login, Registro de IPES, activation).

Each view reads its form, calls the same service as the SOAP operation and renders the result or
the fault (its Spanish message with its code).  Read-only searches use GET (bookmarkable, no state
changes); everything that changes something is a POST with a CSRF token.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from mec_ws.catalogs import load as load_catalog
from mec_ws.errors import MecError, SolicitudInvalida
from mec_ws.incoming import IncomingFile, discard, spool_stream
from mec_ws.portal.app import fault, ipes_required, login_required, not_found, services, who
from mec_ws.services import auth, registration, registry_admin, web_queries
from mec_ws.services.dto import (
    Archivo,
    EstatusCertificado,
    FiltroCertificados,
    FormatoCertificado,
    FormatoExportacion,
)

ipes = Blueprint("ipes", __name__)

PAGE_SIZE = 20
MEDIA_TYPES = {
    ".zip": "application/zip",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xsd": "application/xml",
    ".xslt": "application/xml",
    ".wsdl": "application/xml",
    ".md": "text/markdown; charset=utf-8",
}


def download(archivo: Archivo) -> Response:
    name = archivo.nombre_archivo
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "archivo"
    media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    # piece by piece: an export or a result ZIP is never held whole
    response = Response(archivo.partes(), mimetype=media_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(archivo.tamano)
    response.call_on_close(archivo.close)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def _date(field: str) -> date | None:
    raw = (request.args.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SolicitudInvalida(
            f"{field}: escriba la fecha como AAAA-MM-DD (se recibió «{raw[:20]}»)."
        ) from None


def _text(field: str) -> str | None:
    return (request.args.get(field) or "").strip()[:100] or None


# --- session --------------------------------------------------------------------------------


@ipes.route("/", methods=["GET", "POST"])
def login() -> Any:
    if g.who is not None and request.method == "GET":
        return redirect(url_for("sep.index") if g.who.is_operator else url_for("ipes.inicio"))
    error = None
    usuario = ""
    if request.method == "POST":
        usuario = (request.form.get("usuario") or "").strip()[:100]
        password = request.form.get("password") or ""
        try:
            principal = services().authenticate(usuario, password)
        except MecError as exc:
            error = fault(exc)
        else:
            session.clear()  # a fresh session: nothing from before the login survives
            session.permanent = True
            session["uid"] = principal.user_id
            session["seen"] = services().clock().timestamp()
            with services().sessions() as s:
                session["epoca"] = auth.session_epoch(s, principal.user_id)
                s.rollback()
            return redirect(url_for("sep.index") if principal.is_operator else url_for("ipes.inicio"))
    return render_template("login.html", error=error, usuario=usuario, expired=g.expired)


@ipes.route("/salir", methods=["POST"])
def salir() -> Response:
    uid = session.get("uid")
    if uid is not None and g.who is not None:  # every session of the account ends, copies included
        with services().sessions() as s:
            auth.end_sessions(s, int(uid))
            s.commit()
    session.clear()
    return redirect(url_for("ipes.login", salida=1))


@ipes.route("/inicio")
@login_required
def inicio() -> Any:
    return render_template("inicio.html")


def _spooled(upload: Any) -> IncomingFile:
    """The browser's file (already bounded by ``MAX_CONTENT_LENGTH``) copied block by block into a
    spool file, so that the services never hold it whole (:mod:`mec_ws.incoming`)."""
    return spool_stream(upload.stream, services().settings.data_dir)


# --- Carga de Certificados --------------------------------------------------------------------


@ipes.route("/carga", methods=["GET", "POST"])
@ipes_required
def carga() -> Any:
    result = error = None
    folio = ""
    if request.method == "POST":
        folio = (request.form.get("folioPago") or "").strip()[:50]
        upload = request.files.get("archivo")
        try:
            if not folio:
                raise SolicitudInvalida("Escriba el folio de pago.")
            if upload is None or not upload.filename:
                raise SolicitudInvalida("Seleccione el archivo a cargar (un XML o un ZIP).")
            incoming = _spooled(upload)
            try:
                result = services().carga_certificados(who(), folio, upload.filename, incoming)
            finally:
                discard(incoming.path)
        except MecError as exc:
            error = fault(exc)
        finally:
            if upload is not None:
                upload.close()
    return render_template(
        "carga.html", result=result, error=error, folio=folio
    ), 200 if error is None else 422


# --- Estatus Carga Certificados ---------------------------------------------------------------


@ipes.route("/estatus")
@login_required
def estatus() -> Any:
    folio = (request.args.get("folioPago") or "").strip()[:50]
    result = error = None
    avances: dict[int, web_queries.Avance] = {}
    if folio:
        try:
            result = services().consulta_estatus_carga(who(), folio)
            with services().sessions() as s:
                for lote in result.lotes:
                    avances[lote.numero_lote] = web_queries.batch_progress(s, who(), lote.numero_lote)
        except MecError as exc:
            error = fault(exc)
    return render_template("estatus.html", folio=folio, result=result, avances=avances, error=error)


@ipes.route("/estatus/lote/<int:numero>.json")
@login_required
def avance(numero: int) -> Any:
    try:
        with services().sessions() as s:
            a = web_queries.batch_progress(s, who(), numero)
    except MecError as exc:
        return {"codigo": exc.codigo, "mensaje": exc.mensaje}, 404
    return {
        "numeroLote": a.numero_lote,
        "estatus": a.estatus.value,
        "procesados": a.procesados,
        "total": a.total,
        "mensaje": a.mensaje,
        "final": a.final,
    }


@ipes.route("/estatus/lote/<int:numero>/resultado")
@login_required
def resultado(numero: int) -> Any:
    try:
        return download(services().descarga_resultado_carga(who(), numero))
    except MecError as exc:
        return render_template("error.html", titulo="Resultado no disponible", **fault(exc)), 404


# --- Consulta de Certificados -----------------------------------------------------------------


def _filtro_consulta() -> FiltroCertificados:
    fecha = _date("fechaExpedicion")
    return FiltroCertificados(
        id_institucion=_text("idInstitucion") if who().is_operator else None,
        id_campus=_text("idCampus"),
        folio_pago=_text("folioPago"),
        folio_control=_text("folioControl"),
        fecha_expedicion_desde=fecha,
        fecha_expedicion_hasta=fecha,
    )


@ipes.route("/consulta")
@login_required
def consulta() -> Any:
    page = error = None
    try:
        pagina = max(1, int(request.args.get("pagina") or 1))
    except ValueError:
        pagina = 1
    searched = any(
        request.args.get(k)
        for k in (
            "buscar",
            "idInstitucion",
            "idCampus",
            "folioPago",
            "folioControl",
            "fechaExpedicion",
            "pagina",
        )
    )
    if searched:
        try:
            page = services().consulta_certificados(who(), _filtro_consulta(), pagina, PAGE_SIZE)
        except MecError as exc:
            error = fault(exc)
    args = {k: v for k, v in request.args.items() if k not in ("pagina", "buscar") and v}
    return render_template("consulta.html", page=page, error=error, args=args, page_size=PAGE_SIZE)


@ipes.route("/consulta/exportar")
@login_required
def exportar() -> Any:
    raw = (request.args.get("formato") or "CSV").upper()
    try:
        formato = FormatoExportacion(raw)
    except ValueError:
        formato = None
    try:
        if formato is None:
            raise SolicitudInvalida(f"Formato no admitido: {raw[:10]}. Formatos disponibles: CSV, XLSX.")
        return download(services().exporta_certificados(who(), _filtro_consulta(), formato))
    except MecError as exc:
        return render_template("error.html", titulo="No se pudo exportar", **fault(exc)), 422


@ipes.route("/certificados/<string:archivo>")
@login_required
def certificado(archivo: str) -> Any:
    stem, _, ext = archivo.rpartition(".")
    formatos = {"pdf": FormatoCertificado.PDF, "xml": FormatoCertificado.XML}
    if ext.lower() not in formatos or not stem:
        return not_found()
    try:
        with services().sessions() as s:
            found = web_queries.certificate_file(s, who(), stem, formatos[ext.lower()], settings=g.settings)
    except MecError:
        return not_found()
    return download(found)


# --- Carga de Programa de Estudios ------------------------------------------------------------


@ipes.route("/programas", methods=["GET", "POST"])
@ipes_required
def programas() -> Any:
    result = error = None
    if request.method == "POST":
        upload = request.files.get("archivo")
        try:
            if upload is None or not upload.filename:
                raise SolicitudInvalida("Seleccione el archivo del programa de estudios (XML o XLSX).")
            incoming = _spooled(upload)
            try:
                result = services().carga_programa_estudios(who(), upload.filename, incoming)
            finally:
                discard(incoming.path)
        except MecError as exc:
            error = fault(exc)
        finally:
            if upload is not None:
                upload.close()
    lista = services().consulta_programas_estudios(who())
    return render_template("programas.html", result=result, error=error, programas=lista)


# --- Solicitud de Cancelación -----------------------------------------------------------------


@ipes.route("/cancelacion")
@ipes_required
def cancelacion() -> Any:
    page = error = None
    searched = bool(request.args.get("buscar")) or any(
        request.args.get(k) for k in ("idCampus", "folioPago", "folioControl", "folioDigital", "fechaCarga")
    )
    if searched:
        try:
            fecha = _date("fechaCarga")
            filtro = FiltroCertificados(
                id_campus=_text("idCampus"),
                folio_pago=_text("folioPago"),
                folio_control=_text("folioControl"),
                folio_digital=_text("folioDigital"),
                fecha_carga_desde=fecha,
                fecha_carga_hasta=fecha,
            )
            page = services().consulta_certificados(who(), filtro, 1, 100)
        except MecError as exc:
            error = fault(exc)
    return render_template("cancelacion.html", page=page, error=error, vigente=EstatusCertificado.VIGENTE)


@ipes.route("/cancelacion/solicitar", methods=["GET", "POST"])
@ipes_required
def solicitar_cancelacion() -> Any:
    # a certificate without folioControl (optional in the XSD) is named by its folioDigital
    folio = (request.values.get("folioControl") or "").strip()[:100]
    digital = "" if folio else (request.values.get("folioDigital") or "").strip()[:36]
    motivos = dict(load_catalog("motivo_cancelacion"))
    result = error = None
    if request.method == "POST":
        try:
            result = services().solicita_cancelacion(
                who(),
                folio or None,
                request.form.get("motivo") or "",
                request.form.get("observaciones"),
                folio_digital=digital or None,
            )
        except MecError as exc:
            error = fault(exc)
    return render_template(
        "cancelar.html",
        folio=folio,
        digital=digital,
        motivos=motivos,
        result=result,
        error=error,
        horas=g.settings.cancelacion_horas,
        motivo=request.form.get("motivo", ""),
        observaciones=request.form.get("observaciones", ""),
    )


# --- Descargas Archivos IPES ------------------------------------------------------------------


@ipes.route("/descargas")
@login_required
def descargas() -> Any:
    from mec_ws.documents.manual import MANUAL_NAME

    return render_template(
        "descargas.html", documentos=services().consulta_documentos(who()), manual=MANUAL_NAME
    )


@ipes.route("/descargas/archivo/<path:nombre>")
@login_required
def documento(nombre: str) -> Any:
    try:
        return download(services().descarga_documento(who(), nombre))
    except MecError:
        return not_found()


@ipes.route("/descargas/manual")
@login_required
def manual() -> Any:
    from markdown_it import MarkdownIt

    from mec_ws.documents.manual import MANUAL_NAME

    text = services().descarga_documento(who(), MANUAL_NAME).contenido.decode("utf-8")
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = md.render(text)
    # the manual's own first heading is the page's <h1>; its levels below stay in order
    return render_template("manual.html", body=body)


# --- Pruebas Finalizadas ----------------------------------------------------------------------


@ipes.route("/pruebas", methods=["GET", "POST"])
@ipes_required
def pruebas() -> Any:
    if not g.settings.pruebas:
        return not_found()
    result = error = None
    if request.method == "POST":
        try:
            result = services().concluye_pruebas(who())
        except MecError as exc:
            error = fault(exc)
    with services().sessions() as s:
        estado = web_queries.pruebas_estado(s, who())
    return render_template("pruebas.html", estado=estado, result=result, error=error)


# --- Registro de IPES (public) and account activation -----------------------------------------


@ipes.route("/registro", methods=["GET", "POST"])
def registro() -> Any:
    form = registration.RegistroForm()
    errores: dict[str, str] = {}
    numero = None
    if request.method == "POST":
        form = registration.RegistroForm(
            **{
                k: (request.form.get(k) or "")[:400]
                for k in ("clave", "nombre", "rfc", "contacto", "correo", "telefono")
            }
        )
        cer = request.files.get("responsableCer")
        data = cer.read(registration.MAX_CER_BYTES + 1) if cer is not None and cer.filename else b""
        with services().sessions() as s:
            try:
                req = registration.submit(s, form, data, now=services().clock())
                numero = req.id
                s.commit()
            except registration.Invalid as exc:
                s.rollback()
                errores = exc.errores
    status = 422 if errores else 200
    return render_template("registro.html", form=form, errores=errores, numero=numero), status


@ipes.route("/activar/<token>", methods=["GET", "POST"])
def activar(token: str) -> Any:
    now = services().clock()
    error = None
    with services().sessions() as s:
        user = registry_admin.activation_user(s, token, now=now)
        username = user.username if user is not None else None
        s.rollback()
        if username is None:
            return render_template(
                "error.html",
                titulo="Enlace no válido",
                mensaje="El enlace de activación no es válido, ya se usó o venció; pida uno nuevo a la SEP.",
            ), 404
        if request.method == "POST":
            password = request.form.get("password") or ""
            if password != (request.form.get("confirmacion") or ""):
                error = {"mensaje": "Las contraseñas no coinciden.", "codigo": "SolicitudInvalida"}
            else:
                try:
                    registry_admin.activate(s, token, password, now=now)
                    s.commit()
                except MecError as exc:
                    s.rollback()
                    error = fault(exc)
                else:
                    session.clear()
                    return render_template("activada.html", username=username)
    return render_template("activar.html", username=username, error=error), 200 if error is None else 422
