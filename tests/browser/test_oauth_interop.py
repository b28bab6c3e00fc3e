"""moth's OAuth 2 server through a client library nobody here wrote:
Authlib's requests integration (OAuth2Session). Every endpoint is read
from the RFC 8414 metadata; the client registers itself through RFC 7591.

Without authlib or requests the tests skip, unless MOTH_REQUIRE_INTEROP=1,
when they fail.
"""

import os
import secrets
import urllib.parse

import pytest

from moth_helpers import PASSWORD


def _require_authlib():
    try:
        import authlib  # noqa: F401
        import requests  # noqa: F401
    except ImportError as e:
        if os.environ.get("MOTH_REQUIRE_INTEROP") == "1":
            pytest.fail(f"{e} (MOTH_REQUIRE_INTEROP=1)")
        pytest.skip(str(e))


REDIRECT_URI = "http://127.0.0.1:9/callback"  # never visited: the code comes back as JSON
SCOPE = "profile email"


@pytest.fixture(scope="module")
def authlib_env():
    _require_authlib()
    # Authlib refuses plain http unless told: the test server is loopback only.
    old = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = old


@pytest.fixture(scope="module")
def metadata(moth, authlib_env):
    """Discovery from the issuer alone (RFC 8414 §3), checked by Authlib's
    own validator of authorization server metadata."""
    import requests
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url

    issuer = moth.base
    url = get_well_known_url(issuer, external=True)
    assert url == issuer + "/.well-known/oauth-authorization-server"
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    meta = AuthorizationServerMetadata(r.json())
    meta.validate()
    assert meta["issuer"] == issuer  # RFC 8414 §3.3
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    for grant in ("authorization_code", "refresh_token", "client_credentials"):
        assert grant in meta["grant_types_supported"]
    for method in ("client_secret_basic", "client_secret_post"):
        assert method in meta["token_endpoint_auth_methods_supported"]
    return meta


def register(metadata, auth_method, name):
    """RFC 7591 dynamic registration at the metadata's endpoint (open on
    loopback without an admin key, as moth's other admin routes)."""
    import requests

    r = requests.post(metadata["registration_endpoint"], timeout=10, json={
        "redirect_uris": [REDIRECT_URI],
        "client_name": name,
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scope": SCOPE,
        "token_endpoint_auth_method": auth_method,
    })
    assert r.status_code == 201, r.text
    assert "no-store" in r.headers.get("Cache-Control", "")
    client = r.json()
    assert client["client_id"] and client["client_secret"]  # RFC 7591 §3.2.1
    # moth records only "confidential" and answers client_secret_basic for
    # either secret method (RFC 7591 §3.2.1 lets a server replace requested
    # metadata); its token endpoint takes both methods from any
    # confidential client, which the tests below rely on.
    assert client["token_endpoint_auth_method"] in ("client_secret_basic", "client_secret_post")
    assert client["redirect_uris"] == [REDIRECT_URI]
    assert client.get("client_secret_expires_at", 0) == 0
    return client


@pytest.fixture(scope="module")
def basic_client(metadata):
    return register(metadata, "client_secret_basic", "Authlib basic")


@pytest.fixture(scope="module")
def post_client(metadata):
    return register(metadata, "client_secret_post", "Authlib post")


def session_for(client, method, **kwargs):
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(client["client_id"], client["client_secret"],
                         token_endpoint_auth_method=method,
                         revocation_endpoint_auth_method=method, **kwargs)


def introspect(metadata, client, method, token):
    s = session_for(client, method)
    r = s.introspect_token(metadata["introspection_endpoint"], token=token)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials(metadata, basic_client, post_client, method):
    client = basic_client if method == "client_secret_basic" else post_client
    s = session_for(client, method, scope="profile")
    token = s.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"
    assert token["access_token"] and token["expires_in"] > 0
    assert token["scope"] == "profile"
    assert "refresh_token" not in token  # RFC 6749 §4.4.3: SHOULD NOT

    info = introspect(metadata, client, method, token["access_token"])
    assert info["active"] is True, info
    assert info["client_id"] == client["client_id"]
    assert info["scope"] == "profile"
    assert info["iss"] == metadata["issuer"]
    assert "username" not in info  # no user in this grant

    r = s.revoke_token(metadata["revocation_endpoint"], token=token["access_token"],
                       token_type_hint="access_token")
    assert r.status_code == 200, r.text
    assert introspect(metadata, client, method, token["access_token"]) == {"active": False}


def test_client_credentials_wrong_secret_is_invalid_client(metadata, basic_client):
    from authlib.integrations.base_client import OAuthError

    s = session_for(dict(basic_client, client_secret="not-the-secret"), "client_secret_basic")
    with pytest.raises(OAuthError) as e:
        s.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert e.value.error == "invalid_client"
    # RFC 6749 §5.2: after Authorization: Basic, 401 with WWW-Authenticate.
    import requests
    r = requests.post(metadata["token_endpoint"], data={"grant_type": "client_credentials"},
                      auth=(basic_client["client_id"], "not-the-secret"), timeout=10)
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"].lower().startswith("basic")


def test_a_client_cannot_revoke_another_clients_token(metadata, basic_client, post_client):
    s = session_for(basic_client, "client_secret_basic")
    token = s.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    other = session_for(post_client, "client_secret_post")
    other.revoke_token(metadata["revocation_endpoint"], token=token["access_token"])
    # RFC 7009 §2.1: the token must have been issued to the revoking client.
    info = introspect(metadata, basic_client, "client_secret_basic", token["access_token"])
    assert info["active"] is True, info


def test_authorization_code_with_pkce(moth, metadata, basic_client, post_client):
    import requests
    from authlib.integrations.base_client import OAuthError
    from authlib.oauth2.rfc6749.errors import MismatchingStateException

    username = "authlib" + secrets.token_hex(4)
    moth.create_user(username)
    # The user signs in to moth (the app's own login): a session token.
    session_token = login(moth, username)

    client = basic_client
    s = session_for(client, "client_secret_basic", scope=SCOPE, redirect_uri=REDIRECT_URI,
                    code_challenge_method="S256")
    verifier = generate_token(64)
    url, state = s.create_authorization_url(metadata["authorization_endpoint"],
                                            code_verifier=verifier)
    assert url.startswith(metadata["authorization_endpoint"] + "?")
    asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert asked["code_challenge_method"] == "S256" and asked["state"] == state

    # The headless completion answers where the browser would go.
    r = requests.post(moth.url("/oauth2/authorize/complete"), timeout=10,
                      headers={"Authorization": f"Bearer {session_token}"},
                      json={k: asked[k] for k in (
                          "response_type", "client_id", "redirect_uri", "scope", "state",
                          "code_challenge", "code_challenge_method")})
    assert r.status_code == 200, r.text
    redirect_to = r.json()["redirect_to"]
    assert redirect_to.startswith(REDIRECT_URI + "?")
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect_to).query))
    assert answer["state"] == state
    # RFC 9207: the client checks iss against the issuer it discovered.
    assert answer["iss"] == metadata["issuer"]

    # Authlib checks state itself and redeems the code with the verifier.
    token = s.fetch_token(metadata["token_endpoint"], authorization_response=redirect_to,
                          code_verifier=verifier)
    assert token["token_type"].lower() == "bearer"
    assert token["refresh_token"] and token["access_token"]
    assert set(token["scope"].split()) == set(SCOPE.split())
    info = introspect(metadata, client, "client_secret_basic", token["access_token"])
    assert info["active"] is True and info["username"] == username, info
    assert info["client_id"] == client["client_id"]

    # Authlib refuses a mismatching state before ever calling the server.
    with pytest.raises(MismatchingStateException):
        s.fetch_token(metadata["token_endpoint"], authorization_response=redirect_to,
                      state="another-state", code_verifier=verifier)

    # Refresh: a new pair, the old refresh token spent.
    old = dict(token)
    new = s.refresh_token(metadata["token_endpoint"], refresh_token=old["refresh_token"])
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] and new["refresh_token"] != old["refresh_token"]
    assert s.token["access_token"] == new["access_token"]
    assert introspect(metadata, client, "client_secret_basic", old["refresh_token"]) == {
        "active": False}
    info = introspect(metadata, client, "client_secret_basic", new["refresh_token"])
    assert info["active"] is True and info["token_type"] == "refresh_token", info

    # Revocation of the refresh token (RFC 7009), then introspection.
    r = s.revoke_token(metadata["revocation_endpoint"], token=new["refresh_token"],
                       token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    assert introspect(metadata, client, "client_secret_basic", new["refresh_token"]) == {
        "active": False}
    with pytest.raises(OAuthError) as e:
        s.refresh_token(metadata["token_endpoint"], refresh_token=new["refresh_token"])
    assert e.value.error == "invalid_grant"

    # Another client may not redeem this client's code (RFC 6749 §4.1.3).
    url, state = s.create_authorization_url(metadata["authorization_endpoint"],
                                            code_verifier=verifier)
    redirect_to = complete(moth, session_token, url)
    other = session_for(post_client, "client_secret_post", redirect_uri=REDIRECT_URI)
    with pytest.raises(OAuthError) as e:
        other.fetch_token(metadata["token_endpoint"], authorization_response=redirect_to,
                          state=state, code_verifier=verifier)
    assert e.value.error == "invalid_grant"


def complete(moth, session_token, authorization_url, **extra):
    """The headless completion for the request in `authorization_url`, with
    the user's session token in the body; where the browser would go."""
    import requests

    asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
    r = requests.post(moth.url("/oauth2/authorize/complete"), timeout=10,
                      json=dict(asked, token=session_token, **extra))
    assert r.status_code == 200, r.text
    return r.json()["redirect_to"]


def login(moth, username):
    import requests

    r = requests.get(moth.url("/login"), json={"username": username, "password": PASSWORD},
                     timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_deny_through_the_headless_completion(moth, metadata, basic_client):
    username = "authdeny" + secrets.token_hex(4)
    moth.create_user(username)
    s = session_for(basic_client, "client_secret_basic", scope=SCOPE, redirect_uri=REDIRECT_URI,
                    code_challenge_method="S256")
    url, state = s.create_authorization_url(metadata["authorization_endpoint"],
                                            code_verifier=generate_token(64))
    redirect_to = complete(moth, login(moth, username), url, decision="deny")
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect_to).query))
    assert answer["error"] == "access_denied", answer
    assert answer["state"] == state and answer["iss"] == metadata["issuer"]
    assert "code" not in answer


def generate_token(n):
    from authlib.common.security import generate_token as authlib_token
    return authlib_token(n)
