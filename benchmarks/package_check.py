"""The upload's package check (issue 7): time and extra memory to scan and read every entry of a
ZIP before a batch exists.  Prints figures; asserts nothing.

    .venv/bin/python benchmarks/package_check.py [--n 1000]

The ZIP holds ``n`` copies (distinct names) of one real certificate from the test-data factory.
"extra peak" is what :func:`mec_ws.batches.intake.check_package` allocates on top of the upload's
bytes, which the service already holds (tracemalloc; the bytes are read through a zero-copy view).
"""

from __future__ import annotations

import argparse
import io
import time
import tracemalloc
import zipfile

from mec_ws.batches.intake import check_package
from mec_ws.config import Settings
from mec_ws.testdata.factory import default_scenario, seal, to_bytes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    args = p.parse_args()
    cert = to_bytes(seal(default_scenario().certificate(0)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(args.n):
            zf.writestr(f"certificado-{i:05d}.xml", cert)
    data = buffer.getvalue()
    settings = Settings.from_env({})
    check_package(data, settings, "lote.zip")  # warm up
    start = time.perf_counter()
    package = check_package(data, settings, "lote.zip")
    elapsed = time.perf_counter() - start
    tracemalloc.start()  # a separate run: tracing slows the code down
    check_package(data, settings, "lote.zip")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mb = 1024 * 1024
    print(
        f"ZIP of {package.certificates} certificates: {len(data) / mb:.1f} MB compressed, "
        f"{args.n * len(cert) / mb:.1f} MB inflated ({len(cert) / 1024:.1f} KB each)"
    )
    print(f"  check_package          {elapsed * 1000:9.1f} ms   ({args.n / elapsed:,.0f} entries/s)")
    print(f"  extra peak (traced)    {peak / mb:9.2f} MB   (the upload itself: {len(data) / mb:.1f} MB)")


if __name__ == "__main__":
    main()
