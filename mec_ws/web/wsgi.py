"""The service's one WSGI app: ``/mec/ws`` (SOAP and ``?wsdl``) plus pluggable plain routes.

Other pages (``/salud``, ``/verificacion/<folioDigital>``) are added as ``routes``: a mapping
from a path prefix to a WSGI app.  A prefix ending in ``/`` matches everything below it; any
other prefix matches that path exactly (with or without a trailing slash).  Unknown paths get a
small plain-text 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mec_ws.config import Settings
from mec_ws.services.protocol import MecServices
from mec_ws.soap.app import make_soap_app

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SOAP_PATH = "/mec/ws"
NOT_FOUND = "No encontrado. El servicio SOAP está en /mec/ws y su WSDL en /mec/ws?wsdl.\n".encode()


class Router:
    """Dispatches on ``PATH_INFO``; the longest matching prefix wins."""

    def __init__(self, routes: Mapping[str, WsgiApp]) -> None:
        self.routes = dict(routes)
        self._order = sorted(self.routes, key=len, reverse=True)

    def match(self, path: str) -> WsgiApp | None:
        for prefix in self._order:
            if prefix.endswith("/"):
                if path.startswith(prefix):
                    return self.routes[prefix]
            elif path in (prefix, f"{prefix}/"):
                return self.routes[prefix]
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.match(str(environ.get("PATH_INFO") or "/"))
        if app is None:
            start_response(
                "404 Not Found",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(NOT_FOUND)))],
            )
            return [NOT_FOUND]
        return app(environ, start_response)


def make_wsgi_app(
    services: MecServices, settings: Settings, routes: Mapping[str, WsgiApp] | None = None
) -> Router:
    """The WSGI app gunicorn serves: the SOAP endpoint at ``/mec/ws`` plus ``routes``."""
    table: dict[str, WsgiApp] = dict(routes or {})
    table[SOAP_PATH] = make_soap_app(services, settings)
    return Router(table)
