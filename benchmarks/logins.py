"""Concurrent logins on the embedded SQLite database.  Prints figures; asserts nothing.

    .venv/bin/python benchmarks/logins.py [--n 8] [--scrypt-n 131072]

Creates ``--n`` users in a fresh SQLite file and logs them in, all at once from ``--n`` threads,
through :meth:`mec_ws.services.app.MecApp.authenticate` (what every SOAP call does first).  Prints
the wall time of the burst and each login's latency, then one known-user and one unknown-user
wrong-password login measured alone (they must cost the same: no user enumeration by timing).
While logins only verify passwords outside any transaction, the burst takes about
``n × one scrypt / cores`` (scrypt in hashlib releases the GIL); when every login held SQLite's
write lock through scrypt (before), the burst took ``n × one scrypt`` whatever the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="concurrent logins (default 8)")
    parser.add_argument(
        "--scrypt-n", type=int, default=2**17, help="scrypt cost of the hashes (default 2^17)"
    )
    args = parser.parse_args()
    os.environ["MEC_SCRYPT_N"] = str(args.scrypt_n)
    os.environ["MEC_SCRYPT_DEBIL"] = "1"  # allow a lower --scrypt-n to compare with old hashes

    from datetime import UTC, datetime

    from mec_ws import db, passwords
    from mec_ws.config import Settings
    from mec_ws.errors import Autenticacion
    from mec_ws.services.app import MecApp
    from models import User

    tmp = Path(tempfile.mkdtemp(prefix="mec-logins-"))
    url = f"sqlite:///{tmp / 'mec.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    encoded = passwords.hash_password("secreto-largo")
    with sessions() as s:
        for i in range(args.n):
            s.add(User(username=f"u{i}", password_hash=encoded, is_operator=True))
        s.commit()
    settings = Settings.from_env({"MEC_DATA_DIR": str(tmp / "data"), "MEC_DATABASE_URL": url})
    app = MecApp(settings, sessions, clock=lambda: datetime.now(UTC))

    latencies: list[float] = [0.0] * args.n
    barrier = threading.Barrier(args.n)

    def login(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        app.authenticate(f"u{i}", "secreto-largo")
        latencies[i] = time.perf_counter() - started

    threads = [threading.Thread(target=login, args=(i,)) for i in range(args.n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started

    def timed_failure(user: str) -> float:
        t0 = time.perf_counter()
        with contextlib.suppress(Autenticacion):
            app.authenticate(user, "incorrecta")
        return time.perf_counter() - t0

    timed_failure("nadie")  # the dummy hash is made once per process
    known = statistics.median(timed_failure("u0") for _ in range(3))
    unknown = statistics.median(timed_failure("nadie") for _ in range(3))
    print(f"scrypt n={args.scrypt_n}, {args.n} inicios de sesión simultáneos, {os.cpu_count()} núcleos")
    print(f"  ráfaga: {wall * 1000:.0f} ms en total")
    ms = [x * 1000 for x in latencies]
    print(
        f"  latencia: mínima {min(ms):.0f} ms, mediana {statistics.median(ms):.0f} ms, "
        f"máxima {max(ms):.0f} ms"
    )
    print(
        f"  contraseña incorrecta: usuario existente {known * 1000:.0f} ms; "
        f"inexistente {unknown * 1000:.0f} ms"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
