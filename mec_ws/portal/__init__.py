"""The web portal (``portal.md``): the IPES screens and the SEP operator's console, under ``/portal/``.

A second thin edge over the same services as SOAP (:class:`mec_ws.services.app.MecApp`), served
by the same ``mec-ws serve``: :func:`portal_routes` gives the entries for
:func:`mec_ws.web.wsgi.make_wsgi_app`'s ``routes``.
"""

from __future__ import annotations

from typing import Any

from mec_ws.config import Settings
from mec_ws.services.app import MecApp

PREFIX = "/portal"


def portal_routes(services: MecApp, settings: Settings) -> dict[str, Any]:
    """``/portal`` and everything below it, to the Flask app."""
    from mec_ws.portal.app import create_app

    app = create_app(services, settings)
    return {PREFIX: app, f"{PREFIX}/": app}
