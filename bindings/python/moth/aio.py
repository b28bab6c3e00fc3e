"""``AsyncMoth``: ``Moth``'s methods as asyncio coroutines.

>>> amoth = await AsyncMoth.open(SqliteStore("moth.sqlite"))
>>> session = await amoth.login("ann", "correct horse")   # typed: Session

Every call runs in one of the ``AsyncMoth``'s worker threads, so the event
loop never waits on the component or the store. wasmtime-py calls into
wasmtime through ctypes, which releases the GIL for the length of the call
(the guest's work: Argon2 above all); it takes it back only to run an
import (the store, the clock, randomness, a dozen calls per login). So the
``AsyncMoth`` keeps a small pool of ``Moth`` handles, each its own wasmtime
store and instance sharing one Engine and compiled Component, over one
store, and runs up to ``instances`` calls at a time: concurrent logins
really run in parallel, on as many cores. Calls beyond that wait their turn
in the executor's queue, not in a thread. The store must be safe for
concurrent use (``MemoryStore`` and ``SqliteStore`` are); the component
keeps no state between calls (all of it is in the store, and each change
is one guarded commit), so handles over one store see each other's changes
at once and racing writes resolve as they would between processes.

The coroutine methods are made from ``Moth``'s public methods (see
``_coroutine``): each takes the same arguments, returns the same value and
raises the same ``MothError`` subclasses. A cancelled call that has started
runs to its end in its thread (its handle is then reused); one that has
not started never runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import (TYPE_CHECKING, Any, Callable, Concatenate, Coroutine, Optional, ParamSpec, Protocol, TypeVar,
                    overload)

from . import Clock, Moth, Settings
from .stores import KeyValueStore

__all__ = ["AsyncMoth"]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)

#: How many handles (and worker threads) an ``AsyncMoth`` has unless told.
DEFAULT_INSTANCES = min(4, os.cpu_count() or 1)


class _AsyncMethod(Protocol[_P, _T_co]):
    """What mypy sees of a generated method: read from an ``AsyncMoth``, the
    ``Moth`` method's parameters returning a coroutine of its result."""

    @overload
    def __get__(self, obj: None, objtype: Optional[type] = None) -> _AsyncMethod[_P, _T_co]: ...

    @overload
    def __get__(self, obj: AsyncMoth, objtype: Optional[type] = None) -> Callable[_P, Coroutine[Any, Any, _T_co]]: ...


def _coroutine(method: Callable[Concatenate[Moth, _P], _T]) -> _AsyncMethod[_P, _T]:
    """``Moth``'s ``method`` as a coroutine method of ``AsyncMoth`` (the one
    implementation every generated method shares)."""

    async def call(self: AsyncMoth, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await self.run(method, *args, **kwargs)

    functools.update_wrapper(call, method)
    call.__qualname__ = f"AsyncMoth.{method.__name__}"
    return call  # a function is the descriptor _AsyncMethod describes


def _public_methods() -> list[str]:
    """The names of ``Moth``'s public methods, those ``AsyncMoth`` wraps."""
    return [name for name, value in vars(Moth).items() if not name.startswith("_") and inspect.isfunction(value)]


class AsyncMoth:
    """``Moth``'s public methods as coroutines, run in worker threads by a
    pool of up to ``instances`` handles (see the module's docstring).

    Make one with ``await AsyncMoth.open(store, clock=..., settings=...)``,
    or ``AsyncMoth(moth)`` from a ``Moth`` it then owns (do not call that
    handle directly any more: it is one of the pool's). Close it with
    ``await amoth.aclose()`` or ``async with``. ``run`` calls any function
    of a ``Moth`` in the pool."""

    def __init__(self, moth: Moth, *, instances: Optional[int] = None) -> None:
        if not isinstance(moth, Moth):
            raise TypeError(f"AsyncMoth takes a moth.Moth (or use AsyncMoth.open), not {moth!r}")
        n = DEFAULT_INSTANCES if instances is None else instances
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"instances is a positive int, not {instances!r}")
        self.instances = n
        self._template = moth
        # Idle handles. At most `instances` calls run at once (the
        # executor's threads), so a call that finds none idle makes one,
        # and there are never more than `instances`.
        self._idle: queue.SimpleQueue[Moth] = queue.SimpleQueue()
        self._idle.put(moth)
        self._executor = ThreadPoolExecutor(max_workers=n, thread_name_prefix="moth")

    @classmethod
    async def open(cls, store: Optional[KeyValueStore] = None, *, clock: Optional[Clock] = None,
                   settings: Optional[Settings] = None, instances: Optional[int] = None) -> AsyncMoth:
        """``Moth.open`` (compiling the component, about a second) in a
        worker thread, as an ``AsyncMoth`` of up to ``instances`` handles."""
        moth = await asyncio.to_thread(Moth.open, store, clock=clock, settings=settings)
        return cls(moth, instances=instances)

    @property
    def kv(self) -> KeyValueStore:
        """The store every handle of the pool uses."""
        return self._template.kv

    @property
    def clock(self) -> Clock:
        return self._template.clock

    async def run(self, f: Callable[Concatenate[Moth, _P], _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``f(moth, *args, **kwargs)`` in a worker thread, with ``moth`` a
        handle of the pool that no other call uses meanwhile: a ``Moth``
        method (``await amoth.run(Moth.login, "ann", "pw")``), or a function
        making several calls (they are not one transaction: each commits on
        its own)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()

        def work() -> _T:
            try:
                moth = self._idle.get_nowait()
            except queue.Empty:
                moth = self._template._sibling()
            try:
                return context.run(f, moth, *args, **kwargs)
            finally:
                self._idle.put(moth)

        return await loop.run_in_executor(self._executor, work)

    async def aclose(self) -> None:
        """Wait for the calls under way and stop the worker threads; a
        later call raises ``RuntimeError``."""
        await asyncio.to_thread(self._executor.shutdown, True)

    async def __aenter__(self) -> AsyncMoth:
        return self

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        await self.aclose()

    if TYPE_CHECKING:
        # The signatures mypy sees, each taken from the Moth method. At run
        # time the loop after the class makes every public method of Moth
        # (tests/test_aio.py checks this list names each of them).
        create_user = _coroutine(Moth.create_user)
        delete_user = _coroutine(Moth.delete_user)
        get_user = _coroutine(Moth.get_user)
        list_users = _coroutine(Moth.list_users)
        set_password = _coroutine(Moth.set_password)
        set_permissions = _coroutine(Moth.set_permissions)
        check_password = _coroutine(Moth.check_password)
        login = _coroutine(Moth.login)
        validate = _coroutine(Moth.validate)
        logout = _coroutine(Moth.logout)
        count_tokens = _coroutine(Moth.count_tokens)
        delete_tokens = _coroutine(Moth.delete_tokens)
        list_sessions = _coroutine(Moth.list_sessions)
        revoke_session = _coroutine(Moth.revoke_session)
        revoke_other_sessions = _coroutine(Moth.revoke_other_sessions)
        sweep = _coroutine(Moth.sweep)
        get_settings = _coroutine(Moth.get_settings)
        set_settings = _coroutine(Moth.set_settings)
        create_email_token = _coroutine(Moth.create_email_token)
        auth_email_token = _coroutine(Moth.auth_email_token)
        set_email_token_retval = _coroutine(Moth.set_email_token_retval)
        remove_email_token = _coroutine(Moth.remove_email_token)
        list_email_tokens = _coroutine(Moth.list_email_tokens)
        revoke_email_token = _coroutine(Moth.revoke_email_token)
        remove_email_address = _coroutine(Moth.remove_email_address)
        create_api_key = _coroutine(Moth.create_api_key)
        verify_api_key = _coroutine(Moth.verify_api_key)
        get_api_key = _coroutine(Moth.get_api_key)
        list_api_keys = _coroutine(Moth.list_api_keys)
        revoke_api_key = _coroutine(Moth.revoke_api_key)
        rotate_api_key = _coroutine(Moth.rotate_api_key)
        revoke_api_keys = _coroutine(Moth.revoke_api_keys)
        issue_one_time_token = _coroutine(Moth.issue_one_time_token)
        redeem_one_time_token = _coroutine(Moth.redeem_one_time_token)
        reset_password = _coroutine(Moth.reset_password)
        login_from = _coroutine(Moth.login_from)
        check_password_from = _coroutine(Moth.check_password_from)
        list_attempts = _coroutine(Moth.list_attempts)
        list_events = _coroutine(Moth.list_events)
        purge_attempts = _coroutine(Moth.purge_attempts)
        purge_attempts_all = _coroutine(Moth.purge_attempts_all)
        list_locks = _coroutine(Moth.list_locks)
        unlock = _coroutine(Moth.unlock)
        get_account_state = _coroutine(Moth.get_account_state)
        set_account_state = _coroutine(Moth.set_account_state)
        create_permission = _coroutine(Moth.create_permission)
        list_permissions = _coroutine(Moth.list_permissions)
        delete_permission = _coroutine(Moth.delete_permission)
        create_bundle = _coroutine(Moth.create_bundle)
        list_bundles = _coroutine(Moth.list_bundles)
        delete_bundle = _coroutine(Moth.delete_bundle)
        create_group = _coroutine(Moth.create_group)
        list_groups = _coroutine(Moth.list_groups)
        delete_group = _coroutine(Moth.delete_group)
        group_members = _coroutine(Moth.group_members)
        grant_role = _coroutine(Moth.grant_role)
        revoke_role = _coroutine(Moth.revoke_role)
        get_user_roles = _coroutine(Moth.get_user_roles)
        effective_permissions = _coroutine(Moth.effective_permissions)
        has_all = _coroutine(Moth.has_all)
        has_any = _coroutine(Moth.has_any)
        token_has_all = _coroutine(Moth.token_has_all)
        token_has_any = _coroutine(Moth.token_has_any)
        validate_with_permissions = _coroutine(Moth.validate_with_permissions)
        register_client = _coroutine(Moth.register_client)
        get_client = _coroutine(Moth.get_client)
        list_clients = _coroutine(Moth.list_clients)
        update_client = _coroutine(Moth.update_client)
        rotate_client_secret = _coroutine(Moth.rotate_client_secret)
        delete_client = _coroutine(Moth.delete_client)
        get_oauth_lifetimes = _coroutine(Moth.get_oauth_lifetimes)
        set_oauth_lifetimes = _coroutine(Moth.set_oauth_lifetimes)
        check_authorization = _coroutine(Moth.check_authorization)
        issue_code = _coroutine(Moth.issue_code)
        authenticate_token_client = _coroutine(Moth.authenticate_token_client)
        exchange_code = _coroutine(Moth.exchange_code)
        refresh_grant = _coroutine(Moth.refresh_grant)
        client_credentials_grant = _coroutine(Moth.client_credentials_grant)
        revoke_oauth_token = _coroutine(Moth.revoke_oauth_token)
        introspect_token = _coroutine(Moth.introspect_token)
        authorize_bearer = _coroutine(Moth.authorize_bearer)
        consent_covers = _coroutine(Moth.consent_covers)
        list_consents = _coroutine(Moth.list_consents)
        revoke_consent = _coroutine(Moth.revoke_consent)


for _name in _public_methods():
    if _name in vars(AsyncMoth):
        raise TypeError(f"AsyncMoth.{_name} would hide Moth.{_name}")
    setattr(AsyncMoth, _name, _coroutine(getattr(Moth, _name)))
del _name
