"""Catalogs as data: the CSV files beside this module, loaded once.

The same files are what ``descargaDocumento`` serves, so what the rules check and what the
institutions download never drift apart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

CATALOGS: dict[str, str] = {
    "tipo_certificacion": "Tipo de certificación (Expedicion/@idTipoCertificacion)",
    "genero": "Género del alumno (Alumno/@idGenero)",
    "tipo_periodo": "Tipo de periodo (Carrera/@idTipoPeriodo)",
    "nivel_estudios": "Nivel de estudios (Carrera/@idNivelEstudios)",
    "tipo_asignatura": "Tipo de asignatura (Asignatura/@idTipoAsignatura)",
    "observaciones": "Observaciones de la asignatura (Asignatura/@idObservaciones)",
    "cargo": "Cargo del responsable (Responsable/@idCargo)",
    "entidad_federativa": "Entidad federativa y lugar de expedición (claves INEGI)",
    "motivo_cancelacion": "Motivos de cancelación (solicitaCancelacion/@motivo)",
}


def csv_bytes(name: str) -> bytes:
    if name not in CATALOGS:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.csv").read_bytes()


@cache
def load(name: str) -> Mapping[str, str]:
    """id -> description, in file order."""
    text = csv_bytes(name).decode("utf-8-sig")
    rows = csv.DictReader(io.StringIO(text))
    return MappingProxyType({row["ID"]: row["DESCRIPCION"] for row in rows})


def is_known(name: str, value: str | None) -> bool:
    return value is not None and value in load(name)
