#!/usr/bin/env python3
"""Per-call cost of the Python binding's hot paths (bindings/python).

    python3 benches/python_validate.py            # a few seconds
    N=1000 ROUNDS=50 python3 benches/python_validate.py   # more, longer rounds

For the in-memory store and the SQLite store (a file in a temp dir), opens
a Moth (cheapest hashing: login is set up, not measured), creates a user,
logs in, then times N calls of:

  validate          a live session token (the hot path)
  validate-invalid  a malformed token, refused as InvalidTokenError (the
                    error path: a WIT error variant raised as MothError)
  has_any           a cheap check with a list argument and a bool result
                    (check_password is left out: Argon2 would dominate)

and prints microseconds per call: the best of ROUNDS (20) short rounds of N
(250) calls, so that a GC or another process taking the CPU for a moment
does not count. It prints figures and asserts nothing about them; it does
check that the calls answer correctly.

Uses the package from bindings/python (not an installed one), so it
measures the working tree; MOTH_BINDING=<dir holding moth/> measures another
copy (e.g. an older revision, for a before/after on the same machine).
MOTH_GENERIC_VALUES=1 makes the binding use wasmtime-py's generic value
conversion instead of its own (see moth/_fastcall.py).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

BINDING = os.environ.get("MOTH_BINDING") or str(Path(__file__).resolve().parent.parent / "bindings" / "python")
sys.path.insert(0, BINDING)

from moth import InvalidTokenError, MemoryStore, Moth, Settings, SqliteStore  # noqa: E402

N = int(os.environ.get("N", "250"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))
# The cheapest Argon2 costs (allow_weak_hashing), other settings the defaults.
CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)


def per_call_us(f: Callable[[], Any], n: int = N) -> float:
    """Best of ROUNDS rounds of n calls, in µs per call."""
    f()  # warm up
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def bench(label: str, moth: Moth) -> None:
    ann = moth.create_user("ann", "pw", "admin")
    token = moth.login("ann", "pw").token
    assert moth.validate(token).user == ann

    def invalid() -> None:
        try:
            moth.validate("moth_nope")
        except InvalidTokenError:
            return
        raise AssertionError("a malformed token validated")

    rows = [
        ("validate", per_call_us(lambda: moth.validate(token))),
        ("validate-invalid", per_call_us(invalid)),
        ("has_any", per_call_us(lambda: moth.has_any(ann.id, ["admin"]))),
    ]
    for name, us in rows:
        print(f"{label:<7} {name:<17} {us:9.1f} µs/call  (best of {ROUNDS} x {N})")


def main() -> None:
    from importlib import metadata

    import moth

    fast = getattr(moth, "_fastcall", None)
    values = "wasmtime-py's (no moth._fastcall)" if fast is None else "moth._fastcall's" if fast._FAST else \
        "wasmtime-py's (moth._fastcall off)"
    print(f"python {sys.version.split()[0]}, wasmtime-py {metadata.version('wasmtime')}, moth from "
          f"{Path(moth.__file__).parent}, value conversion: {values}")
    bench("memory", Moth.open(MemoryStore(), settings=CHEAP))
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.sqlite"))
        try:
            bench("sqlite", Moth.open(store, settings=CHEAP))
        finally:
            store.close()


if __name__ == "__main__":
    main()
