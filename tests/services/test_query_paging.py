"""Every page of ``consultaCertificados`` at every page size equals the slice of the full order.

The page query reads pages past the middle from the other end of the order (and reverses them);
this checks that both directions give exactly the same rows, with ties on ``fechaCarga`` and
across institutions for an SEP operator.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mec_ws.services.dto import EstatusCertificado, FiltroCertificados
from models import Institution
from tests.services.world import World, add_certificate

T = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


def test_every_page_of_every_size_is_the_slice_of_the_order(world: World) -> None:
    specs = [  # (folio_control, institution, minutes after T): ties on time and on folio_control
        ("K-5", "000001", 0), ("K-1", "000001", 0), ("K-3", "000002", 0), ("K-1", "000002", 0),
        ("K-9", "000001", 5), ("K-2", "000001", 7), ("K-2", "000002", 7), ("K-8", "000002", 9),
        ("K-4", "000001", 11), ("K-7", "000001", 11), ("K-6", "000002", 12),
    ]  # fmt: skip
    for folio, inst, minutes in specs:
        campus = "000101" if inst == "000001" else "000201"
        add_certificate(
            world,
            folio,
            fecha_carga=T + timedelta(minutes=minutes),
            institution_id=inst,
            campus_id=campus,
            estatus=EstatusCertificado.CANCELADO if folio in ("K-9", "K-4") else EstatusCertificado.VIGENTE,
        )
    with world.sessions() as s:
        names: dict[str, str] = {i: n for i, n in s.execute(select(Institution.id, Institution.name))}
    ordered = sorted(specs, key=lambda s: (s[2], s[0], s[1]))
    everyone = [(f, names[i]) for f, i, _ in ordered]
    cases = [
        (world.operator, FiltroCertificados(), everyone),
        (world.ipes, FiltroCertificados(), [x for x in everyone if x[1] == names["000001"]]),
        (
            world.operator,
            FiltroCertificados(estatus=EstatusCertificado.VIGENTE),
            [x for x in everyone if x[0] not in ("K-9", "K-4")],
        ),
    ]
    for who, filtro, expected in cases:
        for size in range(1, len(expected) + 1):
            for pagina in range(1, math.ceil(len(expected) / size) + 2):
                page = world.app.consulta_certificados(who, filtro, pagina, size)
                got = [(c.folio_control, c.institucion) for c in page.certificados]
                assert page.total_registros == len(expected)
                assert got == expected[(pagina - 1) * size : pagina * size], (size, pagina, filtro)
