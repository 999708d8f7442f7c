"""Coded findings: what a validation rule records instead of raising.

Every code is stable (integrators match on it) and documented once, here, in ``CODES``.  The
table in ``docs/codigos.md`` is generated from it (``python -m mec_ws.findings``) and a test
keeps the two in step.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Status(enum.StrEnum):
    ERROR = "ERROR"  # the file is rejected
    ADVERTENCIA = "ADVERTENCIA"  # accepted, but worth knowing (e.g. 32-field sello variant)
    OMITIDA = "OMITIDA"  # the check could not run: data it needs was not given


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    location: str = ""
    status: Status = Status.ERROR

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"código de hallazgo no documentado: {self.code}")


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.status is Status.ERROR for f in findings)


# code -> (area, what it means, in Spanish, for the registrar reading the batch status)
CODES: dict[str, tuple[str, str]] = {
    # --- reading the file -------------------------------------------------------------------
    "XML_MAL_FORMADO": ("archivo", "El archivo no es un XML bien formado."),
    "XML_CODIFICACION": ("archivo", "El XML no está codificado en UTF-8 o declara otra codificación."),
    "XML_DTD_PROHIBIDO": (
        "archivo",
        "El XML contiene una declaración DOCTYPE/DTD o entidades; no se permiten.",
    ),
    "XML_DEMASIADO_GRANDE": ("archivo", "El XML excede el tamaño máximo permitido."),
    "XML_RAIZ_INVALIDA": ("archivo", "El elemento raíz no es Dec en el espacio de nombres de certificados."),
    # --- structure ----------------------------------------------------------------------------
    "XSD_INVALIDO": ("estructura", "El XML no cumple con el esquema XSD del certificado (Dec 3.0)."),
    "VERSION_NO_SOPORTADA": ("estructura", "La versión del certificado no es 3.0."),
    "TIPO_CERTIFICADO_INVALIDO": ("estructura", "tipoCertificado debe ser 5 (IPES)."),
    "NODOS_SEP_PRESENTES": (
        "estructura",
        "El certificado trae los nodos Dreoe o SepIpes con atributos o contenido; solo la SEP los "
        "llena (vacíos, <Dreoe/> <SepIpes/>, se admiten y el sellado los reemplaza).",
    ),
    "VALOR_CON_BARRA": ("estructura", "Un valor de la cadena original contiene el carácter '|'."),
    # --- institution, campus, officer -------------------------------------------------------
    "INSTITUCION_NO_CORRESPONDE": (
        "institucion",
        "La institución del certificado no es la institución que realiza la carga.",
    ),
    "ENTIDAD_FIRMANTE_NO_CORRESPONDE": (
        "institucion",
        "ServicioFirmante/@idEntidad no coincide con Ipes/@idNombreInstitucion.",
    ),
    "CAMPUS_NO_REGISTRADO": ("institucion", "El campus no está registrado para la institución."),
    "RESPONSABLE_NO_REGISTRADO": (
        "institucion",
        "El certificado de e.firma del responsable no es el registrado para el campus.",
    ),
    "CARGO_NO_COINCIDE": (
        "institucion",
        "Responsable/@idCargo no es el cargo con el que el responsable está registrado para el campus.",
    ),
    "ENTIDAD_FEDERATIVA_NO_COINCIDE": (
        "institucion",
        "La entidad federativa no corresponde a la registrada para el campus.",
    ),
    # --- catalogs and identities ------------------------------------------------------------
    "CLAVE_CATALOGO_INVALIDA": ("catalogos", "Una clave no existe en su catálogo."),
    "CURP_INVALIDA": (
        "identidad",
        "La CURP no tiene el formato válido o su dígito verificador es incorrecto.",
    ),
    "CURP_SEXO_NO_COINCIDE": ("identidad", "El sexo de la CURP del alumno no coincide con idGenero."),
    # --- dates ---------------------------------------------------------------------------------
    "FECHA_NACIMIENTO_INCONGRUENTE": (
        "fechas",
        "La fecha de nacimiento debe ser anterior a la fecha de expedición.",
    ),
    "FECHA_EXPEDICION_FUTURA": ("fechas", "La fecha de expedición está en el futuro."),
    "FECHA_EXPEDICION_ANTERIOR_RVOE": ("fechas", "La fecha de expedición es anterior a la fecha del RVOE."),
    # --- study program ------------------------------------------------------------------------
    "PROGRAMA_NO_REGISTRADO": (
        "programa",
        "La carrera y plan (idCarrera, clavePlan) no están registrados para la institución.",
    ),
    "PROGRAMA_NO_COINCIDE": (
        "programa",
        "Un dato de la carrera no coincide con el programa de estudios registrado.",
    ),
    "ASIGNATURA_NO_REGISTRADA": (
        "programa",
        "La asignatura no pertenece al programa de estudios registrado.",
    ),
    "ASIGNATURA_NO_COINCIDE": (
        "programa",
        "El tipo o los créditos de la asignatura no coinciden con el programa registrado.",
    ),
    "ASIGNATURA_DUPLICADA": ("programa", "La asignatura aparece más de una vez."),
    # --- grades and totals ------------------------------------------------------------------
    "ESCALA_CALIFICACION_INVALIDA": (
        "calificaciones",
        "La escala debe cumplir mínima ≤ mínima aprobatoria ≤ máxima.",
    ),
    "CALIFICACION_INVALIDA": (
        "calificaciones",
        "La calificación no es un número decimal con a lo más 2 decimales.",
    ),
    "CALIFICACION_FUERA_DE_RANGO": (
        "calificaciones",
        "La calificación está fuera de la escala [mínima, máxima].",
    ),
    "TOTAL_ASIGNATURAS_NO_COINCIDE": (
        "totales",
        "Asignaturas/@total no es el número de asignaturas que cuentan (263, 264, 265).",
    ),
    "ASIGNADAS_NO_COINCIDE": (
        "totales",
        "Asignaturas/@asignadas no es el número de asignaturas aprobadas que cuentan.",
    ),
    "PROMEDIO_NO_COINCIDE": (
        "totales",
        "El promedio no coincide con la media de las calificaciones que cuentan.",
    ),
    "CREDITOS_OBTENIDOS_NO_COINCIDE": (
        "totales",
        "creditosObtenidos no es la suma de créditos de las asignaturas aprobadas.",
    ),
    "TOTAL_CREDITOS_NO_COINCIDE": (
        "totales",
        "totalCreditos no coincide con el total de créditos del programa.",
    ),
    "CERTIFICADO_TOTAL_INCOMPLETO": (
        "totales",
        "Un certificado TOTAL (79) debe tener aprobadas todas las asignaturas del programa.",
    ),
    "CERTIFICADO_PARCIAL_COMPLETO": (
        "totales",
        "Un certificado PARCIAL (80) no puede cubrir todos los créditos del programa.",
    ),
    "NUMERO_CICLOS_NO_COINCIDE": (
        "totales",
        "numeroCiclos no es el número de ciclos distintos de las asignaturas.",
    ),
    # --- folios -------------------------------------------------------------------------------
    "FOLIO_CONTROL_DUPLICADO": ("folios", "El folioControl se repite dentro de la misma carga."),
    "FOLIO_CONTROL_REGISTRADO": (
        "folios",
        "El folioControl ya pertenece a un certificado aceptado de la institución.",
    ),
    # --- e.firma and sello ----------------------------------------------------------------
    "CERTIFICADO_RESPONSABLE_INVALIDO": (
        "firma",
        "certificadoResponsable no es un certificado X.509 válido en base64 (DER).",
    ),
    "NO_CERTIFICADO_NO_COINCIDE": (
        "firma",
        "noCertificadoResponsable no coincide con el número de serie del certificado.",
    ),
    "CURP_RESPONSABLE_NO_COINCIDE": ("firma", "La CURP del certificado de e.firma no es la del Responsable."),
    "CERTIFICADO_NO_VIGENTE_EXPEDICION": (
        "firma",
        "El certificado de e.firma no estaba vigente en la fecha de expedición.",
    ),
    "CERTIFICADO_VENCIDO": ("firma", "El certificado de e.firma está vencido a la fecha de carga."),
    "CERTIFICADO_NO_CONFIABLE": (
        "firma",
        "El certificado de e.firma no fue emitido por una autoridad certificadora de confianza.",
    ),
    "SELLO_INVALIDO": (
        "firma",
        "El sello no corresponde a la cadena original firmada con el certificado del responsable.",
    ),
    "SELLO_VARIANTE_32": (
        "firma",
        "El sello verificó con la cadena de 32 campos (sin ServicioFirmante/@idEntidad).",
    ),
    # --- study programs ---
    "PROGRAMA_RAIZ_INVALIDA": (
        "programa",
        "El elemento raíz no es ProgramaEstudios en el espacio de nombres de programas.",
    ),
    "PROGRAMA_XSD_INVALIDO": (
        "programa",
        "El programa de estudios no cumple con el esquema XSD (programa 1.0).",
    ),
    "PROGRAMA_DATO_FALTANTE": ("programa", "Falta un dato obligatorio del programa de estudios."),
    "PROGRAMA_VALOR_INVALIDO": ("programa", "Un dato del programa de estudios no tiene un valor válido."),
    "PROGRAMA_ID_INVALIDO": (
        "programa",
        "idCarrera o idAsignatura no es un número entero positivo sin ceros a la izquierda.",
    ),
    "PROGRAMA_FECHA_INVALIDA": ("programa", "fechaRvoe no es una fecha válida (AAAA-MM-DD)."),
    "PROGRAMA_CATALOGO_INVALIDO": (
        "programa",
        "Una clave del programa (nivel, tipo de periodo, tipo de asignatura) no existe en su catálogo.",
    ),
    "PROGRAMA_CREDITOS_NO_COINCIDEN": (
        "programa",
        "totalCreditos no es la suma de créditos de las asignaturas que cuentan (263, 264, 265).",
    ),
    "PROGRAMA_ESCALA_INVALIDA": (
        "programa",
        "La escala del programa debe cumplir mínima ≤ mínima aprobatoria ≤ máxima.",
    ),
    "PROGRAMA_CAMPUS_NO_REGISTRADO": (
        "programa",
        "Un campus del programa no está registrado para la institución.",
    ),
    "PROGRAMA_EN_USO": (
        "programa",
        "Ya hay certificados aceptados con este programa (idCarrera y clavePlan); no puede reemplazarse.",
    ),
    "PROGRAMA_CAMPUS_DUPLICADO": ("programa", "Un campus aparece más de una vez en el programa."),
    "PROGRAMA_ASIGNATURA_DUPLICADA": (
        "programa",
        "Dos asignaturas del programa tienen el mismo idAsignatura o la misma claveAsignatura.",
    ),
    "PROGRAMA_CICLO_INVALIDO": (
        "programa",
        "El ciclo de una asignatura no es un número entre 1 y numeroCiclos.",
    ),
    "PROGRAMA_XLSX_INVALIDO": (
        "programa",
        "El archivo es un ZIP pero no un libro de Excel (XLSX) legible, o está dañado.",
    ),
    "PROGRAMA_XLSX_DEMASIADO_GRANDE": (
        "programa",
        "El libro XLSX excede el tamaño permitido (comprimido o descomprimido) o tiene demasiadas filas.",
    ),
    "PROGRAMA_XLSX_ENCABEZADO": (
        "programa",
        "La fila de encabezado del XLSX no tiene las columnas del formato de programa de estudios "
        "(docs/programa.md): falta, se repite o no se reconoce una columna.",
    ),
    "PROGRAMA_XLSX_INCONSISTENTE": (
        "programa",
        "Una columna de la carrera no repite en una fila el valor que tiene en la primera fila de asignaturas.",
    ),
    # --- uploads (ZIP): faults at upload time (mec_ws/batches/intake.py), findings only for the CLI
    # and for a batch that somehow holds such a package ------------------------------------------
    "ZIP_INVALIDO": ("carga", "El archivo ZIP está dañado o no se puede leer."),
    "ZIP_ENTRADA_NO_XML": ("carga", "El ZIP contiene un archivo que no es .xml."),
    "ZIP_DIRECTORIO": ("carga", "El ZIP contiene carpetas; los XML deben ir en la raíz."),
    "ZIP_ANIDADO": ("carga", "El ZIP contiene otro archivo comprimido."),
    "ZIP_COMPRESION_EXCESIVA": ("carga", "Una entrada del ZIP tiene una tasa de compresión anómala."),
    "ZIP_RUTA_INVALIDA": ("carga", "Una entrada del ZIP tiene una ruta no permitida (absoluta o con '..')."),
    "ZIP_NOMBRE_DUPLICADO": ("carga", "El ZIP contiene dos entradas con el mismo nombre."),
    "ZIP_DEMASIADAS_ENTRADAS": ("carga", "El ZIP excede el número máximo de certificados por carga."),
    "ZIP_VACIO": ("carga", "El ZIP no contiene ningún certificado."),
    "CANTIDAD_NO_COINCIDE": (
        "carga",
        "El número de certificados no coincide con el amparado por el folio de pago.",
    ),
    # --- the engine itself ------------------------------------------------------------------
    "ERROR_INTERNO_REGLA": (
        "sistema",
        "Una verificación falló por un error interno; el archivo no se pudo validar por completo.",
    ),
}


def markdown_table() -> str:
    lines = [
        "# Códigos de hallazgo",
        "",
        "Generado de `mec_ws/findings.py` (`python -m mec_ws.findings > docs/codigos.md`).",
        "Los códigos son estables: los sistemas de las instituciones pueden compararlos.",
        "",
        "Los códigos del área `carga` (y `XML_DEMASIADO_GRANDE` de una entrada) se conocen por el "
        "paquete mismo: `cargaCertificados` y `validaCertificados` los devuelven como falla "
        "`ArchivoInvalido` (cada código entre corchetes en el mensaje, con la entrada) y "
        "`CANTIDAD_NO_COINCIDE` como falla `CantidadNoCoincide`, sin crear lote ni gastar intento. "
        "`mec-ws validate` los muestra como hallazgos del paquete.",
        "",
        "| código | área | significado |",
        "|---|---|---|",
    ]
    lines += [f"| `{code}` | {area} | {text} |" for code, (area, text) in CODES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table(), end="")
