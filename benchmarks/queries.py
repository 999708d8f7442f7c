"""``consultaCertificados`` at national scale on PostgreSQL.  Prints figures; asserts nothing
(except that every ``totalRegistros`` equals a direct ``COUNT``).

    .venv/bin/python benchmarks/queries.py [--url postgresql+psycopg://…] [--n 1000000] [--repeat 40]

- Loads ``--n`` certificates into a throw-away schema of the PostgreSQL database (``--url``, default
  ``MEC_BENCH_DATABASE_URL`` or ``MEC_TEST_DATABASE_URL``) created by the Alembic migrations:
  ``--institutions`` institutions (200), the largest holding a tenth of the rows (100,000 of a
  million; 20 campuses, the others 3), 50 certificates per folio de pago/batch, uploads spread
  over three years, expedition dates over ten years, 2 % CANCELADO and 3 % CANCELACION_SOLICITADA.
  The rows are made by bulk SQL (``INSERT … SELECT generate_series``), not by the pipeline; the
  secondary indexes are built after the load and the table is ``VACUUM ANALYZE``d (what
  autovacuum does in production), and ``stamped_xml`` is a small constant.
- Then runs :func:`mec_ws.services.query.consulta_certificados` (the real service, one session per
  call as a request has) ``--repeat`` times for each filter, with varying values, as an IPES user
  of the largest institution and as an SEP operator, on the first, the middle and the last page of
  ``--size`` rows, and prints p50/p99 against the limits (p50 ≤ 20 ms, p99 ≤ 100 ms) with the
  ratio figure/limit (≤ 1 meets it).  Each distinct filter's ``totalRegistros`` is checked
  against a ``COUNT(*)`` written independently in plain SQL, and its middle page against a plain
  ``OFFSET`` query; after the load, the trigger-kept ``certificate_month_counts`` is checked
  against a ``GROUP BY`` recount of the rows.
- ``--explain`` prints the plans of the page and count queries of each case (one run each).
- ``--keep`` leaves the schema (its name is printed) and ``--schema NAME`` reuses one instead of
  loading again.
"""

# ruff: noqa: S608 - the SQL text is built from integers and fixed column names of this script only

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from mec_ws import db
from mec_ws.services import query as query_service
from mec_ws.services.dto import EstatusCertificado, FiltroCertificados, Principal

P50_LIMIT_MS = 20.0
P99_LIMIT_MS = 100.0
LARGEST = "000001"


# --------------------------------------------------------------------------------------- load


@dataclass(frozen=True)
class Shape:
    n: int
    institutions: int

    @property
    def largest(self) -> int:
        return max(1, self.n // 10)


def _mapping_sql(shape: Shape) -> str:
    """One row per certificate number g: its institution number and its index inside it."""
    others, big = max(1, shape.institutions - 1), shape.largest
    return f"""
        SELECT g,
               CASE WHEN g <= {big} THEN 1 ELSE 2 + (g - {big} - 1) % {others} END AS inst,
               CASE WHEN g <= {big} THEN g - 1 ELSE (g - {big} - 1) / {others} END AS local
        FROM generate_series(1, {shape.n}) AS g
    """


def _inst_id(expr: str) -> str:
    return f"lpad(({expr})::text, 6, '0')"


def load(engine: Engine, shape: Shape) -> None:
    """Create the schema (Alembic) and fill it with ``shape.n`` certificates by bulk SQL."""
    db.upgrade(engine)
    m = _mapping_sql(shape)
    batch = "(inst::bigint * 1000000 + local / 50 + 1)"
    with engine.begin() as conn:
        conn.execute(
            text(f"""
            INSERT INTO institutions (id, name, created_at)
            SELECT {_inst_id("i")}, 'INSTITUCIÓN DE PRUEBA ' || i, now()
            FROM generate_series(1, {shape.institutions}) AS i""")
        )
        conn.execute(
            text(f"""
            INSERT INTO campuses (id, institution_id, name, state)
            SELECT {_inst_id("i")} || lpad(c::text, 3, '0'), {_inst_id("i")}, 'PLANTEL ' || c,
                   lpad(((i + c) % 32 + 1)::text, 2, '0')
            FROM generate_series(1, {shape.institutions}) AS i,
                 LATERAL generate_series(1, CASE WHEN i = 1 THEN 20 ELSE 3 END) AS c""")
        )
        conn.execute(
            text(f"""
            INSERT INTO folios_pago (id, folio, institution_id, cantidad, intentos_usados, estatus,
                                     created_at)
            SELECT DISTINCT {batch}, 'FP' || {batch}, {_inst_id("inst")}, 50, 1, 'ACEPTADO',
                   timestamptz '2023-01-01 00:00:00+00'
            FROM ({m}) AS m""")
        )
        conn.execute(
            text("""
            INSERT INTO batches (numero_lote, folio_id, institution_id, intento, nombre_archivo, stored_path,
                                 sha256, size_bytes, kind, estatus, mensaje, received_at, claim_count,
                                 total_archivos, archivos_procesados, archivos_con_error)
            SELECT id, id, institution_id, 1, 'lote.zip', 'lotes/x.bin', repeat('0', 64), 1, 'zip',
                   'ACEPTADO', '', created_at, 1, 50, 50, 0
            FROM folios_pago""")
        )
        # Secondary indexes are built after the load (much faster than maintaining them per row).
        indexes = conn.execute(
            text("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = 'certificates'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""")
        ).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(
            text(f"""
            INSERT INTO certificates (institution_id, campus_id, folio_pago, batch_id, folio_control,
                                      folio_digital, curp, nombre_completo, carrera, id_carrera, clave_plan,
                                      lugar_expedicion, fecha_expedicion, fecha_carga, estatus, stamped_xml)
            SELECT {_inst_id("inst")},
                   {_inst_id("inst")}
                       || lpad((local % CASE WHEN inst = 1 THEN 20 ELSE 3 END + 1)::text, 3, '0'),
                   'FP' || {batch},
                   {batch},
                   'FC' || lpad(inst::text, 3, '0') || '-' || lpad(local::text, 7, '0'),
                   md5('fd' || g)::uuid::text,
                   'BENC' || lpad((g % {max(1, shape.n * 9 // 10)})::text, 8, '0') || 'HDFRNS',
                   'ALUMNO DE PRUEBA ' || g,
                   'LICENCIATURA EN DERECHO', '1021', '2019', 'CIUDAD DE MÉXICO',
                   date '2016-01-01' + ((g::bigint * 7919) % 3650)::int,
                   timestamptz '2023-01-01 00:00:00+00'
                       + make_interval(secs => ({batch} * 104729) % 94608000 + local % 50),
                   CASE WHEN g % 50 = 0 THEN 'CANCELADO'
                        WHEN g % 33 = 0 THEN 'CANCELACION_SOLICITADA' ELSE 'VIGENTE' END,
                   convert_to('<Dec folio="' || g || '"/>', 'UTF8')
            FROM ({m}) AS m""")
        )
        for _, definition in indexes:
            conn.execute(text(definition))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            "institutions",
            "campuses",
            "folios_pago",
            "batches",
            "certificates",
            "certificate_month_counts",
        ):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    check_month_counts(engine)


class MonthCountMismatch(AssertionError):
    """``certificate_month_counts`` differs from a recount of the rows."""


def check_month_counts(engine: Engine) -> None:
    """The triggers kept the month counts of the bulk load: equal to a ``GROUP BY`` recount."""
    with engine.connect() as conn:
        differing = conn.execute(
            text("""
            SELECT count(*) FROM (
                SELECT institution_id, mes, n FROM certificate_month_counts WHERE n <> 0
                EXCEPT
                SELECT institution_id, to_char(fecha_carga AT TIME ZONE 'UTC', 'YYYY-MM'), count(*)
                FROM certificates GROUP BY 1, 2
            ) AS d""")
        ).scalar_one()
        total = conn.execute(text("SELECT coalesce(sum(n), 0) FROM certificate_month_counts")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM certificates")).scalar_one()
    if differing or total != rows:
        raise MonthCountMismatch(f"certificate_month_counts: {differing} filas distintas, {total} ≠ {rows}")


@contextmanager
def throwaway_schema(base_url: str, name: str | None, keep: bool) -> Iterator[tuple[Engine, bool]]:
    """An engine on schema ``name`` (reused if given) or a new one; yields (engine, is_new)."""
    base = make_url(base_url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("benchmarks/queries.py mide PostgreSQL: indique una URL postgresql+psycopg://…")
    schema = name or f"bench_q_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        if name is None:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = db.make_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
        try:
            yield engine, name is None
        finally:
            engine.dispose()
            if keep or name is not None:
                print(f"schema kept: {schema}  (reuse with --schema {schema})")
            else:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


# ------------------------------------------------------------------------------------ queries


@dataclass(frozen=True)
class Case:
    name: str
    who: Principal
    filtro: Callable[[random.Random], FiltroCertificados]
    deep: bool  # also measure the last page


IPES = Principal(user_id=1, username="ipes.bench", institution_id=LARGEST, is_operator=False)
SEP = Principal(user_id=2, username="sep.bench", institution_id=None, is_operator=True)


def _samples(engine: Engine, column: str, institution: str | None, k: int) -> list[str]:
    where = "WHERE institution_id = :inst" if institution else ""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(f"SELECT {column} FROM certificates TABLESAMPLE SYSTEM (1) {where} LIMIT :k"),
                {"inst": institution, "k": k},
            ).scalars()
        ) or list(
            conn.execute(
                text(f"SELECT {column} FROM certificates {where} ORDER BY random() LIMIT :k"),
                {"inst": institution, "k": k},
            ).scalars()
        )


def cases(engine: Engine, repeat: int) -> list[Case]:
    out: list[Case] = []
    with engine.connect() as conn:
        campuses = list(
            conn.execute(text("SELECT id FROM campuses WHERE institution_id = :i"), {"i": LARGEST}).scalars()
        )
    for who, scope in ((IPES, LARGEST), (SEP, None)):
        label = "IPES" if who is IPES else "SEP"
        values = {
            col: _samples(engine, col, scope, repeat)
            for col in ("folio_pago", "folio_control", "folio_digital", "curp")
        }

        def pick(col: str, vals: dict[str, list[str]] = values) -> Callable[[random.Random], str]:
            return lambda rnd: rnd.choice(vals[col])

        def month(rnd: random.Random, first: date, months: int) -> tuple[date, date]:
            start = first + timedelta(days=30 * rnd.randrange(months))
            return start, start + timedelta(days=29)

        fp, fc, fd, cu = pick("folio_pago"), pick("folio_control"), pick("folio_digital"), pick("curp")
        out += [
            Case(f"{label} sin filtro", who, lambda rnd: FiltroCertificados(), True),
            Case(f"{label} folioPago", who, lambda rnd, f=fp: FiltroCertificados(folio_pago=f(rnd)), False),
            Case(
                f"{label} folioControl",
                who,
                lambda rnd, f=fc: FiltroCertificados(folio_control=f(rnd)),
                False,
            ),
            Case(
                f"{label} folioDigital",
                who,
                lambda rnd, f=fd: FiltroCertificados(folio_digital=f(rnd)),
                False,
            ),
            Case(f"{label} CURP", who, lambda rnd, f=cu: FiltroCertificados(curp=f(rnd)), False),
            Case(
                f"{label} campus",
                who,
                lambda rnd: FiltroCertificados(id_campus=rnd.choice(campuses)),
                True,
            ),
            Case(
                f"{label} fechaExpedicion (30 días)",
                who,
                lambda rnd: FiltroCertificados(
                    fecha_expedicion_desde=(r := month(rnd, date(2016, 1, 1), 118))[0],
                    fecha_expedicion_hasta=r[1],
                ),
                True,
            ),
            Case(
                f"{label} fechaCarga (30 días)",
                who,
                lambda rnd: FiltroCertificados(
                    fecha_carga_desde=(r := month(rnd, date(2023, 1, 1), 34))[0], fecha_carga_hasta=r[1]
                ),
                True,
            ),
            Case(
                f"{label} estatus CANCELADO",
                who,
                lambda rnd: FiltroCertificados(estatus=EstatusCertificado.CANCELADO),
                True,
            ),
            Case(
                f"{label} campus + fechaCarga (1 año)",
                who,
                lambda rnd: FiltroCertificados(
                    id_campus=rnd.choice(campuses),
                    fecha_carga_desde=date(2024, 1, 1),
                    fecha_carga_hasta=date(2024, 12, 31),
                ),
                True,
            ),
        ]
        if who is SEP:
            out.append(
                Case(
                    "SEP idInstitucion (la mayor)",
                    who,
                    lambda rnd: FiltroCertificados(id_institucion=LARGEST),
                    True,
                )
            )
    return out


def _direct_where(who: Principal, f: FiltroCertificados) -> tuple[str, dict[str, object]]:
    """The WHERE of the same filter, written by hand (independent of the service's query)."""
    where: list[str] = ["true"]
    params: dict[str, object] = {}
    inst = who.institution_id if not who.is_operator else f.id_institucion
    for column, value in (
        ("institution_id", inst),
        ("campus_id", f.id_campus),
        ("folio_pago", f.folio_pago),
        ("folio_control", f.folio_control),
        ("folio_digital", f.folio_digital),
        ("curp", f.curp),
        ("estatus", f.estatus.value if f.estatus else None),
    ):
        if value:
            where.append(f"{column} = :{column}")
            params[column] = value
    if f.fecha_expedicion_desde:
        where.append("fecha_expedicion BETWEEN :fed AND :feh")
        params |= {"fed": f.fecha_expedicion_desde, "feh": f.fecha_expedicion_hasta}
    if f.fecha_carga_desde:
        where.append("(fecha_carga AT TIME ZONE 'America/Mexico_City')::date BETWEEN :fcd AND :fch")
        params |= {"fcd": f.fecha_carga_desde, "fch": f.fecha_carga_hasta}
    return " AND ".join(where), params


def direct_count(conn: Session, who: Principal, f: FiltroCertificados) -> int:
    """``COUNT(*)`` of the same filter, written by hand (independent of the service's query)."""
    where, params = _direct_where(who, f)
    sql = f"SELECT count(*) FROM certificates WHERE {where}"
    return int(conn.execute(text(sql), params).scalar_one())


def direct_page(conn: Session, who: Principal, f: FiltroCertificados, pagina: int, size: int) -> list[str]:
    """The folios digitales of page ``pagina`` by a plain ``OFFSET`` query written by hand."""
    where, params = _direct_where(who, f)
    sql = (
        f"SELECT folio_digital FROM certificates WHERE {where} "
        "ORDER BY fecha_carga, folio_control NULLS LAST, institution_id, id OFFSET :o LIMIT :l"
    )
    return list(conn.execute(text(sql), {**params, "o": (pagina - 1) * size, "l": size}).scalars())


class TotalMismatch(AssertionError):
    """``totalRegistros`` differs from the direct ``COUNT``."""


class PageMismatch(AssertionError):
    """A page differs from the plain ``OFFSET`` query's."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Result:
    name: str
    page: str
    p50: float
    p99: float
    total_example: int
    db_ms: float = 0.0  # the database's own execution time of the call's statements (EXPLAIN ANALYZE)


def floor(engine: Engine, repeat: int) -> Result:
    """The machine's floor in the same run: a new session running ``SELECT 1`` (what every call
    pays before any query work)."""
    factory = db.session_factory(engine)
    timings = []
    for _ in range(max(repeat, 20)):
        with factory() as s:
            t0 = time.perf_counter()
            s.execute(text("SELECT 1")).scalar_one()
            timings.append((time.perf_counter() - t0) * 1000)
    return Result(
        "piso: SELECT 1 en una sesión nueva", "-", statistics.median(timings), percentile(timings, 0.99), 0
    )


def measure(engine: Engine, all_cases: list[Case], repeat: int, size: int, explain: bool) -> list[Result]:
    factory = db.session_factory(engine)
    rnd = random.Random(20261130)
    results: list[Result] = [floor(engine, repeat)]
    print(f"{results[0].name}: p50 {results[0].p50:.1f} ms, p99 {results[0].p99:.1f} ms", flush=True)
    for case in all_cases:
        filters = [case.filtro(rnd) for _ in range(repeat)]
        with factory() as s:  # totals, checked once per distinct filter, and the deep page numbers
            totals = {}
            for f in dict.fromkeys(filters):
                page = query_service.consulta_certificados(s, case.who, f, 1, size)
                expected = direct_count(s, case.who, f)
                if page.total_registros != expected:
                    raise TotalMismatch(
                        f"{case.name}: totalRegistros {page.total_registros} ≠ COUNT {expected} ({f})"
                    )
                totals[f] = page.total_registros
                if case.deep:
                    middle = max(1, math.ceil(page.total_registros / size / 2))
                    got = query_service.consulta_certificados(s, case.who, f, middle, size)
                    if [c.folio_digital for c in got.certificados] != direct_page(
                        s, case.who, f, middle, size
                    ):
                        raise PageMismatch(f"{case.name}: página {middle} ≠ OFFSET ({f})")
        pages: list[tuple[str, Callable[[FiltroCertificados], int]]] = [("primera", lambda f: 1)]
        if case.deep:
            pages += [
                ("media", lambda f, t=totals: max(1, math.ceil(t[f] / size / 2))),
                ("última", lambda f, t=totals: max(1, math.ceil(t[f] / size))),
            ]
        for page_name, page_of in pages:
            db_ms = statistics.median(
                _explain(engine, case, f, page_of(f), size, show=explain and i == 0)
                for i, f in enumerate(filters[:3])
            )
            timings = []
            for f in filters:
                with factory() as s:
                    t0 = time.perf_counter()
                    page = query_service.consulta_certificados(s, case.who, f, page_of(f), size)
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert page.total_registros == totals[f]
            results.append(
                Result(
                    case.name,
                    page_name,
                    statistics.median(timings),
                    percentile(timings, 0.99),
                    int(statistics.median(totals[f] for f in filters)),
                    db_ms,
                )
            )
            r = results[-1]
            print(
                f"{r.name:<34} {r.page:<8} {r.total_example:>9,}  BD {r.db_ms:6.1f} ms"
                f"  p50 {r.p50:7.1f} ms ({r.p50 / P50_LIMIT_MS:4.2f})"
                f"  p99 {r.p99:7.1f} ms ({r.p99 / P99_LIMIT_MS:4.2f})",
                flush=True,
            )
    return results


def _explain(
    engine: Engine, case: Case, f: FiltroCertificados, pagina: int, size: int, *, show: bool
) -> float:
    """The summed ``Execution Time`` of the call's SELECTs (printing their plans if ``show``)."""
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        import psycopg

        statements.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, parameters))

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with db.session_factory(engine)() as s:
            query_service.consulta_certificados(s, case.who, f, pagina, size)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    total = 0.0
    with engine.connect() as conn:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            plan = list(conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)).scalars())
            total += float(next(line for line in plan if line.startswith("Execution Time")).split()[2])
            if show:
                print(f"--- {case.name}, página {pagina}\n" + "\n".join("    " + line for line in plan))
    return total


def print_table(results: list[Result], size: int) -> None:
    print(
        f"\n| consulta ({size} por página) | página | registros | BD ms "
        "| p50 ms | p50/20 | p99 ms | p99/100 |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|"
    )
    for r in results:
        print(
            f"| {r.name} | {r.page} | {r.total_example:,} | {r.db_ms:.1f} "
            f"| {r.p50:.1f} | {r.p50 / P50_LIMIT_MS:.2f} "
            f"| {r.p99:.1f} | {r.p99 / P99_LIMIT_MS:.2f} |"
        )
    measured = [r for r in results if r.page != "-"]
    worst50 = max(r.p50 / P50_LIMIT_MS for r in measured)
    worst99 = max(r.p99 / P99_LIMIT_MS for r in measured)
    print(f"\nworst ratio: p50 {worst50:.2f}, p99 {worst99:.2f}  (≤ 1.00 meets the limit)")


def run(
    url: str,
    shape: Shape,
    *,
    repeat: int,
    size: int,
    schema: str | None = None,
    keep: bool = False,
    explain: bool = False,
    only: str | None = None,
) -> list[Result]:
    with throwaway_schema(url, schema, keep) as (engine, new):
        if new:
            t0 = time.perf_counter()
            load(engine, shape)
            print(
                f"loaded {shape.n:,} certificates, {shape.institutions} institutions "
                f"(largest {shape.largest:,}) in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
        chosen = [c for c in cases(engine, repeat) if not only or only in c.name]
        results = measure(engine, chosen, repeat, size, explain)
    print_table(results, size)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", default=os.environ.get("MEC_BENCH_DATABASE_URL") or os.environ.get("MEC_TEST_DATABASE_URL")
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--size", type=int, default=100, help="registrosPorPagina")
    parser.add_argument("--schema", help="reuse this already loaded schema")
    parser.add_argument("--keep", action="store_true", help="do not drop the schema")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", help="measure only the cases whose name contains this text")
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("indique --url o MEC_BENCH_DATABASE_URL / MEC_TEST_DATABASE_URL (PostgreSQL)")
    run(
        args.url,
        Shape(args.n, args.institutions),
        repeat=args.repeat,
        size=args.size,
        schema=args.schema,
        keep=args.keep,
        explain=args.explain,
        only=args.only,
    )


if __name__ == "__main__":
    main()
