"""The key that signs the portal's session cookie: ``MEC_PORTAL_SECRET``, or one generated once and
kept in ``MEC_DATA_DIR/portal-secret`` (mode 0600), shared by every gunicorn worker."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "portal-secret"  # noqa: S105 - a file name, not a secret
ENV = "MEC_PORTAL_SECRET"
MIN_LENGTH = 32


def load_secret(data_dir: Path, env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    given = env.get(ENV, "")
    if given:
        if len(given) < MIN_LENGTH:
            from mec_ws.errors import ConfigurationError

            raise ConfigurationError(f"{ENV} debe tener al menos {MIN_LENGTH} caracteres.")
        return given
    path = data_dir / SECRET_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if len(existing) >= MIN_LENGTH:
        return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_urlsafe(48).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and never replaces a key another worker wrote first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()
