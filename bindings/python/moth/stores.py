"""Stores for the component's ``moth:auth/store`` import.

Both honour the contract: keys ordered as unsigned bytes, and a commit that
applies every write if and only if every guard holds, atomically. Both are
safe for concurrent use by several threads (several ``Moth`` handles, as
``AsyncMoth``'s pool): each call holds the store's lock, so a commit's
guard checks and writes are one step no other call can see halfway.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
from typing import Iterable, Optional, Protocol, Sequence


class Conflict(Exception):
    """A guard did not hold; nothing was written."""


class StoreFailure(Exception):
    """The backend failed."""


class StoreTrap(Exception):
    """Raised by a store to trap the call instead of reporting a ``failure``:
    the component stops mid-call, the call raises ``ComponentTrapError``
    and ``Moth`` replaces the instance (for faults the store contract
    cannot express, and for tests). Any other exception a store raises is
    reported to the component as a store ``failure``."""


class KeyValueStore(Protocol):
    """What ``Moth`` needs of a store (``MemoryStore``, ``SqliteStore`` or
    your own): keys ordered as unsigned bytes; ``scan`` gives up to
    ``limit`` pairs with ``start <= key < end`` in key order; ``commit``
    applies every write (``None`` deletes) if and only if every guard holds
    (``None``: the key is absent), atomically, else raises ``Conflict``."""

    def get(self, key: bytes) -> Optional[bytes]: ...

    def scan(self, start: bytes, end: bytes, limit: int) -> Iterable[tuple[bytes, bytes]]: ...

    def commit(self, guards: Sequence[tuple[bytes, Optional[bytes]]],
               writes: Sequence[tuple[bytes, Optional[bytes]]]) -> None: ...


class MemoryStore:
    """An in-memory store: a sorted list of keys and a dict of values,
    behind a lock (thread-safe)."""

    def __init__(self) -> None:
        self._keys: list[bytes] = []
        self._values: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Optional[bytes]:
        with self._lock:
            return self._values.get(key)

    def scan(self, start: bytes, end: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        with self._lock:
            i = bisect.bisect_left(self._keys, start)
            out: list[tuple[bytes, bytes]] = []
            while i < len(self._keys) and len(out) < limit and self._keys[i] < end:
                k = self._keys[i]
                out.append((k, self._values[k]))
                i += 1
            return out

    def commit(self, guards: Sequence[tuple[bytes, Optional[bytes]]], writes: Sequence[tuple[bytes, Optional[bytes]]]) -> None:
        with self._lock:
            if any(self._values.get(k) != expect for k, expect in guards):
                raise Conflict()
            for k, v in writes:
                if v is None:
                    if self._values.pop(k, None) is not None:
                        del self._keys[bisect.bisect_left(self._keys, k)]
                else:
                    if k not in self._values:
                        bisect.insort(self._keys, k)
                    self._values[k] = v


class SqliteStore:
    """A durable store in one SQLite table; each commit is one transaction
    (synchronous=FULL), so an acknowledged commit survives a crash. One
    connection behind a lock (thread-safe): a transaction on a shared
    connection must not let another thread's statements in, so calls from
    several threads take turns, each commit's fsync included. Other
    processes may use the same file at the same time (each commit is a
    ``BEGIN IMMEDIATE`` transaction)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")

    def _get(self, key: bytes) -> Optional[bytes]:
        row = self._db.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def get(self, key: bytes) -> Optional[bytes]:
        with self._lock:
            return self._get(key)

    def scan(self, start: bytes, end: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        # SQLite compares BLOBs with memcmp: unsigned byte order.
        with self._lock:
            rows = self._db.execute("SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k LIMIT ?",
                                    (start, end, limit))
            return [(bytes(k), bytes(v)) for k, v in rows]

    def commit(self, guards: Sequence[tuple[bytes, Optional[bytes]]],
               writes: Sequence[tuple[bytes, Optional[bytes]]]) -> None:
        with self._lock:
            self._commit(guards, writes)

    def _commit(self, guards: Sequence[tuple[bytes, Optional[bytes]]],
                writes: Sequence[tuple[bytes, Optional[bytes]]]) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreFailure(str(e)) from e
        try:
            for k, expect in guards:
                if self._get(k) != expect:
                    self._db.execute("ROLLBACK")
                    raise Conflict()
            for k, v in writes:
                if v is None:
                    self._db.execute("DELETE FROM kv WHERE k = ?", (k,))
                else:
                    self._db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (k, v))
            self._db.execute("COMMIT")
        except Conflict:
            raise
        except sqlite3.Error as e:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise StoreFailure(str(e)) from e

    def close(self) -> None:
        with self._lock:
            self._db.close()
