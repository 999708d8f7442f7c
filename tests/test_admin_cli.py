"""``mec-ws admin`` and ``mec-ws db`` end to end, on each test database."""

from __future__ import annotations

import io
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.batches.signer import load_sep_signer
from mec_ws.certificate import efirma
from mec_ws.cli import main
from mec_ws.errors import Autenticacion, CuentaBloqueada
from mec_ws.services import auth
from mec_ws.services.dto import EstatusCertificado
from mec_ws.testdata import pki as testpki
from models import CancellationRequest, Certificate, EstatusCancelacion, Officer, SepStampKey, TrustedCA, User
from tests.db import rows

ADMIN_COMMANDS = (
    "add-institution",
    "add-campus",
    "add-officer",
    "add-user",
    "add-folio",
    "trust-ca",
    "set-stamp-key",
    "cancellations",
    "unlock-user",
    "list-institutions",
    "list-folios",
    "pruebas",
    "lotes-fallidos",
)


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("MEC_DATA_DIR", str(data))
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    return data


@pytest.fixture
def engine_(env: Path, database_url: str) -> Iterator[Engine]:
    eng = db.make_engine(database_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, engine_: Engine) -> Cli:
    def call(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return run(capsys, monkeypatch, *argv, stdin=stdin)

    return call


def session_of(engine: Engine) -> Session:
    return db.session_factory(engine)()


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
def test_help_everywhere(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["admin", command, "--help"])
    assert exit_.value.code == 0
    assert "usage: mec-ws admin " + command in capsys.readouterr().out


def test_admin_without_subcommand_lists_them_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin"]) == 2
    out = capsys.readouterr().out
    for command in ADMIN_COMMANDS:
        assert command in out
    assert main(["db"]) == 2
    assert "upgrade" in capsys.readouterr().out


def test_registry_end_to_end(cli: Cli, engine_: Engine, tmp_path: Path) -> None:
    pki = testpki.default_pki()
    assert cli("admin", "add-institution", "000001", "Universidad del Valle")[0] == 0
    code, out, _ = cli("admin", "add-campus", "000001", "C001", "Campus Centro", "--state", "09")
    assert code == 0 and "C001" in out
    cer = tmp_path / "responsable.cer"
    cer.write_bytes(testpki.cert_to_der(pki.officer_cert))
    ca = tmp_path / "ac.pem"
    ca.write_bytes(testpki.cert_to_pem(pki.ca_cert))
    assert cli("admin", "trust-ca", str(ca))[0] == 0
    code, out, err = cli("admin", "add-officer", "C001", "--cer", str(cer), "--cargo", "5")
    assert code == 0, err
    assert "Aviso" not in err
    assert pki.officer_curp in out and "00001000000504465028" in out
    code, out, err = cli("admin", "add-user", "valle", "--institution", "000001", stdin="una-clave-larga\n")
    assert code == 0, err
    assert cli("admin", "add-user", "sep", "--operator", stdin="otra-clave-larga\n")[0] == 0
    assert cli("admin", "add-folio", "FP-1", "--institution", "000001", "--count", "10")[0] == 0

    code, out, _ = cli("admin", "list-institutions")
    assert "000001  Universidad del Valle" in out and "campus C001  Campus Centro" in out
    code, out, _ = cli("admin", "list-folios", "--institution", "000001")
    assert "FP-1" in out and "10 certificado(s)" in out and "DISPONIBLE" in out
    code, out, _ = cli("admin", "pruebas")
    assert "Ninguna institución" in out

    with session_of(engine_) as s:
        officer = s.scalars(select(Officer)).one()
        assert officer.certificate_number == "00001000000504465028"
        assert officer.curp == pki.officer_curp and officer.rfc == pki.officer_rfc
        assert officer.cargo_id == 5 and officer.active
        assert officer.not_after == pki.officer_cert.not_valid_after_utc
        assert efirma.load_certificate(officer.certificate_der) == pki.officer_cert
        user = s.scalars(select(User).where(User.username == "valle")).one()
        assert user.institution_id == "000001" and not user.is_operator
        who = auth.authenticate(s, "valle", "una-clave-larga", now=datetime.now(UTC))
        assert who.institution_id == "000001"
        assert auth.authenticate(s, "sep", "otra-clave-larga", now=datetime.now(UTC)).is_operator


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("admin", "add-campus", "000404", "C9", "X", "--state", "09"), "", "000404 no está registrada"),
        (("admin", "add-campus", "000001", "C9", "X", "--state", "33"), "", "01–32"),
        (("admin", "add-campus", "000001", "C001", "X", "--state", "09"), "", "ya está registrado"),
        (("admin", "add-institution", "000001", "Otra"), "", "ya está registrada"),
        (("admin", "add-folio", "F", "--institution", "000404", "--count", "1"), "", "no está registrada"),
        (("admin", "add-folio", "F", "--institution", "000001", "--count", "0"), "", "al menos 1"),
        (("admin", "add-user", "x", "--institution", "000001"), "corta\n", "al menos 8"),
        (("admin", "add-user", "x", "--institution", "000001"), "", "no se recibió la contraseña"),
        (("admin", "add-user", "x", "--institution", "000404"), "suficiente-larga\n", "no está registrada"),
        (("admin", "unlock-user", "nadie"), "", "no existe"),
        (("admin", "cancellations", "--approve", "NOPE"), "", "no hay una solicitud"),
    ],
)
def test_mistakes_exit_2_with_a_spanish_message(
    cli: Cli, argv: tuple[str, ...], stdin: str, message: str
) -> None:
    assert cli("admin", "add-institution", "000001", "U")[0] == 0
    assert cli("admin", "add-campus", "000001", "C001", "Centro", "--state", "09")[0] == 0
    code, _, err = cli(*argv, stdin=stdin)
    assert code == 2
    assert message in err and err.startswith("error [Administracion]:")


def test_add_user_requires_exactly_one_owner(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli("admin", "add-user", "x")
    assert exit_.value.code == 2


def test_add_officer_refuses_bad_input(cli: Cli, tmp_path: Path) -> None:
    pki = testpki.default_pki()
    cer = tmp_path / "r.cer"
    cer.write_bytes(testpki.cert_to_pem(pki.officer_cert))  # PEM is accepted too
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"not a certificate")
    cli("admin", "add-institution", "000001", "U")
    cli("admin", "add-campus", "000001", "C001", "Centro", "--state", "09")
    assert (
        "C404 no está registrado" in cli("admin", "add-officer", "C404", "--cer", str(cer), "--cargo", "1")[2]
    )
    assert "catálogo de cargos" in cli("admin", "add-officer", "C001", "--cer", str(cer), "--cargo", "9")[2]
    assert "X.509" in cli("admin", "add-officer", "C001", "--cer", str(junk), "--cargo", "1")[2]
    assert (
        "no se pudo leer"
        in cli("admin", "add-officer", "C001", "--cer", str(tmp_path / "no"), "--cargo", "1")[2]
    )
    code, _, err = cli("admin", "add-officer", "C001", "--cer", str(cer), "--cargo", "1")
    assert code == 0 and "ninguna AC de confianza" in err  # registered, with a warning
    code, _, err = cli("admin", "add-officer", "C001", "--cer", str(cer), "--cargo", "1")
    assert code == 2 and "ya está registrado" in err


def test_trust_ca(cli: Cli, engine_: Engine, tmp_path: Path) -> None:
    pki = testpki.default_pki()
    _, other_ca = testpki.make_ca("Otra AC de pruebas", key_size=1024)
    bundle = tmp_path / "acs.pem"
    bundle.write_bytes(testpki.cert_to_pem(pki.ca_cert) + testpki.cert_to_pem(other_ca))
    code, out, err = cli("admin", "trust-ca", str(bundle))
    assert code == 0, err
    assert "2 certificado(s) de AC agregado(s)" in out
    der = tmp_path / "ac.cer"
    der.write_bytes(testpki.cert_to_der(pki.ca_cert))
    code, out, _ = cli("admin", "trust-ca", str(der))
    assert code == 0 and "Ya era de confianza" in out and "0 certificado(s)" in out
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(testpki.cert_to_pem(pki.officer_cert))
    code, _, err = cli("admin", "trust-ca", str(leaf))
    assert code == 2 and "no son de una autoridad certificadora" in err
    with session_of(engine_) as s:
        cas = {efirma.load_certificate(r.der) for r in s.scalars(select(TrustedCA)).all()}
    assert cas == {pki.ca_cert, other_ca}


def test_set_stamp_key_from_sat_der_key(cli: Cli, engine_: Engine, env: Path, tmp_path: Path) -> None:
    pki = testpki.default_pki()
    signer = pki.sep_signer
    cer = tmp_path / "sep.cer"
    cer.write_bytes(testpki.cert_to_der(signer.certificate))
    key = tmp_path / "sep.key"
    key.write_bytes(testpki.key_to_sat_der(signer.key, b"clave-llave"))

    code, _, err = cli("admin", "set-stamp-key", "--cer", str(cer), "--key", str(key), stdin="mala\n")
    assert code == 2 and "contraseña es incorrecta" in err

    wrong = tmp_path / "otra.pem"
    wrong.write_bytes(testpki.key_to_pem(pki.officer_key))
    code, _, err = cli("admin", "set-stamp-key", "--cer", str(cer), "--key", str(wrong))
    assert code == 2 and "no corresponde al certificado" in err

    code, out, err = cli(
        "admin", "set-stamp-key", "--cer", str(cer), "--key", str(key), stdin="clave-llave\n"
    )
    assert code == 0, err
    assert testpki.SEP_OFFICER_CURP in out
    with session_of(engine_) as s:
        row = s.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).one()
        assert row.curp == testpki.SEP_OFFICER_CURP and row.id_cargo == 1 and row.cargo == "DIRECTOR"
        assert row.nombre_completo == testpki.SEP_OFFICER_NOMBRE
        assert not Path(row.key_path).is_absolute()
        stored = env / row.key_path
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    loaded = efirma.load_private_key(stored.read_bytes())
    assert loaded.private_numbers() == signer.key.private_numbers()
    with session_of(engine_) as s:  # what the worker stamps with
        active = load_sep_signer(s, env)
    assert active.certificate == signer.certificate and active.curp == signer.curp

    # a plain PEM key needs no password; the previous key stays, inactive
    pem = tmp_path / "sep.pem"
    pem.write_bytes(testpki.key_to_pem(signer.key))
    code, _, err = cli(
        "admin",
        "set-stamp-key",
        "--cer",
        str(cer),
        "--key",
        str(pem),
        "--id-cargo",
        "3",
        "--cargo",
        "DIRECTORA GENERAL",
    )
    assert code == 0, err
    with session_of(engine_) as s:
        keys = s.scalars(select(SepStampKey).order_by(SepStampKey.id)).all()
        assert [k.active for k in keys] == [False, True]
        assert (keys[1].id_cargo, keys[1].cargo) == (3, "DIRECTORA GENERAL")


def test_cancellation_review(cli: Cli, engine_: Engine) -> None:
    now = datetime.now(UTC)
    with session_of(engine_) as s:
        rows.institution(s)
        b = rows.batch(s, rows.folio(s))
        for folio in ("A-1", "A-2", "A-3"):
            cert = rows.certificate(s, b, folio_control=folio)
            cert.estatus = EstatusCertificado.CANCELACION_SOLICITADA
            s.add(
                CancellationRequest(
                    certificate_id=cert.id,
                    motivo="C1",
                    observaciones="nombre mal escrito" if folio == "A-1" else None,
                    requested_by="valle",
                    requested_at=now,
                    effective_at=now + timedelta(hours=48),
                )
            )
        s.commit()
    code, out, _ = cli("admin", "cancellations")
    assert code == 0
    assert (
        "3 solicitud(es)" in out and "ERROR IMPUTABLE A LA INSTITUCIÓN" in out and "nombre mal escrito" in out
    )
    code, out, err = cli("admin", "cancellations", "--approve", "A-1", "--por", "operador1")
    assert code == 0, err
    assert "CANCELADO" in out
    code, out, err = cli("admin", "cancellations", "--withdraw", "A-2", "--institution", "000001")
    assert code == 0, err
    assert "VIGENTE" in out
    code, out, _ = cli("admin", "cancellations")
    assert "1 solicitud(es)" in out and "A-3" in out and "A-1" not in out
    with session_of(engine_) as s:
        by_folio = {c.folio_control: c for c in s.scalars(select(Certificate)).all()}
        assert by_folio["A-1"].estatus is EstatusCertificado.CANCELADO
        assert by_folio["A-2"].estatus is EstatusCertificado.VIGENTE
        assert by_folio["A-3"].estatus is EstatusCertificado.CANCELACION_SOLICITADA
        reqs = {r.certificate.folio_control: r for r in s.scalars(select(CancellationRequest)).all()}
        assert reqs["A-1"].estatus is EstatusCancelacion.APLICADA and reqs["A-1"].decided_by == "operador1"
        assert reqs["A-1"].effective_at <= datetime.now(UTC)
        assert reqs["A-2"].estatus is EstatusCancelacion.RETIRADA and reqs["A-2"].decided_at is not None
        assert reqs["A-3"].estatus is EstatusCancelacion.PENDIENTE
    code, _, err = cli("admin", "cancellations", "--approve", "A-1")
    assert code == 2 and "no hay una solicitud" in err


def test_unlock_user(cli: Cli, engine_: Engine) -> None:
    cli("admin", "add-institution", "000001", "U")
    cli("admin", "add-user", "valle", "--institution", "000001", stdin="una-clave-larga\n")
    now = datetime.now(UTC)
    with session_of(engine_) as s:
        for _ in range(auth.MAX_FAILED_LOGINS):
            with pytest.raises((Autenticacion, CuentaBloqueada)):
                auth.authenticate(s, "valle", "mala", now=now)
        with pytest.raises(CuentaBloqueada):
            auth.authenticate(s, "valle", "una-clave-larga", now=now)
    code, out, _ = cli("admin", "unlock-user", "valle")
    assert code == 0 and "desbloqueado" in out
    with session_of(engine_) as s:
        assert auth.authenticate(s, "valle", "una-clave-larga", now=now).username == "valle"


def test_db_commands_and_outdated_database(
    env: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, monkeypatch, "db", "current")
    assert code == 1 and "desactualizada" in out
    if database_url.startswith("postgresql"):
        # an outdated PostgreSQL database is refused, with the way out
        code, _, err = run(capsys, monkeypatch, "admin", "list-institutions")
        assert code == 2 and "ejecute `mec-ws db upgrade`" in err
    code, out, _ = run(capsys, monkeypatch, "db", "upgrade")
    assert code == 0 and f"vacía → {db.head_revision()}" in out
    code, out, _ = run(capsys, monkeypatch, "db", "upgrade")
    assert code == 0 and "ya estaba al día" in out
    code, out, _ = run(capsys, monkeypatch, "db", "current")
    assert code == 0 and "al día" in out


def test_embedded_sqlite_is_upgraded_by_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEC_DATA_DIR", str(tmp_path / "nuevo"))
    monkeypatch.delenv("MEC_DATABASE_URL", raising=False)
    code, out, _ = run(capsys, monkeypatch, "admin", "list-institutions")
    assert code == 0 and "No hay instituciones" in out
    assert (tmp_path / "nuevo" / "mec.sqlite3").is_file()
