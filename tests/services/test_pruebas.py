"""concluyePruebas: only in the test environment, only for an institution, refused with what is
missing until 10 accepted certificates including a single-XML and a ZIP upload; then recorded once
and visible to SEP operators (``mec-ws admin pruebas``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mec_ws import errors
from mec_ws.cli import main
from mec_ws.config import Settings
from mec_ws.services.dto import EstatusLote, Principal
from mec_ws.services.pruebas import REQUIRED_CERTIFICATES, avance_pruebas, concluye_pruebas
from models import BatchKind, Institution
from tests.db import rows

NOW = datetime(2026, 4, 10, 18, 30, tzinfo=UTC)
IPES = Principal(1, "ipes1", "000001", False)
OTHER = Principal(2, "ipes2", "000002", False)
OPERATOR = Principal(3, "operador", None, True)
_folio_control = count(1)


@pytest.fixture
def pruebas() -> Settings:
    return replace(Settings.from_env({}), ambiente="pruebas")


@pytest.fixture
def db(session: Session) -> Session:
    rows.institution(session, "000001", ("C001",))
    rows.institution(session, "000002", ("C002",))
    session.commit()
    return session


def accepted(
    session: Session,
    n: int,
    kind: BatchKind,
    *,
    inst: str = "000001",
    estatus: EstatusLote = EstatusLote.ACEPTADO,
) -> None:
    """One batch of ``kind`` with ``n`` certificates."""
    folio = rows.folio(session, inst, cantidad=n)
    batch = rows.batch(session, folio, content=f"{kind}-{folio.folio}".encode(), estatus=estatus)
    batch.kind = kind
    for _ in range(n):
        rows.certificate(
            session,
            batch,
            folio_control=f"FC-{next(_folio_control):06d}",
            campus_id="C001" if inst == "000001" else "C002",
        )
    session.commit()


def concluded_at(session: Session, inst: str) -> datetime | None:
    session.expire_all()
    return session.scalar(select(Institution.pruebas_concluidas_at).where(Institution.id == inst))


def refusal(session: Session, who: Principal, settings: Settings) -> str:
    with pytest.raises(errors.PruebasIncompletas) as exc:
        concluye_pruebas(session, who, settings=settings, now=NOW)
    return exc.value.mensaje


def test_nothing_loaded_lists_every_missing_requirement(db: Session, pruebas: Settings) -> None:
    message = refusal(db, IPES, pruebas)
    assert "faltan 10 certificados aceptados (0 de 10)" in message
    assert "XML individual" in message and "ZIP" in message
    assert concluded_at(db, "000001") is None


def test_refused_until_all_requirements_then_recorded(db: Session, pruebas: Settings) -> None:
    accepted(db, 7, BatchKind.ZIP)
    message = refusal(db, IPES, pruebas)
    assert "faltan 3 certificados aceptados (7 de 10)" in message
    assert "falta una carga de XML individual" in message
    assert "ZIP" not in message

    accepted(db, 1, BatchKind.XML)
    accepted(db, 1, BatchKind.XML)
    message = refusal(db, IPES, pruebas)
    assert message == "Aún no puede concluir la fase de pruebas: falta 1 certificado aceptado (9 de 10)."

    accepted(db, 1, BatchKind.XML)
    result = concluye_pruebas(db, IPES, settings=pruebas, now=NOW)
    assert result.estatus == "CONCLUIDAS" and result.faltantes == ()
    assert "2026-04-10 12:30" in result.mensaje  # Mexico City time
    assert "10 certificado(s)" in result.mensaje
    assert concluded_at(db, "000001") == NOW
    assert concluded_at(db, "000002") is None


def test_zip_only_or_xml_only_is_not_enough(db: Session, pruebas: Settings) -> None:
    accepted(db, REQUIRED_CERTIFICATES, BatchKind.XML)
    assert "falta una carga ZIP" in refusal(db, IPES, pruebas)
    accepted(db, REQUIRED_CERTIFICATES, BatchKind.ZIP, inst="000002")
    message = refusal(db, OTHER, pruebas)
    assert "XML individual" in message and "certificados aceptados (" not in message


def test_only_accepted_batches_of_the_callers_institution_count(db: Session, pruebas: Settings) -> None:
    accepted(db, 12, BatchKind.ZIP, inst="000002")
    accepted(db, 1, BatchKind.XML, inst="000002")
    accepted(db, 12, BatchKind.ZIP, estatus=EstatusLote.RECHAZADO)  # cannot happen; must not count
    assert avance_pruebas(db, "000001").aceptados == 0
    assert "(0 de 10)" in refusal(db, IPES, pruebas)
    assert concluye_pruebas(db, OTHER, settings=pruebas, now=NOW).estatus == "CONCLUIDAS"


def test_second_call_answers_with_the_recorded_date(db: Session, pruebas: Settings) -> None:
    accepted(db, 9, BatchKind.ZIP)
    accepted(db, 1, BatchKind.XML)
    first = concluye_pruebas(db, IPES, settings=pruebas, now=NOW)
    later = NOW + timedelta(days=3)
    second = concluye_pruebas(db, IPES, settings=pruebas, now=later)
    assert second.estatus == "CONCLUIDAS"
    assert "ya se concluyó" in second.mensaje and "2026-04-10 12:30" in second.mensaje
    assert first.mensaje != second.mensaje
    assert concluded_at(db, "000001") == NOW


def test_production_refuses_with_solicitud_invalida(db: Session, pruebas: Settings) -> None:
    accepted(db, 9, BatchKind.ZIP)
    accepted(db, 1, BatchKind.XML)
    production = replace(pruebas, ambiente="produccion")
    with pytest.raises(errors.SolicitudInvalida, match="solo está disponible en el ambiente de pruebas"):
        concluye_pruebas(db, IPES, settings=production, now=NOW)
    assert concluded_at(db, "000001") is None


def test_an_operator_has_no_test_phase(db: Session, pruebas: Settings) -> None:
    with pytest.raises(errors.SolicitudInvalida, match="operador"):
        concluye_pruebas(db, OPERATOR, settings=pruebas, now=NOW)


def test_sep_operators_see_it_in_mec_ws_admin(
    db: Session,
    pruebas: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MEC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEC_DATABASE_URL", database_url)
    assert main(["admin", "pruebas"]) == 0
    assert "Ninguna institución" in capsys.readouterr().out
    accepted(db, 9, BatchKind.ZIP)
    accepted(db, 1, BatchKind.XML)
    concluye_pruebas(db, IPES, settings=pruebas, now=NOW)
    assert main(["admin", "pruebas"]) == 0
    out = capsys.readouterr().out
    assert "000001" in out and "2026-04-10 12:30" in out and "000002" not in out
