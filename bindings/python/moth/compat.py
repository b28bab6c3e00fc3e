"""Facades with the method names and return shapes of two earlier
libraries, backed by the moth:auth component, for code moving to moth:

* ``Moth`` and ``AsyncMoth``: ``moth`` 2.1.1's email-token API
  (``create_token``, ``auth_token``, ``set_retval``, ``remove_token``,
  ``remove_user``), on moth's email tokens.
* ``Cache``: ``fixie_creds``' credentials cache (``register``, ``verify``,
  ``deregister``, ``reset``, ``user_exists``, ``remove_user``), on moth's
  API keys.

Mind the names: this module's ``Moth`` is the facade, ``moth.compat.Moth``;
the binding's own class is ``moth.Moth``. Import the facade by its module
(``from moth import compat; compat.Moth(...)``) or under another name
(``from moth.compat import Moth as SeedMoth``).

Each facade is made from a binding handle, ``compat.Moth(moth.Moth.open(...))``,
or from the arguments that open one: ``compat.Moth(store=..., clock=...,
settings=...)`` (an in-memory store when none is given). The handle is
``.moth``: call it directly for what the facades do not say (why a token
failed, token ids, listing). A facade serializes its calls with a lock, so
one facade may be shared by threads; a binding handle (``moth.Moth``) is not
thread-safe, so do not also call the same handle from other threads.

Each facade's docstring lists its deliberate differences from the seed.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
from typing import Any, Callable, Optional, TypeVar, Union

from . import (ApiKey, Clock, EmailTokenOptions, InvalidInputError, InvalidTokenError, KeyOwner, LimitReachedError,
               MothError, NameTakenError, Settings, TokenExpiredError)
from . import Moth as _Binding
from .stores import KeyValueStore

__all__ = ["Moth", "AsyncMoth", "Cache", "MAX_EXPIRE_DAYS"]

_T = TypeVar("_T")

#: The longest email-token lifetime moth accepts, in days (2592000 seconds).
MAX_EXPIRE_DAYS = 30
_SECONDS_PER_DAY = 24 * 60 * 60


def _open(moth: Optional[_Binding], store: Optional[KeyValueStore], clock: Optional[Clock],
          settings: Optional[Settings], who: str) -> _Binding:
    if moth is None:
        return _Binding.open(store, clock=clock, settings=settings)
    if not isinstance(moth, _Binding):
        raise TypeError(f"{who} takes a moth.Moth, or store=/clock=/settings= to open one, not {moth!r} "
                        "(the seed's connection arguments are gone)")
    if store is not None or clock is not None or settings is not None:
        raise TypeError(f"{who}: give a moth.Moth or store=/clock=/settings=, not both")
    return moth


def _expire_seconds(expire: Optional[float]) -> Optional[int]:
    """The seed's ``expire`` (days; falsy for none) as a lifetime in seconds
    for moth: ``None`` (moth's default, 15 minutes) for 0 or ``None``, at
    least 1 second, at most 30 days."""
    if expire is None or expire == 0:
        return None
    if isinstance(expire, bool) or not isinstance(expire, (int, float)):
        raise TypeError(f"expire is a number of days, not {expire!r}")
    if not math.isfinite(expire) and expire > 0:
        return MAX_EXPIRE_DAYS * _SECONDS_PER_DAY
    if not expire > 0:
        raise InvalidInputError(f"expire must be a positive number of days, not {expire!r}")
    return max(1, min(round(expire * _SECONDS_PER_DAY), MAX_EXPIRE_DAYS * _SECONDS_PER_DAY))


def _is_failure(e: MothError) -> bool:
    """An error that the seed's ``auth_token`` reported by returning ``False``:
    a bad, used, expired or IP-mismatched token, or an argument moth refuses
    (an ``ip`` that is not an IP address, an empty address). Storage
    failures and traps still raise."""
    return e.code in ("invalid-token", "token-expired", "ip-mismatch", "invalid-input")


class Moth:
    """``moth`` 2.1.1's ``Moth``, on moth's email tokens.

    ``create_token(email, ip=None, expire=None, *, retval=None, uses=None)``
    returns the token; ``auth_token(email, token, ip=None)`` returns the
    token's retval, or ``True`` when it has none, and ``False`` when the
    token fails (the reason is then ``last_error``, or call
    ``.moth.auth_email_token`` for it as an exception);
    ``set_retval(email, token, retval)``, ``remove_token(email, token)``
    and ``remove_user(email)``.

    Deliberate differences from the seed:

    * Construction: from a ``moth.Moth`` or ``store=``/``clock=``/``settings=``,
      not MongoDB credentials (``database``, ``host``, ``port``, ``user``, ``pwd``).
    * ``expire`` is in days as before, but ``None`` or ``0`` means moth's
      default, 15 minutes, not "never": every token expires. It is bounded
      by moth's maximum, 30 days (``MAX_EXPIRE_DAYS``): a longer one is cut
      to 30 days; fractions of a day are fine; a negative one raises
      ``InvalidInputError``.
    * A token is single-use: a successful ``auth_token`` uses it up (a
      magic link). Pass ``uses=n`` (up to 1000, keyword only, new) for a
      token that authenticates n times. The seed's tokens were reusable
      until they expired.
    * ``retval`` is a string of at most 4096 bytes and belongs to one
      token, not to the address: ``set_retval`` takes the token,
      ``set_retval(email, token, retval)``, and changes that token's alone
      (``retval=None`` removes it); ``create_token(email, ip, expire,
      retval)`` keeps the seed's order, and a retval that is not a string
      raises ``TypeError``. Tokens are moth's (``mothe_`` and 256 random
      bits).
      A retval of ``""`` is returned as ``""``, which is falsy: test
      ``result is False`` for failure.
    * IP binding: a token created with an ``ip`` accepts only that IP (an
      IPv4-mapped IPv6 address counts as the IPv4 address) and is deleted
      on a mismatch or a missing ``ip``, as before; a token created without
      one now accepts any ``ip`` (the seed refused every ``ip`` given for
      it). ``ip`` must be an IP address: ``create_token`` raises
      ``InvalidInputError`` for another string; ``auth_token`` fails.
    * Errors: ``auth_token`` returns ``False`` for a bad, used, expired or
      IP-mismatched token and for a refused argument, and records the
      ``MothError`` in ``last_error`` (``None`` after a success).
      ``set_retval`` and ``remove_token`` return ``True``, or ``False`` when
      there is no such token (the seed returned MongoDB's write result).
      A storage failure or a component trap raises its ``MothError`` in
      every method.
    * The email is lower-cased, as the seed did, and otherwise must be
      1..=320 bytes without control characters; moth stores it as given
      after lower-casing, so call the binding with the lower-cased address.
    * At most 100 tokens per address: creating one more deletes its oldest.
    """

    def __init__(self, moth: Optional[_Binding] = None, *, store: Optional[KeyValueStore] = None,
                 clock: Optional[Clock] = None, settings: Optional[Settings] = None) -> None:
        self.moth = _open(moth, store, clock, settings, "compat.Moth")
        #: The ``MothError`` of the last failed ``auth_token``; ``None`` after a success.
        self.last_error: Optional[MothError] = None
        self._lock = threading.Lock()

    def create_token(self, email: str, ip: Optional[str] = None, expire: Optional[float] = None,
                     retval: Optional[str] = None, *, uses: Optional[int] = None) -> str:
        """A new token for ``email``, valid for ``expire`` days (15 minutes
        when ``None`` or 0; at most 30 days)."""
        if retval is not None and not isinstance(retval, str):
            raise TypeError("retval must be a string or None")
        options = EmailTokenOptions(ip=ip or None, lifetime=_expire_seconds(expire), retval=retval, uses=uses)
        with self._lock:
            return self.moth.create_email_token(email.lower(), options).token

    def auth_token(self, email: str, token: str, ip: Optional[str] = None) -> Union[str, bool]:
        """The token's retval, or ``True`` when it has none, and ``False``
        when it fails (see ``last_error``). Uses the token up once."""
        with self._lock:
            try:
                retval = self.moth.auth_email_token(email.lower(), token, ip or None)
            except MothError as e:
                if not _is_failure(e):
                    raise
                self.last_error = e
                return False
            self.last_error = None
            return True if retval is None else retval

    def set_retval(self, email: str, token: str, retval: Optional[str]) -> bool:
        """Set what a successful ``auth_token`` of this token returns;
        ``False`` when there is no such token."""
        with self._lock:
            try:
                self.moth.set_email_token_retval(email.lower(), token, retval)
            except InvalidTokenError:
                return False
            return True

    def remove_token(self, email: str, token: str) -> bool:
        """Delete one token; ``False`` when there is no such token."""
        with self._lock:
            try:
                self.moth.remove_email_token(email.lower(), token)
            except InvalidTokenError:
                return False
            return True

    def remove_user(self, email: str) -> None:
        """Delete every token of the address."""
        with self._lock:
            self.moth.remove_email_address(email.lower())


class AsyncMoth:
    """``moth`` 2.1.1's ``AsyncMoth``: ``Moth``'s methods as coroutines, each
    run in a worker thread (``asyncio.to_thread``) so the event loop never
    waits on the component or the store. Calls are serialized by one lock
    (held by the worker thread, so a cancelled call still finishes before
    the next one starts): a binding handle is not thread-safe.

    Differences from the seed: those of ``Moth``, and: coroutines to
    ``await`` (asyncio), not Tornado callbacks; constructing one opens the
    component synchronously, as the seed's ``__init__`` connected
    synchronously. ``last_error`` is that of the last failed ``auth_token``
    of any caller: with concurrent callers, call
    ``.moth.auth_email_token`` (through ``run``) for the reason instead.
    """

    def __init__(self, moth: Optional[_Binding] = None, *, store: Optional[KeyValueStore] = None,
                 clock: Optional[Clock] = None, settings: Optional[Settings] = None) -> None:
        self._sync = Moth(moth, store=store, clock=clock, settings=settings)
        self.moth = self._sync.moth

    @property
    def last_error(self) -> Optional[MothError]:
        return self._sync.last_error

    async def run(self, f: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Call ``f(*args, **kwargs)``, a method of ``.moth`` (not of this
        facade), in a worker thread, under the lock that serializes this
        facade's calls."""
        def locked() -> _T:
            with self._sync._lock:
                return f(*args, **kwargs)
        return await asyncio.to_thread(locked)

    async def _in_thread(self, method: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        # The sync facade's methods take its lock themselves.
        return await asyncio.to_thread(functools.partial(method, *args, **kwargs))

    async def create_token(self, email: str, ip: Optional[str] = None, expire: Optional[float] = None,
                           retval: Optional[str] = None, *, uses: Optional[int] = None) -> str:
        return await self._in_thread(self._sync.create_token, email, ip, expire, retval=retval, uses=uses)

    async def auth_token(self, email: str, token: str, ip: Optional[str] = None) -> Union[str, bool]:
        return await self._in_thread(self._sync.auth_token, email, token, ip)

    async def set_retval(self, email: str, token: str, retval: Optional[str]) -> bool:
        return await self._in_thread(self._sync.set_retval, email, token, retval)

    async def remove_token(self, email: str, token: str) -> bool:
        return await self._in_thread(self._sync.remove_token, email, token)

    async def remove_user(self, email: str) -> None:
        return await self._in_thread(self._sync.remove_user, email)


class Cache:
    """``fixie_creds``' ``Cache``, on moth's API keys: a user is a service
    principal named after them (``KeyOwner.service(user)``) holding one key
    named ``fixie-creds`` whose scopes string is their email address; the
    token is that key's secret.

    ``register(user, email)`` returns ``(token, True)`` or ``(message,
    False)``; ``verify(user, token)`` returns ``(verified, message, flag)``
    (``flag``: whether the check could be made, ``False`` for an unknown
    user); ``deregister(user, token)`` and ``reset(user, email, token)``
    return ``(message, flag)``, ``reset`` ``(new_token, True)`` on success;
    ``user_exists(user)`` returns a bool; ``remove_user(user)`` deletes the
    user's key. A bad, unknown, revoked or other user's token, an unknown
    user and a refused argument are answered with the failure tuple, never
    raised; a storage failure or a component trap raises its ``MothError``.

    Deliberate differences from the seed:

    * ``reset`` requires proof: the current token,
      ``reset(user, email, token)``; without it, it returns
      ``("reset requires the current token", False)``, and with a wrong one
      ``("Invalid token for user …", False)``. The seed reset on the email
      address alone, which let anyone who knew it take the account. The
      reset rotates the key: the old token dies at once, the new one is
      returned.
    * Tokens are moth's API keys (``mothk_`` and 256 random bits, stored as
      their SHA-256 digest), not hex strings of ``nbytes``; a malformed
      token fails verification instead of raising ``ValueError``.
    * Storage: the component's store, not JSON files in a ``credsdir``.
      Construction takes a ``moth.Moth`` or ``store=``/``clock=``/
      ``settings=``, not ``credsdir``, ``seed`` or ``nbytes``; ``Cache`` is
      not a singleton and there is no module-level ``CACHE``.
    * Names: a user name is 1..=256 bytes without control characters and
      an email address at most 4096 bytes; others are refused by
      ``register`` with ``(message, False)``. The cache owns the service
      principals named after its users: do not give other keys to them.
    * ``remove_user`` of an unknown user does nothing (the seed raised
      ``KeyError``). ``deregister`` removes the user's keys after verifying
      the token.
    * ``register`` is atomic: the user's key name is unique, so of two
      registrations of one user, even racing from two processes, exactly
      one succeeds (the seed's check-then-write let both overwrite).
    """

    #: The name of the one key each registered user holds.
    KEY_NAME = "fixie-creds"

    def __init__(self, moth: Optional[_Binding] = None, *, store: Optional[KeyValueStore] = None,
                 clock: Optional[Clock] = None, settings: Optional[Settings] = None) -> None:
        self.moth = _open(moth, store, clock, settings, "compat.Cache")
        self._lock = threading.RLock()

    @staticmethod
    def _owner(user: str) -> KeyOwner:
        return KeyOwner.service(user)

    def user_exists(self, user: str) -> bool:
        """Whether the user is registered."""
        with self._lock:
            try:
                return bool(self.moth.list_api_keys(self._owner(user)))
            except (InvalidInputError, TypeError):
                return False

    def register(self, user: str, email: str) -> tuple[str, bool]:
        """Register ``user`` with ``email``: ``(token, True)``, or
        ``(message, False)`` when the user is registered already or a name
        is refused."""
        already = f"User {user!r} already registered"
        if not isinstance(email, str):
            return f"cannot register {user!r}: the email must be a string", False
        with self._lock:
            try:
                new = self.moth.create_api_key(self._owner(user), self.KEY_NAME, email, None)
            except NameTakenError:
                return already, False
            except (InvalidInputError, LimitReachedError, TypeError) as e:
                detail = getattr(e, "detail", None) or getattr(e, "code", None) or str(e)
                return f"cannot register {user!r}: {detail}", False
            return new.key, True

    def _check(self, user: str, token: str) -> tuple[Optional[ApiKey], str, bool]:
        """The user's key behind ``token`` (or ``None``), a message, and
        whether the check could be made."""
        if not isinstance(token, str) or not isinstance(user, str):
            return None, f"Invalid token for user {user}", True
        try:
            key = self.moth.verify_api_key(token)
        except (InvalidTokenError, TokenExpiredError, InvalidInputError):
            key = None
        if key is not None and key.owner == self._owner(user):
            return key, "User verified", True
        if not self.user_exists(user):
            return None, f"User {user!r} not registered", False
        return None, f"Invalid token for user {user}", True

    def verify(self, user: str, token: str) -> tuple[bool, str, bool]:
        """Whether ``token`` is the user's: ``(verified, message, flag)``;
        ``flag`` is ``False`` when the user is not registered."""
        with self._lock:
            key, message, flag = self._check(user, token)
            return key is not None, message, flag

    def deregister(self, user: str, token: str) -> tuple[str, bool]:
        """Remove the user, given their token: ``(message, flag)``."""
        with self._lock:
            key, message, _ = self._check(user, token)
            if key is None:
                return message, False
            self.moth.revoke_api_keys(self._owner(user))
            return f"{user} deregistered", True

    def reset(self, user: str, email: str, token: Optional[str] = None) -> tuple[str, bool]:
        """Replace the user's token, given the current one and their email:
        ``(new_token, True)`` or ``(message, False)``. The old token dies at
        once."""
        if token is None:
            return "reset requires the current token", False
        with self._lock:
            key, message, _ = self._check(user, token)
            if key is None:
                return message, False
            if key.scopes != email:
                return "User email does not match registered email address", False
            try:
                new = self.moth.rotate_api_key(key.id, 0)
            except InvalidTokenError:  # rotated or revoked meanwhile
                return f"Invalid token for user {user}", False
            return new.key, True

    def remove_user(self, user: str) -> None:
        """Remove the user (every key of theirs); nothing when unknown."""
        with self._lock:
            try:
                self.moth.revoke_api_keys(self._owner(user))
            except InvalidInputError:
                pass
