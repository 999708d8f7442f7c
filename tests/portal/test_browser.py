"""The portal in a real headless Chromium (selenium + Debian's ``chromium``/``chromium-driver``)
against a real ``mec-ws serve`` loaded with ``mec-ws demo``: the registrar's journey and the SEP
operator's, a screenshot of every screen and axe-core on every screen (no serious or critical
violation).  Figures (violations per screen, axe-core version) are printed; the screenshots go to
``$MEC_PORTAL_SCREENSHOTS`` (default: the test's tmp dir), whose path is printed.

Skipped, saying so, when chromium or chromedriver is missing.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import os
import re
import shutil
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.test_journey import MEC_WS, free_port, run, service_env, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="chromium/chromedriver no están instalados: apt-get install -y chromium chromium-driver",
    ),
]

selenium = pytest.importorskip("selenium", reason="selenium no está instalado (pip install -e '.[test]')")
axe_selenium_python = pytest.importorskip(
    "axe_selenium_python", reason="axe-selenium-python no está instalado"
)
axe_playwright_python = pytest.importorskip(
    "axe_playwright_python", reason="axe-playwright-python (que trae axe-core 4) no está instalado"
)

from axe_selenium_python import Axe  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

BLOCKING = ("serious", "critical")
# axe-selenium-python runs axe; the axe-core it runs is the current 4.x that axe-playwright-python
# ships (axe-selenium-python's own copy is 3.1.1, from 2018).  Only the JavaScript file is used.
AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
_found = re.search(r"axe v([0-9.]+)", AXE_JS.read_text(encoding="utf-8", errors="replace")[:200])
AXE_VERSION = _found.group(1) if _found else "?"


@dataclass
class Browser:
    driver: WebDriver
    base: str
    shots: Path
    figures: list[tuple[str, int, int, str]] = field(default_factory=list)  # screen, violations, blocking
    axe_version: str = "?"

    def go(self, path: str) -> None:
        self.driver.get(self.base + path)

    def wait_text(self, text: str, timeout: float = 180) -> None:
        """Wait until the page shows ``text`` (the page may reload meanwhile)."""
        WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda drv: text in drv.find_element(By.TAG_NAME, "body").text
        )

    def find(self, css: str) -> Any:
        return WebDriverWait(self.driver, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def press(self, text: str, scope: Any = None) -> None:
        """Click a button or link that loads a page, and wait until the old page is gone (a click
        does not wait for the navigation it starts: reading right after could see the old page)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.button(text, scope).click()

        def gone(_: Any) -> bool:
            try:
                old.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:  # chromedriver: "Node … does not belong to the document"
                return "does not belong to the document" in str(exc)
            return False

        WebDriverWait(self.driver, 60).until(gone)

    def button(self, text: str, scope: Any = None) -> Any:
        root = scope or self.driver
        for b in root.find_elements(By.CSS_SELECTOR, "button, a.boton"):
            if b.text.strip().startswith(text):
                return b
        raise AssertionError(f"no hay un botón «{text}» en {self.driver.current_url}")

    def fill(self, **fields: str) -> None:
        for name, value in fields.items():
            el = self.driver.find_element(By.NAME, name)
            if el.tag_name == "select":
                Select(el).select_by_value(value)
            else:
                el.clear()
                el.send_keys(value)

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def shot(self, name: str) -> Path:
        """A full-page screenshot (Chrome DevTools: the whole layout, not just the viewport)."""
        import base64

        d = self.driver
        metrics = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
        width = metrics["cssLayoutViewport"]["clientWidth"]  # what the user sees across; all the way down
        height = min(metrics["cssContentSize"]["height"], 8000)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = d.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )["data"]
        path = self.shots / f"{len(self.figures) + 1:02d}-{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def screen(self, name: str) -> None:
        """Screenshot the whole page and run axe-core on it; serious/critical violations fail."""
        d = self.driver
        self.shot(name)
        axe = Axe(d, script_url=str(AXE_JS))
        axe.inject()
        results = axe.run()
        self.axe_version = (results.get("testEngine") or {}).get("version") or AXE_VERSION
        violations = results["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING]
        summary = ", ".join(f"{v['id']}({v['impact']})" for v in violations) or "—"
        self.figures.append((name, len(violations), len(blocking), summary))
        assert not blocking, f"{name}: " + axe.report(blocking)
        # no CSP violation, no JS error on the page
        errors = [
            e
            for e in d.get_log("browser")
            if e.get("level") == "SEVERE" and e.get("source") != "network"  # a 4xx page is not a page error
        ]
        assert not errors, f"{name}: {errors}"

    def fetch(self, path: str) -> tuple[int, str, bytes]:
        """GET with the browser's session cookie (what a click on a download link sends)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        cookie = self.driver.get_cookie("mec_portal")
        assert cookie is not None, "sin cookie de sesión"
        request = urllib.request.Request(  # noqa: S310 - our own local server
            self.base + path, headers={"Cookie": f"mec_portal={cookie['value']}"}
        )
        with opener.open(request, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()

    def login(self, usuario: str, password: str) -> None:
        self.go("/portal/")
        self.fill(usuario=usuario, password=password)
        self.press("Iniciar sesión")
        self.find("nav.menu")

    def logout(self) -> None:
        self.press("Salir")
        self.find("#usuario")


def _driver() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--lang=es-MX",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(300)  # axe on the long manual page, on a busy machine
    return driver


@dataclass(frozen=True)
class Demo:
    base: str
    dir: Path
    usuario: str
    password: str
    operador: str
    operador_password: str


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    env = service_env(database_url, tmp_path / "data", port)
    env["MEC_CANCELACION_HORAS"] = "48"
    demo_dir = tmp_path / "demo"
    if not database_url.startswith("sqlite"):
        upgraded = run([*MEC_WS, "db", "upgrade"], env, tmp_path)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    done = run([*MEC_WS, "demo", "--dir", demo_dir], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    creds = dict(
        line.split("=", 1)
        for line in (demo_dir / "credenciales.txt").read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    with serving(env, tmp_path, port) as log:
        yield Demo(
            f"http://127.0.0.1:{port}",
            demo_dir,
            creds["MEC_USUARIO"],
            creds["MEC_PASSWORD"],
            creds["MEC_OPERADOR"],
            creds["MEC_OPERADOR_PASSWORD"],
        )
        server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-5000:]


@pytest.fixture
def browser(demo_server: Demo, tmp_path: Path) -> Iterator[Browser]:
    shots = Path(os.environ.get("MEC_PORTAL_SCREENSHOTS") or tmp_path / "capturas")
    shots.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    b = Browser(driver, demo_server.base, shots)
    try:
        yield b
    finally:
        driver.quit()
        print(f"\nCapturas de pantalla: {shots}")
        print(f"axe-core {b.axe_version}: pantalla, violaciones, serias/críticas, reglas")
        for name, total, blocking, summary in b.figures:
            print(f"  {name:32} {total:2} {blocking:2}  {summary}")


PACKAGE_OR_WARNING = {"XML_DEMASIADO_GRANDE", "SELLO_VARIANTE_32"}  # a fault at upload; a warning


def _broken_zip(demo: Demo, path: Path, count: int) -> Path:
    """``count`` certificates of the demo's errores/, each with its own finding (judged, rejected)."""
    files = [f for f in sorted((demo.dir / "errores").glob("*.xml")) if f.stem not in PACKAGE_OR_WARNING]
    with zipfile.ZipFile(path, "w") as zf:
        for f in files[:count]:
            zf.write(f, f.name)
    return path


def test_registrar_and_operator_journeys(demo_server: Demo, browser: Browser, tmp_path: Path) -> None:
    b, d = browser, browser.driver
    # --- the registrar ---------------------------------------------------------------------
    b.go("/portal/")
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert d.find_element(By.LINK_TEXT, "Registro de IPES")
    b.screen("inicio-de-sesion")
    b.fill(usuario=demo_server.usuario, password="equivocada")
    b.press("Iniciar sesión")
    assert "Autenticacion" in b.find(".aviso.error").text
    b.screen("inicio-de-sesion-error")
    b.login(demo_server.usuario, demo_server.password)
    assert "Menú IPES" in b.text() and "Bienvenida" in b.text()
    b.screen("bienvenida")

    b.go("/portal/programas")
    d.find_element(By.NAME, "archivo").send_keys(str(demo_server.dir / "programa.xml"))
    b.press("Cargar")
    b.find(".resultado")
    assert "ACEPTADO" in b.text() or "PROGRAMA_EN_USO" in b.text()
    b.screen("programas")

    b.go("/portal/carga")
    assert "dos intentos" in b.text()
    b.fill(folioPago="DEMO-0001")
    d.find_element(By.NAME, "archivo").send_keys(str(demo_server.dir / "validos.zip"))
    b.press("Cargar")
    lote = re.search(r"Lote (\d+)", b.find(".resultado h2").text)
    assert lote, b.text()
    assert "Intento\n1 de 2" in b.text() or "1 de 2" in b.text()
    b.screen("carga-resultado")
    d.find_element(By.PARTIAL_LINK_TEXT, "Ver el estatus del lote").click()
    b.find(".avance")
    assert re.search(r"\d+ de 10", b.text()), b.text()
    # the external script polls the JSON endpoint and reloads when the batch ends
    b.shot("estatus-en-proceso")  # screenshot only: the page reloads itself; axe runs on its final state
    b.figures.append(("estatus-en-proceso (solo captura)", 0, 0, "axe: ver estatus-aceptado"))
    b.wait_text("Descargar")
    assert "10 de 10" in b.text() and "ACEPTADO" in b.text() and "Estatus detalle" in b.text()
    b.screen("estatus-aceptado")
    status, ctype, body = b.fetch(f"/portal/estatus/lote/{lote.group(1)}/resultado")
    assert status == 200 and body[:2] == b"PK"

    b.go("/portal/carga")
    b.fill(folioPago="DEMO-0003")  # covers 10: a ZIP of 3 is a fault at upload and spends nothing
    d.find_element(By.NAME, "archivo").send_keys(str(_broken_zip(demo_server, tmp_path / "tres.zip", 3)))
    b.press("Cargar")
    assert "CantidadNoCoincide" in b.find(".aviso.error").text
    b.go("/portal/carga")
    b.fill(folioPago="DEMO-0003")
    d.find_element(By.NAME, "archivo").send_keys(str(_broken_zip(demo_server, tmp_path / "roto.zip", 10)))
    b.press("Cargar")
    b.find(".resultado")
    d.find_element(By.PARTIAL_LINK_TEXT, "Ver el estatus del lote").click()
    b.wait_text("Descargar")
    text = b.text()
    assert "RECHAZADO" in text and "CON_ERRORES" in text and "Estatus detalle" in text, text
    first_code = next(
        f.stem
        for f in sorted((demo_server.dir / "errores").glob("*.xml"))
        if f.stem not in PACKAGE_OR_WARNING
    )
    assert first_code in text, text
    b.screen("estatus-rechazado-detalle")

    b.go("/portal/carga")
    b.fill(folioPago="NO-EXISTE")
    d.find_element(By.NAME, "archivo").send_keys(str(demo_server.dir / "validos.zip"))
    b.press("Cargar")
    assert "FolioInexistente" in b.find(".aviso.error").text
    b.screen("carga-falla")

    b.go("/portal/consulta")
    b.fill(folioPago="DEMO-0001")
    b.press("Buscar")
    b.find("table.tabla")
    assert "10 certificado(s) encontrado(s)" in b.text()
    b.screen("consulta")
    folio_control = d.find_element(By.CSS_SELECTOR, "table.tabla tbody tr td:nth-child(7)").text.split("\n")[
        0
    ]
    pdf = d.find_element(By.CSS_SELECTOR, "a[href$='.pdf']").get_attribute("href")
    xml = d.find_element(By.CSS_SELECTOR, "a[href$='.xml']").get_attribute("href")
    assert pdf and xml and "/portal/certificados/" in pdf
    status, ctype, body = b.fetch(pdf.replace(b.base, ""))
    assert status == 200 and ctype == "application/pdf" and body.startswith(b"%PDF")
    status, ctype, body = b.fetch(xml.replace(b.base, ""))
    assert status == 200 and ctype.startswith("application/xml") and folio_control.encode() in body
    status, ctype, body = b.fetch("/portal/consulta/exportar?folioPago=DEMO-0001&formato=CSV")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert status == 200 and len(rows) == 10
    status, ctype, body = b.fetch("/portal/consulta/exportar?folioPago=DEMO-0001&formato=XLSX")
    assert status == 200 and body[:2] == b"PK"

    b.go("/portal/cancelacion")
    b.fill(folioControl=folio_control)
    b.press("Buscar")
    b.find("table.tabla")
    b.screen("cancelacion-busqueda")
    b.press("Cancelar")
    b.find("#motivo")
    b.fill(motivo="C1", observaciones="Error en el nombre del alumno.")
    b.screen("cancelacion-confirmar")
    b.press("Confirmar cancelación")
    b.find(".resultado")
    assert "CANCELACION_SOLICITADA" in b.text() and "Fecha efectiva" in b.text()
    b.screen("cancelacion-solicitada")

    b.go("/portal/estatus")
    b.screen("estatus-vacio")
    b.go("/portal/descargas")
    assert "manual-integracion.md" in b.text()
    b.screen("descargas")
    d.find_element(By.LINK_TEXT, "manual del integrador").click()
    b.find("article.manual h1")
    b.screen("manual")
    b.logout()

    # --- the operator --------------------------------------------------------------------------
    b.go("/portal/registro")
    b.screen("registro")
    b.fill(
        clave="000909",
        nombre="Universidad del Bosque",
        rfc="UBO010203AB1",
        contacto="María López",
        correo="titulacion@bosque.edu.mx",
        telefono="5512345678",
    )
    d.find_element(By.NAME, "responsableCer").send_keys(str(demo_server.dir / "responsable.cer"))
    b.press("Enviar solicitud")
    solicitud = re.search(r"Solicitud (\d+)", b.find(".aviso.ok").text)
    assert solicitud
    b.screen("registro-enviado")

    b.login(demo_server.operador, demo_server.operador_password)
    assert "Consola de la SEP" in b.text()
    b.screen("sep-inicio")
    b.go("/portal/sep/registros")
    section = d.find_element(By.ID, f"sol-{solicitud.group(1)}").find_element(By.XPATH, "..")
    b.screen("sep-registros")
    b.press("Aprobar", section)
    link = b.find("a.enlace-activacion").get_attribute("href")
    assert "APROBADA" in b.text()
    b.screen("sep-registro-aprobado")
    b.go("/portal/sep/cancelaciones")
    assert folio_control in b.text()
    b.screen("sep-cancelaciones")
    b.press("Aprobar")
    assert "queda CANCELADO" in b.find(".aviso.ok").text
    b.go("/portal/sep/folios")
    b.fill(institucion="000909", folio="BOSQUE-0001", cantidad="5")
    b.press("Agregar folio")
    assert "Folio de pago BOSQUE-0001 registrado" in b.find(".aviso.ok").text
    b.screen("sep-folios")
    b.go("/portal/sep/instituciones")
    assert "Universidad del Bosque" in b.text()
    b.screen("sep-instituciones")
    b.go("/portal/sep/usuarios")
    assert "ipes-000909" in b.text()
    b.screen("sep-usuarios")
    b.go("/portal/sep/ac")
    b.screen("sep-ac")
    b.logout()

    d.get(link)
    b.find("#confirmacion")
    b.screen("activacion")
    b.fill(password="bosque-contraseña-1", confirmacion="bosque-contraseña-1")
    b.press("Activar cuenta")
    assert "Cuenta activada" in b.find("h1").text
    b.login("ipes-000909", "bosque-contraseña-1")
    assert "Institución 000909" in b.text()
    b.go("/portal/estatus")
    b.fill(folioPago="BOSQUE-0001")
    b.press("Consultar")
    assert "Este folio aún no tiene cargas" in b.find("main").text
    b.logout()
    d.get(link)  # the link works once
    assert "Enlace no válido" in b.find("h1").text
    print(
        f"\nrecorrido: lote {lote.group(1)}, certificado cancelado {folio_control}, "
        f"solicitud {solicitud.group(1)}"
    )
