"""The one rule for times shown to people.

- On the wire (``xs:dateTime`` in SOAP answers) instants are UTC with ``Z`` (``contract.md``);
  ``xs:date`` filters are Mexico City calendar dates.
- Everything a person reads — CLI output, ``mensaje`` texts and findings, the PDF, the CSV/XLSX
  export, the pages — shows Mexico City time (``America/Mexico_City``) and says so: texts with
  :data:`ZONE_NOTE`, the CSV with the UTC offset (``2025-06-30 21:30:15-06:00``), the XLSX with the
  note in the cell's number format.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

MEXICO_CITY = ZoneInfo("America/Mexico_City")
ZONE_NOTE = "hora de la Ciudad de México"


def local(when: datetime) -> datetime:
    """``when`` (aware) in Mexico City time, to the second."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("la fecha y hora debe tener zona horaria")
    return when.astimezone(MEXICO_CITY).replace(microsecond=0)


def local_text(when: datetime, *, seconds: bool = False) -> str:
    """``2025-06-30 21:30 (hora de la Ciudad de México)``: an instant as a person reads it."""
    return f"{local(when):%Y-%m-%d %H:%M{':%S' if seconds else ''}} ({ZONE_NOTE})"


def local_iso(when: datetime) -> str:
    """``2025-06-30 21:30:15-06:00``: Mexico City time with its UTC offset (for CSV cells)."""
    return local(when).isoformat(sep=" ")
