"""The operations the console shares with ``mec-ws admin``: ``disable-user`` (new) refuses the
account in SOAP's authentication, and the moved registry functions keep the CLI's messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from mec_ws import db
from mec_ws.errors import Autenticacion
from mec_ws.services import auth, registry_admin
from models import utcnow
from tests.test_admin_cli import run


@pytest.fixture
def admin_db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("MEC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    eng = db.make_engine(database_url)
    db.upgrade(eng)
    return eng


def test_disable_user_from_the_cli(
    admin_db: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, monkeypatch, "admin", "add-institution", "000001", "UNO")[0] == 0
    code, out, _ = run(
        capsys, monkeypatch, "admin", "add-user", "escolar", "--institution", "000001", stdin="una-clave-1\n"
    )
    assert code == 0, out
    sessions = db.session_factory(admin_db)
    with sessions() as s:
        assert auth.authenticate(s, "escolar", "una-clave-1", now=utcnow()).username == "escolar"
    code, out, _ = run(capsys, monkeypatch, "admin", "disable-user", "escolar")
    assert code == 0 and "deshabilitado" in out
    with sessions() as s, pytest.raises(Autenticacion, match="deshabilitada"):
        auth.authenticate(s, "escolar", "una-clave-1", now=utcnow())
    with sessions() as s, pytest.raises(Autenticacion, match="incorrectos"):  # a wrong password says no more
        auth.authenticate(s, "escolar", "otra", now=utcnow())
    code, out, _ = run(capsys, monkeypatch, "admin", "disable-user", "escolar", "--habilitar")
    assert code == 0 and "habilitado" in out
    with sessions() as s:
        assert auth.authenticate(s, "escolar", "una-clave-1", now=utcnow()).username == "escolar"
    code, _, err = run(capsys, monkeypatch, "admin", "disable-user", "nadie")
    assert code == 2 and "no existe" in err
    admin_db.dispose()


def test_activation_token_is_one_time_and_expires(admin_db: Engine) -> None:
    from datetime import timedelta

    sessions = db.session_factory(admin_db)
    now = utcnow()
    with sessions() as s:
        registry_admin.add_institution(s, "000001", "UNO")
        user = registry_admin.add_user(s, "nuevo", institution_id="000001", operator=False, password=None)
        first = registry_admin.issue_activation(s, user, now=now)
        second = registry_admin.issue_activation(s, user, now=now)  # the first one stops working
        s.commit()
    with sessions() as s:
        assert registry_admin.activation_user(s, first, now=now) is None
        with pytest.raises(registry_admin.AdminError, match="al menos 8"):
            registry_admin.activate(s, second, "corta", now=now)
        late = now + registry_admin.ACTIVATION_TTL + timedelta(seconds=1)
        with pytest.raises(registry_admin.AdminError, match="venció"):
            registry_admin.activate(s, second, "larga-clave-1", now=late)
        registry_admin.activate(s, second, "larga-clave-1", now=now)
        s.commit()
    with sessions() as s:
        with pytest.raises(registry_admin.AdminError, match="ya se usó"):
            registry_admin.activate(s, second, "otra-clave-22", now=now)
        assert auth.authenticate(s, "nuevo", "larga-clave-1", now=now).institution_id == "000001"
    admin_db.dispose()
