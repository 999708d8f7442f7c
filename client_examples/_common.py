"""Lo que comparten los ejemplos: argumentos, el cliente zeep y las fallas del servicio.

Cada ejemplo acepta ``--wsdl``, ``--usuario`` y ``--password`` (o las variables de entorno
``MEC_WSDL``, ``MEC_USUARIO`` y ``MEC_PASSWORD``, o un archivo ``--credenciales`` con líneas
``CLAVE=valor`` como el ``credenciales.txt`` que escribe ``mec-ws demo``).

Una falla SOAP del servicio se imprime como ``Error MEC [Codigo]: mensaje`` (el ``errorMec`` del
detalle) y el ejemplo sale con estado 2; un problema de red o de HTTP sale con estado 3.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_WSDL = "http://127.0.0.1:8000/mec/ws?wsdl"
EXIT_FAULT = 2
EXIT_TRANSPORT = 3


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    conn = p.add_argument_group("conexión")
    conn.add_argument("--wsdl", help=f"URL del WSDL (MEC_WSDL; por omisión {DEFAULT_WSDL})")
    conn.add_argument("--usuario", help="usuario del servicio (MEC_USUARIO)")
    conn.add_argument("--password", help="contraseña (MEC_PASSWORD)")
    conn.add_argument(
        "--credenciales",
        type=Path,
        help="archivo CLAVE=valor con MEC_WSDL/MEC_USUARIO/MEC_PASSWORD (p. ej. demo/credenciales.txt)",
    )
    conn.add_argument("--timeout", type=float, default=10.0, help="segundos para conectar y leer el WSDL")
    conn.add_argument(
        "--timeout-operacion",
        type=float,
        default=300.0,
        help="segundos de espera por cada operación (las cargas grandes tardan)",
    )
    return p


def _settings_file(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class Mec:
    """Un cliente zeep listo y el elemento ``autenticacion`` que toda operación lleva primero."""

    client: Any
    autenticacion: dict[str, str]

    @property
    def service(self) -> Any:
        return self.client.service


def connect(args: argparse.Namespace) -> Mec:
    from zeep import Client
    from zeep.transports import Transport

    stored = _settings_file(args.credenciales)

    def pick(value: str | None, name: str, default: str | None = None) -> str:
        found = value or os.environ.get(name) or stored.get(name) or default
        if not found:
            raise SystemExit(f"falta {name.removeprefix('MEC_').lower()}: use --{name[4:].lower()} o {name}.")
        return found

    wsdl = pick(args.wsdl, "MEC_WSDL", DEFAULT_WSDL)
    usuario = pick(args.usuario, "MEC_USUARIO")
    password = pick(args.password, "MEC_PASSWORD")
    transport = Transport(timeout=args.timeout, operation_timeout=args.timeout_operacion)
    client = Client(wsdl, transport=transport)
    return Mec(client=client, autenticacion={"usuario": usuario, "password": password})


def error_mec(fault: Any) -> tuple[str, str]:
    """``(codigo, mensaje)`` del ``errorMec`` del detalle; si falta, del faultcode y faultstring."""
    detail = getattr(fault, "detail", None)
    if detail is not None:
        codigo = detail.find(".//{*}errorMec/{*}codigo")
        mensaje = detail.find(".//{*}errorMec/{*}mensaje")
        if codigo is not None and codigo.text:
            return codigo.text, (mensaje.text if mensaje is not None and mensaje.text else str(fault.message))
    code = str(getattr(fault, "code", "") or "")
    local = code.rpartition(":")[2].partition(".")[2] or code
    return local or "Desconocido", str(getattr(fault, "message", fault))


def run(main: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> None:
    """Ejecuta ``main`` y traduce fallas y errores de red a un mensaje y un estado de salida."""
    import requests
    from zeep.exceptions import Fault, TransportError

    try:
        status = main(args)
    except Fault as fault:
        codigo, mensaje = error_mec(fault)
        print(f"Error MEC [{codigo}]: {mensaje}", file=sys.stderr)
        sys.exit(EXIT_FAULT)
    except (TransportError, requests.RequestException) as exc:
        print(f"Error de comunicación con el servicio: {exc}", file=sys.stderr)
        sys.exit(EXIT_TRANSPORT)
    sys.exit(status)


def items(wrapper: Any, member: str) -> list[Any]:
    """Los elementos de una lista envuelta (``lotes/lote``), vacía si no vino ninguno."""
    if wrapper is None:
        return []
    return list(getattr(wrapper, member, None) or [])


def print_errores(errores: Iterable[Any], indent: str = "    ") -> None:
    for e in errores:
        donde = f" [{e.ubicacion}]" if getattr(e, "ubicacion", None) else ""
        print(f"{indent}{e.codigo}{donde}: {e.mensaje}")


def save(folder: Path, name: str, data: bytes) -> Path:
    """Guarda ``data`` en ``folder`` con el nombre que dio el servicio (sin carpetas)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(name).name
    path.write_bytes(data)
    return path
