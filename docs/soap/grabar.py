"""Record a raw SOAP request and response per operation of the service into docs/soap/.

    .venv/bin/python docs/soap/grabar.py

Drives the real service (the demo world, test environment, on a throw-away SQLite database) through
the WSGI app and writes ``<operacion>.solicitud.xml`` and ``<operacion>.respuesta.xml`` (pretty-printed,
long base64 payloads cut, password hidden) and ``README.md``.  Every operation of the WSDL is
recorded, new ones included; tests/documents/test_soap_examples.py replays the requests against
the current service.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from mec_ws.testdata.soap_examples import for_display, record

HERE = Path(__file__).resolve().parent

INTRO = """# Solicitudes y respuestas SOAP de ejemplo

Una solicitud y su respuesta por operación, tal como viajan (SOAP 1.1, `POST /mec/ws`,
`Content-Type: text/xml; charset=utf-8`, `SOAPAction: "<operación>"`), grabadas del servicio real
con los datos de `mec-ws demo` (ambiente de pruebas) por `docs/soap/grabar.py`. Se muestran con
sangría; los contenidos base64 largos están recortados (`…` y, a continuación, un comentario con
el tamaño real) y la contraseña es `CONTRASEÑA`. Una prueba reenvía cada solicitud al servicio
actual, así que no quedan desactualizadas.

Para enviar una a mano (servicio en marcha, contraseña en `demo/credenciales.txt`; una solicitud con
base64 recortado debe completarse antes):

```sh
curl -s -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: "consultaDocumentos"' \\
     --data-binary @docs/soap/consultaDocumentos.solicitud.xml http://127.0.0.1:8000/mec/ws
```

| Operación | Solicitud | Respuesta |
|---|---|---|
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        exchanges = record(Path(tmp))
    for old in HERE.glob("*.xml"):
        old.unlink()
    rows = []
    for ex in exchanges:
        request, response = f"{ex.operation}.solicitud.xml", f"{ex.operation}.respuesta.xml"
        (HERE / request).write_bytes(for_display(ex.request))
        (HERE / response).write_bytes(for_display(ex.response))
        note = f" (falla {ex.fault})" if ex.fault else ""
        rows.append(f"| `{ex.operation}` | [{request}]({request}) | [{response}]({response}){note} |")
        print(f"{ex.operation}: HTTP {ex.status}{note}", file=sys.stderr)
    (HERE / "README.md").write_text(INTRO + "\n".join(rows) + "\n", encoding="utf-8")
    return 0 if all(ex.status == 200 and not ex.fault for ex in exchanges) else 1


if __name__ == "__main__":
    sys.exit(main())
