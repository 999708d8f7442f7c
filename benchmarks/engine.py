"""Certificate-engine throughput, single core.  Prints figures; asserts nothing.

    .venv/bin/python benchmarks/engine.py [--n 200]

Measures, on certificates from the test-data factory (48 subjects each):
  parse+XSD        hardened read + schema validation
  full validation  every rule with a full registry context (sello and e.firma included)
  stamping         SEP stamp (two RSA signatures) + serialisation
and the RSA floor in the same run: one RSA-2048 PKCS#1 v1.5 SHA-256 verify and sign, so each stage
can be read as a multiple of the cryptography it cannot avoid.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mec_ws.certificate.document import DecDocument
from mec_ws.certificate.reader import read_xml
from mec_ws.certificate.schema import validate_upload
from mec_ws.certificate.stamp import stamp
from mec_ws.testdata.factory import default_scenario, make_context, seal, to_bytes
from mec_ws.testdata.pki import default_pki
from mec_ws.validation import validate_file


def rate(label: str, n: int, fn: Callable[[int], object]) -> float:
    fn(0)  # warm caches (schemas, XSLT, keys)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    elapsed = time.perf_counter() - start
    per_s = n / elapsed
    print(f"  {label:<28} {per_s:10.1f} /s   {elapsed / n * 1000:8.3f} ms each")
    return per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="certificados por medición")
    args = parser.parse_args()
    n = args.n

    scenario = default_scenario()
    pki = default_pki()
    ctx = make_context(scenario)
    files = [to_bytes(seal(scenario.certificate(i))) for i in range(n)]
    size = sum(len(f) for f in files) / len(files)
    print(f"mec-ws engine benchmark — Python {platform.python_version()}, {platform.machine()}")
    print(f"{n} certificates, {size / 1024:.1f} KiB each on average\n")

    key = pki.officer_key
    pub = pki.officer_cert.public_key()
    msg = b"||3.0|5|" + b"x" * 1500 + b"||"
    sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    print("RSA-2048 floor:")
    verify_rate = rate("verify", n, lambda i: pub.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256()))
    sign_rate = rate("sign", n, lambda i: key.sign(msg, padding.PKCS1v15(), hashes.SHA256()))

    print("\nEngine stages (certificates/second):")

    def parse_xsd(i: int) -> object:
        root = read_xml(files[i % n]).getroot()
        assert not validate_upload(root)
        return DecDocument.from_tree(root)

    parse_rate = rate("parse + XSD", n, parse_xsd)

    def full(i: int) -> object:
        result = validate_file(f"c{i}.xml", files[i % n], ctx)
        assert result.ok, result.findings
        return result

    full_rate = rate("full validation", n, full)

    def stamping(i: int) -> object:
        root = read_xml(files[i % n]).getroot()
        return stamp(root, pki.sep_signer)

    stamp_rate = rate("stamping (2 RSA signs)", n, stamping)

    print("\nRatios (how many times slower than the RSA operation it must do):")
    print(f"  full validation vs 1 verify      {verify_rate / full_rate:6.2f}x")
    print(f"  stamping vs 2 signs              {sign_rate / 2 / stamp_rate:6.2f}x")
    print(f"  parse+XSD share of validation    {full_rate / parse_rate * 100:6.1f} %")
    print(
        f"\nValidate + stamp pipeline ceiling: {1 / (1 / full_rate + 1 / stamp_rate):.1f} certificates/s/core"
    )


if __name__ == "__main__":
    main()
