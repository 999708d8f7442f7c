"""``mec-ws demo``: a ready-to-try set of files made by the same factory the tests use.

Layout written under the chosen folder::

    ca.cer, ca.pem              the test CA (DER as the SAT distributes it, and PEM)
    responsable.cer/.key        the officer's e.firma: certificate (DER) and SAT-style encrypted key
    responsable.key.txt         the password of that key (demo only!)
    sep.cer, sep.key.pem        the SEP stamping certificate and key (for ``mec-ws admin set-stamp-key``)
    programa.xml                the institution's study program
    registro.json, registro/    the institution's registry for ``mec-ws validate --registro``
    validos/*.xml               10 valid certificates
    validos.zip                 the same 10 in one ZIP
    errores/<CODIGO>.xml        one broken certificate per finding code it can show
    generadores/*.xml           2 valid certificates as public Dec 3.0 generators write them: ending
                                with empty <Dreoe/> <SepIpes/> placeholders, one without folioControl
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mec_ws.testdata.factory import Scenario, default_scenario, seal, to_bytes

DEMO_KEY_PASSWORD = b"demo-mec-ws"
VALID_COUNT = 10
# Certificate numbers of the generator samples: after the valid ones and the 11th that
# ``demo_db`` uploads alone, so no student or folio is shared.
GENERATOR_SAMPLES: tuple[tuple[str, int, dict[str, object]], ...] = (
    ("con-marcadores.xml", VALID_COUNT + 2, {"placeholders": True}),
    ("sin-folio-control.xml", VALID_COUNT + 3, {"placeholders": True, "folio_control": None}),
)


@dataclass(frozen=True)
class DemoFiles:
    root: Path
    scenario: Scenario
    valid: tuple[Path, ...]
    zip_path: Path
    broken: dict[str, Path]
    generators: tuple[Path, ...] = ()

    def describe(self) -> str:
        inst = self.scenario.institution
        return "\n".join(
            [
                f"Ambiente de demostración escrito en {self.root}",
                f"  Institución {inst.id} «{inst.name}», campus {self.scenario.campus.id}",
                f"  Programa {self.scenario.program.id_carrera}/{self.scenario.program.clave_plan}: "
                f"{self.scenario.program.nombre_carrera}",
                f"  {len(self.valid)} certificados válidos en {self.root / 'validos'} y {self.zip_path.name}",
                f"  {len(self.broken)} certificados con error en {self.root / 'errores'} (uno por código)",
                f"  {len(self.generators)} certificados como los escriben generadores públicos en "
                f"{self.root / 'generadores'} (<Dreoe/> <SepIpes/> vacíos; uno sin folioControl)",
                "Pruebe:",
                f"  mec-ws validate --ca {self.root / 'ca.cer'} --programa {self.root / 'programa.xml'} "
                f"--registro {self.root / 'registro.json'} {self.root / 'validos'}/*.xml",
                f"  mec-ws validate --ca {self.root / 'ca.cer'} --programa {self.root / 'programa.xml'} "
                f"--registro {self.root / 'registro.json'} {self.root / 'errores'}/*.xml",
            ]
        )


def _write(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _registry_json(root: Path, scenario: Scenario) -> bytes:
    """The institution's registry for ``mec-ws validate --registro`` (docs/registro.md).

    Besides the demo officer it registers the officers of the broken e.firma files (expired, not
    yet valid, untrusted) so those files fail only on their own defect, and the default officer on
    a campus the institution does not have, so that file fails only on the campus.
    """
    from mec_ws.testdata.broken import UNREGISTERED_CAMPUS, special_officers
    from mec_ws.testdata.factory import ACCEPTED_FOLIO
    from mec_ws.testdata.pki import cert_to_der

    special = special_officers()
    officers_dir = root / "registro"
    entries = [(scenario.campus.id, "responsable.cer")]
    for label, (_key, cert) in (
        ("vencido", special.expired),
        ("aun-no-vigente", special.not_yet_valid),
        ("no-confiable", special.untrusted),
    ):
        _write(officers_dir / f"responsable-{label}.cer", cert_to_der(cert))
        entries.append((scenario.campus.id, f"registro/responsable-{label}.cer"))
    entries.append((UNREGISTERED_CAMPUS, "responsable.cer"))
    inst = scenario.institution
    doc = {
        "institucion": {
            "id": inst.id,
            "nombre": inst.name,
            "campus": [{"id": c.id, "nombre": c.name, "entidadFederativa": c.state} for c in inst.campuses],
        },
        "responsables": [{"campus": campus, "certificado": cer, "idCargo": 5} for campus, cer in entries],
        "foliosControlAceptados": [ACCEPTED_FOLIO],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_demo(root: Path, *, scenario: Scenario | None = None) -> DemoFiles:
    from mec_ws.programs import program_to_xml
    from mec_ws.testdata.broken import BROKEN_VARIANTS
    from mec_ws.testdata.pki import cert_to_der, cert_to_pem, default_pki, key_to_pem, key_to_sat_der

    scenario = scenario or default_scenario()
    pki = default_pki()
    root = root.resolve()
    _write(root / "ca.cer", cert_to_der(pki.ca_cert))
    _write(root / "ca.pem", cert_to_pem(pki.ca_cert))
    _write(root / "responsable.cer", cert_to_der(pki.officer_cert))
    _write(root / "responsable.key", key_to_sat_der(pki.officer_key, DEMO_KEY_PASSWORD), mode=0o600)
    _write(root / "responsable.key.txt", DEMO_KEY_PASSWORD + b"\n", mode=0o600)
    _write(root / "sep.cer", cert_to_der(pki.sep_signer.certificate))
    _write(root / "sep.key.pem", key_to_pem(pki.sep_signer.key), mode=0o600)
    _write(root / "programa.xml", program_to_xml(scenario.program))

    valid: list[Path] = []
    for n in range(VALID_COUNT):
        data = to_bytes(seal(scenario.certificate(n)))
        valid.append(_write(root / "validos" / f"certificado-{n + 1:02d}.xml", data))
    zip_path = root / "validos.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in valid:
            zf.write(path, arcname=path.name)

    broken: dict[str, Path] = {}
    for code, make in sorted(BROKEN_VARIANTS.items()):
        broken[code] = _write(root / "errores" / f"{code}.xml", make(scenario))
    generators = tuple(
        _write(root / "generadores" / name, to_bytes(seal(scenario.certificate(n, **options))))
        for name, n, options in GENERATOR_SAMPLES
    )
    _write(root / "registro.json", _registry_json(root, scenario))
    return DemoFiles(
        root=root,
        scenario=scenario,
        valid=tuple(valid),
        zip_path=zip_path,
        broken=broken,
        generators=generators,
    )
