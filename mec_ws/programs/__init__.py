"""Study programs (``docs/programa.md``): reading, checking and writing them.

Layout: ``_rules.py`` checks a program independent of its source format (a :class:`RawProgram`
of texts with locations); ``xml_reader.py`` / ``xml_writer.py`` are the XML format
(``xsd/programa-1.0.xsd``); ``xlsx_reader.py`` is the spreadsheet layout, which builds the same
``RawProgram`` (locations like ``fila 3/CREDITOS``) and calls :func:`check_program`.
"""

from __future__ import annotations

from mec_ws.programs._rules import (
    COUNTED_TYPES,
    ProgramReadResult,
    RawField,
    RawProgram,
    RawRecord,
    check_program,
)
from mec_ws.programs.xlsx_reader import is_zip, program_to_xlsx, read_program_xlsx
from mec_ws.programs.xml_reader import NS, XSD_NAME, read_program_xml, xsd_bytes
from mec_ws.programs.xml_writer import program_to_xml

__all__ = [
    "COUNTED_TYPES",
    "NS",
    "XSD_NAME",
    "ProgramReadResult",
    "RawField",
    "RawProgram",
    "RawRecord",
    "check_program",
    "is_zip",
    "program_to_xlsx",
    "program_to_xml",
    "read_program_xlsx",
    "read_program_xml",
    "xsd_bytes",
]
