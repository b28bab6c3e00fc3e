"""moth's OAuth 2 authorization endpoint in a real browser: headless
Debian Chromium driven by Selenium through the authorization-code flow
with PKCE (S256), then the token, refresh, introspection and revocation
endpoints with urllib.

Without chromium, chromedriver or the selenium package the tests skip,
unless MOTH_REQUIRE_BROWSER=1, when they fail.
"""

import base64
import html
import os
import secrets
import shutil
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moth_helpers import PASSWORD, pkce_pair, request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCOPE = ""  # moth's scopes are free-form; the empty scope asks only who the user is
WAIT = 15


def _missing_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium Python package")
    return missing


def _require_browser():
    missing = _missing_browser()
    if missing:
        why = "missing " + ", ".join(missing)
        if os.environ.get("MOTH_REQUIRE_BROWSER") == "1":
            pytest.fail(why + " (MOTH_REQUIRE_BROWSER=1)")
        pytest.skip(why)


# --- the client's redirect URI: a tiny local server recording what it gets


class _Callback(BaseHTTPRequestHandler):
    """The client app: /cb records what comes back; /app?to=URL is a page
    with a link to URL (for navigations that start on the app's site)."""

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path)
        if path.path == "/app":
            to = dict(urllib.parse.parse_qsl(path.query)).get("to", "")
            body = ("<!doctype html><title>app</title>"
                    f"<a id=go href=\"{html.escape(to)}\">Sign in with moth</a>").encode()
        else:
            self.server.received.append(self.path)
            body = b"<!doctype html><title>callback</title><p id=done>callback received</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def callback():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def setup(moth, callback):
    redirect_uri = f"http://127.0.0.1:{callback.server_address[1]}/cb"
    client = moth.register_client(
        redirect_uris=[redirect_uri],
        client_name="Browser Test App",
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    assert "client_secret" not in client
    # A resource server: a confidential client that may introspect
    # (RFC 7662 §2.1 wants introspection callers authenticated).
    resource = moth.register_client(
        client_name="Resource Server",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_basic",
    )
    username = "bee" + secrets.token_hex(4)
    moth.create_user(username)
    meta = request("GET", moth.url("/.well-known/oauth-authorization-server")).json()
    return {
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "username": username,
        "issuer": meta["issuer"],
        "meta": meta,
        "resource_auth": "Basic " + base64.b64encode(
            f"{resource['client_id']}:{resource['client_secret']}".encode()).decode(),
    }


@pytest.fixture
def browser():
    """A fresh headless Chromium (own profile, so no cookies) per test."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="moth-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # Both paths given: Selenium Manager (which would download) never runs.
    service = Service(executable_path=CHROMEDRIVER)
    try:
        driver = webdriver.Chrome(service=service, options=options)
        try:
            driver.set_page_load_timeout(WAIT)
            driver.moth_log = []
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# --- helpers


def authorize_url(setup, state, challenge):
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": setup["client_id"],
        "redirect_uri": setup["redirect_uri"],
        "scope": SCOPE,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    return setup["meta"]["authorization_endpoint"] + "?" + query


def wait_for_callback(driver, setup):
    """The query the redirect URI received, once the browser is there."""
    from selenium.webdriver.support.ui import WebDriverWait

    def arrived_or_blocked(d):
        # Stop early, too, when the browser shows it will never get there.
        return d.current_url.startswith(setup["redirect_uri"]) or _blocked(d)

    try:
        WebDriverWait(driver, WAIT).until(arrived_or_blocked)
    except Exception:
        pass
    if not driver.current_url.startswith(setup["redirect_uri"]):
        pytest.fail(_stuck(driver, "the browser never reached the redirect URI"))
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(driver.current_url).query,
                                       keep_blank_values=True))


def _blocked(driver):
    """Whether the browser shows a refusal or logged a CSP block."""
    _browser_log(driver)
    return ("Origin not allowed" in driver.page_source
            or any("Content Security Policy" in m for m in driver.moth_log))


def _stuck(driver, what):
    """What went wrong in the browser, with a diagnosis of known causes."""
    log = _browser_log(driver)
    page = driver.page_source
    text = f"{what}; it is at {driver.current_url!r}\npage: {page[:1500]}\nbrowser log: {log}"
    if "Origin not allowed" in page:
        text += ("\nDIAGNOSIS: the page's own form POST was refused with 403 'Origin not allowed':"
                 " the page's `Referrer-Policy: no-referrer` makes the browser send `Origin: null`"
                 " on it, and moth's host check (host/src/server/hosts.rs) refuses that.")
    if "Content Security Policy" in str(log) and "form-action" in str(log):
        text += ("\nDIAGNOSIS: the browser blocked the form submission's redirect to the client:"
                 " CSP `form-action 'self'` also applies to redirects after a form POST, so the"
                 " 303 to the (other-origin) redirect URI is blocked.")
    return text


def _browser_log(driver):
    """The browser's console messages so far (get_log drains them: keep them)."""
    try:
        driver.moth_log.extend(e.get("message", "") for e in driver.get_log("browser"))
    except Exception:
        pass
    return driver.moth_log


def wait_for_page(driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.ID, "allow")))


def token_request(moth, setup, **params):
    return request("POST", setup["meta"]["token_endpoint"], form=params)


def introspect(setup, token):
    # As a resource server would: authenticated as a confidential client.
    r = request("POST", setup["meta"]["introspection_endpoint"], form={"token": token},
                headers={"Authorization": setup["resource_auth"]})
    assert r.status == 200, (r.status, r.body)
    return r.json()


def assert_token_answer(r):
    assert r.status == 200, (r.status, r.body)
    assert r.headers["Content-Type"].startswith("application/json")
    assert "no-store" in r.headers.get("Cache-Control", "")  # RFC 6749 §5.1
    assert r.headers.get("Pragma") == "no-cache"
    body = r.json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"] and body["expires_in"] > 0
    return body


def assert_error(r, status, error):
    assert r.status == status, (r.status, r.body)
    assert r.json()["error"] == error, r.body
    assert "no-store" in r.headers.get("Cache-Control", "")


def sign_in_and_allow(driver, moth, setup):
    """The whole page flow for a fresh browser; (code, verifier)."""
    from selenium.webdriver.common.by import By

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    driver.get(authorize_url(setup, state, challenge))
    wait_for_page(driver)
    driver.find_element(By.ID, "username").send_keys(setup["username"])
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "allow").click()
    got = wait_for_callback(driver, setup)
    assert got["state"] == state and got["iss"] == setup["issuer"], got
    return got["code"], verifier


# --- tests


def test_the_page_is_hardened_static_html(moth, setup):
    """The login and consent page as a plain HTTP client sees it: no
    script, and the headers that keep it out of frames and caches."""
    _, challenge = pkce_pair()
    r = request("GET", authorize_url(setup, "s1", challenge))
    assert r.status == 200, (r.status, r.body)
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'none'"], csp
    assert directives["frame-ancestors"] == ["'none'"], csp
    assert "script-src" not in directives, csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in r.headers["Cache-Control"]
    page = r.text.lower()
    assert "<script" not in page and "javascript:" not in page
    csrf = [c for c in r.header_values("Set-Cookie") if c.startswith("moth_oauth_csrf=")]
    assert len(csrf) == 1, r.header_values("Set-Cookie")
    attrs = [a.strip().lower() for a in csrf[0].split(";")[1:]]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/oauth2/" in attrs, csrf


def test_the_page_in_the_browser(moth, setup, browser):
    from selenium.webdriver.common.by import By

    _, challenge = pkce_pair()
    browser.get(authorize_url(setup, "s2", challenge))
    wait_for_page(browser)
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert "Browser Test App" in browser.title
    form = browser.find_element(By.TAG_NAME, "form")
    assert form.get_attribute("method") == "post"
    assert form.get_attribute("action") == setup["meta"]["authorization_endpoint"]
    hidden = {e.get_attribute("name"): e.get_attribute("value")
              for e in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")}
    assert hidden["client_id"] == setup["client_id"]
    assert hidden["redirect_uri"] == setup["redirect_uri"]
    assert hidden["state"] == "s2" and hidden["code_challenge"] == challenge
    assert hidden["code_challenge_method"] == "S256" and len(hidden["csrf"]) >= 32
    assert browser.find_element(By.ID, "password").get_attribute("type") == "password"
    # The CSRF cookie is HttpOnly: the page's own script could not read it.
    assert "moth_oauth_csrf" not in browser.execute_script("return document.cookie")


def test_deny_sends_access_denied(moth, setup, browser, callback):
    from selenium.webdriver.common.by import By

    _, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    browser.get(authorize_url(setup, state, challenge))
    wait_for_page(browser)
    browser.find_element(By.ID, "deny").click()
    got = wait_for_callback(browser, setup)
    assert got["error"] == "access_denied", got
    assert got["state"] == state
    assert got["iss"] == setup["issuer"]  # RFC 9207
    assert "code" not in got
    assert any(p.startswith("/cb?") and "error=access_denied" in p for p in callback.received)


def test_sign_in_allow_exchange_refresh_and_reuse_detection(moth, setup, browser, callback):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    browser.get(authorize_url(setup, state, challenge))
    wait_for_page(browser)

    # A wrong password first: the page again, saying so, username kept.
    browser.find_element(By.ID, "username").send_keys(setup["username"])
    browser.find_element(By.ID, "password").send_keys("not-the-password-at-all")
    browser.find_element(By.ID, "allow").click()
    try:
        WebDriverWait(browser, WAIT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "[role=alert]") or _blocked(d))
    except Exception:
        pass
    if not browser.find_elements(By.CSS_SELECTOR, "[role=alert]"):
        pytest.fail(_stuck(browser, "no error shown after a wrong password"))
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "wrong username or password" in alert.text.lower(), alert.text
    assert browser.find_element(By.ID, "username").get_attribute("value") == setup["username"]
    assert browser.find_element(By.ID, "password").get_attribute("value") == ""
    assert not browser.current_url.startswith(setup["redirect_uri"])

    # Now the right one.
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "allow").click()
    got = wait_for_callback(browser, setup)
    assert set(got) == {"code", "state", "iss"}, got
    assert got["state"] == state
    assert got["iss"] == setup["issuer"]  # RFC 9207
    # The redirect URI's server got it too (not just the address bar).
    assert any(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p).query)).get("code")
               == got["code"] for p in callback.received)

    # The session cookie: HttpOnly, Lax, for the OAuth routes only.
    cookies = browser.execute_cdp_cmd(
        "Network.getCookies", {"urls": [setup["meta"]["authorization_endpoint"]]})["cookies"]
    session = [c for c in cookies if c["name"] == "moth_oauth_session"]
    assert len(session) == 1, cookies
    assert session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
    assert session[0]["path"] == "/oauth2/"

    # The public client redeems the code with its id and the verifier.
    r = token_request(moth, setup, grant_type="authorization_code", code=got["code"],
                      redirect_uri=setup["redirect_uri"], client_id=setup["client_id"],
                      code_verifier=verifier)
    first = assert_token_answer(r)
    assert first.get("refresh_token"), first
    info = introspect(setup, first["access_token"])
    assert info["active"] is True, info
    assert info["client_id"] == setup["client_id"]
    assert info["username"] == setup["username"]
    assert info["iss"] == setup["issuer"]
    assert info["token_type"].lower() == "bearer"

    # Refresh: rotation gives a new refresh token (and access token).
    r = token_request(moth, setup, grant_type="refresh_token",
                      refresh_token=first["refresh_token"], client_id=setup["client_id"])
    second = assert_token_answer(r)
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert introspect(setup, second["access_token"])["active"] is True

    # Reusing the rotated-out refresh token: refused, and the whole family
    # revoked (RFC 9700 §4.14.2), down to the newest tokens.
    reuse = token_request(moth, setup, grant_type="refresh_token",
                          refresh_token=first["refresh_token"], client_id=setup["client_id"])
    assert_error(reuse, 400, "invalid_grant")
    assert introspect(setup, second["access_token"]) == {"active": False}
    assert introspect(setup, second["refresh_token"]) == {"active": False}
    newest = token_request(moth, setup, grant_type="refresh_token",
                           refresh_token=second["refresh_token"], client_id=setup["client_id"])
    assert_error(newest, 400, "invalid_grant")


def test_second_visit_skips_the_page_then_revocation(moth, setup, browser, callback):
    code_a, verifier_a = sign_in_and_allow(browser, moth, setup)
    tokens_a = assert_token_answer(token_request(
        moth, setup, grant_type="authorization_code", code=code_a,
        redirect_uri=setup["redirect_uri"], client_id=setup["client_id"],
        code_verifier=verifier_a))

    # Signed in (session cookie) and consented: straight back with a new
    # code, no page.
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    before = _callbacks(callback)
    browser.get(authorize_url(setup, state, challenge))
    got = wait_for_callback(browser, setup)
    assert set(got) == {"code", "state", "iss"}, got
    assert got["state"] == state and got["iss"] == setup["issuer"]
    assert got["code"] != code_a
    assert len(_callbacks(callback)) == len(before) + 1

    # The same with urllib and the browser's cookies: a bare 302 (RFC 6749
    # §4.1.2: the answer to a GET authorization request), no page.
    cookies = browser.execute_cdp_cmd(
        "Network.getCookies", {"urls": [setup["meta"]["authorization_endpoint"]]})["cookies"]
    jar = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    _, challenge_c = pkce_pair()
    r = request("GET", authorize_url(setup, "s-direct", challenge_c),
                headers={"Cookie": jar})
    assert r.status == 302, (r.status, r.body[:500])
    location = r.headers["Location"]
    assert location.startswith(setup["redirect_uri"] + "?")
    direct = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert direct["state"] == "s-direct" and direct["iss"] == setup["issuer"]
    assert direct["code"] not in (code_a, got["code"])

    # PKCE (RFC 7636 §4.6): the wrong verifier gets no tokens.
    wrong = token_request(moth, setup, grant_type="authorization_code", code=direct["code"],
                          redirect_uri=setup["redirect_uri"], client_id=setup["client_id"],
                          code_verifier=pkce_pair()[0])
    assert_error(wrong, 400, "invalid_grant")

    tokens = assert_token_answer(token_request(
        moth, setup, grant_type="authorization_code", code=got["code"],
        redirect_uri=setup["redirect_uri"], client_id=setup["client_id"],
        code_verifier=verifier))

    # Revocation (RFC 7009): 200, and the token is dead; unknown ones too.
    revoke = setup["meta"]["revocation_endpoint"]
    r = request("POST", revoke, form={"token": tokens["access_token"],
                                      "token_type_hint": "access_token",
                                      "client_id": setup["client_id"]})
    assert r.status == 200, (r.status, r.body)
    assert introspect(setup, tokens["access_token"]) == {"active": False}
    r = request("POST", revoke, form={"token": tokens["refresh_token"],
                                      "token_type_hint": "refresh_token",
                                      "client_id": setup["client_id"]})
    assert r.status == 200, (r.status, r.body)
    assert introspect(setup, tokens["refresh_token"]) == {"active": False}
    assert_error(token_request(moth, setup, grant_type="refresh_token",
                               refresh_token=tokens["refresh_token"],
                               client_id=setup["client_id"]), 400, "invalid_grant")
    r = request("POST", revoke, form={"token": "no-such-token", "client_id": setup["client_id"]})
    assert r.status == 200, (r.status, r.body)

    # A code is good once; replayed, it is refused and (RFC 6749 §4.1.2's
    # SHOULD, which moth does) the tokens issued for it are revoked.
    assert introspect(setup, tokens_a["access_token"])["active"] is True
    replay = token_request(moth, setup, grant_type="authorization_code", code=code_a,
                           redirect_uri=setup["redirect_uri"], client_id=setup["client_id"],
                           code_verifier=verifier_a)
    assert_error(replay, 400, "invalid_grant")
    assert introspect(setup, tokens_a["access_token"]) == {"active": False}
    assert introspect(setup, tokens_a["refresh_token"]) == {"active": False}


def _callbacks(callback):
    return [p for p in callback.received if p.startswith("/cb")]


def test_cross_site_like_a_real_app(moth, setup, browser, callback):
    """The app and moth on different sites, as deployed: the user follows
    a link on the app's page (http://127.0.0.1:…) to moth reached by name
    (http://localhost:…, its own issuer then). Sign-in and consent, then
    a second link: the session cookie (SameSite=Lax) goes along on a
    cross-site top-level navigation, so no page the second time."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base = moth.base.replace("127.0.0.1", "localhost")
    meta = request("GET", base + "/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == base
    site = dict(setup, meta=meta, issuer=base)
    app = setup["redirect_uri"].rsplit("/", 1)[0] + "/app?to="

    def follow_link(state, challenge):
        to = authorize_url(site, state, challenge)
        browser.get(app + urllib.parse.quote(to, safe=""))
        WebDriverWait(browser, WAIT).until(EC.element_to_be_clickable((By.ID, "go"))).click()

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    follow_link(state, challenge)
    wait_for_page(browser)
    assert browser.current_url.startswith(base + "/oauth2/authorize?")
    browser.find_element(By.ID, "username").send_keys(setup["username"])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "allow").click()
    got = wait_for_callback(browser, site)
    assert got["state"] == state and got["iss"] == base, got
    tokens = assert_token_answer(request("POST", meta["token_endpoint"], form={
        "grant_type": "authorization_code", "code": got["code"],
        "redirect_uri": setup["redirect_uri"], "client_id": setup["client_id"],
        "code_verifier": verifier}))
    assert introspect(site, tokens["access_token"])["iss"] == base

    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    follow_link(state, challenge)
    got = wait_for_callback(browser, site)
    assert set(got) == {"code", "state", "iss"} and got["state"] == state, got
