"""The status enumerations stored in the models' columns.

They are wire values too (``contract.md``), so :mod:`mec_ws.services.dto` re-exports them; they live
here because the models must not depend on the services (``edges → services → domain → models``).
"""

from __future__ import annotations

import enum


class EstatusLote(enum.StrEnum):
    RECIBIDO = "RECIBIDO"
    EN_PROCESO = "EN_PROCESO"
    ACEPTADO = "ACEPTADO"
    RECHAZADO = "RECHAZADO"
    FALLIDO = "FALLIDO"  # the service could not finish it (our fault): spends no attempt


class EstatusFolio(enum.StrEnum):
    DISPONIBLE = "DISPONIBLE"
    EN_PROCESO = "EN_PROCESO"
    ACEPTADO = "ACEPTADO"
    AGOTADO = "AGOTADO"


class EstatusCertificado(enum.StrEnum):
    VIGENTE = "VIGENTE"
    CANCELACION_SOLICITADA = "CANCELACION_SOLICITADA"
    CANCELADO = "CANCELADO"


class EstatusArchivo(enum.StrEnum):
    CORRECTO = "CORRECTO"
    CON_ERRORES = "CON_ERRORES"
