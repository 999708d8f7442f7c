"""``mec-ws demo`` (database half): register the demo world so that ``mec-ws serve`` can be tried.

:func:`load_demo` takes the files :func:`mec_ws.testdata.demo.write_demo` wrote and registers, in the
database of ``settings.database_url``: the demo institution and its campuses, the officer's
e.firma for the certificates' campus, the test CA as trusted, the SEP stamping key (copied under
``MEC_DATA_DIR/keys`` as ``mec-ws admin set-stamp-key`` does), the study program, two users
(``demo`` for the institution and ``operador-demo``, an SEP operator, each with a fresh random
password written to ``credenciales.txt``, mode 0600) and a few folios de pago.  It also marks
``MEC_DATA_DIR`` as a test environment (the file ``ambiente`` = ``pruebas``, unless one exists), so
``mec-ws demo && mec-ws serve`` answers ``concluyePruebas`` as the test environment does.

Everything is read from the files (not from this process's test PKI), and running it again is
harmless: what exists is kept, the key files of a new ``demo`` run are registered alongside the old
ones (the new stamp key becomes the active one), and the users get new passwords.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws import catalogs, db, passwords
from mec_ws.certificate import efirma
from mec_ws.config import AMBIENTE_FILE, Settings, read_ambiente_file
from mec_ws.errors import ConfigurationError
from mec_ws.registry_source import program_in_use, save_program
from mec_ws.services.attempts import attempts_of
from mec_ws.testdata.demo import DEMO_KEY_PASSWORD, DemoFiles
from mec_ws.testdata.factory import seal, to_bytes
from models import (
    Campus,
    FolioPago,
    Institution,
    Officer,
    SepStampKey,
    StudyProgramRow,
    TrustedCA,
    User,
)

DEMO_USER = "demo"
DEMO_OPERATOR = "operador-demo"
CREDENTIALS_FILE = "credenciales.txt"
SINGLE_DIR = "individual"
KEYS_DIR = "keys"  # the same place `mec-ws admin set-stamp-key` uses, relative to MEC_DATA_DIR
OFFICER_CARGO_ID = 5
SEP_CARGO_ID = 1


@dataclass(frozen=True)
class DemoFolio:
    folio: str
    cantidad: int
    uso: str  # what it is meant for, in Spanish
    estatus: str  # EstatusFolio value at the end of the load
    intentos_usados: int


DEMO_FOLIOS: tuple[tuple[str, int, str], ...] = (
    ("DEMO-0001", 10, "validos.zip (10 certificados)"),
    ("DEMO-0002", 1, f"{SINGLE_DIR}/certificado-11.xml (un certificado XML)"),
    ("DEMO-0003", 10, "un ZIP de 10 certificados (p. ej. para probar rechazos)"),
    ("DEMO-0004", 1, "un certificado de errores/ (rechazo esperado)"),
    ("DEMO-0005", 1, "un certificado de errores/ (rechazo esperado)"),
)


@dataclass(frozen=True)
class DemoCredentials:
    usuario: str
    password: str
    operador: str
    operador_password: str
    institution_id: str
    folios: tuple[DemoFolio, ...]
    wsdl_url: str
    credentials_path: Path
    single_certificate: Path
    notes: tuple[str, ...] = ()
    ambiente: str = "pruebas"
    ambiente_path: Path | None = None

    def describe(self) -> str:
        lines = [
            "Base de datos lista para `mec-ws serve`:",
            f"  WSDL: {self.wsdl_url}",
            f"  Usuario de la institución {self.institution_id}: {self.usuario}  contraseña: {self.password}",
            f"  Operador de la SEP: {self.operador}  contraseña: {self.operador_password}",
            f"  (credenciales también en {self.credentials_path}, permisos 0600)",
            f"  Ambiente: {self.ambiente}"
            + (
                f" (de {self.ambiente_path}; la variable MEC_AMBIENTE lo reemplaza)"
                if self.ambiente_path is not None
                else ""
            ),
            "  Folios de pago:",
        ]
        for f in self.folios:
            state = (
                ""
                if f.estatus == "DISPONIBLE"
                else f"  [{f.estatus}, {f.intentos_usados} intento(s) usado(s)]"
            )
            lines.append(f"    {f.folio}: {f.cantidad} certificado(s) — {f.uso}{state}")
        lines.extend(f"  Nota: {note}" for note in self.notes)
        return "\n".join(lines)


# --- files -----------------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (0600), atomically, creating a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read(root: Path, name: str) -> bytes:
    try:
        return (root / name).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"falta {root / name} ({exc.strerror}): ejecute `mec-ws demo --carpeta {root}` para escribirlo."
        ) from None


def _officer(root: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    password = _read(root, "responsable.key.txt").strip() or DEMO_KEY_PASSWORD
    key = efirma.load_private_key(_read(root, "responsable.key"), password)
    return key, efirma.load_certificate(_read(root, "responsable.cer"))


def write_single_certificate(files: DemoFiles) -> Path:
    """An 11th valid certificate, for the single-XML folio (its folio de control is not in the ZIP).

    Sealed with the officer e.firma written in ``files`` (so it matches the registered officer even
    when the files come from an earlier run).
    """
    key, cert = _officer(files.root)
    n = len(files.valid)
    path = files.root / SINGLE_DIR / f"certificado-{n + 1:02d}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_bytes(seal(files.scenario.certificate(n), key=key, cert=cert)))
    return path


# --- database --------------------------------------------------------------------------------------


def _common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _institution(s: Session, files: DemoFiles) -> None:
    inst = files.scenario.institution
    if s.get(Institution, inst.id) is None:
        s.add(Institution(id=inst.id, name=inst.name))
        s.flush()
    for campus in inst.campuses:
        if s.get(Campus, campus.id) is None:
            s.add(Campus(id=campus.id, institution_id=inst.id, name=campus.name, state=campus.state))
    s.flush()


def _trusted_ca(s: Session, root: Path) -> None:
    for cert in efirma.load_certificates(_read(root, "ca.cer")):
        der = cert.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).hexdigest()
        if s.scalars(select(TrustedCA).where(TrustedCA.sha256 == digest)).first() is None:
            s.add(
                TrustedCA(
                    der=der,
                    subject=cert.subject.rfc4514_string(),
                    sha256=digest,
                    not_after=cert.not_valid_after_utc,
                )
            )


def _officer_row(s: Session, files: DemoFiles) -> None:
    """The officer's e.firma for the certificates' campus.

    Every demo PKI reuses the same SAT-style certificate number, so a newer demo run updates the
    registered row in place (campus and number are unique together).
    """
    cert = efirma.load_certificate(_read(files.root, "responsable.cer"))
    number = efirma.certificate_number(cert)
    campus_id = files.scenario.campus.id
    row = s.scalars(
        select(Officer).where(Officer.campus_id == campus_id, Officer.certificate_number == number)
    ).first()
    if row is None:
        row = Officer(campus_id=campus_id, certificate_number=number)
        s.add(row)
    curp = efirma.subject_curp(cert) or ""
    row.certificate_der = cert.public_bytes(serialization.Encoding.DER)
    row.curp = curp
    row.rfc = efirma.subject_rfc(cert)
    row.name = _common_name(cert) or curp
    row.cargo_id = OFFICER_CARGO_ID
    row.not_before = cert.not_valid_before_utc
    row.not_after = cert.not_valid_after_utc
    row.active = True


def _stamp_key(s: Session, files: DemoFiles, data_dir: Path) -> None:
    cert = efirma.load_certificate(_read(files.root, "sep.cer"))
    key = efirma.load_private_key(_read(files.root, "sep.key.pem"), None)
    der = cert.public_bytes(serialization.Encoding.DER)
    active = s.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).one_or_none()
    if active is not None and active.certificate_der == der and (data_dir / active.key_path).is_file():
        return
    number = efirma.certificate_number(cert)
    relative = Path(KEYS_DIR) / f"sello-sep-{number}-{hashlib.sha256(der).hexdigest()[:12]}.pem"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(data_dir / relative, pem)
    os.chmod(data_dir / KEYS_DIR, 0o700)
    if active is not None:
        active.active = False
        s.flush()
    s.add(
        SepStampKey(
            certificate_der=der,
            certificate_number=number,
            key_path=relative.as_posix(),
            curp=efirma.subject_curp(cert) or "",
            nombre_completo=_common_name(cert),
            id_cargo=SEP_CARGO_ID,
            cargo=catalogs.load("cargo")[str(SEP_CARGO_ID)],
            active=True,
        )
    )


def _program(s: Session, files: DemoFiles) -> str | None:
    """Register the demo program; a note when it is kept because certificates already use it."""
    program = files.scenario.program
    key = (program.institution_id, program.id_carrera, program.clave_plan)
    exists = s.scalars(
        select(StudyProgramRow.id).where(
            StudyProgramRow.institution_id == key[0],
            StudyProgramRow.id_carrera == key[1],
            StudyProgramRow.clave_plan == key[2],
        )
    ).first()
    if exists is not None and program_in_use(s, *key):
        return (
            f"el programa {program.id_carrera}/{program.clave_plan} ya tiene certificados aceptados; "
            "se conserva el registrado."
        )
    save_program(s, program)
    return None


def _user(s: Session, username: str, institution_id: str | None) -> str:
    """Create or reset ``username``; returns its new random password."""
    password = secrets.token_urlsafe(12)
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, institution_id=institution_id, is_operator=institution_id is None)
        s.add(user)
    user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    return password


def _folios(s: Session, institution_id: str) -> tuple[tuple[DemoFolio, ...], tuple[str, ...]]:
    out: list[DemoFolio] = []
    notes: list[str] = []
    for folio, cantidad, uso in DEMO_FOLIOS:
        row = s.scalars(select(FolioPago).where(FolioPago.folio == folio)).first()
        if row is None:
            row = FolioPago(folio=folio, institution_id=institution_id, cantidad=cantidad)
            s.add(row)
            s.flush()
        elif row.institution_id != institution_id or row.cantidad != cantidad:
            notes.append(
                f"el folio {folio} ya existía con otros datos ({row.institution_id}, {row.cantidad})."
            )
        out.append(
            DemoFolio(
                folio=row.folio,
                cantidad=row.cantidad,
                uso=uso,
                estatus=str(row.estatus.value),
                intentos_usados=attempts_of(s, row).used,
            )
        )
    if any(f.intentos_usados for f in out):
        notes.append(
            "algunos folios ya se usaron en una demostración anterior; para empezar de cero borre "
            "MEC_DATA_DIR (o la base de datos) y ejecute `mec-ws demo` de nuevo."
        )
    return tuple(out), tuple(notes)


AMBIENTE_TEXT = (
    "# Ambiente de este servicio: produccion o pruebas. Lo escribió `mec-ws demo`;\n"
    "# la variable de entorno MEC_AMBIENTE lo reemplaza.\n"
    "pruebas\n"
)


def mark_test_environment(data_dir: Path) -> tuple[str, Path]:
    """Make ``data_dir`` a test environment (``MEC_DATA_DIR/ambiente`` = ``pruebas``) unless it
    already says which it is; return the ambiente the file holds and its path."""
    path = data_dir / AMBIENTE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(AMBIENTE_TEXT)
    except FileExistsError:
        pass
    return read_ambiente_file(data_dir) or "produccion", path


def load_demo(settings: Settings, demo_files: DemoFiles) -> DemoCredentials:
    """Register the demo world in ``settings.database_url`` (idempotent; see the module docstring)."""
    single = demo_files.root / SINGLE_DIR / f"certificado-{len(demo_files.valid) + 1:02d}.xml"
    if not single.is_file():
        single = write_single_certificate(demo_files)
    inst_id = demo_files.scenario.institution.id
    engine = db.open_database(settings.database_url)
    try:
        with db.session_factory(engine)() as s:
            try:
                _institution(s, demo_files)
                _trusted_ca(s, demo_files.root)
                _officer_row(s, demo_files)
                _stamp_key(s, demo_files, settings.data_dir)
                program_note = _program(s, demo_files)
                password = _user(s, DEMO_USER, inst_id)
                operator_password = _user(s, DEMO_OPERATOR, None)
                folios, notes = _folios(s, inst_id)
                s.commit()
            except BaseException:
                s.rollback()
                raise
    finally:
        engine.dispose()
    ambiente, ambiente_path = mark_test_environment(settings.data_dir)
    credentials = DemoCredentials(
        usuario=DEMO_USER,
        password=password,
        operador=DEMO_OPERATOR,
        operador_password=operator_password,
        institution_id=inst_id,
        folios=folios,
        wsdl_url=f"{settings.public_url}?wsdl",
        credentials_path=demo_files.root / CREDENTIALS_FILE,
        single_certificate=single,
        notes=((program_note,) if program_note else ()) + notes,
        ambiente=ambiente,
        ambiente_path=ambiente_path,
    )
    _write_private(credentials.credentials_path, _credentials_text(credentials).encode("utf-8"))
    return credentials


def _credentials_text(c: DemoCredentials) -> str:
    """``credenciales.txt``: ``CLAVE=valor`` lines (also usable as an environment file)."""
    return (
        f"MEC_WSDL={c.wsdl_url}\n"
        f"MEC_USUARIO={c.usuario}\n"
        f"MEC_PASSWORD={c.password}\n"
        f"MEC_OPERADOR={c.operador}\n"
        f"MEC_OPERADOR_PASSWORD={c.operador_password}\n"
        f"MEC_FOLIOS={','.join(f.folio for f in c.folios)}\n"
    )
