"""Local fixtures: a small lxml builder of Dec 3.0 documents and the cached test PKI."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from lxml import etree

from mec_ws.certificate.document import NS, q
from mec_ws.testdata.pki import TestPki, default_pki

BASE: dict[str, dict[str, str]] = {
    "Dec": {"version": "3.0", "tipoCertificado": "5", "folioControl": "FC-0001"},
    "ServicioFirmante": {"idEntidad": "090001"},
    "Ipes": {
        "idNombreInstitucion": "090001",
        "nombreInstitucion": "UNIVERSIDAD DE PRUEBAS",
        "idCampus": "100001",
        "campus": "PLANTEL CENTRO",
        "idEntidadFederativa": "09",
        "entidadFederativa": "CIUDAD DE MÉXICO",
    },
    "Responsable": {
        "curp": "",  # filled with the PKI officer's CURP
        "nombre": "CARLOS",
        "primerApellido": "GOMEZ",
        "segundoApellido": "MARTINEZ",
        "idCargo": "3",
        "cargo": "RECTOR",
    },
    "Rvoe": {"numero": "RVOE-2015-001", "fechaExpedicion": "2015-06-01T00:00:00"},
    "Carrera": {
        "idCarrera": "500001",
        "claveCarrera": "LD",
        "nombreCarrera": "LICENCIATURA EN DERECHO",
        "idTipoPeriodo": "91",
        "tipoPeriodo": "SEMESTRE",
        "clavePlan": "2015",
        "idNivelEstudios": "81",
        "nivelEstudios": "LICENCIATURA",
        "calificacionMinima": "5",
        "calificacionMaxima": "10",
        "calificacionMinimaAprobatoria": "6",
    },
    "Alumno": {
        "numeroControl": "A0001",
        "curp": "PEMA000101MDFRRNA4",
        "nombre": "ANA SOFÍA",
        "primerApellido": "PÉREZ",
        "segundoApellido": "MUÑOZ",
        "idGenero": "250",
        "fechaNacimiento": "2000-01-01T00:00:00",
    },
    "Expedicion": {
        "idTipoCertificacion": "80",
        "tipoCertificacion": "PARCIAL",
        "fecha": "2024-06-15T10:00:00",
        "idLugarExpedicion": "09",
        "lugarExpedicion": "CIUDAD DE MÉXICO",
    },
    "Asignaturas": {
        "total": "2",
        "asignadas": "2",
        "promedio": "8.50",
        "totalCreditos": "300",
        "creditosObtenidos": "16",
        "numeroCiclos": "1",
    },
}
SUBJECTS: tuple[dict[str, str], ...] = (
    {
        "idAsignatura": "700001",
        "claveAsignatura": "DER101",
        "nombre": "INTRODUCCIÓN AL DERECHO",
        "ciclo": "2019-1",
        "calificacion": "9",
        "idObservaciones": "100",
        "idTipoAsignatura": "263",
        "creditos": "8",
    },
    {
        "idAsignatura": "700002",
        "claveAsignatura": "DER102",
        "nombre": "DERECHO ROMANO",
        "ciclo": "2019-1",
        "calificacion": "8",
        "idTipoAsignatura": "263",
        "creditos": "8",
    },
)
ORDER = ("ServicioFirmante", "Ipes", "Rvoe", "Carrera", "Alumno", "Expedicion", "Asignaturas")

DecBuilder = Callable[..., etree._Element]


def build_dec(
    pki: TestPki,
    overrides: Mapping[str, Mapping[str, str | None]] | None = None,
    subjects: tuple[Mapping[str, str], ...] = SUBJECTS,
    *,
    seal: bool = True,
    variant: int = 33,
) -> etree._Element:
    """A Dec 3.0 upload; ``overrides[element][attr] = None`` removes an attribute."""
    from mec_ws.certificate.sello import seal_document

    data = {name: dict(attrs) for name, attrs in BASE.items()}
    data["Responsable"]["curp"] = pki.officer_curp
    for name, attrs in (overrides or {}).items():
        for attr, value in attrs.items():
            if value is None:
                data[name].pop(attr, None)
            else:
                data[name][attr] = value
    root = etree.Element(q("Dec"), nsmap={None: NS})
    for attr, value in data["Dec"].items():
        root.set(attr, value)
    for name in ORDER:
        el = etree.SubElement(root, q(name), data[name])
        if name == "Ipes":
            etree.SubElement(el, q("Responsable"), data["Responsable"])
        if name == "Asignaturas":
            for subject in subjects:
                etree.SubElement(el, q("Asignatura"), dict(subject))
    if seal:
        seal_document(root, pki.officer_key, pki.officer_cert, variant=variant)
    return root


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return default_pki()


@pytest.fixture
def make_dec(pki: TestPki) -> DecBuilder:
    def _make(*args: object, **kwargs: object) -> etree._Element:
        return build_dec(pki, *args, **kwargs)  # type: ignore[arg-type]

    return _make
