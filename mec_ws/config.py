"""Settings from the environment, in one place (``operations.md``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mec_ws.errors import ConfigurationError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000/mec/ws"
DEFAULT_NAMESPACE = "http://ws.web.mec.sep.mx/schemas/certificados"


AMBIENTE_FILE = "ambiente"
"""Name of the file in ``MEC_DATA_DIR`` that sets the ambiente when ``MEC_AMBIENTE`` is not set."""


def read_ambiente_file(data_dir: Path) -> str:
    """The ambiente written in ``data_dir/ambiente`` (first non-comment line), or ``""``."""
    try:
        text = (data_dir / AMBIENTE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"No se pudo leer {data_dir / AMBIENTE_FILE}: {exc}") from None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line.lower()
    return ""


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
    almacen: str = "archivos"  # where uploads are kept: 'archivos' (MEC_DATA_DIR) | 'base' (the database)
    lote_trozo: int = 1000  # a batch with more certificates is cut into chunks of this many (MEC_LOTE_TROZO)

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
        """The settings of ``env`` (by default, this process's environment).

        Without ``MEC_AMBIENTE``, the process's own settings (``env`` omitted) take the ambiente
        from the file ``MEC_DATA_DIR/ambiente`` when it exists (``mec-ws demo`` writes ``pruebas``
        there, so that ``mec-ws demo && mec-ws serve`` is a test environment); an explicit ``env``
        mapping is the whole configuration.
        """
        from_process = env is None
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("MEC_DATA_DIR") or "./mec-data").resolve()
        db = env.get("MEC_DATABASE_URL") or f"sqlite:///{data_dir / 'mec.sqlite3'}"
        ambiente, source = (env.get("MEC_AMBIENTE") or "").strip().lower(), "MEC_AMBIENTE"
        if not ambiente and from_process:
            ambiente, source = read_ambiente_file(data_dir), str(data_dir / AMBIENTE_FILE)
        ambiente = ambiente or "produccion"
        if ambiente not in ("produccion", "pruebas"):
            raise ConfigurationError(f"{source} debe ser 'produccion' o 'pruebas' (se recibió {ambiente!r}).")
        almacen = (env.get("MEC_ALMACEN") or "").strip().lower()
        almacen = almacen or ("base" if db.startswith("postgresql") else "archivos")
        if almacen not in ("archivos", "base"):
            raise ConfigurationError(f"MEC_ALMACEN debe ser 'archivos' o 'base' (se recibió {almacen!r}).")
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
            almacen=almacen,
            lote_trozo=_int(env, "MEC_LOTE_TROZO", 1000),
        )
