"""Settings from the environment, in one place (``operations.md``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mec_ws.errors import ConfigurationError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000/mec/ws"
DEFAULT_NAMESPACE = "http://ws.web.mec.sep.mx/schemas/certificados"


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} debe ser un número entero (se recibió {raw!r}).") from None
    if value < minimum:
        raise ConfigurationError(f"{name} debe ser al menos {minimum} (se recibió {value}).")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    public_url: str
    namespace: str
    ambiente: str  # 'produccion' | 'pruebas'
    cancelacion_horas: int
    max_upload_mb: int
    max_zip_entries: int
    max_xml_mb: int
    strict_sello: bool
    valida_max_archivos: int = 100  # certificates per validaCertificados call

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_xml_bytes(self) -> int:
        return self.max_xml_mb * 1024 * 1024

    @property
    def pruebas(self) -> bool:
        return self.ambiente == "pruebas"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("MEC_DATA_DIR") or "./mec-data").resolve()
        db = env.get("MEC_DATABASE_URL") or f"sqlite:///{data_dir / 'mec.sqlite3'}"
        ambiente = (env.get("MEC_AMBIENTE") or "produccion").strip().lower()
        if ambiente not in ("produccion", "pruebas"):
            raise ConfigurationError(
                f"MEC_AMBIENTE debe ser 'produccion' o 'pruebas' (se recibió {ambiente!r})."
            )
        return cls(
            data_dir=data_dir,
            database_url=db,
            public_url=(env.get("MEC_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
            namespace=env.get("MEC_NAMESPACE") or DEFAULT_NAMESPACE,
            ambiente=ambiente,
            cancelacion_horas=_int(env, "MEC_CANCELACION_HORAS", 48),
            max_upload_mb=_int(env, "MEC_MAX_UPLOAD_MB", 100),
            max_zip_entries=_int(env, "MEC_MAX_ZIP_ENTRIES", 10_000),
            max_xml_mb=_int(env, "MEC_MAX_XML_MB", 5),
            strict_sello=(env.get("MEC_SELLO_ESTRICTO") or "0").lower() in ("1", "true", "si", "sí"),
            valida_max_archivos=_int(env, "MEC_VALIDA_MAX_ARCHIVOS", 100),
        )
