"""The PHP (SoapClient) and Java (JAX-WS, wsimport) client examples against a real ``mec-ws serve``
with the demo's data: upload, status polling, result and certificate downloads, a rejection, and a
fault, each as an integrator would run it.  Runs on SQLite and on PostgreSQL (``database_url``).

Each test runs when its toolchain is installed (``php`` with the soap extension; a JDK with
``wsimport`` and the JAX-WS runtime jar) and skips saying what is missing otherwise; CI
(``.ci/run``) installs both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.test_journey import CLIENT_EXAMPLES, MEC_WS, free_port, run, service_env, serving

JAXWS_RT = Path(os.environ.get("JAXWS_RT", "/usr/share/java/jaxws-rt.jar"))
DEMO_CERTIFICATES = 10  # demo/validos.zip, for folio DEMO-0001


def php_missing() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "no hay php (Debian: apt-get install php-cli php-soap)"
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, check=False, timeout=30).stdout
    if "soap" not in modules.split():
        return "php no tiene la extensión soap (Debian: apt-get install php-soap)"
    return None


def java_missing() -> str | None:
    for tool in ("java", "javac", "wsimport"):
        if shutil.which(tool) is None:
            return f"no hay {tool} (Debian: apt-get install default-jdk-headless jaxws)"
    if not JAXWS_RT.is_file():
        return f"no está el runtime de JAX-WS {JAXWS_RT} (Debian: apt-get install jaxws)"
    return None


def demo_server(database_url: str, tmp_path: Path) -> tuple[dict[str, str], Path, int]:
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    if not database_url.startswith("sqlite"):  # PostgreSQL is never migrated implicitly
        upgraded = run([*MEC_WS, "db", "upgrade"], env, tmp_path)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    demo = run([*MEC_WS, "demo", "--dir", tmp_path / "demo"], env, tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    return env, tmp_path / "demo", port


def check_journey(
    client: list[str | Path], env: dict[str, str], demo: Path, tmp_path: Path, port: int
) -> None:
    """The three runs every example must get right; ``client`` is the command before the options."""
    salida = tmp_path / "descargas"
    accepted = run(
        [
            *client,
            "--credenciales",
            demo / "credenciales.txt",
            "--folio",
            "DEMO-0001",
            "--archivo",
            demo / "validos.zip",
            "--salida",
            salida,
            "--espera-max",
            "120",
        ],
        env,
        tmp_path,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    out = accepted.stdout
    assert "1. cargaCertificados: lote 1, intento 1, intentos restantes 1 (RECIBIDO)" in out, out
    assert "2. consultaEstatusCarga: lote 1 ACEPTADO (folio ACEPTADO)" in out, out
    assert out.count(": CORRECTO (UAV-2024-") == DEMO_CERTIFICATES, out
    assert "3. descargaResultadoCarga: " in out and "resultado-lote-1.zip" in out, out
    assert out.count("4. descargaCertificado: ") == DEMO_CERTIFICATES, out
    assert out.rstrip().endswith("Listo: el lote 1 fue ACEPTADO."), out
    with zipfile.ZipFile(salida / "resultado-lote-1.zip") as zf:
        assert "resultado.csv" in zf.namelist()
    stamped = sorted(salida.glob("UAV-2024-*.xml"))
    assert len(stamped) == DEMO_CERTIFICATES
    verify = run([*MEC_WS, "verify", "--sep-cer", demo / "sep.cer", stamped[0]], env, tmp_path)
    assert verify.returncode == 0 and "NO VÁLIDO" not in verify.stdout, verify.stdout + verify.stderr

    rejected = run(
        [
            *client,
            "--credenciales",
            demo / "credenciales.txt",
            "--folio",
            "DEMO-0005",
            "--archivo",
            demo / "errores" / "CURP_INVALIDA.xml",
            "--salida",
            tmp_path / "rechazo",
        ],
        env,
        tmp_path,
    )
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "RECHAZADO" in rejected.stdout and "CURP_INVALIDA [Dec/Alumno/@curp]: " in rejected.stdout
    assert "4. descargaCertificado" not in rejected.stdout
    assert list((tmp_path / "rechazo").glob("resultado-lote-*.zip"))

    # flags instead of the credentials file; a fault is one Spanish line and exit status 2
    password = next(
        line.partition("=")[2]
        for line in (demo / "credenciales.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("MEC_PASSWORD=")
    )
    fault = run(
        [
            *client,
            "--wsdl",
            f"http://127.0.0.1:{port}/mec/ws?wsdl",
            "--usuario",
            "demo",
            "--password",
            password,
            "--folio",
            "DEMO-0001",
            "--archivo",
            demo / "individual" / "certificado-11.xml",
        ],
        env,
        tmp_path,
    )
    assert fault.returncode == 2, fault.stdout + fault.stderr
    assert "Error MEC [FolioAceptado]: El folio de pago «DEMO-0001» ya fue aceptado" in fault.stderr
    assert "Exception" not in fault.stderr and "Fatal" not in fault.stderr

    wrong = run(
        [
            *client,
            "--credenciales",
            demo / "credenciales.txt",
            "--password",
            "equivocada",
            "--folio",
            "DEMO-0002",
            "--archivo",
            demo / "individual" / "certificado-11.xml",
        ],
        env,
        tmp_path,
    )
    assert wrong.returncode == 2 and "Error MEC [Autenticacion]: " in wrong.stderr, wrong.stderr


def test_php_soapclient_example(database_url: str, tmp_path: Path) -> None:
    if reason := php_missing():
        pytest.skip(reason)
    env, demo, port = demo_server(database_url, tmp_path)
    with serving(env, tmp_path, port):
        check_journey(["php", CLIENT_EXAMPLES / "php" / "recorrido.php"], env, demo, tmp_path, port)


def test_php_example_without_a_server_is_a_communication_error(tmp_path: Path) -> None:
    if reason := php_missing():
        pytest.skip(reason)
    done = run(
        [
            "php",
            CLIENT_EXAMPLES / "php" / "recorrido.php",
            "--wsdl",
            f"http://127.0.0.1:{free_port()}/mec/ws?wsdl",
            "--usuario",
            "u",
            "--password",
            "p",
            "--folio",
            "F",
            "--archivo",
            __file__,
        ],
        dict(os.environ),
        tmp_path,
    )
    assert done.returncode == 3 and done.stderr.startswith("Error de comunicación con el servicio: "), (
        done.stderr
    )


def test_java_jaxws_example(database_url: str, tmp_path: Path) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    env, demo, port = demo_server(database_url, tmp_path)
    build = tmp_path / "build"
    with serving(env, tmp_path, port):
        built = run(
            ["sh", CLIENT_EXAMPLES / "java" / "construir.sh", f"http://127.0.0.1:{port}/mec/ws?wsdl", build],
            env,
            tmp_path,
            timeout=300,
        )
        assert built.returncode == 0, built.stdout + built.stderr
        assert (build / "generado" / "mx" / "sep" / "mec" / "cliente" / "ErrorMec_Exception.java").is_file()
        java = ["java", "-cp", f"{build / 'classes'}{os.pathsep}{JAXWS_RT}", "mx.sep.mec.ejemplo.Recorrido"]
        check_journey(java, env, demo, tmp_path, port)
