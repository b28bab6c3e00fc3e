"""The proauth2 facade in moth.proauth2: proauth2 1.2.1's Proauth2 on moth's OAuth interface."""

import threading

import pytest

import moth
from moth import (ComponentTrapError, ClientSpec, GrantType, ManualClock, MemoryStore, MothError, OAuthError,
                  OAuthLifetimes, Settings, StoreTrap)
from moth.proauth2 import Proauth2, Proauth2Error

# The cheapest hashing, with the component's lockout and log defaults.
CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)
NOW = 1_700_000_000
CB = "https://app.example/cb"
OTHER_CB = "https://app.example/other"

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def env():
    clock = ManualClock(NOW)
    store = MemoryStore()
    p = Proauth2(store=store, clock=clock, settings=CHEAP)
    ann = p.moth.create_user("ann", "correct horse battery")
    return p, clock, store, ann.id


def flow(p, user, scope=None, redirect_uri=CB):
    """An app, a code and its tokens, the seed's way."""
    app = p.register_app("my_test_app", redirect_uri, scope="read write")
    nonce = p.request_authorization(app["client_id"], user, "code", redirect_uri, scope)
    token = p.request_access_token(app["client_id"], app["client_secret"], nonce["code"], "authorization_code",
                                   redirect_uri)
    return app, token


def error_of(call, *args, **kwargs):
    with pytest.raises(Proauth2Error) as e:
        call(*args, **kwargs)
    return e.value


def test_a_facade_wraps_a_binding_handle_or_opens_one():
    handle = moth.Moth.open(settings=CHEAP)
    assert Proauth2(handle).moth is handle
    store, clock = MemoryStore(), ManualClock(NOW)
    opened = Proauth2(store=store, clock=clock, settings=CHEAP)
    assert isinstance(opened.moth, moth.Moth) and opened.moth.kv is store and opened.moth.clock is clock
    assert isinstance(Proauth2().moth, moth.Moth)
    with pytest.raises(TypeError):
        Proauth2(object())  # the seed's DataStore: its connection arguments are gone
    with pytest.raises(TypeError):
        Proauth2(handle, store=store)
    assert issubclass(Proauth2Error, OAuthError) and issubclass(Proauth2Error, MothError)


def test_the_seeds_end_to_end_test(env):
    # proauth2's own test (tests/test_proauth2.py), positional arguments and
    # all; the user is a moth user id and revoking takes the app's credentials.
    p, _, _, ann = env
    uri = CB
    client_info = p.register_app("my_test_app", uri)
    nonce = p.request_authorization(client_info["client_id"], ann, "code", uri)
    token = p.request_access_token(client_info["client_id"], client_info["client_secret"], nonce["code"],
                                   "authorization_code", uri)
    assert p.authenticate_token(token["access_token"]) == ann
    p.revoke_token(token["access_token"], client_info["client_id"], client_info["client_secret"])
    err = error_of(p.authenticate_token, token["access_token"])
    assert err.message == err.error == str(err) == "invalid_token"  # the seed said access_denied
    assert err.error_description == "token does not exist, has expired or has been revoked"


def test_register_app_returns_the_id_and_a_secret_shown_once(env):
    p, _, store, _ = env
    app = p.register_app("my app", CB)
    assert set(app) == {"client_id", "client_secret"}
    client_id, secret = app["client_id"], app["client_secret"]
    assert len(client_id) == 32 and int(client_id, 16) >= 0
    assert secret.startswith("moths_") and len(secret) > 40
    client = p.moth.get_client(client_id)
    assert client is not None and client.confidential and client.name == "my app"
    assert client.redirect_uris == [CB] and client.scopes == ""
    assert client.grant_types == [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN]
    # Stored only as a digest: the secret is nowhere in the store.
    stored = b"".join(k + v for k, v in store.scan(b"", b"\xff" * 64, 1_000_000))
    assert stored and secret.encode() not in stored and secret[6:].encode() not in stored
    assert p.register_app("my app", CB)["client_id"] != client_id  # names need not be unique

    several = p.register_app("several", [CB, OTHER_CB, "com.example.app:/cb"], scope="write read",
                             refresh_tokens=False)
    client = p.moth.get_client(several["client_id"])
    assert client is not None and client.redirect_uris == [CB, OTHER_CB, "com.example.app:/cb"]
    assert (client.scopes, client.grant_types) == ("read write", [GrantType.AUTHORIZATION_CODE])

    # What moth refuses (the seed stored anything).
    for name, uri in (("x", "http://app.example/cb"), ("x", CB + "#frag"), ("x", []), ("", CB),
                      ("x", [CB] * 17)):
        err = error_of(p.register_app, name, uri)
        assert err.error == "invalid_request" and err.code == "invalid-request" and err.error_description
        assert isinstance(err.__cause__, moth.InvalidInputError)
    assert error_of(p.register_app, "x", CB, scope='bad"scope').error == "invalid_request"


def test_request_authorization_returns_the_code_state_redirect_and_scopes(env):
    p, _, _, ann = env
    app = p.register_app("my app", CB, scope="read write")
    nonce = p.request_authorization(app["client_id"], ann, "code", CB, "read", "xyz")
    assert nonce["code"].startswith("mothc_")
    assert (nonce["state"], nonce["redirect_uri"], nonce["scope"]) == ("xyz", CB, "read")
    # Left out: the app's one redirect URI, every scope of the app; no state.
    nonce = p.request_authorization(app["client_id"], ann)
    assert (nonce["state"], nonce["redirect_uri"], nonce["scope"]) == (None, CB, "read write")
    # The consent is remembered.
    assert [c.client_id for c in p.moth.list_consents(ann)] == [app["client_id"]]


def test_request_authorization_refusals_say_where_they_go(env):
    p, _, _, ann = env
    app = p.register_app("my app", [CB, OTHER_CB], scope="read")
    client_id = app["client_id"]
    # Never redirected: an unknown app, an unknown or ambiguous redirect URI.
    for args in (("0" * 32, ann, "code", CB), (client_id, ann, "code", "https://evil.example/cb"),
                 (client_id, ann, "code", CB + "/"), (client_id, ann, "code")):
        err = error_of(p.request_authorization, *args, state="s1")
        assert (err.error, err.redirect_uri, err.state) == ("invalid_request", None, "s1"), args
        assert err.error_description and isinstance(err.__cause__, moth.AuthorizeError)
        assert err.__cause__.code == "no-redirect"
    # Redirected, with the RFC 6749 error and the state.
    for args, kwargs, error in (((client_id, ann, "token", CB), {}, "unsupported_response_type"),
                                ((client_id, ann, "code", CB, "read admin"), {}, "invalid_scope"),
                                ((client_id, ann, "code", CB), {"code_challenge": CHALLENGE,
                                                                "code_challenge_method": "plain"}, "invalid_request"),
                                ((client_id, ann, "code", CB), {"code_challenge": CHALLENGE}, "invalid_request"),
                                ((client_id, 9999, "code", CB), {}, "access_denied")):  # no such user
        err = error_of(p.request_authorization, *args, state="s2", **kwargs)
        assert (err.error, err.redirect_uri, err.state) == (error, CB, "s2"), args
    assert p.moth.list_consents(ann) == []  # nothing was issued
    with pytest.raises(TypeError):
        p.request_authorization(client_id, "test@example.com", "code", CB)  # the seed's user ids were strings
    disabled = p.moth.create_user("bob", "correct horse battery")
    p.moth.set_account_state(disabled.id, moth.AccountState(enabled=False))
    assert error_of(p.request_authorization, client_id, disabled.id, "code", CB).error == "access_denied"


def test_request_access_token_returns_the_seed_shape_and_more(env):
    p, _, _, ann = env
    app, token = flow(p, ann, "write")
    assert set(token) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert token["access_token"].startswith("motha_") and token["token_type"] == "bearer"
    assert token["refresh_token"] is not None and token["refresh_token"].startswith("mothr_")
    assert (token["expires_in"], token["scope"]) == (3600, "write")
    info = p.moth.introspect_token(token["access_token"])
    assert info is not None and (info.client_id, info.user, info.scopes) == (app["client_id"], ann, "write")

    # grant_type defaults to authorization_code; without refresh tokens there is none.
    plain = p.register_app("plain", CB, refresh_tokens=False)
    nonce = p.request_authorization(plain["client_id"], ann, redirect_uri=CB)
    token = p.request_access_token(plain["client_id"], plain["client_secret"], nonce["code"], redirect_uri=CB)
    assert token["refresh_token"] is None and p.authenticate_token(token["access_token"]) == ann


def test_client_authentication_method_and_grant_type_are_checked(env):
    p, _, _, ann = env
    app = p.register_app("my app", CB)
    code = p.request_authorization(app["client_id"], ann, "code", CB)["code"]
    for key in ("moths_wrong", None, app["client_secret"][:-1]):
        err = error_of(p.request_access_token, app["client_id"], key, code, "authorization_code", CB)
        assert err.error == "invalid_client", key  # the seed said access_denied
    err = error_of(p.request_access_token, "0" * 32, app["client_secret"], code, "authorization_code", CB)
    assert err.error == "invalid_client"
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], code, "password", CB)
    assert err.error == "unsupported_grant_type"
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], code, "authorization_code", CB,
                   "hmac")
    assert err.error == "invalid_request" and "direct_auth" in (err.error_description or "")
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], code, "authorization_code", CB,
                   scope="read")
    assert err.error == "invalid_request"
    # None of these was an authenticated attempt at the code grant: the code is still good.
    token = p.request_access_token(app["client_id"], app["client_secret"], code, "authorization_code", CB,
                                   "direct_auth")
    assert p.authenticate_token(token["access_token"]) == ann


def test_a_code_cannot_be_redeemed_twice_and_a_second_attempt_revokes_the_first_token(env):
    p, _, _, ann = env
    app = p.register_app("my app", CB)
    code = p.request_authorization(app["client_id"], ann, "code", CB)["code"]
    token = p.request_access_token(app["client_id"], app["client_secret"], code, "authorization_code", CB)
    assert p.authenticate_token(token["access_token"]) == ann
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], code, "authorization_code", CB)
    assert err.error == "invalid_grant" and err.error_description
    assert code not in str(err.error_description)  # never echoed
    # The seed's first token lived on; moth's is revoked, with its refresh token.
    assert error_of(p.authenticate_token, token["access_token"]).error == "invalid_token"
    assert token["refresh_token"] is not None
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], token["refresh_token"],
                   "refresh_token")
    assert err.error == "invalid_grant"


def test_a_code_is_bound_to_its_app(env):
    p, _, _, ann = env
    app, other = p.register_app("my app", CB), p.register_app("other app", CB)
    code = p.request_authorization(app["client_id"], ann, "code", CB)["code"]
    err = error_of(p.request_access_token, other["client_id"], other["client_secret"], code, "authorization_code", CB)
    assert err.error == "invalid_grant"
    # ... and that attempt spent it.
    err = error_of(p.request_access_token, app["client_id"], app["client_secret"], code, "authorization_code", CB)
    assert err.error == "invalid_grant"


def test_a_wrong_or_missing_redirect_uri_at_exchange_fails_and_spends_the_code(env):
    p, _, _, ann = env
    app = p.register_app("my app", [CB, OTHER_CB])
    client_id, key = app["client_id"], app["client_secret"]
    for sent in (OTHER_CB, None):  # the seed never looked at it
        code = p.request_authorization(client_id, ann, "code", CB)["code"]
        err = error_of(p.request_access_token, client_id, key, code, "authorization_code", sent)
        assert err.error == "invalid_grant" and "redirect_uri" in (err.error_description or ""), sent
        err = error_of(p.request_access_token, client_id, key, code, "authorization_code", CB)
        assert err.error == "invalid_grant"
    # Left out at the authorization request (the app has one), it may be left out here too.
    single = p.register_app("single", CB)
    code = p.request_authorization(single["client_id"], ann)["code"]
    token = p.request_access_token(single["client_id"], single["client_secret"], code)
    assert p.authenticate_token(token["access_token"]) == ann


def test_pkce_binds_the_code_to_its_verifier(env):
    p, _, _, ann = env
    app = p.register_app("my app", CB)
    client_id, key = app["client_id"], app["client_secret"]

    def code():
        return p.request_authorization(client_id, ann, "code", CB, code_challenge=CHALLENGE,
                                       code_challenge_method="S256")["code"]
    for verifier in (None, "dBjftJeZ4CVP-mJ92K9Ul2wf-9N3Q6Uj9l8zYgv4w8U"):
        err = error_of(p.request_access_token, client_id, key, code(), "authorization_code", CB, "direct_auth",
                       verifier)
        assert err.error == "invalid_grant", verifier
    token = p.request_access_token(client_id, key, code(), "authorization_code", CB, "direct_auth", VERIFIER)
    assert p.authenticate_token(token["access_token"]) == ann
    # A verifier without a challenge fails too.
    plain = p.request_authorization(client_id, ann, "code", CB)["code"]
    err = error_of(p.request_access_token, client_id, key, plain, "authorization_code", CB, code_verifier=VERIFIER)
    assert err.error == "invalid_grant"


def test_codes_and_tokens_expire(env):
    p, clock, _, ann = env
    app = p.register_app("my app", CB)
    client_id, key = app["client_id"], app["client_secret"]
    code = p.request_authorization(client_id, ann, "code", CB)["code"]
    clock.advance(60)  # moth's default code lifetime; the seed's was 600 seconds
    err = error_of(p.request_access_token, client_id, key, code, "authorization_code", CB)
    assert err.error == "invalid_grant" and "expired" in (err.error_description or "")

    code = p.request_authorization(client_id, ann, "code", CB)["code"]
    token = p.request_access_token(client_id, key, code, "authorization_code", CB)
    clock.advance(3599)
    assert p.authenticate_token(token["access_token"]) == ann
    clock.advance(1)  # the seed's tokens never expired
    assert error_of(p.authenticate_token, token["access_token"]).error == "invalid_token"

    # Lifetimes are moth's settings, not an argument.
    p.moth.set_oauth_lifetimes(OAuthLifetimes(code=600, access=60, refresh_idle=120, refresh=300, refresh_grace=0))
    code = p.request_authorization(client_id, ann, "code", CB)["code"]
    clock.advance(599)
    token = p.request_access_token(client_id, key, code, "authorization_code", CB)
    assert token["expires_in"] == 60
    clock.advance(60)
    assert error_of(p.authenticate_token, token["access_token"]).error == "invalid_token"
    assert token["refresh_token"] is not None
    clock.advance(60)  # idle for 120 seconds: the refresh token is gone too
    err = error_of(p.request_access_token, client_id, key, token["refresh_token"], "refresh_token")
    assert err.error == "invalid_grant"
    with pytest.raises(TypeError):
        p.request_authorization(client_id, ann, "code", CB, expires=600)  # the seed's per-code lifetime is gone


def test_refresh_tokens_rotate_and_narrow(env):
    p, _, _, ann = env
    app, token = flow(p, ann)
    client_id, key = app["client_id"], app["client_secret"]
    assert token["scope"] == "read write" and token["refresh_token"] is not None
    second = p.request_access_token(client_id, key, token["refresh_token"], "refresh_token", scope="read")
    assert second["scope"] == "read" and second["refresh_token"] not in (None, token["refresh_token"])
    assert p.authenticate_token(second["access_token"], "read") == ann
    err = error_of(p.request_access_token, client_id, key, second["refresh_token"], "refresh_token",
                   scope="read admin")
    assert err.error == "invalid_scope"
    err = error_of(p.request_access_token, client_id, key, token["refresh_token"], "refresh_token",
                   redirect_uri=CB)
    assert err.error == "invalid_request"
    # A spent refresh token presented again revokes the grant.
    err = error_of(p.request_access_token, client_id, key, token["refresh_token"], "refresh_token")
    assert err.error == "invalid_grant"
    assert error_of(p.authenticate_token, second["access_token"]).error == "invalid_token"


def test_authenticate_token_checks_scopes_and_the_kind_of_token(env):
    p, _, _, ann = env
    app, token = flow(p, ann, "read")
    assert p.authenticate_token(token["access_token"]) == ann
    assert p.authenticate_token(token["access_token"], "read") == ann
    err = error_of(p.authenticate_token, token["access_token"], "read write")
    assert (err.error, err.code) == ("insufficient_scope", "insufficient-scope")
    assert error_of(p.authenticate_token, token["access_token"], 'bad"scope').error == "invalid_request"
    for bad in (token["refresh_token"], "motha_not-a-token", "", app["client_secret"]):
        assert error_of(p.authenticate_token, bad).error == "invalid_token", bad
    # A client's own token (client credentials, through the binding) has no user.
    batch = p.moth.register_client(ClientSpec("Batch", True, [], [GrantType.CLIENT_CREDENTIALS], "reports"))
    own = p.moth.client_credentials_grant(batch.client.id, batch.secret)
    err = error_of(p.authenticate_token, own.access_token)
    assert err.error == "invalid_token" and "client" in (err.error_description or "")
    # A deleted user's tokens die with them.
    bob = p.moth.create_user("bob", "correct horse battery")
    _, token = flow(p, bob.id)
    assert p.authenticate_token(token["access_token"]) == bob.id
    p.moth.delete_user(bob.id)
    assert error_of(p.authenticate_token, token["access_token"]).error == "invalid_token"


def test_revoke_token_needs_the_apps_credentials_and_revokes_only_its_tokens(env):
    p, _, _, ann = env
    app, token = flow(p, ann)
    other, other_token = flow(p, ann)
    client_id, key = app["client_id"], app["client_secret"]
    for wrong in ("moths_wrong", None):
        err = error_of(p.revoke_token, token["access_token"], client_id, wrong)
        assert err.error == "invalid_client"
    assert p.authenticate_token(token["access_token"]) == ann
    assert p.revoke_token("motha_not-a-token", client_id, key) is None  # unknown: silently, as the seed
    p.revoke_token(other_token["access_token"], client_id, key)  # another app's: left alone, silently
    assert p.authenticate_token(other_token["access_token"]) == ann
    p.revoke_token(token["access_token"], client_id, key)
    assert error_of(p.authenticate_token, token["access_token"]).error == "invalid_token"
    p.revoke_token(token["access_token"], client_id, key)  # again: nothing
    # A refresh token goes with its grant, access tokens included.
    p.revoke_token(other_token["refresh_token"], other["client_id"], other["client_secret"])
    assert error_of(p.authenticate_token, other_token["access_token"]).error == "invalid_token"
    with pytest.raises(TypeError):
        p.revoke_token(token["access_token"])  # the seed revoked without the app's credentials


def test_store_failures_are_server_errors_and_traps_raise_as_they_are(env):
    p, _, store, ann = env
    app, token = flow(p, ann)
    real_get = store.get
    store.get = lambda key: (_ for _ in ()).throw(OSError("disk gone"))
    try:
        assert error_of(p.authenticate_token, token["access_token"]).error == "server_error"
        assert error_of(p.register_app, "x", CB).error == "server_error"
        err = error_of(p.request_access_token, app["client_id"], app["client_secret"], token["refresh_token"],
                       "refresh_token")
        assert err.error == "server_error"
        err = error_of(p.request_authorization, app["client_id"], ann, "code", CB, state="s")
        assert (err.redirect_uri, err.state) == (None, "s")
    finally:
        store.get = real_get
    assert p.authenticate_token(token["access_token"]) == ann

    def trap(key):
        raise StoreTrap("the store fell over")
    store.get = trap
    try:
        with pytest.raises(ComponentTrapError):
            p.authenticate_token(token["access_token"])
    finally:
        store.get = real_get
    assert p.authenticate_token(token["access_token"]) == ann


def test_one_facade_may_be_shared_by_threads(env):
    p, _, _, ann = env
    app = p.register_app("my app", CB)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                code = p.request_authorization(app["client_id"], ann, "code", CB)["code"]
                token = p.request_access_token(app["client_id"], app["client_secret"], code, "authorization_code", CB)
                results.append(p.authenticate_token(token["access_token"]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [ann] * 20


def test_the_error_keeps_the_seeds_constructor():
    err = Proauth2Error("access_denied", "nope", "https://example.com/err", "state")
    assert (err.error, err.message, err.error_description, err.error_uri, err.state) == (
        "access_denied", "access_denied", "nope", "https://example.com/err", "state")
    assert (str(err), err.code, err.description, err.redirect_uri) == ("access_denied", "access-denied", "nope", None)
    assert Proauth2Error("invalid_request").error_description is None
