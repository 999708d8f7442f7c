from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mec_ws.config import Settings
from mec_ws.errors import ProgramaInvalido
from mec_ws.registry import ProgramSubject, StudyProgram
from mec_ws.services import registry_source
from mec_ws.testdata.pki import default_pki
from models import Officer, ProgramSubjectRow, StudyProgramRow, TrustedCA
from tests.db import rows

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def program(**changes: object) -> StudyProgram:
    base = StudyProgram(
        institution_id="000001",
        id_carrera="101",
        nombre_carrera="LICENCIATURA EN DERECHO",
        id_nivel_estudios=81,
        id_tipo_periodo=91,
        clave_plan="2020",
        numero_ciclos=2,
        calificacion_minima=Decimal("5"),
        calificacion_maxima=Decimal("10.0"),
        calificacion_minima_aprobatoria=Decimal("6.00"),
        total_creditos=Decimal("16.5"),
        numero_rvoe="RVOE-123",
        fecha_rvoe=date(2019, 8, 1),
        campus_ids=("C001",),
        subjects=(
            ProgramSubject("1001", "DER-1", "INTRODUCCIÓN AL DERECHO", 263, Decimal("8.25"), 1),
            ProgramSubject("1002", "DER-2", "DERECHO ROMANO", 263, Decimal("8.25"), 2),
        ),
        clave_carrera="LD",
        modalidad="ESCOLAR",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_save_and_read_back_is_identical(session: Session) -> None:
    rows.institution(session, campuses=("C001", "C002"))
    p = program(campus_ids=("C002", "C001"))
    registry_source.save_program(session, p)
    session.commit()
    loaded = registry_source.load_program(session, "000001", "101", "2020")
    assert loaded is not None
    # decimals keep their registered text (scale) exactly
    assert str(loaded.calificacion_maxima) == "10.0" and str(loaded.total_creditos) == "16.5"
    assert loaded == dataclasses.replace(p, campus_ids=("C001", "C002"))
    assert registry_source.load_program(session, "000001", "101", "2021") is None


def test_replacing_an_unused_program(session: Session) -> None:
    rows.institution(session)
    registry_source.save_program(session, program())
    session.commit()
    registry_source.save_program(
        session, program(nombre_carrera="DERECHO (PLAN AJUSTADO)", subjects=program().subjects[:1])
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(StudyProgramRow)) == 1
    assert session.scalar(select(func.count()).select_from(ProgramSubjectRow)) == 1
    loaded = registry_source.load_program(session, "000001", "101", "2020")
    assert loaded is not None and loaded.nombre_carrera == "DERECHO (PLAN AJUSTADO)"


def test_a_program_in_use_cannot_be_replaced(session: Session) -> None:
    rows.institution(session)
    registry_source.save_program(session, program())
    rows.certificate(session, rows.batch(session, rows.folio(session)), folio_control="A-1")
    session.commit()
    with pytest.raises(ProgramaInvalido, match="1 certificado"):
        registry_source.save_program(session, program(nombre_carrera="OTRO"))


def test_campus_of_another_institution_is_refused(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    rows.institution(session, "000002", ("C009",))
    with pytest.raises(ProgramaInvalido, match="C009"):
        registry_source.save_program(session, program(campus_ids=("C001", "C009")))
    with pytest.raises(ProgramaInvalido, match="no está registrada"):
        registry_source.save_program(session, program(institution_id="000404"))


def test_context_for(session: Session) -> None:
    pki = default_pki()
    rows.institution(session, "000001", ("C001", "C002"))
    rows.institution(session, "000002", ("C009",))
    der = pki.officer_cert.public_bytes(serialization.Encoding.DER)
    common = {
        "certificate_der": der,
        "curp": pki.officer_curp,
        "name": "X",
        "cargo_id": 1,
        "not_before": NOW,
        "not_after": NOW,
    }
    session.add(Officer(campus_id="C001", certificate_number="1", **common))
    session.add(Officer(campus_id="C002", certificate_number="2", active=False, **common))
    session.add(Officer(campus_id="C009", certificate_number="3", **common))
    ca_der = pki.ca_cert.public_bytes(serialization.Encoding.DER)
    session.add(
        TrustedCA(der=ca_der, subject="CN=AC", sha256=hashlib.sha256(ca_der).hexdigest(), not_after=NOW)
    )
    registry_source.save_program(session, program())
    rows.certificate(session, rows.batch(session, rows.folio(session)), folio_control="A-1")
    session.commit()

    settings = Settings.from_env({"MEC_SELLO_ESTRICTO": "1", "MEC_MAX_XML_MB": "7", "MEC_DATA_DIR": "/tmp/x"})
    ctx = registry_source.context_for(session, "000001", now=NOW, settings=settings)
    assert ctx.now == NOW
    assert ctx.institution is not None
    assert [c.id for c in ctx.institution.campuses] == ["C001", "C002"]
    assert ctx.institution.campus("C002") is not None and ctx.institution.campus("C009") is None
    assert ctx.officers is not None
    assert [(o.campus_id, o.certificate_der) for o in ctx.officers] == [("C001", der)]
    assert ctx.trusted_cas == (pki.ca_cert,)
    assert ctx.strict_sello is True and ctx.max_xml_bytes == 7 * 1024 * 1024
    assert ctx.find_program is not None and ctx.is_folio_accepted is not None
    found = ctx.find_program("000001", "101", "2020")
    assert found is not None and found.subject("1002") is not None
    assert ctx.find_program("000001", "101", "2020") is found  # cached per context
    assert ctx.find_program("000001", "999", "2020") is None
    assert ctx.is_folio_accepted("000001", "A-1")
    assert not ctx.is_folio_accepted("000001", "A-2")
    assert not ctx.is_folio_accepted("000002", "A-1")


def test_context_for_unknown_institution(session: Session) -> None:
    with pytest.raises(LookupError):
        registry_source.context_for(session, "000404", now=NOW, settings=Settings.from_env({}))


def _counting_selects(session: Session) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", before)
    return seen


def test_accepted_folios_are_read_once_for_a_large_upload(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    rows.institution(session, "000002", ("C009",))
    batch = rows.batch(session, rows.folio(session))
    other = rows.batch(session, rows.folio(session, "000002"))
    for n in range(5):
        rows.certificate(session, batch, folio_control=f"A-{n}")
    rows.certificate(session, other, folio_control="B-0", campus_id="C009")
    session.commit()
    lookup = registry_source.folio_accepted_lookup(session, preload_after=3)
    seen = _counting_selects(session)

    answers = [lookup("000001", f"A-{n}") for n in range(3)]
    assert answers == [True, True, True] and len(seen) == 3  # one query each, below the threshold
    answers = [lookup("000001", f) for f in ("A-3", "A-4", "A-5", "a-4", "A-4 ", "B-0")]
    assert answers == [True, True, False, False, False, False]
    assert len(seen) == 4  # then the institution's folios at once, and nothing more
    assert not lookup("000002", "A-0") and lookup("000002", "B-0")  # per institution, never mixed
    assert len(seen) == 6


def test_a_folio_accepted_after_the_snapshot_is_still_refused_by_the_database(session: Session) -> None:
    rows.institution(session, "000001", ("C001",))
    batch = rows.batch(session, rows.folio(session))
    session.commit()
    lookup = registry_source.folio_accepted_lookup(session, preload_after=0)
    assert not lookup("000001", "A-1")
    rows.certificate(session, batch, folio_control="A-2")
    session.commit()
    assert not lookup("000001", "A-2")  # the snapshot of this run …
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):  # … and the unique constraint the final transaction meets
        rows.certificate(session, batch, folio_control="A-2")
    session.rollback()
