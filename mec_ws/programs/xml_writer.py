"""Writing a :class:`~mec_ws.registry.StudyProgram` as ``programa-1.0.xsd`` XML (the reader's inverse)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from mec_ws.programs.xml_reader import NS, ROOT, VERSION, q
from mec_ws.registry import StudyProgram


def _dec(value: Decimal) -> str:
    # xs:decimal has no exponent: Decimal("1E+1") must be written 10.
    return format(value, "f")


def program_to_xml(program: StudyProgram) -> bytes:
    """UTF-8 XML with declaration, pretty-printed; ``read_program_xml`` gives ``program`` back."""
    root = etree.Element(q(ROOT), nsmap={None: NS})
    root.set("version", VERSION)
    carrera = etree.SubElement(root, q("Carrera"))
    attrs: list[tuple[str, str | None]] = [
        ("idCarrera", program.id_carrera),
        ("claveCarrera", program.clave_carrera or None),
        ("nombreCarrera", program.nombre_carrera),
        ("idNivelEstudios", str(program.id_nivel_estudios)),
        ("idTipoPeriodo", str(program.id_tipo_periodo)),
        ("clavePlan", program.clave_plan),
        ("numeroCiclos", str(program.numero_ciclos)),
        ("calificacionMinima", _dec(program.calificacion_minima)),
        ("calificacionMaxima", _dec(program.calificacion_maxima)),
        ("calificacionMinimaAprobatoria", _dec(program.calificacion_minima_aprobatoria)),
        ("totalCreditos", _dec(program.total_creditos)),
        ("numeroRvoe", program.numero_rvoe),
        ("fechaRvoe", program.fecha_rvoe.isoformat()),
        ("modalidad", program.modalidad),
    ]
    for name, value in attrs:
        if value is not None:
            carrera.set(name, value)
    for campus_id in program.campus_ids:
        etree.SubElement(carrera, q("Campus")).set("idCampus", campus_id)
    for s in program.subjects:
        el = etree.SubElement(carrera, q("Asignatura"))
        el.set("idAsignatura", s.id_asignatura)
        el.set("claveAsignatura", s.clave)
        el.set("nombre", s.nombre)
        el.set("idTipoAsignatura", str(s.id_tipo))
        el.set("creditos", _dec(s.creditos))
        el.set("ciclo", str(s.ciclo))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
