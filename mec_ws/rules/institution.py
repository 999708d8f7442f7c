"""The institution, signing entity and campus of the document against the uploader's registry."""

from __future__ import annotations

from collections.abc import Iterator

from mec_ws import catalogs
from mec_ws.certificate.document import DecDocument
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error, skipped


def _doc_institution(doc: DecDocument) -> str | None:
    value = doc.ipes.get("idNombreInstitucion")
    return value.strip() if value is not None else None


def check_institution(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    if ctx.institution is None:
        yield skipped(
            "INSTITUCION_NO_CORRESPONDE",
            "no se indicó la institución que carga; no se comparó Ipes/@idNombreInstitucion.",
            doc.ipes.loc("idNombreInstitucion"),
        )
        return
    declared = _doc_institution(doc)
    if declared is not None and declared != ctx.institution.id:
        yield error(
            "INSTITUCION_NO_CORRESPONDE",
            f"El certificado es de la institución {declared}, pero la carga la realiza la institución "
            f"{ctx.institution.id} ({ctx.institution.name}).",
            doc.ipes.loc("idNombreInstitucion"),
        )


def check_signing_entity(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    entidad = doc.servicio_firmante.get("idEntidad")
    declared = _doc_institution(doc)
    if entidad is None or declared is None:
        return
    if entidad.strip() != declared:
        yield error(
            "ENTIDAD_FIRMANTE_NO_CORRESPONDE",
            f"ServicioFirmante/@idEntidad es {entidad.strip()}, pero Ipes/@idNombreInstitucion es "
            f"{declared}; deben ser la misma institución.",
            doc.servicio_firmante.loc("idEntidad"),
        )


def check_campus(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    institution = ctx.institution
    if institution is None or not institution.campuses_known:
        yield skipped(
            "CAMPUS_NO_REGISTRADO",
            "no se dieron los campus registrados de la institución; no se verificó el campus.",
            doc.ipes.loc("idCampus"),
        )
        return
    if _doc_institution(doc) != institution.id:
        return  # another institution's document: INSTITUCION_NO_CORRESPONDE says it all
    campus_id = doc.ipes.get("idCampus")
    if campus_id is None:
        return
    campus = institution.campus(campus_id.strip())
    if campus is None:
        yield error(
            "CAMPUS_NO_REGISTRADO",
            f"El campus {campus_id.strip()} no está registrado para la institución {institution.id}.",
            doc.ipes.loc("idCampus"),
        )
        return
    state = doc.ipes.get("idEntidadFederativa")
    if state is None or not catalogs.is_known("entidad_federativa", state.strip()):
        return  # absent or not a state key: reported by the XSD or catalog rules
    if state.strip() != campus.state:
        names = catalogs.load("entidad_federativa")
        yield error(
            "ENTIDAD_FEDERATIVA_NO_COINCIDE",
            f"idEntidadFederativa es {state.strip()} ({names[state.strip()]}), pero el campus "
            f"{campus.id} está registrado en {campus.state} ({names.get(campus.state, '?')}).",
            doc.ipes.loc("idEntidadFederativa"),
        )


INSTITUTION_RULES: tuple[Rule, ...] = (
    Rule("institución que carga", ("INSTITUCION_NO_CORRESPONDE",), check_institution),
    Rule("entidad firmante", ("ENTIDAD_FIRMANTE_NO_CORRESPONDE",), check_signing_entity),
    Rule(
        "campus de la institución",
        ("CAMPUS_NO_REGISTRADO", "ENTIDAD_FEDERATIVA_NO_COINCIDE"),
        check_campus,
    ),
)
