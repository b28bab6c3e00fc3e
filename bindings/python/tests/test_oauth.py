"""moth:auth/oauth through the Python API, end to end (wit/oauth.wit)."""

import asyncio
import dataclasses
import hashlib
from base64 import urlsafe_b64encode

import pytest

from moth import (AsyncMoth, Authorization, AuthorizationRequest, AuthorizeError, BearerError, Client, ClientPage,
                  ClientSpec, Consent, GrantType, InvalidInputError, ManualClock, MemoryStore, Moth, MothError,
                  NewClient, OAuthError, OAuthLifetimes, Settings, TokenInfo, TokenResponse)

# The cheapest hashing, with the component's lockout and log defaults.
CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)
NOW = 1_700_000_000

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

WEB_CB = "https://app.example/cb"
APP_CB = "com.example.app:/cb"
WEB = ClientSpec("Web", True, [WEB_CB], [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN], "write read")
PHONE = ClientSpec("Phone", False, ["http://127.0.0.1/cb", APP_CB],
                   [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN], "read")
BATCH = ClientSpec("Batch", True, [], [GrantType.CLIENT_CREDENTIALS], "reports")


def test_the_rfc_7636_example_pair_is_s256():
    digest = hashlib.sha256(VERIFIER.encode()).digest()
    assert urlsafe_b64encode(digest).rstrip(b"=").decode() == CHALLENGE


@pytest.fixture
def env():
    clock = ManualClock(NOW)
    moth = Moth.open(MemoryStore(), clock=clock, settings=CHEAP)
    ann = moth.create_user("ann", "correct horse battery")
    return moth, clock, ann.id


def test_clients_are_registered_listed_updated_rotated_and_deleted(env):
    moth, clock, _ = env
    web = moth.register_client(WEB)
    assert isinstance(web, NewClient) and isinstance(web.client, Client)
    assert web.secret is not None and web.secret.startswith("moths_")
    assert web.secret not in repr(web)  # the secret is not shown by repr
    c = web.client
    assert len(c.id) == 32 and int(c.id, 16) >= 0 and c.id == c.id.lower()
    assert (c.name, c.confidential, c.redirect_uris, c.scopes, c.created, c.updated) == (
        "Web", True, [WEB_CB], "read write", NOW, NOW)  # scopes normalised
    assert c.grant_types == [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN]
    assert c.grant_types == ["authorization-code", "refresh-token"]  # a GrantType is its WIT name
    phone = moth.register_client(PHONE)
    assert phone.secret is None and not phone.client.confidential
    batch = moth.register_client(dataclasses.replace(BATCH, grant_types=["client-credentials"]))  # names accepted

    assert moth.get_client(c.id) == c
    assert moth.get_client("0" * 32) is None
    assert moth.get_client("not-a-client-id") is None
    ids = sorted(x.client.id for x in (web, phone, batch))
    page = moth.list_clients()
    assert isinstance(page, ClientPage) and [x.id for x in page.clients] == ids and page.next is None
    first = moth.list_clients(None, 2)
    assert [x.id for x in first.clients] == ids[:2] and first.next is not None
    assert [x.id for x in moth.list_clients(first.next, 2).clients] == ids[2:]
    with pytest.raises(InvalidInputError):
        moth.list_clients(limit=0)

    # What registration refuses.
    for bad in (dataclasses.replace(WEB, redirect_uris=["http://app.example/cb"]),
                dataclasses.replace(WEB, redirect_uris=["https://app.example/cb#frag"]),
                dataclasses.replace(WEB, redirect_uris=[]),
                dataclasses.replace(WEB, grant_types=[GrantType.REFRESH_TOKEN]),
                dataclasses.replace(WEB, grant_types=[]),
                dataclasses.replace(WEB, name=""),
                dataclasses.replace(WEB, scopes='bad"scope'),
                dataclasses.replace(BATCH, confidential=False)):
        with pytest.raises(InvalidInputError):
            moth.register_client(bad)
    # ... and what the binding refuses before the guest runs.
    with pytest.raises(ValueError):
        moth.register_client(dataclasses.replace(WEB, grant_types=["implicit"]))
    with pytest.raises(TypeError):
        moth.register_client(dataclasses.replace(WEB, redirect_uris=WEB_CB))
    with pytest.raises(TypeError):
        moth.register_client(dataclasses.asdict(WEB))

    clock.advance(1)
    updated = moth.update_client(c.id, dataclasses.replace(WEB, name="Web app", scopes="read write profile"))
    assert updated is not None and (updated.name, updated.scopes) == ("Web app", "profile read write")
    assert (updated.created, updated.updated) == (NOW, NOW + 1)
    assert moth.get_client(c.id) == updated
    with pytest.raises(InvalidInputError):  # the kind is fixed
        moth.update_client(c.id, dataclasses.replace(WEB, confidential=False))
    assert moth.update_client("0" * 32, WEB) is None

    rotated = moth.rotate_client_secret(batch.client.id)
    assert rotated is not None and rotated.secret and rotated.secret != batch.secret
    with pytest.raises(OAuthError) as e:
        moth.authenticate_token_client(batch.client.id, batch.secret)
    assert e.value.code == "invalid-client"
    assert moth.authenticate_token_client(batch.client.id, rotated.secret) == rotated.client
    with pytest.raises(InvalidInputError):
        moth.rotate_client_secret(phone.client.id)
    assert moth.rotate_client_secret("0" * 32) is None

    assert moth.delete_client(batch.client.id) is True
    assert moth.delete_client(batch.client.id) is False
    assert moth.get_client(batch.client.id) is None


def test_lifetimes(env):
    moth, _, _ = env
    defaults = moth.get_oauth_lifetimes()
    assert defaults == OAuthLifetimes(60, 3600, 14 * 86400, 30 * 86400, 0)
    for bad in (dataclasses.replace(defaults, code=601), dataclasses.replace(defaults, code=0),
                dataclasses.replace(defaults, access=0),
                dataclasses.replace(defaults, refresh_grace=301)):
        with pytest.raises(InvalidInputError):
            moth.set_oauth_lifetimes(bad)
    moth.set_oauth_lifetimes(OAuthLifetimes(code=30, access=600, refresh_idle=1200, refresh=3000, refresh_grace=0))
    assert moth.get_oauth_lifetimes() == OAuthLifetimes(30, 600, 1200, 3000, 0)
    with pytest.raises(TypeError):
        moth.set_oauth_lifetimes((30, 600, 1200, 3000))


def test_authorization_requests_are_checked_and_refused_with_or_without_a_redirect(env):
    moth, _, _ = env
    web, phone = moth.register_client(WEB).client, moth.register_client(PHONE).client
    batch = moth.register_client(BATCH).client

    ok = moth.check_authorization(AuthorizationRequest(phone.id, "http://127.0.0.1:53123/cb", "read", CHALLENGE,
                                                       "S256"))
    assert ok == Authorization(phone, "http://127.0.0.1:53123/cb", "read")  # any loopback port
    # The one redirect URI and every scope when left out.
    assert moth.check_authorization(AuthorizationRequest(web.id)) == Authorization(web, WEB_CB, "read write")

    # Never redirected: unknown client, unknown or ambiguous redirect URI,
    # a client without the authorization code grant.
    for request in (AuthorizationRequest("0" * 32, WEB_CB),
                    AuthorizationRequest(web.id, "https://evil.example/cb"),
                    AuthorizationRequest(web.id, WEB_CB + "/"),
                    AuthorizationRequest(phone.id, None, "read", CHALLENGE, "S256"),
                    AuthorizationRequest(batch.id)):
        with pytest.raises(AuthorizeError) as e:
            moth.check_authorization(request)
        assert (e.value.code, e.value.redirect_uri) == ("no-redirect", None), request
        assert e.value.description and isinstance(e.value, OAuthError) and isinstance(e.value, MothError)

    # Redirected, with the oauth-error's case.
    for request, code in ((AuthorizationRequest(web.id, WEB_CB, response_type="token"), "unsupported-response-type"),
                          (AuthorizationRequest(web.id, WEB_CB, response_type=""), "invalid-request"),
                          (AuthorizationRequest(web.id, WEB_CB, "read admin"), "invalid-scope"),
                          (AuthorizationRequest(phone.id, APP_CB, "read"), "invalid-request"),  # no PKCE
                          (AuthorizationRequest(phone.id, APP_CB, "read", CHALLENGE, "plain"), "invalid-request"),
                          (AuthorizationRequest(phone.id, APP_CB, "read", CHALLENGE), "invalid-request")):
        with pytest.raises(AuthorizeError) as e:
            moth.check_authorization(request)
        assert (e.value.code, e.value.redirect_uri) == (code, request.redirect_uri), request
    with pytest.raises(TypeError):
        moth.check_authorization({"client_id": web.id})


def test_authorization_code_with_pkce_exchange_replay_and_refresh_rotation(env):
    moth, clock, ann = env
    phone = moth.register_client(PHONE).client
    request = AuthorizationRequest(phone.id, APP_CB, "read", CHALLENGE, "S256")

    assert moth.consent_covers(ann, phone.id, "read") is False
    assert moth.list_consents(ann) == []
    with pytest.raises(AuthorizeError) as e:  # no such user
        moth.issue_code(request, 9999)
    assert (e.value.code, e.value.redirect_uri) == ("access-denied", APP_CB)
    with pytest.raises(AuthorizeError) as e:
        moth.issue_code(dataclasses.replace(request, scope="read admin"), ann)
    assert (e.value.code, e.value.redirect_uri) == ("invalid-scope", APP_CB)
    assert moth.consent_covers(ann, phone.id, "read") is False

    code = moth.issue_code(request, ann)
    assert isinstance(code, str) and code.startswith("mothc_")
    assert moth.consent_covers(ann, phone.id, "read") is True
    assert moth.list_consents(ann) == [Consent(phone.id, "Phone", "read", NOW)]

    # A wrong verifier spends the code.
    with pytest.raises(OAuthError) as e:
        moth.exchange_code(phone.id, None, code, APP_CB, "dBjftJeZ4CVP-mJ92K9Ul2wf-9N3Q6Uj9l8zYgv4w8U")
    assert e.value.code == "invalid-grant" and type(e.value) is OAuthError
    with pytest.raises(OAuthError) as e:
        moth.exchange_code(phone.id, None, code, APP_CB, VERIFIER)
    assert e.value.code == "invalid-grant"

    code = moth.issue_code(request, ann)
    with pytest.raises(OAuthError) as e:  # a public client has no secret
        moth.exchange_code(phone.id, "moths_not-a-secret", code, APP_CB, VERIFIER)
    assert e.value.code == "invalid-client"
    tokens = moth.exchange_code(phone.id, None, code, APP_CB, VERIFIER)
    assert isinstance(tokens, TokenResponse)
    assert tokens.access_token.startswith("motha_") and tokens.refresh_token is not None
    assert tokens.refresh_token.startswith("mothr_")
    assert (tokens.expires_in, tokens.scopes) == (3600, "read")
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)

    info = moth.introspect_token(tokens.access_token)
    assert info == TokenInfo(True, phone.id, ann, "ann", "read", NOW + 3600, NOW)
    refresh_info = moth.introspect_token(tokens.refresh_token)
    assert refresh_info is not None and not refresh_info.access and refresh_info.user == ann

    # A second redemption is invalid-grant and revokes what the first issued.
    with pytest.raises(OAuthError) as e:
        moth.exchange_code(phone.id, None, code, APP_CB, VERIFIER)
    assert e.value.code == "invalid-grant" and e.value.description
    assert moth.introspect_token(tokens.access_token) is None
    assert moth.introspect_token(tokens.refresh_token) is None
    assert moth.introspect_token(code) is None

    # Refresh rotation: each refresh token once; a spent one again revokes the grant.
    tokens = moth.exchange_code(phone.id, None, moth.issue_code(request, ann), APP_CB, VERIFIER)
    assert tokens.refresh_token is not None
    clock.advance(1)
    second = moth.refresh_grant(phone.id, None, tokens.refresh_token)
    assert second.refresh_token not in (None, tokens.refresh_token) and second.scopes == "read"
    assert moth.introspect_token(tokens.access_token) is not None  # the old access token lives on
    with pytest.raises(OAuthError) as e:  # scope never widens
        moth.refresh_grant(phone.id, None, second.refresh_token, "read admin")
    assert e.value.code == "invalid-scope"
    with pytest.raises(OAuthError) as e:  # replayed
        moth.refresh_grant(phone.id, None, tokens.refresh_token)
    assert e.value.code == "invalid-grant"
    assert moth.introspect_token(second.access_token) is None
    with pytest.raises(OAuthError) as e:
        moth.refresh_grant(phone.id, None, second.refresh_token)
    assert e.value.code == "invalid-grant"


def test_confidential_client_grants_bearer_checks_and_revocation(env):
    moth, clock, ann = env
    new = moth.register_client(WEB)
    web, secret = new.client, new.secret
    assert secret is not None
    assert moth.authenticate_token_client(web.id, secret) == web
    for client_secret in (None, "moths_not-a-secret"):
        with pytest.raises(OAuthError) as e:
            moth.authenticate_token_client(web.id, client_secret)
        assert (e.value.code, e.value.description) == ("invalid-client", None)

    code = moth.issue_code(AuthorizationRequest(web.id, scope="write read"), ann)
    tokens = moth.exchange_code(web.id, secret, code, None, None)
    assert tokens.scopes == "read write" and tokens.refresh_token is not None
    narrowed = moth.refresh_grant(web.id, secret, tokens.refresh_token, "read")
    assert narrowed.scopes == "read"

    # authorize_bearer: a TokenInfo, or a BearerError.
    granted = moth.authorize_bearer(narrowed.access_token, "read")
    assert isinstance(granted, TokenInfo) and (granted.user, granted.username, granted.scopes) == (ann, "ann", "read")
    assert isinstance(moth.authorize_bearer(narrowed.access_token), TokenInfo)
    assert moth.authorize_bearer(narrowed.access_token, "write") is BearerError.INSUFFICIENT_SCOPE
    assert moth.authorize_bearer(narrowed.refresh_token or "", "read") is BearerError.INVALID_TOKEN
    assert moth.authorize_bearer("motha_not-a-token", "read") == "invalid-token"
    with pytest.raises(InvalidInputError):
        moth.authorize_bearer(narrowed.access_token, 'bad"scope')
    clock.advance(3600)
    assert moth.authorize_bearer(narrowed.access_token, "read") is BearerError.INVALID_TOKEN
    assert moth.introspect_token(narrowed.access_token) is None

    # revoke_oauth_token: only the authenticated client's own tokens.
    tokens = moth.refresh_grant(web.id, secret, narrowed.refresh_token or "")
    assert tokens.refresh_token is not None
    assert moth.revoke_oauth_token(web.id, secret, "motha_not-a-token") is None
    with pytest.raises(OAuthError) as e:
        moth.revoke_oauth_token(web.id, None, tokens.access_token)
    assert e.value.code == "invalid-client"
    moth.revoke_oauth_token(web.id, secret, tokens.access_token)
    assert moth.introspect_token(tokens.access_token) is None
    assert moth.introspect_token(tokens.refresh_token) is not None
    moth.revoke_oauth_token(web.id, secret, tokens.refresh_token)  # with its grant
    assert moth.introspect_token(tokens.refresh_token) is None
    with pytest.raises(OAuthError) as e:
        moth.refresh_grant(web.id, secret, tokens.refresh_token)
    assert e.value.code == "invalid-grant"

    # Revoking the consent ends the grants it holds.
    tokens = moth.exchange_code(web.id, secret, moth.issue_code(AuthorizationRequest(web.id, scope="read"), ann),
                                WEB_CB, None)
    assert [c.client_id for c in moth.list_consents(ann)] == [web.id]
    assert moth.revoke_consent(ann, web.id) is True
    assert moth.revoke_consent(ann, web.id) is False
    assert moth.introspect_token(tokens.access_token) is None
    assert moth.consent_covers(ann, web.id, "read") is False
    assert moth.list_consents(ann) == []


def test_client_credentials(env):
    moth, _, _ = env
    batch = moth.register_client(BATCH)
    assert batch.secret is not None
    tokens = moth.client_credentials_grant(batch.client.id, batch.secret)
    assert (tokens.expires_in, tokens.refresh_token, tokens.scopes) == (3600, None, "reports")
    info = moth.introspect_token(tokens.access_token)
    assert info == TokenInfo(True, batch.client.id, None, None, "reports", NOW + 3600, NOW)
    assert moth.authorize_bearer(tokens.access_token, "reports") == info
    for client_id, client_secret, scope, code in ((batch.client.id, batch.secret, "payroll", "invalid-scope"),
                                                  (batch.client.id, None, None, "invalid-client")):
        with pytest.raises(OAuthError) as e:
            moth.client_credentials_grant(client_id, client_secret, scope)
        assert e.value.code == code
    web = moth.register_client(WEB)
    with pytest.raises(OAuthError) as e:
        moth.client_credentials_grant(web.client.id, web.secret)
    assert e.value.code == "unauthorized-client"
    assert moth.delete_client(batch.client.id)
    assert moth.introspect_token(tokens.access_token) is None


def test_async_moth_has_the_oauth_methods():
    async def main():
        async with await AsyncMoth.open(MemoryStore(), clock=ManualClock(NOW), settings=CHEAP) as amoth:
            batch = await amoth.register_client(BATCH)
            tokens = await amoth.client_credentials_grant(batch.client.id, batch.secret, "reports")
            info = await amoth.introspect_token(tokens.access_token)
            assert info is not None and info.client_id == batch.client.id
            assert await amoth.authorize_bearer(tokens.access_token, "other") is BearerError.INSUFFICIENT_SCOPE
            with pytest.raises(OAuthError) as e:
                await amoth.client_credentials_grant(batch.client.id, "moths_wrong")
            assert e.value.code == "invalid-client"
            with pytest.raises(AuthorizeError) as a:
                await amoth.check_authorization(AuthorizationRequest("0" * 32))
            assert a.value.redirect_uri is None
    asyncio.run(main())
