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

from wasmtime import Engine, Store, Trap, WasmtimeError
from wasmtime.component import Component, Linker, Record, Variant

from .stores import Conflict, MemoryStore, SqliteStore, StoreFailure, StoreTrap

__all__ = [
    "Moth", "User", "Session", "Validation", "UserPage", "SweepOutcome", "Settings", "MemoryStore", "SqliteStore",
    "MothError", "NoUserError", "InvalidPasswordError", "InvalidTokenError", "TokenExpiredError",
    "UserExistsError", "InvalidInputError", "StorageError", "ComponentTrapError", "StoreTrap", "ManualClock",
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


class ComponentTrapError(MothError):
    """The component trapped: a guest panic, or an import (the store, the
    clock) that raised instead of returning (see ``StoreTrap``) or returned
    a malformed value. Only this call failed: ``Moth`` has replaced the
    instance, and the next call works. The store holds all of the trapped
    call's change or none of it (every change is one guarded commit; a trap
    before the commit wrote nothing). ``__cause__`` is what was raised."""

    code = "component-trap"


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
    #: Accept Argon2 costs below OWASP's minimum (for tests only).
    allow_weak_hashing: bool


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
    """The component over a store. Not thread-safe: use one per thread.

    A call that traps raises ``ComponentTrapError``; the trapped instance is
    dropped and a fresh one made over the same store, clock and imports, so
    the next call works."""

    def __init__(self, store: Any = None, clock: Any = None, wasm: Path = WASM) -> None:
        self.kv = store if store is not None else MemoryStore()
        self.clock = clock if clock is not None else SystemClock()
        self._wasm = wasm
        self._engine = Engine()
        self._linker = Linker(self._engine)
        self._define_imports(self._linker)
        self._component = Component.from_file(self._engine, str(wasm))
        # Import calls made by the component: an exception after one means
        # the guest was running, so it trapped.
        self._import_calls = 0
        self._store: Optional[Store] = None
        self._funcs: dict[str, Any] = {}
        self._instantiate()

    def _instantiate(self) -> None:
        """A fresh instance in a fresh wasmtime store (dropping the old one
        and its memory), from the component compiled once."""
        self._store, self._funcs = None, {}
        store = Store(self._engine)
        instance = self._linker.instantiate(store, self._component)
        funcs = {}
        for interface, names in _EXPORTS.items():
            index = instance.get_export_index(store, _interface(interface))
            if index is None:
                raise ValueError(f"{self._wasm} does not export {_interface(interface)}: rebuild it (see README)")
            for name in names:
                func_index = instance.get_export_index(store, name, index)
                func = None if func_index is None else instance.get_func(store, func_index)
                if func is None:
                    raise ValueError(f"{self._wasm} has no function {name} in {_interface(interface)}")
                funcs[name] = func
        self._store, self._funcs = store, funcs

    @classmethod
    def open(cls, store: Any = None, *, clock: Any = None, settings: Optional[Settings] = None) -> "Moth":
        moth = cls(store, clock)
        if settings is not None:
            moth.set_settings(settings)
        return moth

    # The three imports. wasmtime-py passes results untagged when the ok
    # and error types can be told apart by Python type, and as
    # Variant("ok"/"err") when they cannot; each shape is spelled out here.
    # An exception raised here (a StoreTrap, a failing clock) traps the call.
    def _define_imports(self, linker: Linker) -> None:
        kv = lambda: self.kv  # noqa: E731 - looked up per call, so tests may swap it

        def counted(f: Callable[..., Any]) -> Callable[..., Any]:
            def import_call(*args: Any) -> Any:
                self._import_calls += 1
                return f(*args)
            return import_call

        def failure(e: Exception) -> Variant:
            return Variant("err", str(e))

        def get(_store: Any, key: bytes) -> Any:
            try:
                return Variant("ok", kv().get(bytes(key)))
            except StoreTrap:
                raise
            except Exception as e:  # noqa: BLE001 - any other backend failure is a store failure
                return failure(e)

        def scan(_store: Any, start: bytes, end: bytes, limit: int) -> Any:
            # Here ok (a list) and err (None or str) differ in Python type,
            # so wasmtime-py wants the bare value, not a Variant.
            try:
                return [_record(key=k, value=v) for k, v in kv().scan(bytes(start), bytes(end), limit)]
            except StoreTrap:
                raise
            except Exception as e:  # noqa: BLE001
                return str(e)

        def commit(_store: Any, guards: list, writes: list) -> Any:
            try:
                kv().commit([(bytes(g.key), None if g.expect is None else bytes(g.expect)) for g in guards],
                            [(bytes(w.key), None if w.value is None else bytes(w.value)) for w in writes])
                return Variant("ok")
            except Conflict:
                return Variant("err", None)
            except StoreTrap:
                raise
            except Exception as e:  # noqa: BLE001
                return failure(e)

        def now(_store: Any) -> Record:
            s, ns = self.clock.now()
            return _record(seconds=s, nanoseconds=ns)

        with linker.root() as root:
            with root.add_instance(_interface("store")) as store:
                store.add_func("get", counted(get))
                store.add_func("scan", counted(scan))
                store.add_func("commit", counted(commit))
            with root.add_instance("wasi:clocks/wall-clock@0.2.0") as clock:
                clock.add_func("now", counted(now))
                clock.add_func("resolution", counted(lambda _store: _record(seconds=0, nanoseconds=1)))
            with root.add_instance("wasi:random/random@0.2.0") as random:
                random.add_func("get-random-bytes", counted(lambda _store, n: os.urandom(n)))
                random.add_func("get-random-u64", counted(lambda _store: int.from_bytes(os.urandom(8), "little")))

    def _call(self, name: str, convert: Callable[[Any], Any], *args: Any) -> Any:
        """Call the WIT function ``name`` and convert its ok value with
        ``convert``; a WIT error is raised as its ``MothError``. The results
        here are untagged: ``error`` is a Variant, no ok type is.

        Any exception instead leaves the instance untrustworthy (a trap
        stops the guest midway, and wasmtime refuses to enter it again): it
        is replaced, and a trap is raised as ``ComponentTrapError``. What is
        raised before the guest runs (a TypeError for an argument of the
        wrong type) is raised as it is."""
        if self._store is None:
            self._instantiate()
        calls = self._import_calls
        try:
            result = self._funcs[name](self._store, *args)
        except Exception as e:
            try:
                self._instantiate()
            except Exception:  # noqa: BLE001 - the next call tries again, and reports why it cannot
                pass
            if isinstance(e, (WasmtimeError, Trap)) or self._import_calls != calls:
                raise ComponentTrapError(f"{name}: {e}") from e
            raise
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
