"""moth for Python: the moth:auth WebAssembly component on the ``wasmtime``
package, behind a typed API.

>>> from moth import Moth
>>> moth = Moth.open()                      # in-memory store
>>> ann = moth.create_user("ann", "pw", "admin")
>>> session = moth.login("ann", "pw")
>>> moth.validate(session.token).user == ann
True
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker, Record, Variant

from .stores import Conflict, MemoryStore, SqliteStore, StoreFailure

__all__ = [
    "Moth", "User", "Session", "Validation", "UserPage", "Settings", "MemoryStore", "SqliteStore",
    "MothError", "NoUserError", "InvalidPasswordError", "InvalidTokenError", "TokenExpiredError",
    "UserExistsError", "InvalidInputError", "StorageError", "ManualClock",
]

WASM = Path(__file__).with_name("moth.wasm")


class MothError(Exception):
    """An error from moth; ``code`` is the WIT error case, e.g. ``"no-user"``."""

    code = "error"

    def __init__(self, detail: Optional[str] = None) -> None:
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail


class NoUserError(MothError):
    code = "no-user"


class InvalidPasswordError(MothError):
    code = "invalid-password"


class UserExistsError(MothError):
    code = "user-exists"


class InvalidTokenError(MothError):
    code = "invalid-token"


class TokenExpiredError(MothError):
    code = "token-expired"


class InvalidInputError(MothError):
    code = "invalid-input"


class StorageError(MothError):
    code = "storage"


_ERRORS = {cls.code: cls for cls in (NoUserError, InvalidPasswordError, UserExistsError, InvalidTokenError,
                                     TokenExpiredError, InvalidInputError, StorageError)}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    permissions: str


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    expires: int


@dataclass(frozen=True)
class Validation:
    user: User
    expires: int


@dataclass(frozen=True)
class UserPage:
    users: list
    next: Optional[int]


@dataclass(frozen=True)
class Settings:
    argon2_memory_kib: int = 19456
    argon2_iterations: int = 2
    argon2_parallelism: int = 1
    default_token_lifetime: int = 259200


class SystemClock:
    def now(self) -> tuple[int, int]:
        ns = time.time_ns()
        return ns // 1_000_000_000, ns % 1_000_000_000


class ManualClock:
    """A clock that moves only when told to (for tests)."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def advance(self, seconds: int) -> None:
        self.seconds += seconds

    def now(self) -> tuple[int, int]:
        return self.seconds, 0


def _record(**fields: Any) -> Record:
    # wasmtime-py names record fields as the WIT does (kebab-case).
    r = Record()
    for k, v in fields.items():
        setattr(r, k.replace("_", "-"), v)
    return r


def _user(r: Any) -> User:
    return User(r.id, r.username, r.permissions)


class Moth:
    """The component over a store. Not thread-safe: use one per thread."""

    def __init__(self, store: Any = None, clock: Any = None, wasm: Path = WASM) -> None:
        self.kv = store if store is not None else MemoryStore()
        self.clock = clock if clock is not None else SystemClock()
        self._engine = Engine()
        self._store = Store(self._engine)
        linker = Linker(self._engine)
        self._define_imports(linker)
        component = Component.from_file(self._engine, str(wasm))
        self._instance = linker.instantiate(self._store, component)
        users = self._instance.get_export_index(self._store, "moth:auth/users@0.1.0")
        self._funcs: dict[str, Any] = {}
        self._users_index = users

    @classmethod
    def open(cls, store: Any = None, *, clock: Any = None, settings: Optional[Settings] = None) -> "Moth":
        moth = cls(store, clock)
        if settings is not None:
            moth.set_settings(settings)
        return moth

    # The three imports. wasmtime-py passes results untagged when the ok
    # and error types can be told apart by Python type, and as
    # Variant("ok"/"err") when they cannot; each shape is spelled out here.
    def _define_imports(self, linker: Linker) -> None:
        kv = lambda: self.kv  # noqa: E731 - looked up per call, so tests may swap it

        def failure(e: Exception) -> Variant:
            return Variant("err", str(e))

        def get(_store: Any, key: bytes) -> Any:
            try:
                return Variant("ok", kv().get(bytes(key)))
            except Exception as e:  # noqa: BLE001 - any backend failure is a store failure
                return failure(e)

        def scan(_store: Any, start: bytes, end: bytes, limit: int) -> Any:
            # Here ok (a list) and err (None or str) differ in Python type,
            # so wasmtime-py wants the bare value, not a Variant.
            try:
                return [_record(key=k, value=v) for k, v in kv().scan(bytes(start), bytes(end), limit)]
            except Exception as e:  # noqa: BLE001
                return str(e)

        def commit(_store: Any, guards: list, writes: list) -> Any:
            try:
                kv().commit([(bytes(g.key), None if g.expect is None else bytes(g.expect)) for g in guards],
                            [(bytes(w.key), None if w.value is None else bytes(w.value)) for w in writes])
                return Variant("ok")
            except Conflict:
                return Variant("err", None)
            except Exception as e:  # noqa: BLE001
                return failure(e)

        with linker.root() as root:
            with root.add_instance("moth:auth/store@0.1.0") as store:
                store.add_func("get", get)
                store.add_func("scan", scan)
                store.add_func("commit", commit)
            with root.add_instance("wasi:clocks/wall-clock@0.2.0") as clock:
                def now(_store: Any) -> Record:
                    s, ns = self.clock.now()
                    return _record(seconds=s, nanoseconds=ns)
                clock.add_func("now", now)
                clock.add_func("resolution", lambda _store: _record(seconds=0, nanoseconds=1))
            with root.add_instance("wasi:random/random@0.2.0") as random:
                random.add_func("get-random-bytes", lambda _store, n: os.urandom(n))
                random.add_func("get-random-u64", lambda _store: int.from_bytes(os.urandom(8), "little"))

    def _call(self, name: str, *args: Any) -> Any:
        func = self._funcs.get(name)
        if func is None:
            idx = self._instance.get_export_index(self._store, name, self._users_index)
            func = self._instance.get_func(self._store, idx)
            self._funcs[name] = func
        result = func(self._store, *args)
        if isinstance(result, Variant):
            raise _ERRORS[result.tag](result.payload)
        return result

    def create_user(self, username: str, password: str, permissions: str = "") -> User:
        return _user(self._call("create-user", username, password, permissions))

    def delete_user(self, id: int) -> None:
        self._call("delete-user", id)

    def get_user(self, id: int) -> User:
        return _user(self._call("get-user", id))

    def list_users(self, after: Optional[int] = None, limit: int = 100) -> UserPage:
        page = self._call("list-users", after, limit)
        return UserPage([_user(u) for u in page.users], page.next)

    def set_password(self, id: int, password: str) -> None:
        self._call("set-password", id, password)

    def set_permissions(self, id: int, permissions: str) -> None:
        self._call("set-permissions", id, permissions)

    def check_password(self, username: str, password: str) -> bool:
        return self._call("check-password", username, password)

    def login(self, username: str, password: str, lifetime: Optional[int] = None) -> Session:
        s = self._call("login", username, password, lifetime)
        return Session(s.token, _user(s.user), s.expires)

    def validate(self, token: str) -> Validation:
        v = self._call("validate", token)
        return Validation(_user(v.user), v.expires)

    def logout(self, token: str) -> None:
        self._call("logout", token)

    def count_tokens(self, id: int) -> int:
        return self._call("count-tokens", id)

    def delete_tokens(self, id: int) -> int:
        return self._call("delete-tokens", id)

    def sweep(self, limit: int = 1000) -> int:
        return self._call("sweep", limit)

    def get_settings(self) -> Settings:
        s = self._call("get-settings")
        f = lambda name: getattr(s, name)  # noqa: E731
        return Settings(f("argon2-memory-kib"), f("argon2-iterations"), f("argon2-parallelism"),
                        f("default-token-lifetime"))

    def set_settings(self, s: Settings) -> None:
        self._call("set-settings", _record(argon2_memory_kib=s.argon2_memory_kib, argon2_iterations=s.argon2_iterations,
                                           argon2_parallelism=s.argon2_parallelism,
                                           default_token_lifetime=s.default_token_lifetime))
