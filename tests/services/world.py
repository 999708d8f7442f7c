"""A registered world for service and batch tests: two institutions, users, folios, the SEP key.

Institution 000001 is the default test scenario (campus 000101 with the default officer, the
Licenciatura en Derecho program); institution 000002 is a second IPES with its own campus, officer
registration and program, to check isolation.  The clock is a settable one.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mec_ws import db, passwords
from mec_ws.batches.worker import Worker, WorkerOptions
from mec_ws.certificate import efirma
from mec_ws.config import Settings
from mec_ws.services.app import MecApp
from mec_ws.services.dto import EstatusCertificado, Principal
from mec_ws.services.registry_source import save_program
from mec_ws.testdata.factory import (
    FIXED_NOW,
    Scenario,
    default_scenario,
    make_institution,
    make_program,
    seal,
    to_bytes,
)
from mec_ws.testdata.pki import default_pki, key_to_pem
from models import (
    Batch,
    BatchKind,
    Campus,
    Certificate,
    FolioPago,
    Institution,
    Officer,
    SepStampKey,
    TrustedCA,
    User,
)

PASSWORD = "secreto-de-prueba"
_folios = itertools.count(1)


@dataclass
class Clock:
    now: datetime = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now = self.now + timedelta(**kwargs)


@dataclass
class World:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock
    app: MecApp
    scenario: Scenario
    other_scenario: Scenario
    ipes: Principal
    other: Principal
    operator: Principal
    _certs: dict[tuple[str, int], bytes] = field(default_factory=dict)

    def folio(self, cantidad: int, institution_id: str = "000001") -> str:
        name = f"FP-{institution_id}-{next(_folios):05d}"
        with self.sessions() as s:
            s.add(FolioPago(folio=name, institution_id=institution_id, cantidad=cantidad))
            s.commit()
        return name

    def certificate(self, n: int, *, other: bool = False, **kwargs: object) -> bytes:
        """A valid signed certificate of institution 000001 (or 000002), cached per n."""
        scenario = self.other_scenario if other else self.scenario
        key = (scenario.institution.id, n)
        if kwargs:
            return to_bytes(seal(scenario.certificate(n, **kwargs)))
        if key not in self._certs:
            folio = f"{'OTR' if other else 'UAV'}-2024-{n + 100:06d}"
            self._certs[key] = to_bytes(seal(scenario.certificate(n, folio_control=folio)))
        return self._certs[key]

    def worker(self, **options: object) -> Worker:
        opts = WorkerOptions(poll_seconds=0.05, **options)  # type: ignore[arg-type]
        return Worker(self.sessions, self.settings, options=opts, clock=self.clock)

    def drain(self) -> int:
        return self.worker().run(once=True)


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _user(s: Session, username: str, institution_id: str | None) -> Principal:
    user = User(
        username=username,
        password_hash=passwords.hash_password(PASSWORD),
        institution_id=institution_id,
        is_operator=institution_id is None,
    )
    s.add(user)
    s.flush()
    return Principal(user.id, username, institution_id, institution_id is None)


def _institution(s: Session, scenario: Scenario) -> None:
    pki = default_pki()
    inst = scenario.institution
    s.add(
        Institution(
            id=inst.id,
            name=inst.name,
            campuses=[Campus(id=c.id, name=c.name, state=c.state) for c in inst.campuses],
        )
    )
    s.flush()
    cert = pki.officer_cert
    s.add(
        Officer(
            campus_id=scenario.campus.id,
            certificate_der=cert.public_bytes(serialization.Encoding.DER),
            certificate_number=efirma.certificate_number(cert),
            curp=pki.officer_curp,
            rfc=pki.officer_rfc,
            name=pki.officer_nombre,
            cargo_id=5,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )
    )
    s.flush()
    save_program(s, scenario.program)


def other_scenario() -> Scenario:
    inst = make_institution(
        id="000002", name="INSTITUTO TECNOLÓGICO DEL VALLE", campuses=(("000201", "CAMPUS NORTE", "09"),)
    )
    return Scenario(institution=inst, campus=inst.campuses[0], program=make_program(inst), seed=77)


def build_world(engine: Engine, data_dir: Path, *, with_stamp_key: bool = True) -> World:
    settings = Settings.from_env(
        {"MEC_DATA_DIR": str(data_dir), "MEC_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    )
    sessions = db.session_factory(engine)
    pki = default_pki()
    scenario, other = default_scenario(), other_scenario()
    with sessions() as s:
        _institution(s, scenario)
        _institution(s, other)
        s.add(
            TrustedCA(
                der=pki.ca_cert.public_bytes(serialization.Encoding.DER),
                subject=pki.ca_cert.subject.rfc4514_string(),
                sha256="ca-" + efirma.certificate_number(pki.ca_cert),
                not_after=pki.ca_cert.not_valid_after_utc,
            )
        )
        ipes = _user(s, "ipes1", scenario.institution.id)
        other_user = _user(s, "ipes2", other.institution.id)
        operator = _user(s, "operador", None)
        if with_stamp_key:
            signer = pki.sep_signer
            key_path = data_dir / "claves" / "sello-sep.pem"
            key_path.parent.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(key_to_pem(signer.key))
            s.add(
                SepStampKey(
                    certificate_der=signer.certificate.public_bytes(serialization.Encoding.DER),
                    certificate_number=efirma.certificate_number(signer.certificate),
                    key_path="claves/sello-sep.pem",
                    curp=signer.curp,
                    nombre_completo=signer.nombre_completo,
                    id_cargo=signer.id_cargo,
                    cargo=signer.cargo,
                )
            )
        s.commit()
    clock = Clock()
    app = MecApp(settings, sessions, clock=clock)
    return World(settings, sessions, clock, app, scenario, other, ipes, other_user, operator)


class StampedDocument(Protocol):
    xml: bytes
    folio_digital: str


_cert_seq = itertools.count(1)


def add_certificate(
    world: World,
    folio_control: str | None,
    *,
    fecha_carga: datetime,
    institution_id: str = "000001",
    campus_id: str = "000101",
    curp: str = "AAAA000101HDFBBB01",
    fecha_expedicion: date = date(2024, 7, 12),
    estatus: EstatusCertificado = EstatusCertificado.VIGENTE,
    nombre: str | None = None,
    document: StampedDocument | None = None,
    folio_prefix: str = "C-",
) -> Certificate:
    """An accepted certificate row (its own folio de pago and batch); ``document`` gives real XML."""
    n = next(_cert_seq)
    with world.sessions() as s:
        folio = FolioPago(folio=f"{folio_prefix}{n:05d}", institution_id=institution_id, cantidad=1)
        s.add(folio)
        s.flush()
        batch = Batch(
            folio_id=folio.id,
            institution_id=institution_id,
            intento=1,
            nombre_archivo="a.xml",
            stored_path="lotes/x.bin",
            sha256=f"{n:064d}",
            size_bytes=1,
            kind=BatchKind.XML,
            received_at=fecha_carga,
        )
        s.add(batch)
        s.flush()
        cert = Certificate(
            institution_id=institution_id,
            campus_id=campus_id,
            folio_pago=folio.folio,
            batch_id=batch.numero_lote,
            folio_control=folio_control,
            folio_digital=document.folio_digital if document else f"00000000-0000-4000-8000-{n:012d}",
            curp=curp,
            nombre_completo=nombre or f"ALUMNO {n}",
            carrera="LICENCIATURA EN DERECHO",
            id_carrera="1021",
            clave_plan="2019",
            lugar_expedicion="CIUDAD DE MÉXICO",
            fecha_expedicion=fecha_expedicion,
            fecha_carga=fecha_carga,
            estatus=estatus,
            stamped_xml=document.xml if document else f"<Dec folioControl='{folio_control}'/>".encode(),
        )
        s.add(cert)
        s.commit()
        return cert


def insert_batch(world: World, folio: str, nombre: str, data: bytes) -> int:
    """A batch row for ``data`` as if it had passed the upload, bypassing its package checks: how
    the worker's own safety net (package findings, the count) is exercised."""
    from mec_ws.batches.intake import detect_kind
    from mec_ws.services.attempts import attempts_of

    stored = world.app.storage.store(data)
    with world.sessions() as s:
        row = s.scalars(select(FolioPago).where(FolioPago.folio == folio)).one()
        batch = Batch(
            folio_id=row.id,
            institution_id=row.institution_id,
            intento=attempts_of(s, row).next_intento,
            nombre_archivo=nombre,
            stored_path=stored.relative_path,
            sha256=stored.sha256,
            size_bytes=stored.size,
            kind=detect_kind(data) or BatchKind.XML,
            estatus="RECIBIDO",
            mensaje="Recibido; en espera de procesamiento.",
            received_at=world.clock(),
            total_archivos=0,
        )
        s.add(batch)
        s.commit()
        return batch.numero_lote


def with_env(world: World, env: dict[str, str]) -> World:
    """The same world (database, clock, users) with settings changed by ``env`` (e.g. limits)."""
    from dataclasses import replace

    settings = Settings.from_env(
        {"MEC_DATA_DIR": str(world.settings.data_dir), "MEC_DATABASE_URL": world.settings.database_url, **env}
    )
    return replace(world, settings=settings, app=MecApp(settings, world.sessions, clock=world.clock))
