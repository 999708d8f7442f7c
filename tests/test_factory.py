import random
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from mec_ws.certificate.document import DecDocument
from mec_ws.certificate.reader import read_xml
from mec_ws.rules.curp import is_valid_curp
from mec_ws.testdata.factory import (
    ACCEPTED_FOLIO,
    FIXED_NOW,
    PARCIAL,
    TOTAL,
    Grade,
    ciclo_label,
    compute_totals,
    default_scenario,
    make_context,
    make_institution,
    make_program,
    make_student,
    signed_certificate,
    to_bytes,
)


@pytest.fixture(scope="module")
def program():
    return make_program(make_institution())


def test_institution_has_campuses():
    inst = make_institution()
    assert inst.id == "000001"
    assert [c.id for c in inst.campuses] == ["000101", "000102"]
    assert all(c.institution_id == inst.id and len(c.state) == 2 for c in inst.campuses)


def test_program_shape(program):
    assert program.nombre_carrera == "LICENCIATURA EN DERECHO"
    assert len(program.subjects) == 48 and program.numero_ciclos == 8
    assert Counter(s.id_tipo for s in program.subjects) == {263: 44, 264: 2, 265: 1, 266: 1}
    counted = sum(s.creditos for s in program.subjects if s.id_tipo != 266)
    assert counted == program.total_creditos
    assert len({s.id_asignatura for s in program.subjects}) == 48
    assert (
        program.calificacion_minima <= program.calificacion_minima_aprobatoria <= program.calificacion_maxima
    )


def test_students_are_realistic_and_deterministic():
    students = [make_student(random.Random(i)) for i in range(40)]
    assert students == [make_student(random.Random(i)) for i in range(40)]
    for s in students:
        assert is_valid_curp(s.curp)
        assert s.curp[10] == {251: "H", 250: "M"}[s.id_genero]
        assert s.curp[4:10] == s.fecha_nacimiento.strftime("%y%m%d")
        assert s.nombre == s.nombre.upper()
    names = " ".join(f"{s.nombre} {s.primer_apellido} {s.segundo_apellido or ''}" for s in students)
    assert any(ch in names for ch in "ÁÉÍÓÚÑ")


def test_ciclo_labels():
    assert [ciclo_label(2020, i) for i in range(4)] == ["2020-1", "2020-2", "2021-1", "2021-2"]


def test_certificates_are_deterministic_per_seed():
    a, b = default_scenario(7), default_scenario(7)
    assert to_bytes(a.certificate(3)) == to_bytes(b.certificate(3))
    assert to_bytes(a.certificate(3)) != to_bytes(default_scenario(8).certificate(3))
    assert to_bytes(a.certificate(3)) != to_bytes(a.certificate(4))


def test_total_certificate_content():
    doc = DecDocument.from_tree(default_scenario().certificate(0, tipo=TOTAL))
    assert doc.expedicion.get("idTipoCertificacion") == "79"
    assert len(doc.asignatura) == 48
    assert doc.asignaturas.get("total") == doc.asignaturas.get("asignadas") == "47"
    assert doc.asignaturas.get("creditosObtenidos") == doc.asignaturas.get("totalCreditos")
    assert doc.asignaturas.get("numeroCiclos") == "8"
    assert doc.ipes.get("idNombreInstitucion") == doc.servicio_firmante.get("idEntidad") == "000001"
    assert doc.dec.get("sello") is None  # unsigned until sealed


def test_parcial_certificate_content():
    doc = DecDocument.from_tree(default_scenario().certificate(0, tipo=PARCIAL))
    assert doc.expedicion.get("idTipoCertificacion") == "80"
    assert Decimal(doc.asignaturas.get("creditosObtenidos")) < Decimal(doc.asignaturas.get("totalCreditos"))
    assert doc.asignaturas.get("numeroCiclos") == "5"


def test_compute_totals_by_hand(program):
    s = {x.id_asignatura: x for x in program.subjects}
    grades = [
        Grade(s["50101"], "2020-1", "9"),  # 8 credits
        Grade(s["50104"], "2020-1", "5"),  # 6 credits, failed
        Grade(s["50606"], "2022-2", "8.5"),  # optativa, 6 credits
        Grade(s["50806"], "2023-2", "10"),  # complementaria: counts in nothing
    ]
    total, asignadas, promedio, creditos, ciclos = compute_totals(program, grades)
    assert (total, asignadas, promedio, creditos, ciclos) == (3, 2, "7.50", Decimal(14), 3)


def test_signed_certificate_bytes():
    data = signed_certificate()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = read_xml(data).getroot()
    assert root.get("sello") and root.get("certificadoResponsable")
    assert len(root.get("noCertificadoResponsable")) == 20
    assert "ÁNGEL".encode() in data  # UTF-8, not character references


def test_make_context():
    scenario = default_scenario()
    ctx = make_context(scenario)
    assert ctx.now == FIXED_NOW and ctx.now.tzinfo is not None
    assert ctx.institution == scenario.institution
    assert ctx.find_program("000001", "1021", "2019") == scenario.program
    assert ctx.find_program("000001", "1021", "2015") is None
    assert ctx.is_folio_accepted("000001", ACCEPTED_FOLIO)
    assert not ctx.is_folio_accepted("000001", "OTRO")
    assert [o.campus_id for o in ctx.officers] == [scenario.campus.id]
    assert ctx.trusted_cas and not ctx.strict_sello


def test_certificate_dates_are_coherent():
    scenario = default_scenario()
    doc = DecDocument.from_tree(scenario.certificate(0))
    born = date.fromisoformat(doc.alumno.get("fechaNacimiento")[:10])
    issued = date.fromisoformat(doc.expedicion.get("fecha")[:10])
    rvoe = date.fromisoformat(doc.rvoe.get("fechaExpedicion")[:10])
    assert born < rvoe <= issued < FIXED_NOW.date()


def test_tree_is_namespaced_and_attribute_only():
    root = default_scenario().certificate(0)
    assert all(el.text is None for el in root.iter())
    assert {etree.QName(el).namespace for el in root.iter()} == {"https://www.siged.sep.gob.mx/certificados/"}


def test_responsable_from_officer_certificate():
    from mec_ws.testdata import pki
    from mec_ws.testdata.factory import build_certificate, default_officer

    scenario = default_scenario()
    base = pki.default_pki()
    root = build_certificate(
        scenario.program,
        scenario.institution,
        scenario.campus,
        scenario.student(0),
        folio_control="F-1",
        officer_cert=base.officer_cert,
    )
    responsable = DecDocument.from_tree(root).responsable
    assert responsable.get("curp") == base.officer_curp == default_officer().curp
    assert responsable.get("primerApellido") == "GÓMEZ"


def test_officer_from_other_certificate():
    from datetime import UTC, datetime

    from mec_ws.testdata import pki
    from mec_ws.testdata.curp import make_curp
    from mec_ws.testdata.factory import officer_from_certificate

    curp = make_curp("Rosa María", "Ordóñez", "Ibáñez", date(1979, 5, 20), "M", "21")
    base = pki.default_pki()
    _, cert = pki.make_officer_certificate(
        base.ca_key,
        base.ca_cert,
        curp=curp,
        rfc="OOIR790520AB1",
        nombre="ROSA MARIA ORDOÑEZ IBAÑEZ",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2030, 1, 1, tzinfo=UTC),
    )
    officer = officer_from_certificate(cert, id_cargo=3)
    assert (
        officer.curp,
        officer.nombre,
        officer.primer_apellido,
        officer.segundo_apellido,
        officer.id_cargo,
    ) == (
        curp,
        "ROSA MARIA",
        "ORDOÑEZ",
        "IBAÑEZ",
        3,
    )
