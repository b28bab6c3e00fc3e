"""moth for Python: the moth:auth WebAssembly component on the ``wasmtime``
package, behind a typed API.

>>> from moth import Moth
>>> moth = Moth.open()                      # in-memory store
>>> ann = moth.create_user("ann", "pw", "admin")
>>> session = moth.login("ann", "pw")
>>> moth.validate(session.token).user == ann
True

``AsyncMoth`` (``moth.aio``) has the same methods as asyncio coroutines,
run by a small pool of instances in worker threads, in parallel.

``moth.compat`` holds facades with the method names of two earlier
libraries (``moth`` 2.1.1's ``Moth``/``AsyncMoth`` and ``fixie_creds``'
``Cache``), backed by this binding; see its docstring.
"""

from __future__ import annotations

import enum
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Optional, Protocol, TypeVar, Union, cast

from wasmtime import Engine, Store, Trap, WasmtimeError
from wasmtime.component import Component, Linker, Record, Variant

from . import _fastcall
from .stores import Conflict, KeyValueStore, MemoryStore, SqliteStore, StoreFailure, StoreTrap

__all__ = [
    "Moth", "User", "Session", "SessionInfo", "Validation", "UserPage", "SweepOutcome", "Settings", "MemoryStore",
    "SqliteStore", "KeyValueStore", "Clock",
    "EmailTokenOptions", "EmailToken", "EmailTokenInfo", "KeyOwner", "ApiKey", "NewApiKey", "OneTimeToken",
    "LoginContext", "LoginGrant", "EventKind", "LogEntry", "LogFilter", "LogPage", "PurgeOutcome", "LockSubject",
    "Lock", "LockPage", "AccountState", "Permission", "Bundle", "Group", "UserRoles", "RoleHolder", "RoleItem",
    "ValidationWithPermissions",
    "GrantType", "ClientSpec", "Client", "NewClient", "ClientPage", "OAuthLifetimes", "AuthorizationRequest",
    "Authorization", "TokenResponse", "TokenInfo", "BearerError", "Consent",
    "MothError", "NoUserError", "InvalidPasswordError", "InvalidTokenError", "TokenExpiredError",
    "IpMismatchError", "NameTakenError", "LimitReachedError", "LockedOutError", "AccountDisabledError",
    "UserExistsError", "InvalidInputError", "StorageError", "ComponentTrapError", "OAuthError", "AuthorizeError",
    "StoreTrap", "ManualClock",
    "AsyncMoth", "compat",
]

WASM = Path(__file__).with_name("moth.wasm")

# The WIT package this binding speaks (wit/*.wit), and which exported
# interface holds each function.
_PACKAGE = "moth:auth"
_VERSION = "0.2.0"
_EXPORTS = {
    "users": ("create-user", "delete-user", "get-user", "list-users", "set-password", "set-permissions",
              "check-password"),
    "sessions": ("login", "validate", "logout", "count-tokens", "delete-tokens", "list-sessions",
                 "revoke-session", "revoke-other-sessions", "sweep"),
    "settings": ("get-settings", "set-settings"),
    "email-tokens": ("create-email-token", "auth-email-token", "set-email-token-retval", "remove-email-token",
                     "list-email-tokens", "revoke-email-token", "remove-email-address"),
    "api-keys": ("create-api-key", "verify-api-key", "get-api-key", "list-api-keys", "revoke-api-key",
                 "rotate-api-key", "revoke-api-keys"),
    "one-time-tokens": ("issue-one-time-token", "redeem-one-time-token", "reset-password"),
    "attempts": ("login-from", "check-password-from", "list-attempts", "list-events", "purge-attempts", "list-locks",
                 "unlock"),
    "accounts": ("get-account-state", "set-account-state"),
    "roles": ("create-permission", "list-permissions", "delete-permission", "create-bundle", "list-bundles",
              "delete-bundle", "create-group", "list-groups", "delete-group", "group-members", "grant-role",
              "revoke-role", "get-user-roles", "effective-permissions", "has-all", "has-any", "token-has-all",
              "token-has-any", "validate-with-permissions"),
    "oauth": ("register-client", "get-client", "list-clients", "update-client", "rotate-client-secret", "delete-client",
              "get-oauth-lifetimes", "set-oauth-lifetimes", "check-authorization", "issue-code",
              "authenticate-token-client", "exchange-code", "refresh-grant", "client-credentials-grant",
              "revoke-oauth-token", "introspect-token", "authorize-bearer", "consent-covers", "list-consents",
              "revoke-consent"),
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


class IpMismatchError(MothError):
    """The email token is bound to another IP address; it is now deleted."""

    code = "ip-mismatch"


class NameTakenError(MothError):
    """That name is taken (an API key's name, for its owner)."""

    code = "name-taken"


class LimitReachedError(MothError):
    """A count limit is reached (an owner's API keys); ``detail`` says which."""

    code = "limit-reached"


class LockedOutError(MothError):
    """Too many failed password checks: the account, the username, the
    source address or the device credential is locked for ``retry_after``
    more seconds (a Retry-After). Raised before any password work, whatever
    the password was."""

    code = "locked-out"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} seconds")
        self.retry_after = retry_after


class AccountDisabledError(MothError):
    """The account is disabled (see ``AccountState``). Raised only to a
    caller who gave the account's right password or holds one of its live
    one-time tokens; a wrong password is ``InvalidPasswordError`` whatever
    the state."""

    code = "account-disabled"


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


class OAuthError(MothError):
    """An OAuth protocol refusal (RFC 6749 §4.1.2.1, §5.2) from the token
    endpoint's functions (``exchange_code``, ``refresh_grant``, ...):
    ``code`` is the WIT case of ``oauth-error`` (``"invalid-grant"``,
    ``"invalid-client"``, ...; ``"server-error"`` when the store failed,
    nothing partly written), ``description`` its text (``None`` for the
    cases without one). Send it as ``error=code.replace("-", "_")`` with
    ``error_description``; it never echoes a secret, code or token."""

    code = "server-error"

    def __init__(self, code: str, description: Optional[str] = None) -> None:
        self.code = code
        self.description = description
        super().__init__(description)


class AuthorizeError(OAuthError):
    """An authorization request refused (``check_authorization``,
    ``issue_code``). ``redirect_uri`` is ``None`` when the client or the
    redirect URI is unknown or invalid (``code`` ``"no-redirect"``,
    ``description`` why): show the error to the user and never redirect.
    Otherwise send ``code`` (an ``oauth-error`` case, e.g.
    ``"invalid-scope"``) and ``description`` to ``redirect_uri``."""

    def __init__(self, code: str, description: Optional[str] = None, redirect_uri: Optional[str] = None) -> None:
        super().__init__(code, description)
        self.redirect_uri = redirect_uri


_ERRORS: dict[str, type[MothError]] = {
    cls.code: cls for cls in (NoUserError, InvalidPasswordError, UserExistsError, InvalidTokenError, TokenExpiredError,
                              IpMismatchError, NameTakenError, LimitReachedError, LockedOutError, AccountDisabledError,
                              InvalidInputError, StorageError)}


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
class SessionInfo:
    """A live session as listings show it, never its token: ``id`` is the
    token's public id (16 hex digits of its digest), ``created`` when it
    was minted (``None`` for tokens minted before moth recorded that),
    ``expires`` when it stops being valid (Unix seconds), ``source`` and
    ``device`` the address and device-credential id of its login (``None``
    when unknown; never the credential)."""

    id: str
    created: Optional[int]
    expires: int
    source: Optional[str]
    device: Optional[str]


@dataclass(frozen=True)
class SweepOutcome:
    """What one ``sweep`` did: how many expired tokens it deleted, and the
    earliest expiry (Unix seconds) among the tokens left, ``None`` when none
    are left."""

    deleted: int
    next_expiry: Optional[int]


@dataclass(frozen=True)
class Settings:
    """Argon2id costs, the default token lifetime, the per-user token cap,
    the password policy, lockout and log retention. No defaults here: a
    store without settings reports the component's through ``get_settings``;
    change one field with ``dataclasses.replace(moth.get_settings(), ...)``."""

    argon2_memory_kib: int
    argon2_iterations: int
    argon2_parallelism: int
    default_token_lifetime: int
    #: Accept Argon2 costs below OWASP's minimum (for tests only).
    allow_weak_hashing: bool
    #: The most live login tokens one user holds; a login beyond it
    #: revokes the user's oldest.
    max_tokens_per_user: int
    #: The fewest characters a new password may have (1..=128; the
    #: component's default is 8). Never applied at login.
    min_password_length: int
    #: Refuse new passwords on the component's list of common ones.
    refuse_common_passwords: bool
    #: Failed password checks of one account (or device credential) within
    #: ``lockout_window`` that lock it (the component's default is 5; 0
    #: turns account lockout off).
    lockout_threshold: int
    #: Seconds over which an account's failures count (default 900). This
    #: and the other lockout durations are 1..=31536000.
    lockout_window: int
    #: Seconds a first lockout lasts; each repeated one doubles it (default 900).
    lockout_duration: int
    #: The longest lockout however often it repeats (default 86400).
    lockout_max_duration: int
    #: Failed password checks from one source address, across every
    #: account, within ``source_lockout_window`` that block it (default 50;
    #: 0 turns source blocking off).
    source_lockout_threshold: int
    #: Seconds over which a source's failures count (default 900).
    source_lockout_window: int
    #: Seconds a blocked source stays blocked (default 900).
    source_lockout_duration: int
    #: Seconds log entries are kept (default 2592000 = 30 days; 0 keeps no log).
    log_retention: int


@dataclass(frozen=True)
class EmailTokenOptions:
    """How a new email token behaves; ``None`` takes the default. ``ip``
    binds it to a client IP; ``lifetime`` in seconds (default 900, at most
    30 days); ``retval`` is what authenticating it returns (not shown by
    ``repr``); ``uses``: how many times it authenticates (default 1)."""

    ip: Optional[str] = None
    lifetime: Optional[int] = None
    retval: Optional[str] = field(default=None, repr=False)
    uses: Optional[int] = None


@dataclass(frozen=True)
class EmailToken:
    """A new email token; the secret ``token`` (not shown by ``repr``) is
    returned only here. ``id`` names it to ``revoke_email_token``."""

    token: str = field(repr=False)
    id: str
    expires: int


@dataclass(frozen=True)
class EmailTokenInfo:
    """What ``list_email_tokens`` tells of a token: never its secret nor its retval."""

    id: str
    ip: Optional[str]
    created: int
    expires: int
    uses_left: int


@dataclass(frozen=True)
class KeyOwner:
    """Who an API key acts for: ``KeyOwner.user(id)`` or
    ``KeyOwner.service(name)``. ``kind`` is ``"user"`` or ``"service"``,
    ``value`` the user's id or the service's name."""

    kind: str
    value: Union[int, str]

    def __post_init__(self) -> None:
        if self.kind == "user":
            if not isinstance(self.value, int) or isinstance(self.value, bool):
                raise TypeError(f"a user owner's value is a user id (int), not {self.value!r}")
        elif self.kind == "service":
            if not isinstance(self.value, str):
                raise TypeError(f"a service owner's value is a name (str), not {self.value!r}")
        else:
            raise ValueError(f"a key owner's kind is 'user' or 'service', not {self.kind!r}")

    @classmethod
    def user(cls, id: int) -> "KeyOwner":
        return cls("user", id)

    @classmethod
    def service(cls, name: str) -> "KeyOwner":
        return cls("service", name)


@dataclass(frozen=True)
class ApiKey:
    """An API key's metadata, never its secret. ``expires``: ``None`` for
    never; ``last_used``: when it last verified, to within an hour, ``None``
    for never."""

    id: str
    owner: KeyOwner
    name: str
    scopes: str
    created: int
    expires: Optional[int]
    last_used: Optional[int]


@dataclass(frozen=True)
class NewApiKey:
    """A new key: the secret ``key`` (not shown by ``repr``), returned only
    here, and its metadata."""

    key: str = field(repr=False)
    info: ApiKey


@dataclass(frozen=True)
class OneTimeToken:
    """A new one-time token; the secret ``token`` (not shown by ``repr``) is returned only here."""

    token: str = field(repr=False)
    expires: int


@dataclass(frozen=True)
class LoginContext:
    """What the host knows of a password check: ``source``, the client's IP
    address, and ``device``, the device credential a previous ``login_from``
    returned (a secret, not shown by ``repr``); ``None`` when unknown."""

    source: Optional[str] = None
    device: Optional[str] = field(default=None, repr=False)


@dataclass(frozen=True)
class LoginGrant:
    """A successful ``login_from``: the session, and the device credential
    to present next time (a secret like a cookie, not shown by ``repr``)."""

    session: Session
    device: str = field(repr=False)


class EventKind(str, enum.Enum):
    """What a log entry records: a password check (``LOGIN``,
    ``CHECK_PASSWORD``, ``RESET_PASSWORD``) or an account event. A str:
    ``EventKind.LOGIN == "login"``, and the WIT names are accepted wherever
    a kind is."""

    LOGIN = "login"
    CHECK_PASSWORD = "check-password"
    RESET_PASSWORD = "reset-password"
    ACCOUNT_LOCKED = "account-locked"
    UNLOCKED = "unlocked"
    SOURCE_BLOCKED = "source-blocked"
    DEVICE_LOCKED = "device-locked"
    PASSWORD_CHANGED = "password-changed"
    SESSIONS_REVOKED = "sessions-revoked"
    API_KEY_CREATED = "api-key-created"
    API_KEY_REVOKED = "api-key-revoked"
    ONE_TIME_TOKEN_CREATED = "one-time-token-created"
    ACCOUNT_DISABLED = "account-disabled"
    ACCOUNT_ENABLED = "account-enabled"


@dataclass(frozen=True)
class LogEntry:
    """One attempt or event of the log (never a password, token or key).
    ``id`` pages on; ``time`` in Unix seconds; ``user`` is ``None`` when the
    name named no user; ``success`` is always true for an event;
    ``reason`` says why an attempt failed (``wrong password``, ``no such
    user``) or what an event did."""

    id: str
    time: int
    kind: EventKind
    user: Optional[int]
    username: str
    source: Optional[str]
    success: bool
    reason: str


@dataclass(frozen=True)
class LogFilter:
    """Which log entries a listing selects; every field given must match.
    ``username`` selects the user it names, else entries recorded for it as
    an unknown name (not with ``user``); ``since``/``until`` are inclusive
    Unix seconds."""

    user: Optional[int] = None
    username: Optional[str] = None
    source: Optional[str] = None
    kind: Optional[EventKind] = None
    since: Optional[int] = None
    until: Optional[int] = None


@dataclass(frozen=True)
class LogPage:
    """One page of log entries, newest first; pass ``next`` as ``after`` for
    the following page (``None`` after the last; a page may be short with a
    ``next``)."""

    entries: list[LogEntry]
    next: Optional[str]


@dataclass(frozen=True)
class PurgeOutcome:
    """What one ``purge_attempts`` call deleted, and where it stopped
    (``None`` when nothing more matches)."""

    purged: int
    next: Optional[str]


_LOCK_SUBJECTS = ("account", "username", "source", "device")


@dataclass(frozen=True)
class LockSubject:
    """What a lock holds back: ``LockSubject.account(user_id)``,
    ``LockSubject.username(name)`` (a name that names no account),
    ``LockSubject.source(address)`` (an IPv6 source as its /64,
    ``x::/64``) or ``LockSubject.device(id)`` (32 hex digits). ``kind`` is
    the case's name, ``value`` its payload."""

    kind: str
    value: Union[int, str]

    def __post_init__(self) -> None:
        if self.kind not in _LOCK_SUBJECTS:
            raise ValueError(f"a lock subject's kind is one of {', '.join(_LOCK_SUBJECTS)}, not {self.kind!r}")
        if self.kind == "account":
            if not isinstance(self.value, int) or isinstance(self.value, bool):
                raise TypeError(f"an account lock's value is a user id (int), not {self.value!r}")
        elif not isinstance(self.value, str):
            raise TypeError(f"a {self.kind} lock's value is a str, not {self.value!r}")

    @classmethod
    def account(cls, id: int) -> "LockSubject":
        return cls("account", id)

    @classmethod
    def username(cls, name: str) -> "LockSubject":
        return cls("username", name)

    @classmethod
    def source(cls, address: str) -> "LockSubject":
        return cls("source", address)

    @classmethod
    def device(cls, id: str) -> "LockSubject":
        return cls("device", id)


@dataclass(frozen=True)
class Lock:
    """A lock in force: until ``until`` (Unix seconds), after ``lockouts``
    lockouts in a row."""

    subject: LockSubject
    until: int
    lockouts: int


@dataclass(frozen=True)
class LockPage:
    """One page of locks in force; pass ``next`` as ``after`` for the
    following page (``None`` after the last)."""

    locks: list[Lock]
    next: Optional[str]


@dataclass(frozen=True)
class AccountState:
    """What an account may do, beyond its password and permissions. The
    defaults are a new account's state; change one field with
    ``dataclasses.replace(moth.get_account_state(id), ...)``.

    An account is disabled while ``enabled`` is false or once
    ``disabled_from`` (Unix seconds) has come. Disabling it now revokes
    every session, API key and one-time token of the user in the same
    commit, and enabling it again brings none of them back; a later
    ``disabled_from`` takes effect at that time. A disabled account cannot
    log in: the right password raises ``AccountDisabledError``, a wrong one
    ``InvalidPasswordError`` as for any account."""

    #: Whether the account may log in and use its sessions, API keys and
    #: one-time tokens. Setting it to false revokes all of them.
    enabled: bool = True
    #: Unix seconds from which the account counts as disabled, even while
    #: ``enabled``; ``None``: no such time.
    disabled_from: Optional[int] = None
    #: Whether the account's email address is verified: set by redeeming a
    #: ``verify-email`` one-time token, or here.
    email_verified: bool = False
    #: Whether the account is a superuser: it holds every defined permission
    #: of the roles model (see ``Moth.effective_permissions``).
    superuser: bool = False

    def __post_init__(self) -> None:
        for name in ("enabled", "email_verified", "superuser"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"AccountState.{name} is a bool, not {getattr(self, name)!r}")
        d = self.disabled_from
        if d is not None and (not isinstance(d, int) or isinstance(d, bool)):
            raise TypeError(f"AccountState.disabled_from is Unix seconds (int) or None, not {d!r}")


@dataclass(frozen=True)
class Permission:
    """A named permission of the roles model, with its description."""

    name: str
    description: str


@dataclass(frozen=True)
class Bundle:
    """A bundle: a named set of permissions (sorted)."""

    name: str
    permissions: list[str]


@dataclass(frozen=True)
class Group:
    """A group and what it carries (sorted); its members come from
    ``group_members``."""

    name: str
    permissions: list[str]
    bundles: list[str]


@dataclass(frozen=True)
class UserRoles:
    """What a user holds directly (sorted), not through groups or bundles."""

    permissions: list[str]
    bundles: list[str]
    groups: list[str]


@dataclass(frozen=True)
class ValidationWithPermissions:
    """A live token's validation, with its user's effective permissions (sorted)."""

    validation: Validation
    permissions: list[str]


class _RoleCase:
    """A case of one of the WIT variants role-holder and role-item:
    ``kind`` is the case's name, ``value`` its payload (a user id for
    ``user``, else a name)."""

    _KINDS: tuple[str, ...] = ()
    kind: str
    value: Union[int, str]

    def __post_init__(self) -> None:
        what = type(self).__name__
        if self.kind not in self._KINDS:
            raise ValueError(f"a {what}'s kind is one of {', '.join(self._KINDS)}, not {self.kind!r}")
        if self.kind == "user":
            if not isinstance(self.value, int) or isinstance(self.value, bool):
                raise TypeError(f"a user {what}'s value is a user id (int), not {self.value!r}")
        elif not isinstance(self.value, str):
            raise TypeError(f"a {self.kind} {what}'s value is a name (str), not {self.value!r}")


@dataclass(frozen=True)
class RoleHolder(_RoleCase):
    """Who holds a grant: ``RoleHolder.user(id)`` (joins groups, holds
    bundles and permissions), ``RoleHolder.group(name)`` (holds bundles and
    permissions) or ``RoleHolder.bundle(name)`` (holds permissions)."""

    _KINDS = ("user", "group", "bundle")
    kind: str
    value: Union[int, str]

    @classmethod
    def user(cls, id: int) -> "RoleHolder":
        return cls("user", id)

    @classmethod
    def group(cls, name: str) -> "RoleHolder":
        return cls("group", name)

    @classmethod
    def bundle(cls, name: str) -> "RoleHolder":
        return cls("bundle", name)


@dataclass(frozen=True)
class RoleItem(_RoleCase):
    """What a grant gives: ``RoleItem.group(name)`` (to a user: membership),
    ``RoleItem.bundle(name)`` (to a user or a group) or
    ``RoleItem.permission(name)`` (to a user, a group or a bundle)."""

    _KINDS = ("group", "bundle", "permission")
    kind: str
    value: str

    @classmethod
    def group(cls, name: str) -> "RoleItem":
        return cls("group", name)

    @classmethod
    def bundle(cls, name: str) -> "RoleItem":
        return cls("bundle", name)

    @classmethod
    def permission(cls, name: str) -> "RoleItem":
        return cls("permission", name)


# moth:auth/oauth

class GrantType(str, enum.Enum):
    """A grant type a client may use (no implicit, no password grant). A
    str: ``GrantType.AUTHORIZATION_CODE == "authorization-code"``, and the
    WIT names are accepted wherever a grant type is."""

    #: ``authorization_code``, with PKCE.
    AUTHORIZATION_CODE = "authorization-code"
    #: ``refresh_token``: rotating refresh tokens; needs ``AUTHORIZATION_CODE``.
    REFRESH_TOKEN = "refresh-token"
    #: ``client_credentials``: a confidential client acting for itself.
    CLIENT_CREDENTIALS = "client-credentials"


@dataclass(frozen=True)
class ClientSpec:
    """What a client is registered or updated with. ``name``: 1..=256 bytes,
    no control characters. ``confidential``: whether it holds a secret
    (fixed at registration). ``redirect_uris``: at most 16, matched exactly:
    https; http only on 127.0.0.1 or [::1] (any port matches); or a
    private-use scheme with a period (``com.example.app:/cb``); no
    fragments; at least one for ``AUTHORIZATION_CODE``. ``grant_types``: at
    least one; ``CLIENT_CREDENTIALS`` needs a confidential client.
    ``scopes``: the scopes it may ask for, space-separated."""

    name: str
    confidential: bool
    redirect_uris: list[str]
    grant_types: list[GrantType]
    scopes: str


@dataclass(frozen=True)
class Client:
    """A registered client, never its secret: ``id`` is its ``client_id``
    (32 lower-case hex digits), ``scopes`` normalised (sorted, single
    spaces), ``created``/``updated`` Unix seconds of its registration and of
    its last update or secret rotation."""

    id: str
    name: str
    confidential: bool
    redirect_uris: list[str]
    grant_types: list[GrantType]
    scopes: str
    created: int
    updated: int


@dataclass(frozen=True)
class NewClient:
    """A client with its new secret (not shown by ``repr``), returned only
    here; ``None`` for a public client."""

    client: Client
    secret: Optional[str] = field(repr=False)


@dataclass(frozen=True)
class ClientPage:
    """A page of clients in id order; pass ``next`` as ``after`` for the
    following page (``None`` after the last)."""

    clients: list[Client]
    next: Optional[str]


@dataclass(frozen=True)
class OAuthLifetimes:
    """How long what a grant issues lives, in seconds (WIT ``lifetimes``):
    an authorization ``code`` (1..=600, default 60), an ``access`` token
    (default 3600), a refresh token left unused (``refresh_idle``, default
    14 days), a grant's refresh tokens in all (``refresh``, default 30
    days), each at most a year, and for how long after a refresh the
    refresh token it used may still be used, each use giving another live
    sibling, so that refreshes racing with one token all succeed
    (``refresh_grace``, 0..=300 whole seconds, default 0: a used token
    presented again revokes the grant)."""

    code: int
    access: int
    refresh_idle: int
    refresh: int
    refresh_grace: int


@dataclass(frozen=True)
class AuthorizationRequest:
    """An authorization request's parameters (RFC 6749 §4.1.1, RFC 7636),
    as the host read them from the query; ``None`` for one left out.
    ``redirect_uri`` may be left out when the client has exactly one;
    ``scope`` left out asks for every scope the client may ask for;
    ``code_challenge`` is required for public clients, with
    ``code_challenge_method`` ``"S256"`` (``plain`` is refused);
    ``response_type`` must be ``"code"`` (pass ``""`` when it was left
    out)."""

    client_id: str
    redirect_uri: Optional[str] = None
    scope: Optional[str] = None
    code_challenge: Optional[str] = None
    code_challenge_method: Optional[str] = None
    response_type: str = "code"


@dataclass(frozen=True)
class Authorization:
    """A checked authorization request: what the user is asked to consent
    to (``scopes`` space-separated), and where the answer goes."""

    client: Client
    redirect_uri: str
    scopes: str


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint answers (RFC 6749 §5.1; ``token_type`` is
    always ``Bearer``). The tokens are secrets, not shown by ``repr``;
    ``refresh_token`` is ``None`` for the client credentials grant."""

    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: Optional[str] = field(repr=False)
    scopes: str


@dataclass(frozen=True)
class TokenInfo:
    """An active token, as introspection tells it (RFC 7662 §2.2):
    ``access`` for an access token (else a refresh token); ``user`` and
    ``username`` are ``None`` for a client acting for itself; ``expires``
    (``exp``) and ``issued`` (``iat``) in Unix seconds."""

    access: bool
    client_id: str
    user: Optional[int]
    username: Optional[str]
    scopes: str
    expires: int
    issued: int


class BearerError(str, enum.Enum):
    """Why a resource server refuses a bearer token (RFC 6750 §3.1): answer
    401 with ``error="invalid_token"`` or 403 with
    ``error="insufficient_scope"``."""

    INVALID_TOKEN = "invalid-token"
    INSUFFICIENT_SCOPE = "insufficient-scope"


@dataclass(frozen=True)
class Consent:
    """A user's consent to a client: the scopes consented to, and ``since``
    (Unix seconds) the first consent since the last revocation."""

    client_id: str
    client_name: str
    scopes: str
    since: int


class Clock(Protocol):
    """What ``Moth`` needs of a clock (``ManualClock``, or the system's when
    none is given): ``now()`` is the time as (Unix seconds, nanoseconds)."""

    def now(self) -> tuple[int, int]: ...


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


_T = TypeVar("_T")


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


_D = TypeVar("_D", bound=_Dataclass)


# Each dataclass's (field name, WIT name) pairs, computed once: dataclasses'
# fields() and the renaming were a noticeable part of a cheap call.
_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _from_wit(cls: type[_D], r: Any, **convert: Callable[[Any], Any]) -> _D:
    """The WIT record ``r`` as the dataclass ``cls``; ``convert`` names the
    fields that need converting further."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple((f.name, _wit_name(f.name)) for f in fields(cls))
    if not convert:
        return cls(**{name: getattr(r, wit) for name, wit in names})
    return cls(**{name: convert.get(name, _same)(getattr(r, wit)) for name, wit in names})


def _same(v: Any) -> Any:
    return v


# _same, typed as the WIT result that it passes on as wasmtime-py gives it.
_bool: Callable[[Any], bool] = _same
_int: Callable[[Any], int] = _same
_optional_str: Callable[[Any], Optional[str]] = _same
_ints: Callable[[Any], list[int]] = _same
_strs: Callable[[Any], list[str]] = _same


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


def _sessions(rs: Any) -> list[SessionInfo]:
    return [_from_wit(SessionInfo, r) for r in rs]


def _sweep_outcome(r: Any) -> SweepOutcome:
    return _from_wit(SweepOutcome, r)


def _settings(r: Any) -> Settings:
    return _from_wit(Settings, r)


def _email_token(r: Any) -> EmailToken:
    return _from_wit(EmailToken, r)


def _email_token_infos(rs: Any) -> list[EmailTokenInfo]:
    return [_from_wit(EmailTokenInfo, r) for r in rs]


# key-owner reaches wasmtime-py untagged, as the bare id or name: its two
# cases differ in Python type (int, str), and wasmtime-py then passes a
# variant's payload alone (see _call).
def _owner_to_wit(owner: KeyOwner) -> Union[int, str]:
    if not isinstance(owner, KeyOwner):
        raise TypeError(f"an owner is a KeyOwner (KeyOwner.user(id) or KeyOwner.service(name)), not {owner!r}")
    return owner.value


def _owner(v: Any) -> KeyOwner:
    if isinstance(v, Variant):  # were it ever tagged
        return KeyOwner(v.tag, cast(Union[int, str], v.payload))
    return KeyOwner.user(v) if isinstance(v, int) else KeyOwner.service(v)


def _api_key(r: Any) -> ApiKey:
    return _from_wit(ApiKey, r, owner=_owner)


def _api_keys(rs: Any) -> list[ApiKey]:
    return [_api_key(r) for r in rs]


def _new_api_key(r: Any) -> NewApiKey:
    return _from_wit(NewApiKey, r, info=_api_key)


def _one_time_token(r: Any) -> OneTimeToken:
    return _from_wit(OneTimeToken, r)


def _kind_to_wit(kind: Optional[Union[EventKind, str]]) -> Optional[str]:
    # EventKind() refuses a name that is no kind (ValueError) before the
    # guest runs, and gives wasmtime-py a plain str.
    return None if kind is None else EventKind(kind).value


def _context_to_wit(context: Optional[LoginContext]) -> Record:
    if context is None:
        context = LoginContext()
    if not isinstance(context, LoginContext):
        raise TypeError(f"a context is a LoginContext, not {context!r}")
    return _to_wit(context)


def _filter_to_wit(f: Optional[LogFilter]) -> Record:
    if f is None:
        f = LogFilter()
    if not isinstance(f, LogFilter):
        raise TypeError(f"a filter is a LogFilter, not {f!r}")
    return _record(user=f.user, username=f.username, source=f.source, kind=_kind_to_wit(f.kind), since=f.since,
                   until=f.until)


# lock-subject's cases share a Python type (str), so wasmtime-py takes and
# gives it tagged, as a Variant.
def _subject_to_wit(subject: LockSubject) -> Variant:
    if not isinstance(subject, LockSubject):
        raise TypeError(f"a subject is a LockSubject (LockSubject.account(id), ...), not {subject!r}")
    return Variant(subject.kind, subject.value)


def _subject(v: Variant) -> LockSubject:
    return LockSubject(v.tag, cast(Union[int, str], v.payload))


def _login_grant(r: Any) -> LoginGrant:
    return _from_wit(LoginGrant, r, session=_session)


def _log_page(r: Any) -> LogPage:
    return _from_wit(LogPage, r, entries=lambda es: [_from_wit(LogEntry, e, kind=EventKind) for e in es])


def _purge_outcome(r: Any) -> PurgeOutcome:
    return _from_wit(PurgeOutcome, r)


def _lock_page(r: Any) -> LockPage:
    return _from_wit(LockPage, r, locks=lambda ls: [_from_wit(Lock, lock, subject=_subject) for lock in ls])


def _account_state(r: Any) -> AccountState:
    return _from_wit(AccountState, r)


def _state_to_wit(state: AccountState) -> Record:
    if not isinstance(state, AccountState):
        raise TypeError(f"a state is an AccountState, not {state!r}")
    return _to_wit(state)


def _permission(r: Any) -> Permission:
    return _from_wit(Permission, r)


def _permissions(rs: Any) -> list[Permission]:
    return [_permission(r) for r in rs]


def _bundles(rs: Any) -> list[Bundle]:
    return [_from_wit(Bundle, r) for r in rs]


def _groups(rs: Any) -> list[Group]:
    return [_from_wit(Group, r) for r in rs]


def _user_roles(r: Any) -> UserRoles:
    return _from_wit(UserRoles, r)


def _validation_with_permissions(r: Any) -> ValidationWithPermissions:
    return _from_wit(ValidationWithPermissions, r, validation=_validation)


# role-holder's and role-item's cases share a Python type (str), so
# wasmtime-py takes them tagged, as Variants.
def _holder_to_wit(holder: RoleHolder) -> Variant:
    if not isinstance(holder, RoleHolder):
        raise TypeError(f"a holder is a RoleHolder (RoleHolder.user(id), ...), not {holder!r}")
    return Variant(holder.kind, holder.value)


def _item_to_wit(item: RoleItem) -> Variant:
    if not isinstance(item, RoleItem):
        raise TypeError(f"an item is a RoleItem (RoleItem.permission(name), ...), not {item!r}")
    return Variant(item.kind, item.value)


def _names_to_wit(names: Any) -> list[str]:
    # A lone str is iterable too: it would be checked letter by letter.
    listed = None if isinstance(names, (str, bytes)) else list(names)
    if listed is None or not all(isinstance(n, str) for n in listed):
        raise TypeError(f"permissions are a list of names (str), not {names!r}")
    return listed


def _optional(convert: Callable[[Any], _T]) -> Callable[[Any], Optional[_T]]:
    """``convert`` for an option<T>: ``None`` stays ``None``."""
    return lambda v: None if v is None else convert(v)


_str: Callable[[Any], str] = _same


def _strs_to_wit(what: str, values: Any) -> list[str]:
    # A lone str is iterable too: it would be sent letter by letter.
    listed = None if isinstance(values, (str, bytes)) else list(values)
    if listed is None or not all(isinstance(v, str) for v in listed):
        raise TypeError(f"{what} are a list of str, not {values!r}")
    return listed


def _spec_to_wit(spec: ClientSpec) -> Record:
    if not isinstance(spec, ClientSpec):
        raise TypeError(f"a spec is a ClientSpec, not {spec!r}")
    if isinstance(spec.grant_types, (str, bytes)):
        raise TypeError(f"grant types are a list of GrantType, not {spec.grant_types!r}")
    # GrantType() refuses a name that is no grant type (ValueError) before
    # the guest runs, and gives wasmtime-py plain strs.
    return _record(name=spec.name, confidential=spec.confidential,
                   redirect_uris=_strs_to_wit("redirect URIs", spec.redirect_uris),
                   grant_types=[GrantType(g).value for g in spec.grant_types], scopes=spec.scopes)


def _lifetimes_to_wit(lifetimes: OAuthLifetimes) -> Record:
    if not isinstance(lifetimes, OAuthLifetimes):
        raise TypeError(f"lifetimes are an OAuthLifetimes, not {lifetimes!r}")
    return _to_wit(lifetimes)


def _request_to_wit(request: AuthorizationRequest) -> Record:
    if not isinstance(request, AuthorizationRequest):
        raise TypeError(f"a request is an AuthorizationRequest, not {request!r}")
    return _to_wit(request)


def _client(r: Any) -> Client:
    return _from_wit(Client, r, grant_types=lambda gs: [GrantType(g) for g in gs])


def _new_client(r: Any) -> NewClient:
    return _from_wit(NewClient, r, client=_client)


def _client_page(r: Any) -> ClientPage:
    return _from_wit(ClientPage, r, clients=lambda cs: [_client(c) for c in cs])


def _lifetimes(r: Any) -> OAuthLifetimes:
    return _from_wit(OAuthLifetimes, r)


def _authorization(r: Any) -> Authorization:
    return _from_wit(Authorization, r, client=_client)


def _token_response(r: Any) -> TokenResponse:
    return _from_wit(TokenResponse, r)


def _token_info(r: Any) -> TokenInfo:
    return _from_wit(TokenInfo, r)


# authorize-bearer's inner result<token-info, bearer-error> reaches us
# untagged: a record (the token-info) or a str (the bearer-error's name).
def _bearer(v: Any) -> Union[TokenInfo, BearerError]:
    return BearerError(v) if isinstance(v, str) else _token_info(v)


def _consents(rs: Any) -> list[Consent]:
    return [_from_wit(Consent, r) for r in rs]


def _error(v: Variant) -> MothError:
    return _ERRORS[v.tag](v.payload)


# oauth-error's cases share Python types (str, or none), so wasmtime-py
# gives it tagged: a Variant of the case and its text (None for a case
# without one).
def _oauth_error(v: Variant) -> OAuthError:
    return OAuthError(v.tag, cast(Optional[str], v.payload))


# authorize-error's cases differ in Python type: no-redirect is a bare str,
# redirect a Record (redirect-uri, and the oauth-error as a Variant).
def _authorize_error(v: Any) -> AuthorizeError:
    if isinstance(v, Variant):  # were it ever tagged
        v = v.payload
    if isinstance(v, str):
        return AuthorizeError("no-redirect", v)
    error = _oauth_error(v.error)
    return AuthorizeError(error.code, error.description, getattr(v, "redirect-uri"))


class Moth:
    """The component over a store. Not thread-safe: use one per thread (or
    ``AsyncMoth``, which runs a small pool of instances in worker threads).

    A call that traps raises ``ComponentTrapError``; the trapped instance is
    dropped and a fresh one made over the same store, clock and imports, so
    the next call works."""

    def __init__(self, store: Optional[KeyValueStore] = None, clock: Optional[Clock] = None,
                 wasm: Union[str, os.PathLike[str]] = WASM) -> None:
        engine = Engine()
        self._setup(store if store is not None else MemoryStore(), clock if clock is not None else SystemClock(),
                    wasm, engine, Component.from_file(engine, str(wasm)))

    def _setup(self, store: KeyValueStore, clock: Clock, wasm: Union[str, os.PathLike[str]], engine: Engine,
               component: Component, calls: Optional[dict[str, _fastcall.ExportCall]] = None) -> None:
        self.kv: KeyValueStore = store
        self.clock: Clock = clock
        self._wasm = wasm
        self._engine = engine
        self._linker = Linker(self._engine)
        self._define_imports(self._linker)
        self._component = component
        # Import calls made by the component: an exception after one means
        # the guest was running, so it trapped.
        self._import_calls = 0
        self._store: Optional[Store] = None
        self._funcs: dict[str, Any] = {}
        # How to call each export (its value converters, see _fastcall),
        # built at its first call from its type, which is the component's:
        # kept across re-instantiations and shared with siblings.
        self._calls: dict[str, _fastcall.ExportCall] = {} if calls is None else calls
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

    def _sibling(self) -> Moth:
        """Another handle over the same store and clock, with its own
        wasmtime store and instance but sharing this one's Engine and
        compiled Component (wasmtime's are thread-safe), so it costs an
        instantiation (milliseconds), not a compilation (about a second).
        For another thread (``AsyncMoth``'s pool): the store must then be
        safe for concurrent use, as ``MemoryStore`` and ``SqliteStore`` are."""
        other = object.__new__(type(self))
        other._setup(self.kv, self.clock, self._wasm, self._engine, self._component, self._calls)
        return other

    @classmethod
    def open(cls, store: Optional[KeyValueStore] = None, *, clock: Optional[Clock] = None,
             settings: Optional[Settings] = None) -> Moth:
        moth = cls(store, clock)
        if settings is not None:
            moth.set_settings(settings)
        return moth

    # The three imports. wasmtime-py passes results untagged when the ok
    # and error types can be told apart by Python type, and as
    # Variant("ok"/"err") when they cannot; each shape is spelled out here.
    # An exception raised here (a StoreTrap, a failing clock) traps the call.
    def _define_imports(self, linker: Linker) -> None:
        def kv() -> KeyValueStore:  # looked up per call, so tests may swap it
            return self.kv

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

        def commit(_store: Any, guards: list[Any], writes: list[Any]) -> Any:
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

        # _fastcall.add_import is LinkerInstance.add_func with converters made
        # once per import instead of wasmtime-py's per-call generic ones.
        add = _fastcall.add_import
        with linker.root() as root:
            with root.add_instance(_interface("store")) as store:
                add(store, "get", counted(get))
                add(store, "scan", counted(scan))
                add(store, "commit", counted(commit))
            with root.add_instance("wasi:clocks/wall-clock@0.2.0") as clock:
                add(clock, "now", counted(now))
                add(clock, "resolution", counted(lambda _store: _record(seconds=0, nanoseconds=1)))
            with root.add_instance("wasi:random/random@0.2.0") as random:
                add(random, "get-random-bytes", counted(lambda _store, n: os.urandom(n)))
                add(random, "get-random-u64", counted(lambda _store: int.from_bytes(os.urandom(8), "little")))

    def _call(self, name: str, convert: Callable[[Any], _T], *args: Any) -> _T:
        """Call the WIT function ``name`` and convert its ok value with
        ``convert``; a WIT error is raised as its ``MothError``. The results
        here are untagged: ``error`` is a Variant, no ok type is (nor is
        oauth-error's ok types: ``_call_oauth`` is the same with that error
        type)."""
        result = self._run(name, *args)
        if isinstance(result, Variant):
            raise _error(result)
        return convert(result)

    def _call_oauth(self, name: str, convert: Callable[[Any], _T], *args: Any) -> _T:
        """``_call`` for a function whose error is ``oauth-error``, raised as ``OAuthError``."""
        result = self._run(name, *args)
        if isinstance(result, Variant):
            raise _oauth_error(result)
        return convert(result)

    def _call_authorize(self, name: str, convert: Callable[[Any], _T], *args: Any) -> _T:
        """``_call`` for a function whose error is ``authorize-error``,
        raised as ``AuthorizeError``. These results are tagged,
        Variant("ok"/"err"): authorize-error is a str or a Record, as their
        ok types are."""
        result = self._run(name, *args)
        if not isinstance(result, Variant) or result.tag not in ("ok", "err"):
            raise TypeError(f"{name}: wasmtime-py gave {result!r}, not a tagged result")
        if result.tag == "err":
            raise _authorize_error(result.payload)
        return convert(result.payload)

    def _run(self, name: str, *args: Any) -> Any:
        """Call the WIT function ``name``; its result as wasmtime-py gives it.

        Any exception instead leaves the instance untrustworthy (a trap
        stops the guest midway, and wasmtime refuses to enter it again): it
        is replaced, and a trap is raised as ``ComponentTrapError``. What is
        raised before the guest runs (a TypeError for an argument of the
        wrong type) is raised as it is."""
        if self._store is None:
            self._instantiate()
        func = self._funcs[name]
        call = self._calls.get(name)
        if call is None:  # its first call: how to convert its values (see _fastcall)
            call = self._calls[name] = _fastcall.export_call(func, self._store)
        calls = self._import_calls
        try:
            result = call(func, self._store, args)
        except Exception as e:
            try:
                self._instantiate()
            except Exception:  # noqa: BLE001 - the next call tries again, and reports why it cannot
                pass
            if isinstance(e, (WasmtimeError, Trap)) or self._import_calls != calls:
                raise ComponentTrapError(f"{name}: {e}") from e
            raise
        return result

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
        return self._call("check-password", _bool, username, password)

    # moth:auth/sessions

    def login(self, username: str, password: str, lifetime: Optional[int] = None) -> Session:
        return self._call("login", _session, username, password, lifetime)

    def validate(self, token: str) -> Validation:
        return self._call("validate", _validation, token)

    def logout(self, token: str) -> None:
        self._call("logout", _none, token)

    def count_tokens(self, id: int) -> int:
        return self._call("count-tokens", _int, id)

    def delete_tokens(self, id: int) -> int:
        return self._call("delete-tokens", _int, id)

    def list_sessions(self, id: int) -> list[SessionInfo]:
        """The user's live sessions, oldest first (never their tokens)."""
        return self._call("list-sessions", _sessions, id)

    def revoke_session(self, id: int, session: str) -> None:
        """End one of the user's sessions by its id (from ``list_sessions``)."""
        return self._call("revoke-session", _none, id, session)

    def revoke_other_sessions(self, token: str) -> int:
        """End every session of the token's user but its own; how many."""
        return self._call("revoke-other-sessions", _int, token)

    def sweep(self, limit: int = 1000) -> SweepOutcome:
        """Delete up to ``limit`` expired tokens, oldest first."""
        return self._call("sweep", _sweep_outcome, limit)

    # moth:auth/settings

    def get_settings(self) -> Settings:
        """The settings in force: the stored ones, else the component's defaults."""
        return self._call("get-settings", _settings)

    def set_settings(self, s: Settings) -> None:
        self._call("set-settings", _none, _to_wit(s))

    # moth:auth/email-tokens

    def create_email_token(self, address: str, options: Optional[EmailTokenOptions] = None) -> EmailToken:
        """A new token for ``address`` (single-use, valid 15 minutes, unless
        ``options`` say otherwise)."""
        return self._call("create-email-token", _email_token, address,
                          _to_wit(options if options is not None else EmailTokenOptions()))

    def auth_email_token(self, address: str, token: str, ip: Optional[str] = None) -> Optional[str]:
        """Use up ``token`` of ``address`` once and return its retval (``None``
        when it has none: the check passed all the same). Raises
        ``InvalidTokenError``, ``TokenExpiredError`` or ``IpMismatchError``."""
        return self._call("auth-email-token", _optional_str, address, token, ip)

    def set_email_token_retval(self, address: str, token: str, retval: Optional[str]) -> None:
        self._call("set-email-token-retval", _none, address, token, retval)

    def remove_email_token(self, address: str, token: str) -> None:
        self._call("remove-email-token", _none, address, token)

    def list_email_tokens(self, address: str) -> list[EmailTokenInfo]:
        """The address's live tokens, oldest first: metadata only."""
        return self._call("list-email-tokens", _email_token_infos, address)

    def revoke_email_token(self, address: str, id: str) -> None:
        self._call("revoke-email-token", _none, address, id)

    def remove_email_address(self, address: str) -> int:
        """Delete every token of the address; returns how many there were."""
        return self._call("remove-email-address", _int, address)

    # moth:auth/api-keys

    def create_api_key(self, owner: KeyOwner, name: str, scopes: str = "",
                       lifetime: Optional[int] = None) -> NewApiKey:
        """A new key for ``owner``, valid for ``lifetime`` seconds, or until
        revoked when ``None``. Raises ``NameTakenError``, ``LimitReachedError``,
        ``NoUserError``."""
        return self._call("create-api-key", _new_api_key, _owner_to_wit(owner), name, scopes, lifetime)

    def verify_api_key(self, key: str) -> ApiKey:
        """The metadata of a live key."""
        return self._call("verify-api-key", _api_key, key)

    def get_api_key(self, id: str) -> ApiKey:
        """The metadata of a live key by its id, without using it (its
        ``last_used`` stays as it was)."""
        return self._call("get-api-key", _api_key, id)

    def list_api_keys(self, owner: KeyOwner) -> list[ApiKey]:
        return self._call("list-api-keys", _api_keys, _owner_to_wit(owner))

    def revoke_api_key(self, id: str) -> None:
        self._call("revoke-api-key", _none, id)

    def rotate_api_key(self, id: str, overlap: int = 0) -> NewApiKey:
        """Replace key ``id`` by a new one; the old one dies at once, or after
        ``overlap`` seconds (at most 7 days)."""
        return self._call("rotate-api-key", _new_api_key, id, overlap)

    def revoke_api_keys(self, owner: KeyOwner) -> int:
        """Delete every key of the owner; returns how many there were."""
        return self._call("revoke-api-keys", _int, _owner_to_wit(owner))

    # moth:auth/one-time-tokens

    def issue_one_time_token(self, id: int, purpose: str, lifetime: Optional[int] = None) -> OneTimeToken:
        """A single-use token for user ``id`` and ``purpose`` (default lifetime 4 hours)."""
        return self._call("issue-one-time-token", _one_time_token, id, purpose, lifetime)

    def redeem_one_time_token(self, token: str, purpose: str) -> User:
        """Use up a token of ``purpose``; returns its user."""
        return self._call("redeem-one-time-token", _user, token, purpose)

    def reset_password(self, token: str, new_password: str) -> User:
        """Use up a ``reset-password`` token, set the new password and revoke
        the user's login tokens, in one commit; returns the user."""
        return self._call("reset-password", _user, token, new_password)

    # moth:auth/attempts

    def login_from(self, username: str, password: str, lifetime: Optional[int] = None,
                   context: Optional[LoginContext] = None) -> LoginGrant:
        """``login`` with what the host knows of the request (``context``):
        judged, counted and logged under the lockout rules. Returns the
        session and the device credential to present next time. Raises
        ``LockedOutError`` while the account, the name, the source or the
        device is locked, whatever the password."""
        return self._call("login-from", _login_grant, username, password, lifetime, _context_to_wit(context))

    def check_password_from(self, username: str, password: str, context: Optional[LoginContext] = None) -> bool:
        """``check_password`` with a context, judged, counted and logged like a login."""
        return self._call("check-password-from", _bool, username, password, _context_to_wit(context))

    def list_attempts(self, filter: Optional[LogFilter] = None, after: Optional[str] = None,
                      limit: int = 100) -> LogPage:
        """Up to ``limit`` password checks (1..=1000) matching ``filter``,
        newest first, after the entry ``after``."""
        return self._call("list-attempts", _log_page, _filter_to_wit(filter), after, limit)

    def list_events(self, filter: Optional[LogFilter] = None, after: Optional[str] = None,
                    limit: int = 100) -> LogPage:
        """Up to ``limit`` account events (1..=1000) matching ``filter``,
        newest first, after the entry ``after``."""
        return self._call("list-events", _log_page, _filter_to_wit(filter), after, limit)

    def purge_attempts(self, username: Optional[str] = None, older_than: Optional[int] = None,
                       kind: Optional[Union[EventKind, str]] = None, after: Optional[str] = None) -> PurgeOutcome:
        """Delete password-check entries (or entries of ``kind``) about
        ``username``, strictly older than ``older_than`` (Unix seconds);
        every filter is optional (none empties the attempt log). One call
        deletes a bounded number: while the outcome has a ``next``, call
        again with it as ``after`` (or use ``purge_attempts_all``)."""
        return self._call("purge-attempts", _purge_outcome, username, older_than, _kind_to_wit(kind), after)

    def purge_attempts_all(self, username: Optional[str] = None, older_than: Optional[int] = None,
                           kind: Optional[Union[EventKind, str]] = None) -> int:
        """``purge_attempts`` until nothing more matches; how many entries it deleted."""
        total, after = 0, None
        while True:
            outcome = self.purge_attempts(username, older_than, kind, after)
            total += outcome.purged
            if outcome.next is None:
                return total
            after = outcome.next

    def list_locks(self, after: Optional[str] = None, limit: int = 100) -> LockPage:
        """Up to ``limit`` locks in force (1..=1000), after the cursor ``after``."""
        return self._call("list-locks", _lock_page, after, limit)

    def unlock(self, subject: LockSubject) -> bool:
        """Lift the lock of ``subject`` and forget its failures; whether it was locked."""
        return self._call("unlock", _bool, _subject_to_wit(subject))

    # moth:auth/accounts

    def get_account_state(self, id: int) -> AccountState:
        """User ``id``'s account state. Raises ``NoUserError``."""
        return self._call("get-account-state", _account_state, id)

    def set_account_state(self, id: int, state: AccountState) -> None:
        """Replace user ``id``'s account state, in one commit. Disabling the
        account now revokes every session, API key and one-time token of
        the user; enabling it again brings none back. Raises ``NoUserError``."""
        self._call("set-account-state", _none, id, _state_to_wit(state))

    # moth:auth/roles. Names of permissions, bundles and groups are 1..=128
    # bytes of [a-z0-9_.:-] (else InvalidInputError). A user's effective
    # permissions are the union of what they hold directly, through their
    # bundles, their groups and their groups' bundles (every defined
    # permission for a superuser, see ``AccountState``). Nothing is cached:
    # a change is seen by the very next check. Independent of the free-form
    # ``permissions`` string of ``create_user``/``set_permissions``.

    def create_permission(self, name: str, description: str = "") -> Permission:
        """Define a permission (``description`` at most 1024 bytes). Raises
        ``NameTakenError``, ``LimitReachedError``, ``InvalidInputError``."""
        return self._call("create-permission", _permission, name, description)

    def list_permissions(self) -> list[Permission]:
        """Every permission, in name order."""
        return self._call("list-permissions", _permissions)

    def delete_permission(self, name: str) -> bool:
        """Delete a permission and take it from every bundle, group and user
        in one commit; false when there was none."""
        return self._call("delete-permission", _bool, name)

    def create_bundle(self, name: str) -> None:
        """Create an empty bundle. Raises ``NameTakenError``, ``LimitReachedError``, ``InvalidInputError``."""
        self._call("create-bundle", _none, name)

    def list_bundles(self) -> list[Bundle]:
        """Every bundle with its permissions, in name order."""
        return self._call("list-bundles", _bundles)

    def delete_bundle(self, name: str) -> bool:
        """Delete a bundle and take it from every group and user in one
        commit; false when there was none."""
        return self._call("delete-bundle", _bool, name)

    def create_group(self, name: str) -> None:
        """Create a group with no members, permissions or bundles. Raises
        ``NameTakenError``, ``LimitReachedError``, ``InvalidInputError``."""
        self._call("create-group", _none, name)

    def list_groups(self) -> list[Group]:
        """Every group with what it carries, in name order (its members from ``group_members``)."""
        return self._call("list-groups", _groups)

    def delete_group(self, name: str) -> bool:
        """Delete a group, removing its members and grants in one commit;
        false when there was none."""
        return self._call("delete-group", _bool, name)

    def group_members(self, group: str) -> list[int]:
        """The ids of a group's members, ascending. Raises
        ``InvalidInputError`` for no such group."""
        return self._call("group-members", _ints, group)

    def grant_role(self, holder: RoleHolder, item: RoleItem) -> bool:
        """Make ``holder`` hold ``item``: a user joins a group or is given a
        bundle or permission, a group is given a bundle or permission, a
        bundle gets a permission. False when it already held it. Raises
        ``InvalidInputError`` for another pairing or no such permission,
        bundle or group, ``NoUserError``, ``LimitReachedError``."""
        return self._call("grant-role", _bool, _holder_to_wit(holder), _item_to_wit(item))

    def revoke_role(self, holder: RoleHolder, item: RoleItem) -> bool:
        """Stop ``holder`` holding ``item`` directly (what it holds through
        others stays); false when it did not."""
        return self._call("revoke-role", _bool, _holder_to_wit(holder), _item_to_wit(item))

    def get_user_roles(self, id: int) -> UserRoles:
        """What user ``id`` holds directly. Raises ``NoUserError``."""
        return self._call("get-user-roles", _user_roles, id)

    def effective_permissions(self, id: int) -> list[str]:
        """User ``id``'s effective permissions, sorted. Raises ``NoUserError``."""
        return self._call("effective-permissions", _strs, id)

    def has_all(self, id: int, permissions: list[str]) -> bool:
        """Whether user ``id`` holds every one of ``permissions`` (true for
        none); a permission nobody defined is held by nobody. Raises
        ``NoUserError``."""
        return self._call("has-all", _bool, id, _names_to_wit(permissions))

    def has_any(self, id: int, permissions: list[str]) -> bool:
        """Whether user ``id`` holds at least one of ``permissions`` (false
        for none). Raises ``NoUserError``."""
        return self._call("has-any", _bool, id, _names_to_wit(permissions))

    def token_has_all(self, token: str, permissions: list[str]) -> bool:
        """``validate`` the token, then ``has_all`` for its user, in one call
        (raising as ``validate`` does)."""
        return self._call("token-has-all", _bool, token, _names_to_wit(permissions))

    def token_has_any(self, token: str, permissions: list[str]) -> bool:
        """``validate`` the token, then ``has_any`` for its user, in one call
        (raising as ``validate`` does)."""
        return self._call("token-has-any", _bool, token, _names_to_wit(permissions))

    def validate_with_permissions(self, token: str) -> ValidationWithPermissions:
        """``validate`` the token and return its user's effective permissions
        with it (raising as ``validate`` does)."""
        return self._call("validate-with-permissions", _validation_with_permissions, token)

    # moth:auth/oauth: an OAuth 2 authorization server for the tenant's
    # users (RFC 6749 with PKCE, RFC 7636, and RFC 9700's best practice).
    # The host does HTTP; every rule is here. Secrets (client secrets
    # ``moths_``, codes ``mothc_``, access tokens ``motha_``, refresh tokens
    # ``mothr_``) are shown once and stored only as SHA-256 digests. The
    # token endpoint's functions raise ``OAuthError``, the authorization
    # endpoint's ``AuthorizeError``, the others ``MothError`` as elsewhere.

    def register_client(self, spec: ClientSpec) -> NewClient:
        """Register a client; its secret (``None`` for a public client) is
        returned only here. Raises ``InvalidInputError``."""
        return self._call("register-client", _new_client, _spec_to_wit(spec))

    def get_client(self, id: str) -> Optional[Client]:
        """The client ``id``, or ``None``."""
        return self._call("get-client", _optional(_client), id)

    def list_clients(self, after: Optional[str] = None, limit: int = 100) -> ClientPage:
        """Up to ``limit`` (1..=100) clients in id order, with ids after ``after``."""
        return self._call("list-clients", _client_page, after, limit)

    def update_client(self, id: str, spec: ClientSpec) -> Optional[Client]:
        """Replace a client's name, redirect URIs, grant types and scopes
        (not its kind, which must stay as it is, nor its secret); ``None``
        if there is no such client. Raises ``InvalidInputError``."""
        return self._call("update-client", _optional(_client), id, _spec_to_wit(spec))

    def rotate_client_secret(self, id: str) -> Optional[NewClient]:
        """A confidential client's new secret; the old one stops at once.
        ``None`` if there is no such client; ``InvalidInputError`` for a
        public client."""
        return self._call("rotate-client-secret", _optional(_new_client), id)

    def delete_client(self, id: str) -> bool:
        """Delete a client, ending every grant it holds; whether there was one."""
        return self._call("delete-client", _bool, id)

    def get_oauth_lifetimes(self) -> OAuthLifetimes:
        """The lifetimes in force: the stored ones, else the component's defaults."""
        return self._call("get-oauth-lifetimes", _lifetimes)

    def set_oauth_lifetimes(self, lifetimes: OAuthLifetimes) -> None:
        """Set the lifetimes of what is issued from now on. Raises ``InvalidInputError``."""
        self._call("set-oauth-lifetimes", _none, _lifetimes_to_wit(lifetimes))

    def check_authorization(self, request: AuthorizationRequest) -> Authorization:
        """Check an authorization request before asking the user: what
        they are asked to consent to. Raises ``AuthorizeError``."""
        return self._call_authorize("check-authorization", _authorization, _request_to_wit(request))

    def issue_code(self, request: AuthorizationRequest, user: int) -> str:
        """Check the request again, as user ``user`` consented to it,
        remember the consent and return a single-use code bound to the
        client, redirect URI, PKCE challenge, user and scopes. Raises
        ``AuthorizeError`` (``access-denied`` to the redirect URI for a user
        who does not exist or is disabled)."""
        return self._call_authorize("issue-code", _str, _request_to_wit(request), user)

    def authenticate_token_client(self, client_id: str, client_secret: Optional[str]) -> Client:
        """The client of a token-endpoint request: a confidential client
        with its secret, a public one with none. Raises ``OAuthError``
        (``invalid-client``)."""
        return self._call_oauth("authenticate-token-client", _client, client_id, client_secret)

    def exchange_code(self, client_id: str, client_secret: Optional[str], code: str, redirect_uri: Optional[str],
                      code_verifier: Optional[str]) -> TokenResponse:
        """The ``authorization_code`` grant, atomic. A code is spent by any
        attempt of an authenticated client allowed this grant (wrong
        client, expired, redirect URI or verifier mismatch), and a second
        redemption revokes what the first issued. Raises ``OAuthError``."""
        return self._call_oauth("exchange-code", _token_response, client_id, client_secret, code, redirect_uri,
                                code_verifier)

    def refresh_grant(self, client_id: str, client_secret: Optional[str], refresh_token: str,
                      scope: Optional[str] = None) -> TokenResponse:
        """The ``refresh_token`` grant: the refresh token rotates; a spent
        one presented again revokes the grant. ``scope`` may narrow, never
        widen. Raises ``OAuthError``."""
        return self._call_oauth("refresh-grant", _token_response, client_id, client_secret, refresh_token, scope)

    def client_credentials_grant(self, client_id: str, client_secret: Optional[str],
                                 scope: Optional[str] = None) -> TokenResponse:
        """The ``client_credentials`` grant: an access token, no refresh
        token. Raises ``OAuthError``."""
        return self._call_oauth("client-credentials-grant", _token_response, client_id, client_secret, scope)

    def revoke_oauth_token(self, client_id: str, client_secret: Optional[str], token: str) -> None:
        """Revoke a token of the authenticated client (a refresh token with
        its grant); unknown tokens and other clients' are left alone
        silently (RFC 7009). Raises ``OAuthError`` (``invalid-client``)."""
        self._call_oauth("revoke-oauth-token", _none, client_id, client_secret, token)

    def introspect_token(self, token: str) -> Optional[TokenInfo]:
        """What an active token is (RFC 7662); ``None`` for anything else."""
        return self._call("introspect-token", _optional(_token_info), token)

    def authorize_bearer(self, token: str, required_scopes: str = "") -> Union[TokenInfo, BearerError]:
        """A resource server's check: the ``TokenInfo`` of an active access
        token carrying every scope of ``required_scopes`` (space-separated),
        else why not, a ``BearerError``. Raises ``InvalidInputError`` for
        malformed ``required_scopes``."""
        return self._call("authorize-bearer", _bearer, token, required_scopes)

    def consent_covers(self, user: int, client_id: str, scopes: str) -> bool:
        """Whether user ``user`` has consented to every scope of ``scopes``
        for the client (the consent page can then be skipped)."""
        return self._call("consent-covers", _bool, user, client_id, scopes)

    def list_consents(self, user: int) -> list[Consent]:
        """The user's consents, clients since deleted left out."""
        return self._call("list-consents", _consents, user)

    def revoke_consent(self, user: int, client_id: str) -> bool:
        """Revoke the user's consent to a client, ending every grant it
        holds for them; whether there was one."""
        return self._call("revoke-consent", _bool, user, client_id)


from . import compat  # noqa: E402 - after Moth, which it wraps
from .aio import AsyncMoth  # noqa: E402 - after Moth, which it wraps
