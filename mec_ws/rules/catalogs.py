"""Every catalog id carried in the document must exist in its catalog (mec_ws/catalogs/*.csv)."""

from __future__ import annotations

from collections.abc import Iterator

from mec_ws import catalogs
from mec_ws.certificate.document import DecDocument, Node
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule, error


def _top_fields(doc: DecDocument) -> Iterator[tuple[Node, str, str]]:
    """(node, attribute, catalog) for the catalog-valued attributes outside the subjects."""
    yield doc.ipes, "idEntidadFederativa", "entidad_federativa"
    yield doc.responsable, "idCargo", "cargo"
    yield doc.carrera, "idTipoPeriodo", "tipo_periodo"
    yield doc.carrera, "idNivelEstudios", "nivel_estudios"
    yield doc.alumno, "idGenero", "genero"
    yield doc.expedicion, "idTipoCertificacion", "tipo_certificacion"
    yield doc.expedicion, "idLugarExpedicion", "entidad_federativa"


def _fields(doc: DecDocument) -> Iterator[tuple[Node, str, str]]:
    """(node, attribute, catalog) for every catalog-valued attribute of the document, in order."""
    yield from _top_fields(doc)
    for subject in doc.asignatura:
        yield subject, "idTipoAsignatura", "tipo_asignatura"
        yield subject, "idObservaciones", "observaciones"  # optional: checked only when present


def _subjects_known(doc: DecDocument) -> bool:
    """True when every subject's catalog values are known (the common case, checked in one pass)."""
    tipos, observaciones = catalogs.load("tipo_asignatura"), catalogs.load("observaciones")
    written = {subject.get("idTipoAsignatura") for subject in doc.asignatura}
    written.discard(None)
    notes = {subject.get("idObservaciones") for subject in doc.asignatura}
    notes.discard(None)
    if {t.strip() for t in written} <= tipos.keys() and {o.strip() for o in notes} <= observaciones.keys():
        return True  # each distinct value checked once (a document repeats a few types)
    for subject in doc.asignatura:
        tipo, observacion = subject.get("idTipoAsignatura"), subject.get("idObservaciones")
        if (tipo is not None and tipo.strip() not in tipos) or (
            observacion is not None and observacion.strip() not in observaciones
        ):
            return False
    return True


def check_catalogs(doc: DecDocument, ctx: ValidationContext) -> Iterator[Finding]:
    # the subjects' values checked in one pass first: when all are known (the common case) only the
    # few fields outside the subjects can yield findings
    fields = _top_fields(doc) if _subjects_known(doc) else _fields(doc)
    for node, attribute, catalog in fields:
        value = node.get(attribute)
        if value is None or not node.present:
            continue  # a required one that is absent is an XSD finding
        if not catalogs.is_known(catalog, value.strip()):
            known = list(catalogs.load(catalog))
            valid = ", ".join(known) if len(known) <= 20 else f"{known[0]} a {known[-1]}"
            yield error(
                "CLAVE_CATALOGO_INVALIDA",
                f"La clave «{value}» de {attribute} no existe en el catálogo "
                f"{catalogs.CATALOGS[catalog]}. Claves válidas: {valid}.",
                node.loc(attribute),
            )


CATALOG_RULES: tuple[Rule, ...] = (Rule("claves de catálogo", ("CLAVE_CATALOGO_INVALIDA",), check_catalogs),)
