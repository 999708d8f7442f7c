"""``mec-ws demo`` then ``mec-ws validate`` / ``verify`` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mec_ws.findings import CODES

MEC_WS = [sys.executable, "-m", "mec_ws.cli"]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # These commands work on files only (`demo --sin-base` leaves the database alone); should one
    # touch a database by mistake, it would be a throw-away one inside the test's folder.
    env = {k: v for k, v in os.environ.items() if k != "MEC_DATABASE_URL"}
    env["MEC_DATA_DIR"] = str(cwd / "mec-data")
    return subprocess.run(
        [*MEC_WS, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    result = run("demo", "--dir", root / "demo", "--sin-base", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "10 certificados válidos" in result.stdout
    assert not (root / "mec-data").exists()  # no database: these tests are about the files
    return root / "demo"


def registry_args(demo: Path) -> list[str | Path]:
    return [
        "--ca",
        demo / "ca.cer",
        "--programa",
        demo / "programa.xml",
        "--registro",
        demo / "registro.json",
    ]


def test_demo_writes_the_promised_files(demo: Path):
    for name in ("ca.cer", "ca.pem", "responsable.cer", "responsable.key", "programa.xml", "validos.zip"):
        assert (demo / name).stat().st_size > 0, name
    assert len(list((demo / "validos").glob("*.xml"))) == 10
    assert (demo / "responsable.key").stat().st_mode & 0o077 == 0


def test_valid_certificates_pass(demo: Path):
    files = sorted((demo / "validos").glob("*.xml"))
    result = run("validate", *registry_args(demo), *files, cwd=demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 correcto(s), 0 con errores" in result.stdout
    assert "0 verificación(es) omitida(s)" in result.stdout


def test_valid_zip_passes(demo: Path):
    result = run("validate", *registry_args(demo), demo / "validos.zip", cwd=demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 correcto(s)" in result.stdout


def test_issue_command_line_passes_reporting_skipped_checks(demo: Path):
    """The issue's form (--ca, --programa only): registry checks are OMITIDA, not passed."""
    files = sorted((demo / "validos").glob("*.xml"))
    result = run("validate", "--ca", demo / "ca.cer", "--programa", demo / "programa.xml", *files, cwd=demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OMITIDA" in result.stdout
    assert " 0 verificación(es) omitida(s)" not in result.stdout


def test_each_broken_file_fails_with_its_code(demo: Path):
    broken = sorted((demo / "errores").glob("*.xml"))
    assert {p.stem for p in broken} <= set(CODES)
    assert len(broken) >= 40
    result = run("validate", "--json", *registry_args(demo), *broken, cwd=demo)
    assert result.returncode == 1
    seen = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        seen[Path(record["archivo"]).stem] = record
    assert set(seen) == {p.stem for p in broken}
    for code, record in seen.items():
        errors = sorted({h["codigo"] for h in record["hallazgos"] if h["estatus"] == "ERROR"})
        if code == "SELLO_VARIANTE_32":  # an advertencia: the file is accepted
            assert errors == [] and record["estatus"] == "CORRECTO"
            assert [h["codigo"] for h in record["hallazgos"]] == ["SELLO_VARIANTE_32"]
        else:
            assert errors == [code], (code, record["hallazgos"])
            assert record["estatus"] == "CON_ERRORES"
            assert all(h["mensaje"] for h in record["hallazgos"])


def test_strict_mode_rejects_the_32_field_sello(demo: Path):
    result = run(
        "validate", "--estricto", *registry_args(demo), demo / "errores" / "SELLO_VARIANTE_32.xml", cwd=demo
    )
    assert result.returncode == 1
    assert "SELLO_INVALIDO" in result.stdout


def test_missing_file_is_an_error_not_a_crash(demo: Path):
    result = run("validate", demo / "no-existe.xml", cwd=demo)
    assert result.returncode == 1
    assert "no se pudo leer" in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_stamped_certificate(demo: Path, tmp_path: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from mec_ws.certificate.reader import read_xml
    from mec_ws.certificate.stamp import SepSigner, stamp

    key = serialization.load_pem_private_key((demo / "sep.key.pem").read_bytes(), password=None)
    cert = x509.load_der_x509_certificate((demo / "sep.cer").read_bytes())
    signer = SepSigner(
        key=key,
        certificate=cert,
        curp="PEHL750312MDFRRR26",
        nombre_completo="Luisa Pérez",
        id_cargo=5,
        cargo="RESPONSABLE DE EXPEDICIÓN",
    )
    root = read_xml((demo / "validos" / "certificado-01.xml").read_bytes()).getroot()
    stamped = tmp_path / "sellado.xml"
    stamped.write_bytes(stamp(root, signer).xml)
    ok = run("verify", "--sep-cer", demo / "sep.cer", stamped, cwd=demo)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VÁLIDO" in ok.stdout

    stamped.write_bytes(stamped.read_bytes().replace(b'promedio="', b'promedio="1'))
    bad = run("verify", "--sep-cer", demo / "sep.cer", stamped, cwd=demo)
    assert bad.returncode == 1
    assert "NO VÁLIDO" in bad.stdout

    unstamped = run(
        "verify", "--sep-cer", demo / "sep.cer", demo / "validos" / "certificado-01.xml", cwd=demo
    )
    assert unstamped.returncode == 1


def test_generator_samples_validate_and_verify_once_stamped(demo: Path, tmp_path: Path):
    """Public generators' files: empty <Dreoe/> <SepIpes/>, and one without folioControl."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from mec_ws.certificate.reader import read_xml
    from mec_ws.certificate.stamp import SepSigner, stamp

    files = sorted((demo / "generadores").glob("*.xml"))
    assert [p.name for p in files] == ["con-marcadores.xml", "sin-folio-control.xml"]
    assert all(p.read_bytes().rstrip().endswith(b"<Dreoe/><SepIpes/></Dec>") for p in files)
    assert b"folioControl" not in (demo / "generadores" / "sin-folio-control.xml").read_bytes()
    result = run("validate", *registry_args(demo), *files, cwd=demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 correcto(s), 0 con errores" in result.stdout

    key = serialization.load_pem_private_key((demo / "sep.key.pem").read_bytes(), password=None)
    cert = x509.load_der_x509_certificate((demo / "sep.cer").read_bytes())
    signer = SepSigner(key, cert, "PEHL750312MDFRRR26", "Luisa Pérez", 5, "DIRECTORA")  # type: ignore[arg-type]
    for path in files:
        stamped = tmp_path / path.name
        stamped.write_bytes(stamp(read_xml(path.read_bytes()).getroot(), signer).xml)
        assert stamped.read_bytes().count(b"<Dreoe ") == 1 and b"<Dreoe/>" not in stamped.read_bytes()
        ok = run("verify", "--sep-cer", demo / "sep.cer", stamped, cwd=demo)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "VÁLIDO" in ok.stdout


def test_a_program_in_xlsx_serves_as_the_xml_one(demo: Path, tmp_path: Path):
    """``--programa`` takes the spreadsheet layout too (told apart by content, as the service does)."""
    from mec_ws.programs import program_to_xlsx, read_program_xml

    program = read_program_xml((demo / "programa.xml").read_bytes(), institution=None).program
    assert program is not None
    sheet = tmp_path / "programa.xlsx"
    sheet.write_bytes(program_to_xlsx(program))
    files = sorted((demo / "validos").glob("*.xml"))
    args = [a if a != demo / "programa.xml" else sheet for a in registry_args(demo)]
    result = run("validate", *args, *files, cwd=demo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 correcto(s), 0 con errores" in result.stdout
    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(sheet.read_bytes()[:200])  # a ZIP cut short: the reader's finding, not a crash
    result = run("validate", "--ca", demo / "ca.cer", "--programa", broken, *files, cwd=demo)
    assert result.returncode != 0 and "no es válido" in (result.stdout + result.stderr)
