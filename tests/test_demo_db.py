"""``mec-ws demo`` loads a database the service can run on (``mec_ws.testdata.demo_db``)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mec_ws import db
from mec_ws.batches.signer import load_sep_signer
from mec_ws.config import Settings
from mec_ws.errors import Autenticacion, ConfigurationError, PruebasIncompletas
from mec_ws.services import auth
from mec_ws.services.app import MecApp
from mec_ws.services.registry_source import context_for
from mec_ws.testdata.demo import DemoFiles, write_demo
from mec_ws.testdata.demo_db import CREDENTIALS_FILE, DEMO_FOLIOS, load_demo
from mec_ws.testdata.pki import cert_to_der
from mec_ws.validation import validate_file
from models import FolioPago, Officer, SepStampKey, StudyProgramRow, TrustedCA, User


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return write_demo(tmp_path_factory.mktemp("demo") / "demo")


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings.from_env({"MEC_DATABASE_URL": database_url, "MEC_DATA_DIR": str(data_dir)})


def test_demo_world_is_usable_by_the_service(
    files: DemoFiles, database_url: str, engine: Engine, tmp_path: Path
):
    settings = _settings(database_url, tmp_path / "data")
    creds = load_demo(settings, files)
    assert creds.wsdl_url == settings.public_url + "?wsdl"
    assert [f.folio for f in creds.folios] == [f for f, _, _ in DEMO_FOLIOS]
    assert {f.folio: f.cantidad for f in creds.folios}["DEMO-0001"] == len(files.valid)
    assert {f.folio: f.cantidad for f in creds.folios}["DEMO-0002"] == 1
    text = (files.root / CREDENTIALS_FILE).read_text(encoding="utf-8")
    assert f"MEC_PASSWORD={creds.password}\n" in text
    assert (files.root / CREDENTIALS_FILE).stat().st_mode & 0o077 == 0

    with db.session_factory(engine)() as s:
        now = datetime.now(UTC)
        user = auth.authenticate(s, creds.usuario, creds.password, now=now)
        assert user.institution_id == files.scenario.institution.id and not user.is_operator
        operator = auth.authenticate(s, creds.operador, creds.operador_password, now=now)
        assert operator.is_operator
        s.commit()
        signer = load_sep_signer(s, settings.data_dir)
        assert cert_to_der(signer.certificate) == (files.root / "sep.cer").read_bytes()
        key_row = s.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).one()
        assert (settings.data_dir / key_row.key_path).stat().st_mode & 0o077 == 0
        # The registry the worker builds accepts every demo certificate, the single one too.
        ctx = context_for(s, files.scenario.institution.id, now=now, settings=settings)
        for path in (*files.valid, creds.single_certificate):
            result = validate_file(path.name, path.read_bytes(), ctx)
            assert result.ok, [f"{f.code} {f.location}" for f in result.findings]
        folios = {f.folio_control for f in [validate_file(p.name, p.read_bytes(), ctx) for p in files.valid]}
        single = validate_file("x.xml", creds.single_certificate.read_bytes(), ctx).folio_control
        assert single not in folios


def test_loading_twice_keeps_one_of_everything_and_new_passwords(
    files: DemoFiles, database_url: str, engine: Engine, tmp_path: Path
):
    settings = _settings(database_url, tmp_path / "data")
    first = load_demo(settings, files)
    second = load_demo(settings, files)
    assert first.password != second.password
    with db.session_factory(engine)() as s:
        for model in (TrustedCA, Officer, StudyProgramRow, SepStampKey):
            assert s.scalar(select(func.count()).select_from(model)) == 1, model
        assert s.scalar(select(func.count()).select_from(FolioPago)) == len(DEMO_FOLIOS)
        assert s.scalar(select(func.count()).select_from(User)) == 2
        now = datetime.now(UTC)
        with pytest.raises(Autenticacion):
            auth.authenticate(s, first.usuario, first.password, now=now)
        s.rollback()
        auth.authenticate(s, second.usuario, second.password, now=now)


@pytest.mark.usefixtures("engine")  # the test database, migrated (PostgreSQL is never migrated implicitly)
def test_a_new_demo_pki_replaces_officer_and_stamp_key(database_url: str, tmp_path: Path):
    """Files from another `mec-ws demo` run (another process, another PKI) are registered too."""
    data = tmp_path / "data"
    url = database_url
    env = {"MEC_DATA_DIR": str(data), "MEC_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    for name in ("a", "b"):
        done = subprocess.run(
            [sys.executable, "-m", "mec_ws.cli", "demo", "--dir", str(tmp_path / name)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "DEMO-0001" in done.stdout and "?wsdl" in done.stdout
    engine = db.open_database(url)
    try:
        with db.session_factory(engine)() as s:
            officer = s.scalars(select(Officer)).one()
            assert officer.certificate_der == (tmp_path / "b" / "responsable.cer").read_bytes()
            active = s.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).one()
            assert active.certificate_der == (tmp_path / "b" / "sep.cer").read_bytes()
            assert s.scalar(select(func.count()).select_from(TrustedCA)) == 2
    finally:
        engine.dispose()


def test_sin_base_leaves_the_database_alone(tmp_path: Path):
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "mec_ws.cli", "demo", "--dir", str(tmp_path / "d"), "--sin-base"],
        env={"MEC_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not data.exists()
    assert not (tmp_path / "d" / CREDENTIALS_FILE).exists()
    assert (tmp_path / "d" / "individual" / "certificado-11.xml").is_file()


def test_the_demo_is_a_test_environment_where_concluye_pruebas_answers(
    files: DemoFiles, database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`mec-ws demo && mec-ws serve`: the served settings are ``pruebas``, so concluyePruebas is
    judged (PruebasIncompletas: nothing accepted yet) instead of refused as in production."""
    data = tmp_path / "data"
    creds = load_demo(_settings(database_url, data), files)
    assert creds.ambiente == "pruebas" and creds.ambiente_path == data / "ambiente"
    assert "Ambiente: pruebas" in creds.describe()
    monkeypatch.delenv("MEC_AMBIENTE", raising=False)
    monkeypatch.setenv("MEC_DATA_DIR", str(data))
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    served = Settings.from_env()  # what `mec-ws serve` reads
    assert served.pruebas
    served_engine = db.make_engine(served.database_url)
    try:
        app = MecApp(served, db.session_factory(served_engine))
        who = app.authenticate(creds.usuario, creds.password)
        with pytest.raises(PruebasIncompletas):
            app.concluye_pruebas(who)
    finally:
        served_engine.dispose()
    # MEC_AMBIENTE still wins, and an explicit mapping is the whole configuration
    monkeypatch.setenv("MEC_AMBIENTE", "produccion")
    assert not Settings.from_env().pruebas
    assert not _settings(database_url, data).pruebas


def test_the_demo_keeps_an_ambiente_file_it_did_not_write(
    files: DemoFiles, database_url: str, engine: Engine, tmp_path: Path
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "ambiente").write_text("produccion\n", encoding="utf-8")
    creds = load_demo(_settings(database_url, data), files)
    assert creds.ambiente == "produccion"
    assert (data / "ambiente").read_text(encoding="utf-8") == "produccion\n"


def test_a_bad_ambiente_file_is_one_spanish_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "ambiente").write_text("# comentario\nstaging\n", encoding="utf-8")
    monkeypatch.delenv("MEC_AMBIENTE", raising=False)
    monkeypatch.setenv("MEC_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"ambiente debe ser 'produccion' o 'pruebas'.*staging"):
        Settings.from_env()
