"""solicitaCancelacion, the review window (a settable clock, no sleeps), and the SEP's review."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mec_ws import errors
from mec_ws.config import Settings
from mec_ws.services import cancellation
from mec_ws.services.dto import (
    EstatusCertificado,
    EstatusLote,
    FiltroCertificados,
    FormatoExportacion,
    Principal,
    ResultadoCancelacion,
)
from models import Batch, BatchKind, CancellationRequest, Certificate, EstatusCancelacion, FolioPago
from tests.services.world import World, build_world

_seq = itertools.count(1)
CAMPUS = {"000001": "000101", "000002": "000201"}


def _cert(world: World, folio_control: str, institution_id: str = "000001") -> str:
    """A stamped certificate row; its folio digital."""
    n = next(_seq)
    with world.sessions() as s:
        folio = FolioPago(folio=f"CN-{n:05d}", institution_id=institution_id, cantidad=1)
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
            estatus=EstatusLote.ACEPTADO,
            received_at=world.clock.now,
        )
        s.add(batch)
        s.flush()
        digital = f"00000000-0000-4000-8000-{n:012d}"
        s.add(
            Certificate(
                institution_id=institution_id,
                campus_id=CAMPUS[institution_id],
                folio_pago=folio.folio,
                batch_id=batch.numero_lote,
                folio_control=folio_control,
                folio_digital=digital,
                curp="GOMC800101HDFMRR05",
                nombre_completo="CARLOS GÓMEZ MARTÍNEZ",
                carrera="LICENCIATURA EN DERECHO",
                id_carrera="1021",
                clave_plan="2019",
                lugar_expedicion="CIUDAD DE MÉXICO",
                fecha_expedicion=date(2024, 7, 12),
                fecha_carga=world.clock.now,
                stamped_xml=b"<Dec/>",
            )
        )
        s.commit()
    return digital


def _request(
    world: World,
    folio_control: str,
    *,
    who: Principal | None = None,
    motivo: str = "C1",
    observaciones: str | None = None,
    settings: Settings | None = None,
) -> ResultadoCancelacion:
    with world.sessions() as s:
        return cancellation.solicita_cancelacion(
            s,
            who or world.ipes,
            folio_control,
            motivo,
            observaciones,
            settings=settings or world.settings,
            now=world.clock(),
        )


def _status(world: World, folio_control: str, institution_id: str = "000001") -> EstatusCertificado:
    with world.sessions() as s:
        return s.scalars(
            select(Certificate.estatus).where(
                Certificate.folio_control == folio_control, Certificate.institution_id == institution_id
            )
        ).one()


def _requests(world: World, folio_control: str) -> list[CancellationRequest]:
    with world.sessions() as s:
        return list(
            s.scalars(
                select(CancellationRequest)
                .join(Certificate, Certificate.id == CancellationRequest.certificate_id)
                .where(Certificate.folio_control == folio_control)
                .order_by(CancellationRequest.id)
            ).all()
        )


def _apply(world: World) -> int:
    with world.sessions() as s:
        return cancellation.apply_due_cancellations(s, now=world.clock())


def _query(world: World, who: Principal, **filters: object) -> dict[str, EstatusCertificado]:
    page = world.app.consulta_certificados(who, FiltroCertificados(**filters), 1, 500)  # type: ignore[arg-type]
    return {c.folio_control: c.estatus for c in page.certificados}


def test_request_is_pending_at_once_and_takes_effect_after_48_hours(world: World) -> None:
    _cert(world, "A-1")
    requested_at = world.clock.now
    result = _request(world, "A-1", motivo="R3", observaciones="  cambio de nombre  ")
    assert result.folio_control == "A-1"
    assert result.estatus is EstatusCertificado.CANCELACION_SOLICITADA
    assert result.fecha_solicitud == requested_at
    assert result.fecha_efectiva == requested_at + timedelta(hours=48)
    assert "R3" in result.mensaje and "CAMBIO Y MODIFICACIÓN AL NOMBRE" in result.mensaje
    assert _status(world, "A-1") is EstatusCertificado.CANCELACION_SOLICITADA
    assert _query(world, world.ipes) == {"A-1": EstatusCertificado.CANCELACION_SOLICITADA}
    (req,) = _requests(world, "A-1")
    assert (req.motivo, req.observaciones, req.requested_by) == ("R3", "cambio de nombre", "ipes1")
    assert req.estatus is EstatusCancelacion.PENDIENTE

    world.clock.advance(hours=47, minutes=59, seconds=59)
    assert _apply(world) == 0
    assert _status(world, "A-1") is EstatusCertificado.CANCELACION_SOLICITADA
    world.clock.advance(seconds=1)
    assert _apply(world) == 1
    assert _apply(world) == 0  # applied once
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO
    (req,) = _requests(world, "A-1")
    assert req.estatus is EstatusCancelacion.APLICADA
    assert req.effective_at == requested_at + timedelta(hours=48)
    assert req.decided_by is None  # the window ran out; nobody decided
    assert _query(world, world.ipes) == {"A-1": EstatusCertificado.CANCELADO}
    assert _query(world, world.ipes, estatus=EstatusCertificado.CANCELADO) == {
        "A-1": EstatusCertificado.CANCELADO
    }
    assert _query(world, world.ipes, estatus=EstatusCertificado.VIGENTE) == {}
    assert _query(world, world.operator) == {"A-1": EstatusCertificado.CANCELADO}


def test_window_follows_mec_cancelacion_horas(world: World) -> None:
    settings = Settings.from_env(
        {
            "MEC_DATA_DIR": str(world.settings.data_dir),
            "MEC_DATABASE_URL": world.settings.database_url,
            "MEC_CANCELACION_HORAS": "2",
        }
    )
    assert settings.cancelacion_horas == 2
    _cert(world, "A-1")
    result = _request(world, "A-1", settings=settings)
    assert result.fecha_efectiva == world.clock.now + timedelta(hours=2)
    world.clock.advance(hours=1)
    assert _apply(world) == 0
    world.clock.advance(hours=1)
    assert _apply(world) == 1
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO


def test_worker_applies_due_cancellations_each_cycle(world: World) -> None:
    _cert(world, "A-1")
    _cert(world, "A-2")
    _request(world, "A-1")
    world.clock.advance(hours=24)
    _request(world, "A-2")
    world.clock.advance(hours=24)
    worker = world.worker()
    assert worker.run_once() is None  # no batch to take, but the due cancellation is applied
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO
    assert _status(world, "A-2") is EstatusCertificado.CANCELACION_SOLICITADA
    world.clock.advance(hours=24)
    world.drain()
    assert _status(world, "A-2") is EstatusCertificado.CANCELADO


def test_a_pending_or_cancelled_certificate_cannot_be_requested_again(world: World) -> None:
    _cert(world, "A-1")
    first = _request(world, "A-1")
    world.clock.advance(hours=1)
    with pytest.raises(errors.CancelacionNoPermitida, match="pendiente") as exc:
        _request(world, "A-1", motivo="C2")
    assert "efectiva el" in exc.value.mensaje
    assert len(_requests(world, "A-1")) == 1
    assert _requests(world, "A-1")[0].effective_at == first.fecha_efectiva
    world.clock.advance(hours=47)
    assert _apply(world) == 1
    with pytest.raises(errors.CancelacionNoPermitida, match="ya está cancelado"):
        _request(world, "A-1")
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO


@pytest.mark.parametrize("motivo", ["C9", "", "ERROR", "c1; DROP"])
def test_unknown_reason_is_an_invalid_request_listing_the_catalog(world: World, motivo: str) -> None:
    _cert(world, "A-1")
    with pytest.raises(errors.SolicitudInvalida) as exc:
        _request(world, "A-1", motivo=motivo)
    for code in ("C1", "C2", "R1", "R2", "R3", "R4", "R5"):
        assert code in exc.value.mensaje
    assert _status(world, "A-1") is EstatusCertificado.VIGENTE
    assert _requests(world, "A-1") == []


def test_reason_code_is_trimmed_and_case_insensitive(world: World) -> None:
    _cert(world, "A-1")
    _request(world, " A-1 ", motivo=" r5 ", observaciones="   ")
    (req,) = _requests(world, "A-1")
    assert (req.motivo, req.observaciones) == ("R5", None)


def test_overlong_observations_are_refused(world: World) -> None:
    _cert(world, "A-1")
    with pytest.raises(errors.SolicitudInvalida, match=str(cancellation.MAX_OBSERVACIONES)):
        _request(world, "A-1", observaciones="x" * (cancellation.MAX_OBSERVACIONES + 1))
    assert _status(world, "A-1") is EstatusCertificado.VIGENTE


def test_institutions_are_isolated(world: World) -> None:
    _cert(world, "A-1", "000001")
    _cert(world, "B-1", "000002")
    with pytest.raises(errors.CertificadoInexistente):
        _request(world, "B-1")  # 000001 asks for 000002's certificate: "not found"
    with pytest.raises(errors.CertificadoInexistente):
        _request(world, "A-1", who=world.other)
    with pytest.raises(errors.CertificadoInexistente):
        _request(world, "NO-EXISTE")
    with pytest.raises(errors.SolicitudInvalida):
        _request(world, "   ")
    assert _status(world, "B-1", "000002") is EstatusCertificado.VIGENTE
    _request(world, "B-1", who=world.other)
    assert _query(world, world.ipes) == {"A-1": EstatusCertificado.VIGENTE}
    assert _query(world, world.other) == {"B-1": EstatusCertificado.CANCELACION_SOLICITADA}


def test_sep_operators_review_but_do_not_request(world: World) -> None:
    _cert(world, "A-1")
    with pytest.raises(errors.CancelacionNoPermitida, match="institución que expidió"):
        _request(world, "A-1", who=world.operator)
    assert _requests(world, "A-1") == []


def test_early_approval(world: World) -> None:
    _cert(world, "A-1")
    _request(world, "A-1")
    world.clock.advance(hours=3)
    with world.sessions() as s:
        decision = cancellation.approve(s, "A-1", None, now=world.clock(), by="revisor")
    assert decision == cancellation.Decision(
        "A-1", "000001", EstatusCertificado.CANCELADO, world.clock.now, decision.folio_digital
    )
    assert decision.folio_digital and decision.certificate == "A-1"
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO
    (req,) = _requests(world, "A-1")
    assert req.estatus is EstatusCancelacion.APLICADA
    assert (req.decided_by, req.decided_at, req.effective_at) == ("revisor", world.clock.now, world.clock.now)
    world.clock.advance(hours=100)
    assert _apply(world) == 0
    with world.sessions() as s, pytest.raises(errors.CancelacionNoPermitida, match="no hay una solicitud"):
        cancellation.withdraw(s, "A-1", None, now=world.clock(), by="revisor")
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO


def test_withdrawal_restores_the_certificate_and_allows_a_new_request(world: World) -> None:
    _cert(world, "A-1")
    _request(world, "A-1")
    world.clock.advance(hours=10)
    with world.sessions() as s:
        decision = cancellation.withdraw(s, "A-1", "000001", now=world.clock(), by="revisor")
    assert decision.estatus is EstatusCertificado.VIGENTE
    assert _status(world, "A-1") is EstatusCertificado.VIGENTE
    world.clock.advance(hours=100)
    assert _apply(world) == 0
    assert _status(world, "A-1") is EstatusCertificado.VIGENTE
    (req,) = _requests(world, "A-1")
    assert (req.estatus, req.decided_by) == (EstatusCancelacion.RETIRADA, "revisor")
    again = _request(world, "A-1", motivo="C2")
    assert again.fecha_efectiva == world.clock.now + timedelta(hours=48)
    assert [r.estatus for r in _requests(world, "A-1")] == [
        EstatusCancelacion.RETIRADA,
        EstatusCancelacion.PENDIENTE,
    ]


def test_a_request_past_its_window_cannot_be_withdrawn(world: World) -> None:
    _cert(world, "A-1")
    _request(world, "A-1")
    world.clock.advance(hours=48)  # due, though no worker has run yet
    with world.sessions() as s, pytest.raises(errors.CancelacionNoPermitida, match="surtió efecto"):
        cancellation.withdraw(s, "A-1", None, now=world.clock(), by="revisor")
    assert _apply(world) == 1
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO


def test_review_of_a_folio_shared_by_two_institutions(world: World) -> None:
    _cert(world, "X-1", "000001")
    _cert(world, "X-1", "000002")
    _request(world, "X-1", who=world.ipes)
    _request(world, "X-1", who=world.other)
    with world.sessions() as s:
        assert [r.certificate.institution_id for r in cancellation.pending_requests(s)] == [
            "000001",
            "000002",
        ]
        assert [r.certificate.institution_id for r in cancellation.pending_requests(s, "000002")] == [
            "000002"
        ]
    with world.sessions() as s, pytest.raises(errors.SolicitudInvalida, match="000001, 000002"):
        cancellation.approve(s, "X-1", None, now=world.clock(), by="revisor")
    with world.sessions() as s:
        cancellation.approve(s, "X-1", "000002", now=world.clock(), by="revisor")
    assert _status(world, "X-1", "000002") is EstatusCertificado.CANCELADO
    assert _status(world, "X-1", "000001") is EstatusCertificado.CANCELACION_SOLICITADA


def test_cancelled_after_a_real_upload(engine: Engine, tmp_path: Path) -> None:
    """The whole path: upload, the worker stamps, request, the worker cancels; queries show it."""
    world = build_world(engine, tmp_path / "data")
    folio = world.folio(1)
    world.app.carga_certificados(world.ipes, folio, "uno.xml", world.certificate(1))
    world.drain()
    (summary,) = world.app.consulta_certificados(world.ipes, FiltroCertificados(), 1, 10).certificados
    assert summary.estatus is EstatusCertificado.VIGENTE
    _request(world, summary.folio_control)
    world.clock.advance(hours=48)
    world.drain()
    page = world.app.consulta_certificados(
        world.ipes, FiltroCertificados(folio_digital=summary.folio_digital), 1, 10
    )
    assert [c.estatus for c in page.certificados] == [EstatusCertificado.CANCELADO]


# --- by folioDigital: certificates without folioControl -------------------------------------------


def _request_digital(world: World, digital: str | None, folio_control: str | None = None, **kw: object):
    with world.sessions() as s:
        return cancellation.solicita_cancelacion(
            s,
            kw.pop("who", world.ipes),  # type: ignore[arg-type]
            folio_control,
            "C1",
            None,
            folio_digital=digital,
            settings=world.settings,
            now=world.clock(),
        )


def _status_digital(world: World, digital: str) -> EstatusCertificado:
    with world.sessions() as s:
        return s.scalars(select(Certificate.estatus).where(Certificate.folio_digital == digital)).one()


def test_cancel_a_certificate_without_folio_control_by_its_folio_digital(world: World) -> None:
    digital = _cert(world, None)  # type: ignore[arg-type]
    _cert(world, None)  # type: ignore[arg-type]  # a second one without folio: NULLs never collide
    r = _request_digital(world, digital)
    assert (r.folio_control, r.folio_digital, r.estatus) == (
        None,
        digital,
        EstatusCertificado.CANCELACION_SOLICITADA,
    )
    assert _status_digital(world, digital) is EstatusCertificado.CANCELACION_SOLICITADA
    with pytest.raises(errors.CancelacionNoPermitida, match=digital):
        _request_digital(world, digital)
    with world.sessions() as s:  # the SEP decides by folio digital too
        decision = cancellation.withdraw(
            s, None, None, now=world.clock(), by="revisor", folio_digital=digital
        )
    assert (decision.folio_control, decision.certificate) == (None, digital)
    assert _status_digital(world, digital) is EstatusCertificado.VIGENTE
    _request_digital(world, digital)
    with world.sessions() as s:
        decision = cancellation.approve(s, None, None, now=world.clock(), by="revisor", folio_digital=digital)
    assert _status_digital(world, digital) is EstatusCertificado.CANCELADO


def test_cancellation_key_faults(world: World) -> None:
    mine = _cert(world, "A-1")
    theirs = _cert(world, None, "000002")  # type: ignore[arg-type]
    for control, digital in ((None, None), ("  ", ""), ("A-1", mine)):
        with pytest.raises(errors.SolicitudInvalida, match="folioDigital"):
            _request_digital(world, digital, control)
    with pytest.raises(errors.CertificadoInexistente):
        _request_digital(world, theirs)
    assert _status_digital(world, theirs) is EstatusCertificado.VIGENTE
    assert _request_digital(world, mine).folio_control == "A-1"  # by folioDigital, has a folioControl


def test_cancelled_from_its_effective_time_without_a_worker(world: World) -> None:
    """Queries, the export and a new request see CANCELADO at the effective instant, before any
    worker has run; the request is recorded as applied at that instant."""
    _cert(world, "A-1")
    result = _request(world, "A-1")
    world.clock.advance(hours=47, minutes=59)
    assert _query(world, world.ipes) == {"A-1": EstatusCertificado.CANCELACION_SOLICITADA}
    world.clock.advance(minutes=1)  # no worker runs
    assert _query(world, world.ipes) == {"A-1": EstatusCertificado.CANCELADO}
    assert _query(world, world.ipes, estatus=EstatusCertificado.CANCELADO) == {
        "A-1": EstatusCertificado.CANCELADO
    }
    assert _status(world, "A-1") is EstatusCertificado.CANCELADO
    (req,) = _requests(world, "A-1")
    assert req.estatus is EstatusCancelacion.APLICADA and req.effective_at == result.fecha_efectiva
    assert _apply(world) == 0  # the worker has nothing left to do
    with pytest.raises(errors.CancelacionNoPermitida, match="ya está cancelado"):
        _request(world, "A-1")


def test_export_sees_a_due_cancellation(world: World) -> None:
    _cert(world, "A-1")
    _request(world, "A-1")
    world.clock.advance(hours=48)
    exported = world.app.exporta_certificados(world.ipes, FiltroCertificados(), FormatoExportacion.CSV)
    assert b",CANCELADO\r\n" in exported.contenido


def test_verification_page_sees_a_due_cancellation(world: World) -> None:
    from mec_ws.web.verification import verification_app

    digital = _cert(world, "A-1")
    _request(world, "A-1")
    world.clock.advance(hours=48)
    app = verification_app(world.sessions, world.clock)
    seen: list[str] = []
    body = b"".join(
        app(
            {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": f"/verificacion/{digital}",
                "QUERY_STRING": "formato=json",
            },
            lambda status, headers: seen.append(status),
        )
    )
    assert seen == ["200 OK"]
    assert b'"CANCELADO"' in body
