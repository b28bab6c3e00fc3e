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
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Optional

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker, Record, Variant

from .stores import Conflict, MemoryStore, SqliteStore, StoreFailure

__all__ = [
    "Moth", "User", "Session", "Validation", "UserPage", "SweepOutcome", "Settings", "MemoryStore", "SqliteStore",
    "MothError", "NoUserError", "InvalidPasswordError", "InvalidTokenError", "TokenExpiredError",
    "UserExistsError", "InvalidInputError", "StorageError", "ManualClock",
]

WASM = Path(__file__).with_name("moth.wasm")

# The WIT package this binding speaks (wit/*.wit), and which exported
# interface holds each function.
_PACKAGE = "moth:auth"
_VERSION = "0.2.0"
_EXPORTS = {
    "users": ("create-user", "delete-user", "get-user", "list-users", "set-password", "set-permissions",
              "check-password"),
    "sessions": ("login", "validate", "logout", "count-tokens", "delete-tokens", "sweep"),
    "settings": ("get-settings", "set-settings"),
}


def _interface(name: str) -> str:
    return f"{_PACKAGE}/{name}@{_VERSION}"


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
    users: list[User]
    next: Optional[int]


@dataclass(frozen=True)
class SweepOutcome:
    """What one ``sweep`` did: how many expired tokens it deleted, and the
    earliest expiry (Unix seconds) among the tokens left, ``None`` when none
    are left."""

    deleted: int
    next_expiry: Optional[int]


@dataclass(frozen=True)
class Settings:
    """Argon2id costs and the default token lifetime. No defaults here: a
    store without settings reports the component's through ``get_settings``;
    change one field with ``dataclasses.replace(moth.get_settings(), ...)``."""

    argon2_memory_kib: int
    argon2_iterations: int
    argon2_parallelism: int
    default_token_lifetime: int


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


# WIT values <-> Python values: the only place they are converted. WIT
# names fields in kebab-case, the dataclasses in snake_case; options are
# None or the value, as in wasmtime-py.
def _wit_name(name: str) -> str:
    return name.replace("_", "-")


def _record(**values: Any) -> Record:
    r = Record()
    for k, v in values.items():
        setattr(r, _wit_name(k), v)
    return r


def _to_wit(value: Any) -> Record:
    """A dataclass as the WIT record of the same fields."""
    return _record(**{f.name: getattr(value, f.name) for f in fields(value)})


def _from_wit(cls: Any, r: Any, **convert: Callable[[Any], Any]) -> Any:
    """The WIT record ``r`` as the dataclass ``cls``; ``convert`` names the
    fields that need converting further."""
    return cls(**{f.name: convert.get(f.name, _same)(getattr(r, _wit_name(f.name))) for f in fields(cls)})


def _same(v: Any) -> Any:
    return v


def _none(_v: Any) -> None:
    return None


def _user(r: Any) -> User:
    return _from_wit(User, r)


def _user_page(r: Any) -> UserPage:
    return _from_wit(UserPage, r, users=lambda us: [_user(u) for u in us])


def _session(r: Any) -> Session:
    return _from_wit(Session, r, user=_user)


def _validation(r: Any) -> Validation:
    return _from_wit(Validation, r, user=_user)


def _sweep_outcome(r: Any) -> SweepOutcome:
    return _from_wit(SweepOutcome, r)


def _settings(r: Any) -> Settings:
    return _from_wit(Settings, r)


def _error(v: Variant) -> MothError:
    return _ERRORS[v.tag](v.payload)


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
        instance = linker.instantiate(self._store, component)
        self._funcs: dict[str, Any] = {}
        for interface, names in _EXPORTS.items():
            index = instance.get_export_index(self._store, _interface(interface))
            if index is None:
                raise ValueError(f"{wasm} does not export {_interface(interface)}: rebuild it (see README)")
            for name in names:
                func_index = instance.get_export_index(self._store, name, index)
                func = None if func_index is None else instance.get_func(self._store, func_index)
                if func is None:
                    raise ValueError(f"{wasm} has no function {name} in {_interface(interface)}")
                self._funcs[name] = func

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
            with root.add_instance(_interface("store")) as store:
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

    def _call(self, name: str, convert: Callable[[Any], Any], *args: Any) -> Any:
        """Call the WIT function ``name`` and convert its ok value with
        ``convert``; a WIT error is raised as its ``MothError``. The results
        here are untagged: ``error`` is a Variant, no ok type is."""
        result = self._funcs[name](self._store, *args)
        if isinstance(result, Variant):
            raise _error(result)
        return convert(result)

    # moth:auth/users

    def create_user(self, username: str, password: str, permissions: str = "") -> User:
        return self._call("create-user", _user, username, password, permissions)

    def delete_user(self, id: int) -> None:
        self._call("delete-user", _none, id)

    def get_user(self, id: int) -> User:
        return self._call("get-user", _user, id)

    def list_users(self, after: Optional[int] = None, limit: int = 100) -> UserPage:
        return self._call("list-users", _user_page, after, limit)

    def set_password(self, id: int, password: str) -> None:
        self._call("set-password", _none, id, password)

    def set_permissions(self, id: int, permissions: str) -> None:
        self._call("set-permissions", _none, id, permissions)

    def check_password(self, username: str, password: str) -> bool:
        return self._call("check-password", _same, username, password)

    # moth:auth/sessions

    def login(self, username: str, password: str, lifetime: Optional[int] = None) -> Session:
        return self._call("login", _session, username, password, lifetime)

    def validate(self, token: str) -> Validation:
        return self._call("validate", _validation, token)

    def logout(self, token: str) -> None:
        self._call("logout", _none, token)

    def count_tokens(self, id: int) -> int:
        return self._call("count-tokens", _same, id)

    def delete_tokens(self, id: int) -> int:
        return self._call("delete-tokens", _same, id)

    def sweep(self, limit: int = 1000) -> SweepOutcome:
        """Delete up to ``limit`` expired tokens, oldest first."""
        return self._call("sweep", _sweep_outcome, limit)

    # moth:auth/settings

    def get_settings(self) -> Settings:
        """The settings in force: the stored ones, else the component's defaults."""
        return self._call("get-settings", _settings)

    def set_settings(self, s: Settings) -> None:
        self._call("set-settings", _none, _to_wit(s))
