"""Re-export of :mod:`mec_ws.registry_source` (moved down to the domain so that the batch worker can
use it without depending on the services; existing imports keep working)."""

from mec_ws.registry_source import (
    active_officers,
    context_for,
    folio_accepted_lookup,
    institution_from_row,
    load_program,
    program_from_row,
    program_in_use,
    save_program,
    trusted_cas,
)

__all__ = [
    "active_officers",
    "context_for",
    "folio_accepted_lookup",
    "institution_from_row",
    "load_program",
    "program_from_row",
    "program_in_use",
    "save_program",
    "trusted_cas",
]
