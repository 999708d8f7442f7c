"""Re-export of :mod:`mec_ws.batches.attempts`: the one count of a folio's attempts lives in the
domain, so that the batch worker judges with it without depending on the services."""

from mec_ws.batches.attempts import JUDGED, PENDING, Attempts, attempts_of, settle, tally

__all__ = ["JUDGED", "PENDING", "Attempts", "attempts_of", "settle", "tally"]
