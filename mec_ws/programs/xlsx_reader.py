"""Reading a study program from an XLSX sheet (``docs/programa.md``, "XLSX") into findings and a program.

Layout: the first worksheet; row 1 is the header (column names as in ``docs/programa.md``, in any
order, case-insensitive); then one row per subject.  The career columns repeat on every row.
The reader builds the same :class:`~mec_ws.programs._rules.RawProgram` the XML reader builds, with
locations like ``fila 3/CREDITOS``, and reuses :func:`~mec_ws.programs._rules.check_program`.

Decisions (tested in ``tests/programs/test_xlsx.py``):

- The career is read from the first subject row.  A later row that leaves a career cell blank
  repeats it (merged cells read as blanks); a later row with a *different* value is a
  ``PROGRAMA_XLSX_INCONSISTENTE`` finding at that row and column.  ``ID_CAMPUS`` is compared as a
  list (``000101, 000102`` equals ``000101,000102``).
- ``CLAVE_CARRERA`` may be left out of the header (it is optional in the XML too); so may
  ``MODALIDAD``, an extra column mec-ws accepts for the XML's optional ``modalidad``.  Any other
  missing column rejects the file before the rules run; unknown columns are an ``ADVERTENCIA``.
- Fully blank rows are skipped.  Formulas count by their cached value (what Excel shows).
- Hardened: the file must be a ZIP holding ``[Content_Types].xml`` and ``xl/workbook.xml``;
  compressed size, uncompressed total, entry count, per-entry compression ratio and the number of
  rows are capped before openpyxl reads anything; DOCTYPE/ENTITY declarations are refused; macros
  are never run (openpyxl does not run them; ``.xlsm`` parts are ignored).
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import MappingProxyType

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from mec_ws.findings import Finding, Status
from mec_ws.programs._rules import ProgramReadResult, RawField, RawProgram, RawRecord, check_program
from mec_ws.registry import Institution, StudyProgram

ZIP_MAGIC = b"PK\x03\x04"
REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")

# header column -> field name of check_program (the XML attribute name)
CAREER_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "ID_CARRERA": "idCarrera",
        "CLAVE_CARRERA": "claveCarrera",
        "NOMBRE_CARRERA": "nombreCarrera",
        "ID_NIVEL_ESTUDIOS": "idNivelEstudios",
        "ID_TIPO_PERIODO": "idTipoPeriodo",
        "CLAVE_PLAN": "clavePlan",
        "NUMERO_CICLOS": "numeroCiclos",
        "CALIF_MINIMA": "calificacionMinima",
        "CALIF_MAXIMA": "calificacionMaxima",
        "CALIF_APROBATORIA": "calificacionMinimaAprobatoria",
        "TOTAL_CREDITOS": "totalCreditos",
        "NO_RVOE": "numeroRvoe",
        "FECHA_RVOE": "fechaRvoe",
    }
)
CAMPUS_COLUMN = "ID_CAMPUS"
SUBJECT_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "ID_ASIGNATURA": "idAsignatura",
        "CLAVE_ASIGNATURA": "claveAsignatura",
        "NOMBRE_ASIGNATURA": "nombre",
        "ID_TIPO_ASIGNATURA": "idTipoAsignatura",
        "CREDITOS": "creditos",
        "CICLO": "ciclo",
    }
)
MODALIDAD_COLUMN = "MODALIDAD"  # our extension: the XML's optional modalidad
COLUMNS: tuple[str, ...] = (*CAREER_COLUMNS, CAMPUS_COLUMN, *SUBJECT_COLUMNS)
"""The columns of ``docs/programa.md``, in its order (what :func:`program_to_xlsx` writes first)."""
OPTIONAL_COLUMNS = frozenset({"CLAVE_CARRERA", MODALIDAD_COLUMN})
KNOWN_COLUMNS = frozenset({*COLUMNS, MODALIDAD_COLUMN})
_CAREER_LIKE: tuple[str, ...] = (*CAREER_COLUMNS, MODALIDAD_COLUMN)

HEADER_ROW = 1
FIRST_DATA_ROW = 2
CLAVE_PLAN_LOCATION = f"fila {FIRST_DATA_ROW}/CLAVE_PLAN"
"""Where a finding about the whole program's identity is located (the career's first row)."""

MAX_SUBJECT_ROWS = 5_000
MAX_COLUMNS = 64  # cells beyond are not read
MAX_ENTRIES = 1_000
MAX_RATIO = 200  # uncompressed / compressed, for entries over 1 MiB
UNCOMPRESSED_FACTOR = 10  # total uncompressed ≤ this × the compressed limit

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def is_zip(data: bytes) -> bool:
    """True when ``data`` starts like a ZIP (so like an XLSX): decides XLSX vs XML by content."""
    return data.startswith(ZIP_MAGIC)


def loc(row: int, column: str) -> str:
    return f"fila {row}/{column}"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


# --- the container ---------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, code: str, message: str, location: str = "") -> None:
        super().__init__(message)
        self.finding = Finding(code, message, location)


def _too_large(size: int, max_bytes: int) -> _Rejected:
    return _Rejected(
        "PROGRAMA_XLSX_DEMASIADO_GRANDE", f"El archivo XLSX mide {_mb(size)}; el máximo es {_mb(max_bytes)}."
    )


def too_large_xlsx(size: int, max_bytes: int) -> ProgramReadResult:
    """The result for an XLSX of ``size`` bytes over ``max_bytes`` (known before reading it)."""
    return ProgramReadResult(None, (_too_large(size, max_bytes).finding,))


def _check_container(data: bytes, max_bytes: int) -> None:
    """Everything openpyxl must not see: wrong container, bombs, DTDs."""
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            missing = [p for p in REQUIRED_PARTS if p not in names]
            if missing:
                raise _Rejected(
                    "PROGRAMA_XLSX_INVALIDO",
                    "El archivo es un ZIP pero no un libro de Excel (XLSX): le falta "
                    f"{', '.join(missing)}. Envíe el programa como XML o como XLSX guardado desde Excel "
                    "o LibreOffice.",
                )
            if len(infos) > MAX_ENTRIES:
                raise _Rejected(
                    "PROGRAMA_XLSX_DEMASIADO_GRANDE",
                    f"El libro XLSX tiene {len(infos)} partes internas; el máximo es {MAX_ENTRIES}.",
                )
            total_cap = max_bytes * UNCOMPRESSED_FACTOR
            total = sum(i.file_size for i in infos)
            if total > total_cap:
                raise _Rejected(
                    "PROGRAMA_XLSX_DEMASIADO_GRANDE",
                    f"El libro XLSX descomprimido mide {_mb(total)}; el máximo es {_mb(total_cap)}.",
                )
            for info in infos:
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise _Rejected(
                        "PROGRAMA_XLSX_DEMASIADO_GRANDE",
                        f"La parte {info.filename} del XLSX se comprime más de {MAX_RATIO} a 1; "
                        "se rechaza como posible bomba de descompresión.",
                    )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and _DTD.search(zf.read(info)):
                    raise _Rejected(
                        "PROGRAMA_XLSX_INVALIDO",
                        f"La parte {info.filename} del XLSX contiene una declaración DOCTYPE o ENTITY; "
                        "no se permiten.",
                    )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise _Rejected(
            "PROGRAMA_XLSX_INVALIDO",
            f"El archivo XLSX está dañado o no puede leerse ({type(exc).__name__}).",
        ) from None


def _rows(data: bytes) -> list[tuple[object, ...]]:
    """The first worksheet's rows (values, formulas by cached value), at most the row cap + header."""
    max_row = HEADER_ROW + MAX_SUBJECT_ROWS + 1
    try:
        # openpyxl warns about styles and extensions it does not support; none matter here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                if not wb.worksheets:
                    raise _Rejected(
                        "PROGRAMA_XLSX_INVALIDO", "El libro XLSX no tiene ninguna hoja de cálculo."
                    )
                sheet = wb.worksheets[0]
                return [
                    tuple(row)
                    for row in sheet.iter_rows(
                        min_row=1, max_row=max_row, max_col=MAX_COLUMNS, values_only=True
                    )
                ]
            finally:
                wb.close()
    except _Rejected:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook: all mean the same here
        raise _Rejected(
            "PROGRAMA_XLSX_INVALIDO",
            f"El libro XLSX no pudo leerse ({type(exc).__name__}); ábralo y guárdelo de nuevo como .xlsx.",
        ) from None


# --- cells ------------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """A cell's value as the text the rules read (numbers without a spurious ``.0``, dates ISO)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _campus_list(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _blank(row: Sequence[object]) -> bool:
    return all(cell_text(v) is None or not str(cell_text(v)).strip() for v in row)


# --- header -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    columns: Mapping[str, int]  # column name -> 0-based index
    findings: tuple[Finding, ...]

    @property
    def usable(self) -> bool:
        return not any(f.status is Status.ERROR for f in self.findings)


def _header(row: Sequence[object]) -> _Header:
    columns: dict[str, int] = {}
    findings: list[Finding] = []
    for index, value in enumerate(row):
        text = cell_text(value)
        name = text.strip().upper() if text else ""
        if not name:
            continue
        letter = get_column_letter(index + 1)
        if name not in KNOWN_COLUMNS:
            findings.append(
                Finding(
                    "PROGRAMA_XLSX_ENCABEZADO",
                    f"La columna {letter} ('{text}') no es una columna del programa de estudios; se ignoró.",
                    loc(HEADER_ROW, name),
                    Status.ADVERTENCIA,
                )
            )
        elif name in columns:
            findings.append(
                Finding(
                    "PROGRAMA_XLSX_ENCABEZADO",
                    f"La columna {name} aparece dos veces: en {get_column_letter(columns[name] + 1)} "
                    f"y en {letter}.",
                    loc(HEADER_ROW, name),
                )
            )
        else:
            columns[name] = index
    missing = [c for c in COLUMNS if c not in columns and c not in OPTIONAL_COLUMNS]
    if missing:
        findings.append(
            Finding(
                "PROGRAMA_XLSX_ENCABEZADO",
                f"Faltan columnas en el encabezado (fila {HEADER_ROW}): {', '.join(missing)}. "
                f"Las columnas son: {', '.join(COLUMNS)}.",
                f"fila {HEADER_ROW}",
            )
        )
    return _Header(columns=MappingProxyType(columns), findings=tuple(findings))


# --- the raw program --------------------------------------------------------------------------


def _value(row: Sequence[object], header: _Header, column: str) -> str | None:
    index = header.columns.get(column)
    if index is None or index >= len(row):
        return None
    return cell_text(row[index])


def _stripped(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


def _inconsistencies(numbered: Sequence[tuple[int, Sequence[object]]], header: _Header) -> list[Finding]:
    first_number, first = numbered[0]
    findings: list[Finding] = []
    present = [c for c in (*_CAREER_LIKE, CAMPUS_COLUMN) if c in header.columns]
    for number, row in numbered[1:]:
        for column in present:
            value = _stripped(_value(row, header, column))
            if value is None:
                continue  # a blank repeats the first row (merged cells)
            expected = _stripped(_value(first, header, column))
            if column == CAMPUS_COLUMN:
                same = _campus_list(value) == _campus_list(expected)
            else:
                same = value == expected
            if not same:
                shown = f"'{expected}'" if expected is not None else "vacío"
                findings.append(
                    Finding(
                        "PROGRAMA_XLSX_INCONSISTENTE",
                        f"{column} es '{value}' en la fila {number}, pero {shown} en la fila {first_number}; "
                        "las columnas de la carrera deben repetir el mismo valor en cada fila.",
                        loc(number, column),
                    )
                )
    return findings


def _raw_program(numbered: Sequence[tuple[int, Sequence[object]]], header: _Header) -> RawProgram:
    first_number, first = numbered[0]
    career = {
        field: RawField(_value(first, header, column), loc(first_number, column))
        for column, field in (*CAREER_COLUMNS.items(), (MODALIDAD_COLUMN, "modalidad"))
    }
    campus_location = loc(first_number, CAMPUS_COLUMN)
    campuses = tuple(
        RawField(cid, campus_location) for cid in _campus_list(_value(first, header, CAMPUS_COLUMN))
    )
    subjects = tuple(
        RawRecord(
            location=f"fila {number}",
            fields=MappingProxyType(
                {
                    field: RawField(_value(row, header, column), loc(number, column))
                    for column, field in SUBJECT_COLUMNS.items()
                }
            ),
        )
        for number, row in numbered
    )
    return RawProgram(
        carrera=RawRecord(location=f"fila {first_number}", fields=MappingProxyType(career)),
        campuses=campuses,
        subjects=subjects,
        campuses_location=campus_location,
        subjects_location=f"fila {first_number}",
    )


def read_program_xlsx(
    data: bytes, *, institution: Institution | None, max_bytes: int = 5 * 1024 * 1024
) -> ProgramReadResult:
    """Read and check a program XLSX.  Never raises for a bad file: everything is a finding.

    ``institution`` plays the same part as in :func:`~mec_ws.programs.read_program_xml`.
    """
    try:
        _check_container(data, max_bytes)
        rows = _rows(data)
    except _Rejected as exc:
        return ProgramReadResult(None, (exc.finding,))
    if not rows or _blank(rows[0]):
        return ProgramReadResult(
            None,
            (
                Finding(
                    "PROGRAMA_XLSX_ENCABEZADO",
                    f"La primera hoja no tiene encabezado en la fila {HEADER_ROW}; debe tener las columnas "
                    f"{', '.join(COLUMNS)}.",
                    f"fila {HEADER_ROW}",
                ),
            ),
        )
    header = _header(rows[0])
    if not header.usable:
        return ProgramReadResult(None, header.findings)
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2) if not _blank(row)]
    if len(numbered) > MAX_SUBJECT_ROWS:
        return ProgramReadResult(
            None,
            (
                Finding(
                    "PROGRAMA_XLSX_DEMASIADO_GRANDE",
                    f"La hoja tiene más de {MAX_SUBJECT_ROWS} filas de asignaturas.",
                    f"fila {numbered[MAX_SUBJECT_ROWS][0]}",
                ),
            ),
        )
    if not numbered:
        return ProgramReadResult(
            None,
            (
                *header.findings,
                Finding(
                    "PROGRAMA_DATO_FALTANTE",
                    "La hoja no tiene filas de asignaturas después del encabezado.",
                    f"fila {FIRST_DATA_ROW}",
                ),
            ),
        )
    inconsistent = _inconsistencies(numbered, header)
    checked = check_program(_raw_program(numbered, header), institution)
    findings = (*header.findings, *inconsistent, *checked.findings)
    return ProgramReadResult(checked.program if not inconsistent else None, findings)


# --- writing (tests, demo) --------------------------------------------------------------------


def program_to_xlsx(program: StudyProgram) -> bytes:
    """The program as the XLSX layout of ``docs/programa.md`` (``read_program_xlsx`` gives it back).

    Identifiers and keys are written as text (so ``000101`` keeps its zeros), quantities as numbers
    and ``FECHA_RVOE`` as a date, as a registrar's spreadsheet would have them.
    """
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover - a new Workbook always has an active sheet
        raise AssertionError("openpyxl Workbook sin hoja activa")
    ws.title = "Programa"
    header = list(COLUMNS) + ([MODALIDAD_COLUMN] if program.modalidad is not None else [])
    ws.append(header)
    career: dict[str, object] = {
        "ID_CARRERA": program.id_carrera,
        "CLAVE_CARRERA": program.clave_carrera or None,
        "NOMBRE_CARRERA": program.nombre_carrera,
        "ID_NIVEL_ESTUDIOS": program.id_nivel_estudios,
        "ID_TIPO_PERIODO": program.id_tipo_periodo,
        "CLAVE_PLAN": program.clave_plan,
        "NUMERO_CICLOS": program.numero_ciclos,
        "CALIF_MINIMA": program.calificacion_minima,
        "CALIF_MAXIMA": program.calificacion_maxima,
        "CALIF_APROBATORIA": program.calificacion_minima_aprobatoria,
        "TOTAL_CREDITOS": program.total_creditos,
        "NO_RVOE": program.numero_rvoe,
        "FECHA_RVOE": program.fecha_rvoe,
        "ID_CAMPUS": ",".join(program.campus_ids),
        MODALIDAD_COLUMN: program.modalidad,
    }
    for s in program.subjects:
        values = {
            **career,
            "ID_ASIGNATURA": s.id_asignatura,
            "CLAVE_ASIGNATURA": s.clave,
            "NOMBRE_ASIGNATURA": s.nombre,
            "ID_TIPO_ASIGNATURA": s.id_tipo,
            "CREDITOS": s.creditos,
            "CICLO": s.ciclo,
        }
        ws.append([values[c] for c in header])
    fecha = header.index("FECHA_RVOE") + 1
    for (cell,) in ws.iter_rows(min_row=2, min_col=fecha, max_col=fecha):
        cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


__all__ = [
    "CLAVE_PLAN_LOCATION",
    "COLUMNS",
    "cell_text",
    "is_zip",
    "program_to_xlsx",
    "read_program_xlsx",
]
