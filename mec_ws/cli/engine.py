"""Engine commands: ``validate`` and ``verify`` (no server, no database) and ``demo`` (files, and
by default the demo data in the service's database)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from mec_ws.cli.parser import hidden_alias
from mec_ws.errors import XmlReadError
from mec_ws.findings import Finding, Status
from mec_ws.registry import (
    Campus,
    Institution,
    ProgramLookup,
    RegisteredOfficer,
    StudyProgram,
    ValidationContext,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="valida certificados XML o ZIP sin servidor",
        description=(
            "Valida certificados (XML o ZIP de XML) y muestra los hallazgos de cada archivo. "
            "Las verificaciones que requieren datos no proporcionados se informan como OMITIDAS. "
            "Sale con 0 solo si todos los archivos son correctos."
        ),
    )
    p.add_argument("archivos", nargs="+", metavar="ARCHIVO", type=Path, help="XML o ZIP de certificados")
    p.add_argument(
        "--ca",
        action="append",
        default=[],
        type=Path,
        metavar="ARCHIVO",
        help="certificado(s) de AC de confianza, PEM o DER (.cer del SAT); repetible",
    )
    p.add_argument(
        "--programa",
        action="append",
        default=[],
        type=Path,
        metavar="ARCHIVO",
        help="programa de estudios en XML o XLSX; repetible",
    )
    p.add_argument("--institucion", metavar="ID", help="clave MEC de la institución que carga")
    p.add_argument(
        "--registro",
        type=Path,
        metavar="ARCHIVO",
        help=(
            "registro de la institución en JSON: campus, responsables (e.firma) y folios de control "
            "ya aceptados; véase docs/registro.md"
        ),
    )
    p.add_argument("--estricto", action="store_true", help="acepta solo el sello de 33 campos")
    p.add_argument("--json", action="store_true", help="salida en JSON (una línea por archivo)")
    p.set_defaults(func=cmd_validate)

    v = sub.add_parser(
        "verify",
        help="verifica un certificado sellado por la SEP",
        description="Verifica los tres sellos de un certificado sellado (Dec, Dreoe, SepIpes).",
    )
    v.add_argument("archivo", type=Path, metavar="ARCHIVO", help="certificado sellado por la SEP (XML)")
    a = v.add_argument(
        "--cer-sep",
        dest="sep_cer",
        type=Path,
        required=True,
        metavar="ARCHIVO",
        help="certificado de la SEP (PEM o DER)",
    )
    hidden_alias(v, a, "--sep-cer")
    v.set_defaults(func=cmd_verify)

    d = sub.add_parser(
        "demo",
        help="genera un ambiente de prueba (AC, e.firma, programa, certificados)",
        description=(
            "Escribe una AC de prueba, la e.firma de un responsable, el programa de estudios de una "
            "institución, 10 certificados válidos, un ZIP con ellos y un certificado con error por "
            "cada código de hallazgo. Además registra en la base de datos del servicio (MEC_DATABASE_URL) "
            "la institución, su responsable, la AC de prueba, la llave de sellado de la SEP, el programa, "
            "los usuarios demo y operador-demo (contraseñas nuevas en credenciales.txt) y folios de pago, "
            "listos para `mec-ws serve`, y marca MEC_DATA_DIR como ambiente de pruebas (archivo "
            "«ambiente»; MEC_AMBIENTE lo reemplaza). Se puede ejecutar más de una vez."
        ),
    )
    a = d.add_argument(
        "--carpeta",
        dest="dir",
        type=Path,
        default=Path("demo"),
        metavar="CARPETA",
        help="carpeta de salida (por omisión ./demo)",
    )
    hidden_alias(d, a, "--dir")
    d.add_argument(
        "--sin-base",
        action="store_true",
        help="solo escribe los archivos; no toca la base de datos",
    )
    d.set_defaults(func=cmd_demo)


# --- validate ------------------------------------------------------------------------------


@dataclass
class _Summary:
    files: int = 0
    correct: int = 0
    with_errors: int = 0
    skipped_checks: int = 0
    warnings: int = 0
    problems: list[str] = field(default_factory=list)


def _read_programs(paths: list[Path], institution_id: str | None) -> list[StudyProgram]:
    from mec_ws.programs import is_zip, read_program_xlsx, read_program_xml

    programs: list[StudyProgram] = []
    for path in paths:
        data = path.read_bytes()
        # decided by content, as cargaProgramaEstudios does: an XLSX is a ZIP, an XML is not
        reader = read_program_xlsx if is_zip(data[:4]) else read_program_xml
        result = reader(data, institution=None)
        errors = [f for f in result.findings if f.status is Status.ERROR]
        if result.program is None or errors:
            lines = "\n".join(f"  {f.code} {f.location} {f.message}" for f in errors)
            raise SystemExit(f"error: el programa de estudios {path} no es válido:\n{lines}")
        programs.append(result.program)
    return programs


def _program_lookup(programs: list[StudyProgram], institution_id: str | None) -> ProgramLookup:
    # Programs read from files carry no institution of their own; with --institucion they belong to
    # it, otherwise they are matched by career and plan alone.
    table = {(p.id_carrera, p.clave_plan): p for p in programs}

    def find(inst: str, carrera: str, plan: str) -> StudyProgram | None:
        if institution_id is not None and inst != institution_id:
            return None
        return table.get((carrera, plan))

    return find


def _context(args: argparse.Namespace) -> ValidationContext:
    from mec_ws.certificate.efirma import load_certificates

    cas = []
    for path in args.ca:
        try:
            cas.extend(load_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"error: no se pudo leer la AC {path}: {exc}") from None
    registry = load_registry(args.registro) if args.registro else None
    institution_id = args.institucion or (registry.institution.id if registry else None)
    if registry and args.institucion and args.institucion != registry.institution.id:
        raise SystemExit(
            f"error: --institucion {args.institucion} no coincide con la del registro "
            f"({registry.institution.id})."
        )
    programs = _read_programs(args.programa, institution_id)
    if registry is not None:
        institution: Institution | None = registry.institution
    elif institution_id:
        institution = Institution(id=institution_id, name="", campuses=(), campuses_known=False)
    else:
        institution = None
    return ValidationContext(
        now=datetime.now(UTC),
        institution=institution,
        officers=registry.officers if registry else None,
        is_folio_accepted=registry.is_folio_accepted if registry else None,
        trusted_cas=tuple(cas) if cas else None,
        find_program=_program_lookup(programs, institution_id) if programs else None,
        strict_sello=args.estricto,
    )


@dataclass(frozen=True)
class FileRegistry:
    institution: Institution
    officers: tuple[RegisteredOfficer, ...]
    accepted: frozenset[str]

    def is_folio_accepted(self, institution_id: str, folio: str) -> bool:
        return institution_id == self.institution.id and folio in self.accepted


def load_registry(path: Path) -> FileRegistry:
    """Read the ``--registro`` JSON file (format in docs/registro.md); paths are relative to it."""
    from mec_ws.certificate.efirma import load_certificate

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        inst = data["institucion"]
        campuses = tuple(
            Campus(
                id=str(c["id"]),
                institution_id=str(inst["id"]),
                name=str(c.get("nombre", "")),
                state=str(c["entidadFederativa"]),
            )
            for c in inst.get("campus", [])
        )
        institution = Institution(id=str(inst["id"]), name=str(inst.get("nombre", "")), campuses=campuses)
        officers = []
        for item in data.get("responsables", []):
            cer = (path.parent / item["certificado"]).read_bytes()
            der = load_certificate(cer).public_bytes(Encoding.DER)
            officers.append(
                RegisteredOfficer(
                    campus_id=str(item["campus"]), certificate_der=der, cargo_id=int(item.get("idCargo", 5))
                )
            )
        accepted = frozenset(str(f) for f in data.get("foliosControlAceptados", []))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"error: el registro {path} no es válido: {exc!r}") from None
    return FileRegistry(institution=institution, officers=tuple(officers), accepted=accepted)


def _entries(
    paths: list[Path], summary: _Summary, out: list[tuple[str, list[Finding]]]
) -> Iterator[tuple[str, bytes]]:
    """Every certificate file named on the command line, through the service's one package reader
    (:func:`mec_ws.batches.zipread.iter_upload`, with the service's limits from the environment), so
    a package the service refuses shows here with the same codes; ZIPs are read entry by entry."""
    from mec_ws.batches.zipread import UploadLimits, iter_upload
    from mec_ws.config import Settings
    from mec_ws.errors import ConfigurationError

    try:
        limits = UploadLimits.from_settings(Settings.from_env())
    except ConfigurationError as exc:
        raise SystemExit(f"error: {exc}") from None
    for path in paths:
        try:
            scan = iter_upload(path, limits, name=str(path))
        except OSError as exc:
            summary.problems.append(f"{path}: no se pudo leer ({exc.strerror})")
            continue
        for name, data in scan.entries():
            yield (name if scan.kind == "xml" else f"{path}!{name}"), data
        if scan.findings:  # read after the entries: a forged size or a bad CRC shows on reading
            out.append((str(path), list(scan.findings)))


def _print_file(name: str, findings: list[Finding], *, as_json: bool, folio: str | None = None) -> None:
    errors = [f for f in findings if f.status is Status.ERROR]
    if as_json:
        print(
            json.dumps(
                {
                    "archivo": name,
                    "folioControl": folio,
                    "estatus": "CON_ERRORES" if errors else "CORRECTO",
                    "hallazgos": [
                        {
                            "codigo": f.code,
                            "estatus": str(f.status),
                            "mensaje": f.message,
                            "ubicacion": f.location,
                        }
                        for f in findings
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    print(f"{name}: {'CON ERRORES' if errors else 'CORRECTO'}")
    for f in findings:
        where = f" [{f.location}]" if f.location else ""
        print(f"  {f.status:<11} {f.code}{where}: {f.message}")


def cmd_validate(args: argparse.Namespace) -> int:
    from mec_ws.validation import validate_many

    ctx = _context(args)
    summary = _Summary()
    upload_level: list[tuple[str, list[Finding]]] = []
    for result in validate_many(_entries(args.archivos, summary, upload_level), ctx):
        summary.files += 1
        findings = list(result.findings)
        if result.ok:
            summary.correct += 1
        else:
            summary.with_errors += 1
        summary.skipped_checks += sum(1 for f in findings if f.status is Status.OMITIDA)
        summary.warnings += sum(1 for f in findings if f.status is Status.ADVERTENCIA)
        _print_file(result.name, findings, as_json=args.json, folio=result.folio_control)
    for name, findings in upload_level:
        summary.with_errors += 1 if any(f.status is Status.ERROR for f in findings) else 0
        _print_file(name, findings, as_json=args.json)
    for problem in summary.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(
        f"Resumen: {summary.files} archivo(s), {summary.correct} correcto(s), "
        f"{summary.with_errors} con errores, {summary.warnings} advertencia(s), "
        f"{summary.skipped_checks} verificación(es) omitida(s).",
        file=sys.stderr if args.json else sys.stdout,
    )
    ok = summary.with_errors == 0 and not summary.problems and summary.files > 0
    return 0 if ok else 1


# --- verify --------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    from mec_ws.certificate.efirma import load_certificate
    from mec_ws.certificate.stamp import verify_stamped

    try:
        sep_cert = load_certificate(args.sep_cer.read_bytes())
        data = args.archivo.read_bytes()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = verify_stamped(data, sep_cert)
    except XmlReadError as exc:
        print(f"{args.archivo}: NO VÁLIDO\n  {exc.finding_code}: {exc.mensaje}")
        return 1
    if result.ok:
        print(f"{args.archivo}: VÁLIDO (folioDigital {result.folio_digital})")
        return 0
    print(f"{args.archivo}: NO VÁLIDO")
    for problem in result.problems:
        print(f"  {problem}")
    return 1


# --- demo ----------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from mec_ws.config import Settings
    from mec_ws.errors import ConfigurationError
    from mec_ws.testdata.demo import write_demo
    from mec_ws.testdata.demo_db import load_demo, write_single_certificate

    written = write_demo(args.dir)
    single = write_single_certificate(written)
    print(written.describe())
    print(f"  Un certificado más, para cargarlo solo (XML): {single}")
    if args.sin_base:
        print("Base de datos sin tocar (--sin-base).")
        return 0
    try:
        settings = Settings.from_env()
        credentials = load_demo(settings, written)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(credentials.describe())
    print("Inicie el servicio con `mec-ws serve` y pruebe el recorrido completo:")
    print(
        f"  python client_examples/journey.py --wsdl {credentials.wsdl_url} --usuario {credentials.usuario} "
        f"--password '{credentials.password}' --demo {written.root}"
    )
    return 0
