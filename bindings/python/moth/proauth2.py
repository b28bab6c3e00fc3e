"""A facade with the method names, argument order and return shapes of
``proauth2`` 1.2.1 (an OAuth 2 provider core), backed by the moth:auth
component's OAuth interface (``moth:auth/oauth``), for code moving to moth:

>>> from moth import Moth
>>> from moth.proauth2 import Proauth2, Proauth2Error
>>> moth = Moth.open()
>>> ann = moth.create_user("ann", "correct horse")
>>> p = Proauth2(moth)
>>> app = p.register_app("my app", "https://app.example/cb")      # the secret is shown only here
>>> nonce = p.request_authorization(app["client_id"], ann.id, "code", "https://app.example/cb", state="xyz")
>>> token = p.request_access_token(app["client_id"], app["client_secret"], nonce["code"], "authorization_code",
...                                "https://app.example/cb")
>>> p.authenticate_token(token["access_token"]) == ann.id
True
>>> p.revoke_token(token["access_token"], app["client_id"], app["client_secret"])

``Proauth2`` is made from a binding handle, ``Proauth2(moth.Moth.open(...))``,
or from the arguments that open one: ``Proauth2(store=..., clock=...,
settings=...)`` (an in-memory store when none is given). The handle is
``.moth``: call it directly for what the facade does not do (public
clients, client credentials, rotating a secret, introspection, consents,
lifetimes). The facade serializes its calls with a lock, so one facade may
be shared by threads; a binding handle (``moth.Moth``) is not thread-safe,
so do not also call the same handle from other threads.

``register_app(name, redirect_uri)`` returns ``{"client_id", "client_secret"}``;
``request_authorization(client_id, user_id, response_type, redirect_uri,
scope, state)`` returns ``{"code", "state", "redirect_uri", "scope"}`` (it
checks the request, ``check_authorization``, then issues the code,
``issue_code``: as in the seed, the user's consent is asked for before);
``request_access_token(client_id, key, code, grant_type, redirect_uri,
method, code_verifier)`` returns ``{"access_token", "token_type",
"expires_in", "refresh_token", "scope"}``; ``authenticate_token(token)``
returns the user id; ``revoke_token(token, client_id, key)`` returns
``None``. Every refusal raises ``Proauth2Error``.

Deliberate differences from the seed (moth's behaviour wins where the seed
was insecure):

* Construction: from a ``moth.Moth`` or ``store=``/``clock=``/``settings=``,
  not a ``DataStore``; there is no ``AsyncProauth2`` (Tornado): the facade
  is thread-safe, so call it through ``asyncio.to_thread``, or use
  ``moth.AsyncMoth``'s OAuth methods.
* Secrets: the client secret (``moths_``), codes (``mothc_``), access
  tokens (``motha_``) and refresh tokens (``mothr_``) are 256 bits from the
  OS's CSPRNG, stored only as their SHA-256 digests, and compared by digest
  (the seed drew them with ``random.choice``, stored them in plain text and
  compared them with ``==``). The secret is therefore shown once, by
  ``register_app``; a lost one is replaced with
  ``.moth.rotate_client_secret(client_id)``. The ``client_id`` is 32
  lower-case hex digits.
* ``register_app(name, redirect_uri, *, scope="", refresh_tokens=True)``:
  ``redirect_uri`` may also be a list (1..=16). Each must be https, http
  only on 127.0.0.1 or [::1], or a private-use scheme with a period
  (``com.example.app:/cb``), without a fragment, and is matched exactly
  (the seed stored anything). The app is a confidential client with the
  authorization code grant and, unless ``refresh_tokens=False``, refresh
  tokens; ``scope`` (new) is what it may ask for, space-separated
  (default none: an app registered without scopes may ask for none; the
  seed stored requested scopes and never checked them). The name is
  1..=256 bytes without control characters. A refused registration
  raises ``Proauth2Error("invalid_request")``.
* ``request_authorization``: ``user_id`` is a moth user id (``int``) of an
  existing, enabled user (``moth.create_user(...).id``), not any string;
  one who does not exist or is disabled gets ``access_denied``.
  ``response_type`` defaults to ``"code"``; another is
  ``unsupported_response_type`` (the seed said ``invalid_request``).
  ``redirect_uri`` may be left out only when the app has exactly one (the
  seed checked only one that was given). ``scope`` is checked: within
  the app's scopes, and left out it means all of them. PKCE is new:
  ``code_challenge`` with ``code_challenge_method="S256"`` (``plain`` is
  refused; the method is not defaulted), keyword only; optional for
  confidential clients, required for public ones. The seed's ``expires``
  (600 seconds per code) is gone: a code lives moth's code lifetime, 60
  seconds unless set with ``.moth.set_oauth_lifetimes`` (at most 600). The
  result also holds ``redirect_uri`` (where to send the code, even when
  left out) and ``scope`` (the scopes granted). The user's consent is
  remembered (``.moth.list_consents``, ``revoke_consent``).
* ``request_access_token``: the code is single-use and bound to the app,
  the redirect URI, the PKCE challenge, the user and the scopes.
  ``redirect_uri`` is checked (the seed ignored it): named in
  ``request_authorization``, it must be sent again, identically.
  ``code_verifier`` (new) must match the challenge, when there was one.
  Any failed attempt by the authenticated app (another app's code, an
  expired one, a wrong redirect URI or verifier) spends the code, and a
  second redemption of a code revokes the tokens the first one issued
  (the seed deleted the nonce, but the first token lived on). Access
  tokens expire (3600 seconds unless set; ``expires_in``); the seed's
  never did. ``grant_type`` defaults to ``"authorization_code"``;
  ``"refresh_token"`` (new) takes the refresh token as ``code`` (and an
  optional ``scope``, keyword only, to narrow it) and rotates it: a spent
  refresh token presented again revokes its grant. Another grant type is
  ``unsupported_grant_type`` (the seed said ``invalid_request``).
  ``method`` must be ``"direct_auth"``, as before. ``key`` is ``None``
  for a public client (registered through ``.moth``). The result adds
  ``expires_in``, ``refresh_token`` (``None`` when the app has no refresh
  tokens) and ``scope`` to the seed's ``access_token`` and ``token_type``
  (``"bearer"``, as before).
* ``authenticate_token(token, scope=None)`` returns the ``int`` user id.
  It fails for an expired or revoked token, a refresh token, and a token
  whose user or app was deleted or whose consent was revoked, with
  ``invalid_token`` (RFC 6750; the seed said ``access_denied``). ``scope``
  (new, space-separated) is what the token must carry, else
  ``insufficient_scope``. A valid token that carries no user (a client
  credentials token, issued through ``.moth``) is ``invalid_token`` here:
  ask ``.moth.authorize_bearer`` for its client.
* ``revoke_token(token, client_id, key)``: the app must authenticate
  (RFC 7009; the seed's ``revoke_token(token)`` asked for nothing), and
  only its own tokens are revoked; an unknown token or another app's is
  left alone silently, as the seed did for unknown ones. Revoking a
  refresh token ends its grant: every token issued from it. A wrong
  ``client_id``/``key`` is ``invalid_client``.
* Errors: ``Proauth2Error(error, error_description, error_uri, state)`` as
  before, now also a ``moth.OAuthError`` (a ``MothError``). ``error`` (and
  ``message``, the seed's Python 2 attribute, and ``str(e)``) is the RFC
  6749/6750 code, where the seed said ``access_denied`` for most refusals:
  a wrong ``client_id`` or ``key`` is ``invalid_client``; a bad, spent,
  expired or mismatched code ``invalid_grant``; a scope beyond the app's
  ``invalid_scope``; a store failure ``server_error`` (but
  ``invalid_request`` with no ``redirect_uri`` in
  ``request_authorization``, whose redirect URI could not be checked); a
  refused argument ``invalid_request``. ``code`` and ``description`` are
  the same as ``OAuthError``'s (``-`` for ``_``). ``redirect_uri`` (new)
  says where a ``request_authorization`` refusal goes: ``None`` when the
  app or the redirect URI is unknown or invalid (``invalid_request``; the
  seed said ``access_denied`` for an unknown app): show it to the user,
  never redirect. ``state`` is set on every ``request_authorization``
  refusal (the seed set it on some). ``__cause__`` is moth's error. A
  component trap still raises ``moth.ComponentTrapError``, and an argument
  of the wrong type ``TypeError``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import NoReturn, Optional, TypedDict, Union

from . import (AuthorizationRequest, AuthorizeError, BearerError, ClientSpec, Clock, GrantType, InvalidInputError,
               MothError, OAuthError, Settings, StorageError, TokenResponse)
from . import Moth as _Binding
from .compat import _open
from .stores import KeyValueStore

__all__ = ["Proauth2", "Proauth2Error", "AppCredentials", "AuthorizationCode", "AccessToken"]


class AppCredentials(TypedDict):
    """What ``register_app`` returns; the secret is shown only here."""

    client_id: str
    client_secret: str


class AuthorizationCode(TypedDict):
    """What ``request_authorization`` returns: the code and the request's
    ``state`` (as the seed did), where to send them, and the scopes granted
    (space-separated)."""

    code: str
    state: Optional[str]
    redirect_uri: str
    scope: str


class AccessToken(TypedDict):
    """What ``request_access_token`` returns (RFC 6749 §5.1)."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: Optional[str]
    scope: str


class Proauth2Error(OAuthError):
    """proauth2's error: ``error`` (also ``message`` and ``str(e)``) is the
    RFC 6749/6750 error code (``"invalid_grant"``, ...),
    ``error_description`` its text, ``error_uri`` and ``state`` as the seed
    had them. Also a ``moth.OAuthError``: ``code`` is ``error`` with ``-``
    for ``_`` and ``description`` is ``error_description``.
    ``redirect_uri``, for a ``request_authorization`` refusal, is where to
    send it, or ``None``: show it to the user and never redirect."""

    def __init__(self, error: str, error_description: Optional[str] = None, error_uri: Optional[str] = None,
                 state: Optional[str] = None, *, redirect_uri: Optional[str] = None) -> None:
        Exception.__init__(self, error)  # str(e) == error, as in the seed
        self.error = error
        self.message = error
        self.error_description = error_description
        self.error_uri = error_uri
        self.state = state
        self.redirect_uri = redirect_uri
        self.code = error.replace("_", "-")
        self.description = error_description
        self.detail = error_description


def _raise(e: MothError, state: Optional[str] = None) -> NoReturn:
    """Raise ``e`` as a ``Proauth2Error`` (``from e``); a component trap
    (or another ``MothError`` an OAuth call does not give) as it is."""
    if isinstance(e, AuthorizeError):
        error = "invalid_request" if e.code == "no-redirect" else e.code.replace("-", "_")
        raise Proauth2Error(error, e.description, state=state, redirect_uri=e.redirect_uri) from e
    if isinstance(e, OAuthError):
        raise Proauth2Error(e.code.replace("-", "_"), e.description, state=state) from e
    if isinstance(e, InvalidInputError):
        raise Proauth2Error("invalid_request", e.detail, state=state) from e
    if isinstance(e, StorageError):
        raise Proauth2Error("server_error", e.detail, state=state) from e
    raise e


class Proauth2:
    """proauth2's ``Proauth2``, on moth's OAuth authorization server. See
    the module's docstring for the differences from the seed."""

    #: The one client authentication method (``request_access_token``'s ``method``).
    AUTH_METHODS = ("direct_auth",)

    def __init__(self, moth: Optional[_Binding] = None, *, store: Optional[KeyValueStore] = None,
                 clock: Optional[Clock] = None, settings: Optional[Settings] = None) -> None:
        self.moth = _open(moth, store, clock, settings, "Proauth2")
        self._lock = threading.Lock()

    def register_app(self, name: str, redirect_uri: Union[str, Sequence[str]], *, scope: str = "",
                     refresh_tokens: bool = True) -> AppCredentials:
        """Register a confidential client: ``{"client_id", "client_secret"}``,
        the secret shown only here. ``redirect_uri``: one or a list (1..=16),
        matched exactly; ``scope``: what it may ask for."""
        uris = [redirect_uri] if isinstance(redirect_uri, str) else list(redirect_uri)
        grants = [GrantType.AUTHORIZATION_CODE] + ([GrantType.REFRESH_TOKEN] if refresh_tokens else [])
        spec = ClientSpec(name=name, confidential=True, redirect_uris=uris, grant_types=grants, scopes=scope)
        with self._lock:
            try:
                new = self.moth.register_client(spec)
            except MothError as e:
                _raise(e)
        if new.secret is None:  # a confidential client always has one
            raise Proauth2Error("server_error", "the client was registered without a secret")
        return {"client_id": new.client.id, "client_secret": new.secret}

    def request_authorization(self, client_id: str, user_id: int, response_type: str = "code",
                              redirect_uri: Optional[str] = None, scope: Optional[str] = None,
                              state: Optional[str] = None, *, code_challenge: Optional[str] = None,
                              code_challenge_method: Optional[str] = None) -> AuthorizationCode:
        """A single-use code for moth user ``user_id``, who has consented to
        the app's request: ``{"code", "state", "redirect_uri", "scope"}``."""
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise TypeError(f"user_id is a moth user id (an int, moth.Moth.create_user(...).id), not {user_id!r}")
        request = AuthorizationRequest(client_id=client_id, redirect_uri=redirect_uri, scope=scope,
                                       code_challenge=code_challenge, code_challenge_method=code_challenge_method,
                                       response_type=response_type)
        with self._lock:
            try:
                checked = self.moth.check_authorization(request)
                code = self.moth.issue_code(request, user_id)
            except MothError as e:
                _raise(e, state)
        return {"code": code, "state": state, "redirect_uri": checked.redirect_uri, "scope": checked.scopes}

    def request_access_token(self, client_id: str, key: Optional[str], code: str,
                             grant_type: str = "authorization_code", redirect_uri: Optional[str] = None,
                             method: str = "direct_auth", code_verifier: Optional[str] = None, *,
                             scope: Optional[str] = None) -> AccessToken:
        """The token endpoint: redeem ``code`` (``grant_type``
        ``"authorization_code"``), or a refresh token passed as ``code``
        (``"refresh_token"``), for ``{"access_token", "token_type",
        "expires_in", "refresh_token", "scope"}``."""
        if method not in self.AUTH_METHODS:
            raise Proauth2Error("invalid_request", f"unsupported authentication method: {method}; "
                                f"available methods: {', '.join(self.AUTH_METHODS)}")
        tokens: TokenResponse
        with self._lock:
            try:
                if grant_type == "authorization_code":
                    if scope is not None:
                        raise Proauth2Error("invalid_request", "scope is not a parameter of the authorization_code "
                                            "grant: the code carries its scopes")
                    tokens = self.moth.exchange_code(client_id, key, code, redirect_uri, code_verifier)
                elif grant_type == "refresh_token":
                    if redirect_uri is not None or code_verifier is not None:
                        raise Proauth2Error("invalid_request", "redirect_uri and code_verifier belong to the "
                                            "authorization_code grant")
                    tokens = self.moth.refresh_grant(client_id, key, code, scope)
                else:
                    raise Proauth2Error("unsupported_grant_type",
                                        'grant_type must be "authorization_code" or "refresh_token"')
            except Proauth2Error:
                raise
            except MothError as e:
                _raise(e)
        return {"access_token": tokens.access_token, "token_type": "bearer", "expires_in": tokens.expires_in,
                "refresh_token": tokens.refresh_token, "scope": tokens.scopes}

    def authenticate_token(self, token: str, scope: Optional[str] = None) -> int:
        """The user id of an active access token carrying every scope of
        ``scope``; raises ``Proauth2Error`` (``invalid_token``,
        ``insufficient_scope``) otherwise."""
        with self._lock:
            try:
                checked = self.moth.authorize_bearer(token, scope or "")
            except MothError as e:
                _raise(e)
        if checked is BearerError.INSUFFICIENT_SCOPE:
            raise Proauth2Error("insufficient_scope", "the token does not carry the scope required")
        if isinstance(checked, BearerError):
            raise Proauth2Error("invalid_token", "token does not exist, has expired or has been revoked")
        if checked.user is None:
            raise Proauth2Error("invalid_token", "the token is a client's own, not a user's")
        return checked.user

    def revoke_token(self, token: str, client_id: str, key: Optional[str]) -> None:
        """Revoke a token of the app ``client_id`` (a refresh token with
        every token of its grant); an unknown token or another app's is
        left alone silently. Raises ``Proauth2Error`` (``invalid_client``)."""
        with self._lock:
            try:
                self.moth.revoke_oauth_token(client_id, key, token)
            except MothError as e:
                _raise(e)
