"""``mec-ws admin``: SEP-side administration (``operations.md``).

Every subcommand opens the database of ``MEC_DATABASE_URL`` (an embedded SQLite one is upgraded
on the spot; an outdated PostgreSQL one is refused), does one thing in one transaction and prints
what it did, in Spanish.  Mistakes (unknown ids, duplicates, bad files) exit with status 2.
Secrets (passwords, key passwords) are read from stdin — with ``getpass`` when it is a terminal —
never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mec_ws import catalogs, db
from mec_ws.certificate import efirma
from mec_ws.cli.parser import hidden_alias
from mec_ws.config import Settings
from mec_ws.errors import MecError
from mec_ws.services import auth, cancellation, registry_admin
from mec_ws.services.attempts import attempts_of
from mec_ws.services.registry_admin import AdminError
from mec_ws.times import local_text
from models import (
    Campus,
    FolioPago,
    Institution,
    Officer,
    SepStampKey,
    TrustedCA,
)

KEYS_DIR = "keys"


# --- plumbing -----------------------------------------------------------------------------------


@contextmanager
def _session(settings: Settings | None = None) -> Iterator[tuple[Session, Settings]]:
    settings = settings or Settings.from_env()
    engine = db.open_database(settings.database_url)
    try:
        with db.session_factory(engine)() as session:
            try:
                yield session, settings
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise AdminError(
                    "la operación contradice datos ya registrados (duplicado o referencia inexistente): "
                    f"{exc.orig}"
                ) from None
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


def _local(when: datetime | None) -> str:
    return "-" if when is None else local_text(when)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AdminError(f"no se pudo leer {path}: {exc.strerror or exc}") from None


def _read_secret(prompt: str, *, confirm: bool = False) -> str:
    """A secret from the terminal (``getpass``, optionally twice) or the first line of stdin."""
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if confirm and getpass.getpass("Confirme: ") != value:
            raise AdminError("las contraseñas no coinciden.")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise AdminError("no se recibió la contraseña (se lee de la entrada estándar).")
    return value


def _institution(session: Session, institution_id: str) -> Institution:
    inst = session.get(Institution, institution_id)
    if inst is None:
        raise AdminError(f"la institución {institution_id} no está registrada.")
    return inst


def _common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _load_cert(path: str) -> x509.Certificate:
    try:
        return efirma.load_certificate(_read_file(path))
    except ValueError as exc:
        raise AdminError(f"{path}: {exc}") from None


# --- registry -----------------------------------------------------------------------------------


def cmd_add_institution(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        registry_admin.add_institution(s, args.id, args.nombre)
    print(f"Institución {args.id} registrada: {args.nombre}.")
    return 0


def cmd_add_campus(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        registry_admin.add_campus(s, args.institution_id, args.campus_id, args.nombre, args.state)
    print(f"Campus {args.campus_id} registrado para la institución {args.institution_id}: {args.nombre}.")
    return 0


def cmd_add_officer(args: argparse.Namespace) -> int:
    cargo = str(args.cargo)
    if not catalogs.is_known("cargo", cargo):
        raise AdminError(f"--cargo no está en el catálogo de cargos ({', '.join(catalogs.load('cargo'))}).")
    cert = _load_cert(args.cer)
    curp = efirma.subject_curp(cert)
    if not curp:
        raise AdminError(f"{args.cer}: el certificado no lleva CURP (serialNumber del sujeto).")
    now = _now()
    if cert.not_valid_after_utc < now:
        raise AdminError(f"{args.cer}: el certificado venció el {_local(cert.not_valid_after_utc)}.")
    number = efirma.certificate_number(cert)
    with _session() as (s, _):
        campus = s.get(Campus, args.campus_id)
        if campus is None:
            raise AdminError(f"el campus {args.campus_id} no está registrado.")
        dup = s.scalars(
            select(Officer).where(Officer.campus_id == campus.id, Officer.certificate_number == number)
        ).first()
        if dup is not None:
            raise AdminError(f"el certificado {number} ya está registrado para el campus {campus.id}.")
        trusted = [x509.load_der_x509_certificate(der) for der in s.scalars(select(TrustedCA.der)).all()]
        if not efirma.chains_to(cert, trusted, at=now):
            print(
                "Aviso: el certificado no fue emitido por ninguna AC de confianza registrada; "
                "los certificados que firme se rechazarán hasta que se agregue su AC con "
                "`mec-ws admin trust-ca`.",
                file=sys.stderr,
            )
        s.add(
            Officer(
                campus_id=campus.id,
                certificate_der=cert.public_bytes(serialization.Encoding.DER),
                certificate_number=number,
                curp=curp,
                rfc=efirma.subject_rfc(cert),
                name=_common_name(cert) or curp,
                cargo_id=int(cargo),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                active=True,
                registered_at=now,
            )
        )
    print(
        f"Responsable registrado para el campus {args.campus_id}: {_common_name(cert)} (CURP {curp}), "
        f"certificado {number}, vigente hasta {_local(cert.not_valid_after_utc)}."
    )
    return 0


def cmd_add_user(args: argparse.Namespace) -> int:
    password = _read_secret(f"Contraseña para {args.username}: ", confirm=True)
    registry_admin.check_password(password)
    with _session() as (s, _):
        registry_admin.add_user(
            s, args.username, institution_id=args.institution, operator=bool(args.operator), password=password
        )
    role = "operador de la SEP" if args.operator else f"institución {args.institution}"
    print(f"Usuario {args.username} creado ({role}).")
    return 0


def cmd_unlock_user(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        if not auth.unlock(s, args.username):
            raise AdminError(f"el usuario {args.username} no existe.")
    print(f"Usuario {args.username} desbloqueado.")
    return 0


def cmd_disable_user(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        registry_admin.set_disabled(s, args.username, not args.habilitar)
    estado = (
        "habilitado" if args.habilitar else "deshabilitado (no puede iniciar sesión por SOAP ni en el portal)"
    )
    print(f"Usuario {args.username} {estado}.")
    return 0


def cmd_add_folio(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        registry_admin.add_folio(s, args.folio, args.institution, args.count)
    print(
        f"Folio de pago {args.folio} registrado para la institución {args.institution}: "
        f"{args.count} certificado(s)."
    )
    return 0


def cmd_list_institutions(_args: argparse.Namespace) -> int:
    with _session() as (s, _):
        rows = s.scalars(select(Institution).order_by(Institution.id)).all()
        if not rows:
            print("No hay instituciones registradas.")
        for inst in rows:
            pruebas = (
                f"; pruebas concluidas {_local(inst.pruebas_concluidas_at)}"
                if inst.pruebas_concluidas_at
                else ""
            )
            print(f"{inst.id}  {inst.name}  ({len(inst.campuses)} campus{pruebas})")
            for c in inst.campuses:
                print(f"    campus {c.id}  {c.name}  (entidad {c.state})")
    return 0


def cmd_list_folios(args: argparse.Namespace) -> int:
    with _session() as (s, _):
        query = select(FolioPago).order_by(FolioPago.institution_id, FolioPago.folio)
        if args.institution:
            _institution(s, args.institution)
            query = query.where(FolioPago.institution_id == args.institution)
        rows = s.scalars(query).all()
        if not rows:
            print("No hay folios de pago registrados.")
        for f in rows:
            count = attempts_of(s, f)  # the one count, as consultaEstatusCarga shows it
            print(
                f"{f.folio}  institución {f.institution_id}  {f.cantidad} certificado(s)  "
                f"intentos usados {count.used}  restantes {count.left}  {f.estatus.value}"
            )
    return 0


def cmd_pruebas(_args: argparse.Namespace) -> int:
    with _session() as (s, _):
        rows = s.scalars(
            select(Institution)
            .where(Institution.pruebas_concluidas_at.is_not(None))
            .order_by(Institution.pruebas_concluidas_at)
        ).all()
        if not rows:
            print("Ninguna institución ha concluido la fase de pruebas.")
        for inst in rows:
            print(f"{inst.id}  {inst.name}  concluyó pruebas {_local(inst.pruebas_concluidas_at)}")
    return 0


# --- trust and the SEP stamp --------------------------------------------------------------------


def cmd_trust_ca(args: argparse.Namespace) -> int:
    data = _read_file(args.file)
    with _session() as (s, _):
        results = registry_admin.trust_ca(s, data, source=args.file)
    for r in results:
        if r.added:
            print(f"De confianza: {r.subject} (vigente hasta {_local(r.not_after)})")
        else:
            print(f"Ya era de confianza: {r.subject}")
    print(f"{sum(r.added for r in results)} certificado(s) de AC agregado(s).")
    return 0


def _load_key(path: str) -> rsa.RSAPrivateKey:
    """The key as PEM (plain or encrypted) or DER PKCS#8 (the SAT's encrypted ``.key``); the password,
    when the key is encrypted, comes from stdin."""
    data = _read_file(path)
    plain_pem = b"-----BEGIN" in data and b"ENCRYPTED" not in data
    try:
        if plain_pem:
            return efirma.load_private_key(data, None)
        try:
            return efirma.load_private_key(data, None)  # an unencrypted DER key
        except ValueError:
            pass
        password = _read_secret("Contraseña de la llave privada: ").encode()
        return efirma.load_private_key(data, password)
    except ValueError as exc:
        raise AdminError(f"{path}: {exc}") from None


def _write_private_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def cmd_set_stamp_key(args: argparse.Namespace) -> int:
    cargo_id = str(args.id_cargo)
    if not catalogs.is_known("cargo", cargo_id):
        raise AdminError(
            f"--id-cargo no está en el catálogo de cargos ({', '.join(catalogs.load('cargo'))})."
        )
    cert = _load_cert(args.cer)
    if cert.not_valid_after_utc < _now():
        raise AdminError(f"{args.cer}: el certificado venció el {_local(cert.not_valid_after_utc)}.")
    curp = efirma.subject_curp(cert)
    if not curp:
        raise AdminError(f"{args.cer}: el certificado no lleva CURP (serialNumber del sujeto).")
    key = _load_key(args.key)
    cert_key = cert.public_key()
    if (
        not isinstance(cert_key, rsa.RSAPublicKey)
        or key.public_key().public_numbers() != cert_key.public_numbers()
    ):
        raise AdminError("la llave privada no corresponde al certificado.")
    number = efirma.certificate_number(cert)
    nombre = args.nombre or _common_name(cert)
    if not nombre:
        raise AdminError("el certificado no lleva nombre (CN): indíquelo con --nombre.")
    cargo = args.cargo or catalogs.load("cargo")[cargo_id]
    with _session() as (s, settings):
        relative = Path(KEYS_DIR) / f"sello-sep-{number}.pem"
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private_file(settings.data_dir / relative, pem)
        for old in s.scalars(select(SepStampKey).where(SepStampKey.active.is_(True))).all():
            old.active = False
        s.flush()
        s.add(
            SepStampKey(
                certificate_der=cert.public_bytes(serialization.Encoding.DER),
                certificate_number=number,
                key_path=relative.as_posix(),
                curp=curp,
                nombre_completo=nombre,
                id_cargo=int(cargo_id),
                cargo=cargo,
                active=True,
            )
        )
    print(
        f"Llave de sellado de la SEP activa: certificado {number}, {nombre} (CURP {curp}), {cargo}; "
        f"llave guardada en {relative.as_posix()} (permisos 0600) dentro de MEC_DATA_DIR."
    )
    return 0


# --- cancellation review ------------------------------------------------------------------------


def cmd_cancellations(args: argparse.Namespace) -> int:
    who = args.por or getpass.getuser()
    now = _now()
    with _session() as (s, _):
        if args.approve or args.withdraw:
            decide = cancellation.approve if args.approve else cancellation.withdraw
            try:
                folio = args.approve or args.withdraw
                control, digital = (None, folio) if args.folio_digital else (folio, None)
                d = decide(s, control, args.institution, now=now, by=who, folio_digital=digital)
            except MecError as exc:
                raise AdminError(exc.mensaje) from None
            if args.approve:
                print(
                    f"Cancelación aplicada: el certificado {d.certificate} ({d.institution_id}) "
                    "queda CANCELADO."
                )
            else:
                print(
                    f"Solicitud retirada: el certificado {d.certificate} ({d.institution_id}) sigue VIGENTE."
                )
            return 0
        rows = cancellation.pending_requests(s, args.institution)
        if not rows:
            print("No hay solicitudes de cancelación pendientes.")
            return 0
        motivos = catalogs.load("motivo_cancelacion")
        print(f"{len(rows)} solicitud(es) de cancelación pendiente(s) (hora de la Ciudad de México):")
        for r in rows:
            c = r.certificate
            print(
                f"{c.folio_control or '(sin folio de control)'}  folio digital {c.folio_digital}  "
                f"institución {c.institution_id}  {c.nombre_completo}  "
                f"motivo {r.motivo} ({motivos.get(r.motivo, '?')})  solicitada {_local(r.requested_at)} "
                f"por {r.requested_by}  efectiva {_local(r.effective_at)}"
                + (f"  observaciones: {r.observaciones}" if r.observaciones else "")
            )
    return 0


# --- batches that ended FALLIDO ----------------------------------------------------------------


def cmd_failed_batches(args: argparse.Namespace) -> int:
    from mec_ws.services import failed

    who = args.por or getpass.getuser()
    with _session() as (s, _):
        if args.reintentar is not None or args.revisado is not None:
            try:
                if args.reintentar is not None:
                    batch = failed.retry_failed(s, args.reintentar, operator=who, now=_now())
                    print(
                        f"Lote {batch.numero_lote} de vuelta en la cola como intento {batch.intento} de su "
                        "folio; un trabajador lo procesará."
                    )
                else:
                    batch = failed.mark_reviewed(s, args.revisado, operator=who, now=_now())
                    print(f"Lote {batch.numero_lote} marcado como revisado por {who}; sale de /salud.")
            except MecError as exc:
                raise AdminError(exc.mensaje) from None
            return 0
        rows = failed.list_failed(s, include_reviewed=args.todos)
        if not rows:
            print("No hay lotes FALLIDO" + (" pendientes de revisión." if not args.todos else "."))
            return 0
        print(f"{len(rows)} lote(s) FALLIDO (hora de la Ciudad de México):")
        for r in rows:
            revisado = f"  revisado por {r.revisado_por} {_local(r.revisado_en)}" if r.revisado_en else ""
            print(
                f"lote {r.numero_lote}  folio {r.folio_pago}  institución {r.institucion}  "
                f"archivo {r.nombre_archivo}  cargado {_local(r.fecha_carga)}  "
                f"falló {_local(r.fecha_falla)}  causa: {r.causa}{revisado}"
            )
    return 0


# --- the parser ---------------------------------------------------------------------------------


def _help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser(
        "admin",
        help="administración del lado de la SEP",
        description="Administración del lado de la SEP: instituciones, campus, responsables, usuarios, "
        "folios de pago, AC de confianza, llave de sellado y revisión de cancelaciones.",
    )
    admin.set_defaults(func=_help_of(admin))
    cmds = admin.add_subparsers(dest="admin_comando", metavar="SUBCOMANDO", title="subcomandos")

    def add(name: str, helptext: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        p.set_defaults(func=func)
        return p

    p = add("add-institution", "registra una institución (IPES)", cmd_add_institution)
    p.add_argument(
        "id", metavar="ID", help='clave MEC de la institución, como en el certificado (p. ej. "000001")'
    )
    p.add_argument("nombre", metavar="NOMBRE", help="nombre de la institución")

    p = add("add-campus", "registra un campus de una institución", cmd_add_campus)
    p.add_argument("institution_id", metavar="INSTITUCION", help="clave de la institución")
    p.add_argument("campus_id", metavar="CAMPUS", help="clave MEC del campus")
    p.add_argument("nombre", metavar="NOMBRE", help="nombre del campus")
    a = p.add_argument(
        "--estado", dest="state", required=True, metavar="NN", help="entidad federativa, clave INEGI 01–32"
    )
    hidden_alias(p, a, "--state")

    p = add("add-officer", "registra la e.firma del responsable de un campus", cmd_add_officer)
    p.add_argument("campus_id", metavar="CAMPUS", help="clave del campus")
    p.add_argument("--cer", required=True, metavar="ARCHIVO", help="certificado e.firma (.cer DER o PEM)")
    p.add_argument("--cargo", required=True, type=int, metavar="ID", help="idCargo del catálogo de cargos")

    p = add("add-user", "crea un usuario del servicio (contraseña por la entrada estándar)", cmd_add_user)
    p.add_argument("username", metavar="USUARIO", help="nombre de usuario")
    owner = p.add_mutually_exclusive_group(required=True)
    a = owner.add_argument(
        "--institucion", dest="institution", metavar="ID", help="institución a la que pertenece"
    )
    hidden_alias(p, a, "--institution")
    a = owner.add_argument("--operador", dest="operator", action="store_true", help="operador de la SEP")
    hidden_alias(p, a, "--operator")

    p = add("add-folio", "registra un folio de pago", cmd_add_folio)
    p.add_argument("folio", metavar="FOLIO", help="folio de pago")
    a = p.add_argument(
        "--institucion", dest="institution", required=True, metavar="ID", help="institución que pagó"
    )
    hidden_alias(p, a, "--institution")
    a = p.add_argument(
        "--cantidad", dest="count", required=True, type=int, metavar="N", help="certificados que ampara"
    )
    hidden_alias(p, a, "--count")

    p = add("trust-ca", "agrega certificados de AC de confianza (PEM, varios, o DER)", cmd_trust_ca)
    p.add_argument("file", metavar="ARCHIVO", help="certificado(s) de la AC")

    p = add(
        "set-stamp-key",
        "establece el certificado y la llave con que la SEP sella "
        "(contraseña de la llave por la entrada estándar)",
        cmd_set_stamp_key,
    )
    p.add_argument(
        "--cer", required=True, metavar="ARCHIVO", help="certificado e.firma del funcionario de la SEP"
    )
    a = p.add_argument(
        "--llave",
        dest="key",
        required=True,
        metavar="ARCHIVO",
        help="llave privada: PEM, o .key DER cifrada del SAT",
    )
    hidden_alias(p, a, "--key")
    p.add_argument(
        "--id-cargo", type=int, default=1, metavar="ID", help="idCargo del funcionario (por omisión 1)"
    )
    p.add_argument("--cargo", metavar="TEXTO", help="cargo del funcionario (por omisión, el del catálogo)")
    p.add_argument("--nombre", metavar="TEXTO", help="nombre completo (por omisión, el del certificado)")

    p = add(
        "cancellations", "lista las solicitudes de cancelación pendientes, o las resuelve", cmd_cancellations
    )
    decision = p.add_mutually_exclusive_group()
    a = decision.add_argument(
        "--aprobar", dest="approve", metavar="FOLIO", help="aplica ya la cancelación del folio de control"
    )
    hidden_alias(p, a, "--approve")
    a = decision.add_argument(
        "--retirar", dest="withdraw", metavar="FOLIO", help="retira la solicitud del folio de control"
    )
    hidden_alias(p, a, "--withdraw")
    a = p.add_argument("--institucion", dest="institution", metavar="ID", help="limita a una institución")
    hidden_alias(p, a, "--institution")
    p.add_argument(
        "--folio-digital",
        action="store_true",
        help="el FOLIO de --aprobar/--retirar es el folio digital (certificados sin folio de control)",
    )
    p.add_argument("--por", metavar="NOMBRE", help="quién decide (por omisión, el usuario del sistema)")

    p = add(
        "disable-user", "deshabilita un usuario (o lo habilita de nuevo con --habilitar)", cmd_disable_user
    )
    p.add_argument("username", metavar="USUARIO", help="nombre de usuario")
    p.add_argument("--habilitar", action="store_true", help="lo habilita de nuevo")

    p = add("unlock-user", "desbloquea un usuario bloqueado por intentos fallidos", cmd_unlock_user)
    p.add_argument("username", metavar="USUARIO", help="nombre de usuario")

    add("list-institutions", "lista las instituciones y sus campus", cmd_list_institutions)
    p = add("list-folios", "lista los folios de pago", cmd_list_folios)
    a = p.add_argument("--institucion", dest="institution", metavar="ID", help="limita a una institución")
    hidden_alias(p, a, "--institution")
    add("pruebas", "lista las instituciones que concluyeron la fase de pruebas", cmd_pruebas)

    p = add(
        "lotes-fallidos",
        "lista los lotes que terminaron FALLIDO por una falla del servicio; los reintenta o marca revisados",
        cmd_failed_batches,
    )
    accion = p.add_mutually_exclusive_group()
    accion.add_argument(
        "--reintentar", type=int, metavar="LOTE", help="devuelve el lote a la cola como el siguiente intento"
    )
    accion.add_argument(
        "--revisado", type=int, metavar="LOTE", help="marca el lote como revisado (sale de /salud)"
    )
    p.add_argument("--todos", action="store_true", help="incluye los ya revisados")
    p.add_argument("--por", metavar="NOMBRE", help="quién actúa (por omisión, el usuario del sistema)")
