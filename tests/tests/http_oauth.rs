//! moth's OAuth 2 HTTP routes end to end, through a real server, against
//! RFC 6749 (§4.1 the code grant, §4.4 client credentials, §5.1/§5.2 token
//! answers and errors, §6 refresh), RFC 7636 (PKCE), RFC 7009
//! (revocation), RFC 7662 (introspection), RFC 7591 (registration), RFC
//! 8414 (metadata), RFC 9207 (`iss` in authorization responses) and RFC
//! 6750 §3 (bearer errors):
//!
//! - registration with and without the admin key, `invalid_redirect_uri`
//!   apart from `invalid_client_metadata`, the secret shown once; the
//!   client admin routes (list, get, update, rotate-secret, delete, 404s);
//!   the lifetimes;
//! - metadata at all three well-known paths, the issuer per tenant, and
//!   every endpoint it names answering;
//! - the browser flow without a browser: the locked-down login and consent
//!   page and its CSRF cookie, the form refused without the cookie or
//!   field, a wrong password, deny and allow, the session cookie skipping
//!   the page once consent covers the request; in a tenant too, with
//!   cookies whose paths a browser would send back to the tenant's form;
//! - errors shown (400 HTML, never a `Location`) apart from errors
//!   redirected (with `state` and `iss`);
//! - the headless completion with a session token;
//! - the token endpoint: PKCE, `client_secret_basic`, `client_secret_post`,
//!   a public client, both methods at once, `invalid_client` (401 with
//!   `WWW-Authenticate`), `unsupported_grant_type`, repeated and URL
//!   parameters, `no-store` and `Bearer` on every answer; code replay,
//!   refresh rotation and reuse detection, client credentials;
//! - revocation, introspection (who may ask; exactly `{"active":false}`),
//!   `/oauth2/authorize-bearer` for resource servers;
//! - a user's consents, listed and revoked, revocation ending the tokens;
//! - tenants as separate issuers;
//! - proauth2's flaws as regression tests: secrets and codes never echoed,
//!   one winner of concurrent exchanges, the redirect URI checked at the
//!   exchange, a code spent by the wrong client.
//!
//! No request is ever answered with a 5xx (every helper checks).

use moth_tests::api::{ADMIN_BEARER, Api};
use moth_tests::{Reply, http, on_threads};
use serde_json::{Value, json};

/// RFC 7636, Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The web client's redirect URIs.
const CB: &str = "https://app.example/cb";
const CB2: &str = "https://app.example/other";
/// What the authorization page must be served with (besides
/// `form-action`, checked on its own).
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
const FORM: &str = "application/x-www-form-urlencoded";

// ---------------------------------------------------------------------
// Encoding helpers (test code: no crates beyond what moth-tests has).

/// `s` percent-encoded: RFC 3986's unreserved characters as they are,
/// every other byte as `%XX`.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An `application/x-www-form-urlencoded` body (or query string).
fn form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k.as_ref()), enc(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

/// A form-urlencoded component decoded (`+` is a space).
fn dec(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded query parameters of `url`, in order.
fn query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let q = q.split('#').next().unwrap_or("");
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// Parameter `name` of `params`, which must not be repeated.
fn param(params: &[(String, String)], name: &str) -> Option<String> {
    let found: Vec<_> = params.iter().filter(|(k, _)| k == name).collect();
    assert!(found.len() <= 1, "{name} repeated in {params:?}");
    found.first().map(|(_, v)| v.clone())
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `Authorization` value of `client_secret_basic` (RFC 6749 §2.3.1:
/// id and secret form-urlencoded, then base64).
fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("{}:{}", enc(id), enc(secret)).as_bytes())
    )
}

/// HTML character references undone (what a page's attribute values may
/// use): the named `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and numeric ones.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `value` of the `<input>` named `name` in `html`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let mut from = 0;
    while let Some(i) = html[from..].find(&needle) {
        let at = from + i;
        let start = html[..at].rfind('<')?;
        let end = at + html[at..].find('>')?;
        let tag = &html[start..end];
        if tag.to_ascii_lowercase().starts_with("<input") {
            let v = tag.find("value=\"")?;
            let rest = &tag[v + 7..];
            return Some(unescape(&rest[..rest.find('"')?]));
        }
        from = at + needle.len();
    }
    None
}

/// The cookie `name` that `r` sets: its value and its attributes (lower
/// case, without spaces).
fn set_cookie(r: &Reply, name: &str) -> Option<(String, Vec<String>)> {
    r.headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .find_map(|(_, v)| {
            let mut parts = v.split(';');
            let (n, value) = parts.next()?.trim().split_once('=')?;
            (n == name).then(|| {
                (
                    value.to_owned(),
                    parts
                        .map(|a| a.trim().to_ascii_lowercase().replace(' ', ""))
                        .collect(),
                )
            })
        })
}

// ---------------------------------------------------------------------
// Assertions.

/// `r` carries `Cache-Control: no-store` and `Pragma: no-cache`.
fn assert_no_store(r: &Reply) {
    let cc = r.header("cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "Cache-Control {cc:?}: {r:?}");
    let pragma = r.header("pragma").unwrap_or_default();
    assert!(pragma.contains("no-cache"), "Pragma {pragma:?}: {r:?}");
}

/// A successful token response (RFC 6749 §5.1); its body.
fn tokens(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{r:?}");
    assert_no_store(r);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{r:?}");
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer", "{v}");
    assert!(
        v["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "{v}"
    );
    assert!(v["expires_in"].as_u64().is_some_and(|e| e > 0), "{v}");
    assert!(v["scope"].is_string(), "{v}");
    v
}

/// A token-endpoint error (RFC 6749 §5.2): `status`, `error` = `code`,
/// `no-store`; a 401 names its scheme in `WWW-Authenticate`.
fn oauth_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "expected {status} {code}: {r:?}");
    assert_no_store(r);
    let v = r.json();
    assert_eq!(v["error"], code, "{r:?}");
    if let Some(d) = v.get("error_description") {
        assert!(d.is_string(), "{v}");
    }
    if status == 401 {
        let w = r.header("www-authenticate").unwrap_or_default();
        assert!(w.to_ascii_lowercase().starts_with("basic"), "{r:?}");
    }
}

/// A JSON error `{"error": code, …}` with `status` (revocation,
/// introspection, registration).
fn json_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "expected {status} {code}: {r:?}");
    assert_eq!(r.json()["error"], code, "{r:?}");
}

/// An error shown to the user, not redirected: 400 HTML, no `Location`.
fn assert_shown(r: &Reply) {
    assert_eq!(r.status, 400, "{r:?}");
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("text/html"), "{r:?}");
    assert!(r.header("location").is_none(), "never a redirect: {r:?}");
}

/// The page's `Content-Security-Policy` has each directive the note
/// gives, exactly.
fn assert_csp(r: &Reply) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for want in CSP.split(';').map(str::trim) {
        assert!(directives.contains(&want), "{want:?} missing in {csp:?}");
    }
    // The form posts here, and its answer redirects to the client's
    // redirect URI (browsers apply form-action to that redirect too):
    // those two origins, nothing else.
    let want = format!("form-action 'self' {}", "https://app.example");
    assert!(
        directives.contains(&want.as_str()),
        "{want:?} missing in {csp:?}"
    );
    assert_eq!(
        r.header("referrer-policy"),
        Some("same-origin"),
        "a no-referrer page makes browsers post with Origin: null"
    );
}

/// `r`'s `WWW-Authenticate` is a `Bearer` challenge (RFC 6750 §3) with
/// the auth-params `want`, exactly; others (`realm`, which §3 allows) are
/// let be.
fn assert_bearer_challenge(r: &Reply, want: &[(&str, &str)]) {
    let h = r
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("no WWW-Authenticate: {r:?}"));
    let rest = h
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("not a Bearer challenge: {h:?}"));
    // auth-param = token "=" quoted-string, separated by commas (the
    // values here have no quotes or backslashes inside).
    let mut params = Vec::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (name, after) = s.split_once('=').unwrap_or_else(|| panic!("{h:?}"));
        let after = after.trim_start();
        let (value, after) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"').unwrap_or_else(|| panic!("{h:?}"));
                (&q[..end], &q[end + 1..])
            }
            None => after.split_at(after.find(',').unwrap_or(after.len())),
        };
        params.push((name.trim().to_ascii_lowercase(), value.to_owned()));
        s = after.trim_start().trim_start_matches(',').trim_start();
    }
    for (k, v) in want {
        assert_eq!(param(&params, k).as_deref(), Some(*v), "{k} in {h:?}");
    }
}

/// A redirect (`302 Found` from the authorization request, `303 See
/// Other` after the page's form; `redirect_statuses` checks which) to
/// `to`; the query parameters of its `Location`.
fn redirected(r: &Reply, to: &str) -> Vec<(String, String)> {
    assert!(r.status == 302 || r.status == 303, "{r:?}");
    let loc = r
        .header("location")
        .unwrap_or_else(|| panic!("no Location: {r:?}"));
    assert!(loc.starts_with(&format!("{to}?")), "{loc} is not {to}?…");
    query(loc)
}

/// A redirected authorization error: `error` = `code`, the `state` given
/// and the `iss` of `issuer`, and no code.
fn assert_redirected_error(
    params: &[(String, String)],
    code: &str,
    state: Option<&str>,
    issuer: &str,
) {
    assert_eq!(param(params, "error").as_deref(), Some(code), "{params:?}");
    assert_eq!(param(params, "state").as_deref(), state, "{params:?}");
    assert_eq!(param(params, "iss").as_deref(), Some(issuer), "{params:?}");
    assert_eq!(param(params, "code"), None, "{params:?}");
}

// ---------------------------------------------------------------------
// Requests.

/// The parameters of an authorization request with PKCE.
fn authz(client_id: &str, redirect_uri: &str, scope: &str, state: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", state),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// [`authz`] as the JSON body of the headless completion.
fn authz_json(client_id: &str, redirect_uri: &str, scope: &str, state: &str) -> Value {
    let mut o = serde_json::Map::new();
    for (k, v) in authz(client_id, redirect_uri, scope, state) {
        o.insert(k, Value::String(v));
    }
    Value::Object(o)
}

/// What these tests do, on top of the shared harness.
trait OAuth {
    /// Any request, headers exactly as given (no default `Content-Type`).
    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply;
    /// A form POST with `headers` besides its `Content-Type`.
    fn post_form(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply;
    /// The issuer of the tenant at `prefix` (`""` or `/t/{name}`).
    fn issuer(&self, prefix: &str) -> String;
    /// The tenant `name`, with cheap hashing.
    fn tenant(&self, name: &str);
    /// A user with password `pw`; their id.
    fn user_in(&self, prefix: &str, name: &str) -> u64;
    /// A login with password `pw`: its session token.
    fn login_in(&self, prefix: &str, name: &str) -> String;
    /// `POST /oauth2/register` with the admin key; it must answer 201.
    fn register(&self, prefix: &str, body: Value) -> Value;
    /// A confidential web client (code and refresh grants, redirect URIs
    /// [`CB`] and [`CB2`], scopes `read write`): its id and secret.
    fn web(&self, prefix: &str) -> (String, String);
    /// A public client (redirect URI [`CB`], scope `read`): its id.
    fn public(&self, prefix: &str) -> String;
    /// A confidential machine client (client credentials, scope `svc`).
    fn machine(&self, prefix: &str) -> (String, String);
    /// The headless completion with `body`, as the holder of `session`.
    fn complete(&self, prefix: &str, session: &str, body: Value) -> Reply;
    /// A code for `client_id`, consented to headlessly by `session`'s
    /// user.
    fn code(
        &self,
        prefix: &str,
        session: &str,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> String;
    /// `POST /oauth2/token` with the form `pairs` and, when given,
    /// `Authorization: auth`.
    fn token(&self, prefix: &str, auth: Option<&str>, pairs: &[(&str, &str)]) -> Reply;
    /// The code exchanged with PKCE by `client_secret_basic`.
    fn exchange(
        &self,
        prefix: &str,
        id: &str,
        secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Reply;
    /// `POST /oauth2/introspect` with the admin key; it must answer 200.
    fn introspect(&self, prefix: &str, token: &str) -> Value;
    /// Whether `token` is active, by introspection.
    fn active(&self, prefix: &str, token: &str) -> bool;
}

impl OAuth for Api {
    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let r = http(self.addr(), method, path, headers, body);
        assert!(r.status < 500, "{method} {path} {headers:?} {body}: {r:?}");
        r
    }

    fn post_form(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut all = vec![("Content-Type", FORM)];
        all.extend_from_slice(headers);
        self.raw("POST", path, &all, body)
    }

    fn issuer(&self, prefix: &str) -> String {
        format!("http://{}{prefix}", self.addr())
    }

    fn tenant(&self, name: &str) {
        let r = self.admin(
            "PUT",
            "/tenants",
            json!({"name": name, "argon2_memory_kib": 8, "argon2_iterations": 1,
                   "allow_weak_hashing": true, "min_password_length": 1,
                   "refuse_common_passwords": false}),
        );
        assert_eq!(r.status, 200, "{r:?}");
    }

    fn user_in(&self, prefix: &str, name: &str) -> u64 {
        let r = self.admin(
            "PUT",
            &format!("{prefix}/new"),
            json!({"username": name, "password": "pw", "permissions": ""}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["userid"].as_u64().unwrap()
    }

    fn login_in(&self, prefix: &str, name: &str) -> String {
        let r = self.send(
            "GET",
            &format!("{prefix}/login"),
            None,
            json!({"username": name, "password": "pw"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["token"].as_str().unwrap().to_owned()
    }

    fn register(&self, prefix: &str, body: Value) -> Value {
        let r = self.admin("POST", &format!("{prefix}/oauth2/register"), body.clone());
        assert_eq!(r.status, 201, "{body}: {r:?}");
        r.json()
    }

    fn web(&self, prefix: &str) -> (String, String) {
        let v = self.register(
            prefix,
            json!({"redirect_uris": [CB, CB2], "client_name": "Web",
                   "grant_types": ["authorization_code", "refresh_token"],
                   "scope": "read write"}),
        );
        (
            v["client_id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    fn public(&self, prefix: &str) -> String {
        let v = self.register(
            prefix,
            json!({"redirect_uris": [CB], "client_name": "App", "scope": "read",
                   "token_endpoint_auth_method": "none"}),
        );
        v["client_id"].as_str().unwrap().to_owned()
    }

    fn machine(&self, prefix: &str) -> (String, String) {
        let v = self.register(
            prefix,
            json!({"redirect_uris": [], "client_name": "Batch",
                   "grant_types": ["client_credentials"], "scope": "svc"}),
        );
        (
            v["client_id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    fn complete(&self, prefix: &str, session: &str, body: Value) -> Reply {
        self.holder(
            "POST",
            &format!("{prefix}/oauth2/authorize/complete"),
            session,
            body,
        )
    }

    fn code(
        &self,
        prefix: &str,
        session: &str,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> String {
        let r = self.complete(
            prefix,
            session,
            authz_json(client_id, redirect_uri, scope, "st"),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let to = r.json()["redirect_to"].as_str().unwrap().to_owned();
        assert!(to.starts_with(&format!("{redirect_uri}?")), "{to}");
        let params = query(&to);
        assert_eq!(param(&params, "state").as_deref(), Some("st"), "{to}");
        assert_eq!(param(&params, "iss"), Some(self.issuer(prefix)), "{to}");
        param(&params, "code").unwrap_or_else(|| panic!("no code: {to}"))
    }

    fn token(&self, prefix: &str, auth: Option<&str>, pairs: &[(&str, &str)]) -> Reply {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        self.post_form(&format!("{prefix}/oauth2/token"), &headers, &form(pairs))
    }

    fn exchange(
        &self,
        prefix: &str,
        id: &str,
        secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Reply {
        self.token(
            prefix,
            Some(&basic(id, secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", VERIFIER),
            ],
        )
    }

    fn introspect(&self, prefix: &str, token: &str) -> Value {
        let r = self.post_form(
            &format!("{prefix}/oauth2/introspect"),
            &[("Authorization", ADMIN_BEARER)],
            &form(&[("token", token)]),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()
    }

    fn active(&self, prefix: &str, token: &str) -> bool {
        let v = self.introspect(prefix, token);
        if v == json!({"active": false}) {
            return false;
        }
        assert_eq!(v["active"], true, "{v}");
        true
    }
}

/// A server with user `ann` (logged in) and a web client.
struct World {
    api: Api,
    ann: u64,
    session: String,
    id: String,
    secret: String,
}

fn world() -> World {
    let api = Api::start();
    let ann = api.user_in("", "ann");
    let session = api.login_in("", "ann");
    let (id, secret) = api.web("");
    World {
        api,
        ann,
        session,
        id,
        secret,
    }
}

impl World {
    /// A code for the web client with scope `scope` at [`CB`].
    fn code(&self, scope: &str) -> String {
        self.api.code("", &self.session, &self.id, CB, scope)
    }

    /// A code exchanged: the token response.
    fn tokens(&self, scope: &str) -> Value {
        let code = self.code(scope);
        tokens(&self.api.exchange("", &self.id, &self.secret, &code, CB))
    }

    fn refresh(&self, refresh_token: &str, scope: Option<&str>) -> Reply {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(s) = scope {
            pairs.push(("scope", s));
        }
        self.api
            .token("", Some(&basic(&self.id, &self.secret)), &pairs)
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

// ---------------------------------------------------------------------
// Registration and administration.

#[test]
fn registration_needs_the_admin_key_and_shows_the_secret_once() {
    let api = Api::start();
    let body = json!({"redirect_uris": [CB], "client_name": "Web", "scope": "read write"});
    for auth in [None, Some("Bearer not-the-admin-key-at-all")] {
        let r = api.send("POST", "/oauth2/register", auth, body.clone());
        assert_eq!(r.status, 401, "{auth:?}: {r:?}");
    }
    assert_eq!(
        api.admin_query("GET", "/oauth2/clients").json()["clients"],
        json!([]),
        "nothing was registered"
    );

    let now = api.clock.secs();
    let r = api.admin("POST", "/oauth2/register", body);
    assert_eq!(r.status, 201, "{r:?}");
    let v = r.json();
    let id = s(&v["client_id"]);
    assert!(!id.is_empty(), "{v}");
    let secret = s(&v["client_secret"]);
    assert!(secret.len() >= 16, "{v}");
    assert_eq!(v["client_secret_expires_at"], 0, "{v}");
    assert_eq!(v["client_id_issued_at"], now, "{v}");
    assert_eq!(v["redirect_uris"], json!([CB]), "{v}");
    assert_eq!(v["client_name"], "Web", "{v}");
    assert_eq!(
        v["grant_types"],
        json!(["authorization_code"]),
        "the default grant types: {v}"
    );
    assert_eq!(v["scope"], "read write", "{v}");
    assert_eq!(
        v["token_endpoint_auth_method"], "client_secret_basic",
        "{v}"
    );

    // Never again: not when read, listed or updated.
    let got = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={id}"));
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.json()["client_id"], id.as_str());
    let listed = api.admin_query("GET", "/oauth2/clients");
    let updated = api.admin(
        "PUT",
        "/oauth2/clients/by-id",
        json!({"client_id": id, "redirect_uris": [CB], "client_name": "Web 2",
               "scope": "read"}),
    );
    assert_eq!(updated.status, 200, "{updated:?}");
    for r in [&got, &listed, &updated] {
        assert!(!r.body.contains(&secret), "the secret again: {r:?}");
        assert!(!r.body.contains("client_secret\""), "{r:?}");
    }

    // A public client has no secret at all.
    let v = api.register(
        "",
        json!({"redirect_uris": [CB], "client_name": "App",
               "token_endpoint_auth_method": "none"}),
    );
    assert!(v.get("client_secret").is_none_or(Value::is_null), "{v}");
    assert_eq!(v["token_endpoint_auth_method"], "none", "{v}");
}

#[test]
fn registration_refuses_bad_redirect_uris_and_bad_metadata_apart() {
    let api = Api::start();
    for uri in [
        "http://app.example/cb",
        "https://app.example/cb#fragment",
        "not a uri",
        "https://user@app.example/cb",
        "javascript:alert(1)",
    ] {
        let r = api.admin(
            "POST",
            "/oauth2/register",
            json!({"redirect_uris": [uri], "client_name": "Web"}),
        );
        json_error(&r, 400, "invalid_redirect_uri");
        assert!(r.json()["error_description"].is_string(), "{r:?}");
    }
    for body in [
        json!({"redirect_uris": [CB], "client_name": "Web", "grant_types": ["implicit"]}),
        json!({"redirect_uris": [CB], "client_name": "Web", "grant_types": ["password"]}),
        json!({"redirect_uris": [CB], "client_name": "Web",
               "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": [], "client_name": "Batch", "grant_types": ["client_credentials"],
               "token_endpoint_auth_method": "none"}),
        json!({"redirect_uris": [CB], "client_name": "Web",
               "grant_types": ["refresh_token"]}),
        json!({"redirect_uris": [CB], "client_name": ""}),
        json!({"redirect_uris": [CB], "client_name": "Web", "scope": "bad\"scope"}),
    ] {
        let r = api.admin("POST", "/oauth2/register", body.clone());
        json_error(&r, 400, "invalid_client_metadata");
        assert!(r.json()["error_description"].is_string(), "{body}: {r:?}");
    }
    assert_eq!(
        api.admin_query("GET", "/oauth2/clients").json()["clients"],
        json!([]),
        "nothing was registered"
    );
}

#[test]
fn clients_are_listed_read_updated_rotated_and_deleted_by_the_admin() {
    let api = Api::start();
    let (web, _) = api.web("");
    let (machine, old_secret) = api.machine("");
    let public = api.public("");

    // Listing, and paging through the list.
    let all = api.admin_query("GET", "/oauth2/clients?limit=10");
    assert_eq!(all.status, 200, "{all:?}");
    let all = all.json();
    let mut ids: Vec<String> = all["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c["client_id"]))
        .collect();
    ids.sort();
    let mut want = vec![web.clone(), machine.clone(), public.clone()];
    want.sort();
    assert_eq!(ids, want, "{all}");
    assert!(all["next"].is_null(), "{all}");
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..3 {
        let path = match &after {
            Some(a) => format!("/oauth2/clients?after={a}&limit=1"),
            None => "/oauth2/clients?limit=1".to_owned(),
        };
        let page = api.admin_query("GET", &path);
        assert_eq!(page.status, 200, "{page:?}");
        let page = page.json();
        let clients = page["clients"].as_array().unwrap();
        assert_eq!(clients.len(), 1, "{page}");
        paged.push(s(&clients[0]["client_id"]));
        after = page["next"].as_str().map(str::to_owned);
        if after.is_none() {
            break;
        }
    }
    paged.sort();
    assert_eq!(paged, want, "paging saw each client once");

    // Reading one.
    let r = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={web}"));
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["client_id"], web.as_str());
    assert_eq!(v["client_name"], "Web");
    assert_eq!(v["redirect_uris"], json!([CB, CB2]));
    assert_eq!(
        v["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(v["scope"], "read write");
    let unknown = "0123456789abcdef0123456789abcdef";
    let r = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={unknown}"));
    assert_eq!(r.status, 404, "{r:?}");

    // Updating.
    let r = api.admin(
        "PUT",
        "/oauth2/clients/by-id",
        json!({"client_id": web, "redirect_uris": [CB2], "client_name": "Renamed",
               "grant_types": ["authorization_code"], "scope": "read"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(
        (&v["client_name"], &v["redirect_uris"], &v["scope"]),
        (&json!("Renamed"), &json!([CB2]), &json!("read")),
        "{v}"
    );
    let r = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={web}"));
    assert_eq!(r.json()["client_name"], "Renamed", "{r:?}");
    let r = api.admin(
        "PUT",
        "/oauth2/clients/by-id",
        json!({"client_id": unknown, "redirect_uris": [CB], "client_name": "X"}),
    );
    assert_eq!(r.status, 404, "{r:?}");
    let r = api.admin(
        "PUT",
        "/oauth2/clients/by-id",
        json!({"client_id": web, "redirect_uris": ["http://evil.example/"], "client_name": "X"}),
    );
    json_error(&r, 400, "invalid_redirect_uri");

    // Rotating the secret: the old one stops working, the new one works.
    let cc = |secret: &str| {
        api.token(
            "",
            Some(&basic(&machine, secret)),
            &[("grant_type", "client_credentials")],
        )
    };
    tokens(&cc(&old_secret));
    let r = api.admin(
        "POST",
        "/oauth2/clients/rotate-secret",
        json!({"client_id": machine}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["client_id"], machine.as_str());
    let new_secret = s(&v["client_secret"]);
    assert_ne!(new_secret, old_secret);
    oauth_error(&cc(&old_secret), 401, "invalid_client");
    let t = tokens(&cc(&new_secret));
    let r = api.admin(
        "POST",
        "/oauth2/clients/rotate-secret",
        json!({"client_id": public}),
    );
    assert_eq!(r.status, 400, "a public client has no secret: {r:?}");
    let r = api.admin(
        "POST",
        "/oauth2/clients/rotate-secret",
        json!({"client_id": unknown}),
    );
    assert_eq!(r.status, 404, "{r:?}");

    // Deleting: gone, and so are its tokens.
    assert!(api.active("", &s(&t["access_token"])));
    let r = api.admin(
        "DELETE",
        "/oauth2/clients/by-id",
        json!({"client_id": machine}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true})),
        "{r:?}"
    );
    let r = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={machine}"));
    assert_eq!(r.status, 404, "{r:?}");
    let r = api.admin(
        "DELETE",
        "/oauth2/clients/by-id",
        json!({"client_id": machine}),
    );
    assert_eq!(r.status, 404, "{r:?}");
    assert!(
        !api.active("", &s(&t["access_token"])),
        "its token died with it"
    );
    oauth_error(&cc(&new_secret), 401, "invalid_client");

    // None of it without the admin key.
    for (method, path, body) in [
        ("GET", "/oauth2/clients".to_owned(), String::new()),
        (
            "GET",
            format!("/oauth2/clients/by-id?client_id={web}"),
            String::new(),
        ),
        (
            "PUT",
            "/oauth2/clients/by-id".to_owned(),
            json!({"client_id": web, "redirect_uris": [CB], "client_name": "X"}).to_string(),
        ),
        (
            "DELETE",
            "/oauth2/clients/by-id".to_owned(),
            json!({"client_id": web}).to_string(),
        ),
        (
            "POST",
            "/oauth2/clients/rotate-secret".to_owned(),
            json!({"client_id": web}).to_string(),
        ),
        ("GET", "/oauth2/lifetimes".to_owned(), String::new()),
        (
            "PATCH",
            "/oauth2/lifetimes".to_owned(),
            json!({"code": 60, "access": 60, "refresh_idle": 60, "refresh": 60}).to_string(),
        ),
    ] {
        let r = api.request(method, &path, &[], &body);
        assert_eq!(r.status, 401, "{method} {path}: {r:?}");
    }
    let r = api.admin_query("GET", &format!("/oauth2/clients/by-id?client_id={web}"));
    assert_eq!(r.json()["client_name"], "Renamed", "unchanged: {r:?}");
}

#[test]
fn lifetimes_are_read_and_set_by_the_admin_and_followed() {
    let w = world();
    let api = &w.api;
    let r = api.admin_query("GET", "/oauth2/lifetimes");
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    for k in ["code", "access", "refresh_idle", "refresh"] {
        assert!(v[k].as_u64().is_some_and(|n| n > 0), "{k}: {v}");
    }
    assert_eq!(v["refresh_grace"], 0, "off by default: {v}");
    let t = w.tokens("read");
    assert_eq!(t["expires_in"], v["access"], "{t}");

    // A PATCH changes what it names and answers all.
    let r = api.admin("PATCH", "/oauth2/lifetimes", json!({"access": 120}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["access"], 120, "{r:?}");
    assert_eq!(r.json()["code"], v["code"], "{r:?}");
    let set = json!({"code": 30, "access": 120, "refresh_idle": 600, "refresh": 6000, "refresh_grace": 10});
    let r = api.admin("PATCH", "/oauth2/lifetimes", set.clone());
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json(), set, "{r:?}");
    let r = api.admin_query("GET", "/oauth2/lifetimes");
    assert_eq!(r.json(), set, "{r:?}");
    let t = w.tokens("read");
    assert_eq!(t["expires_in"], 120, "{t}");

    // A code older than its lifetime is refused.
    let code = w.code("read");
    api.clock.advance(31);
    oauth_error(
        &api.exchange("", &w.id, &w.secret, &code, CB),
        400,
        "invalid_grant",
    );

    let r = api.admin(
        "PATCH",
        "/oauth2/lifetimes",
        json!({"code": 0, "access": 120, "refresh_idle": 600, "refresh": 6000}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    for bad in [
        json!({"refresh_grace": 301}),
        json!({"refresh_grace": -1}),
        json!({"access": "60"}),
        json!({"acess": 60}),
    ] {
        let r = api.admin("PATCH", "/oauth2/lifetimes", bad.clone());
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert!(r.json()["error"].is_string(), "{bad}: {r:?}");
    }
    assert_eq!(api.admin_query("GET", "/oauth2/lifetimes").json(), set);
}

// ---------------------------------------------------------------------
// Metadata (RFC 8414).

#[test]
fn metadata_at_all_three_well_known_paths_names_each_tenant_as_issuer() {
    let api = Api::start();
    api.tenant("acme");
    for (path, prefix) in [
        ("/.well-known/oauth-authorization-server", ""),
        ("/.well-known/oauth-authorization-server/t/acme", "/t/acme"),
        ("/t/acme/.well-known/oauth-authorization-server", "/t/acme"),
    ] {
        let r = api.raw("GET", path, &[], "");
        assert_eq!(r.status, 200, "{path}: {r:?}");
        let ct = r.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{path}: {r:?}");
        let m = r.json();
        let issuer = api.issuer(prefix);
        assert_eq!(m["issuer"], issuer.as_str(), "{path}: {m}");
        for (key, route) in [
            ("authorization_endpoint", "/oauth2/authorize"),
            ("token_endpoint", "/oauth2/token"),
            ("revocation_endpoint", "/oauth2/revoke"),
            ("introspection_endpoint", "/oauth2/introspect"),
            ("registration_endpoint", "/oauth2/register"),
        ] {
            assert_eq!(m[key], format!("{issuer}{route}"), "{path} {key}: {m}");
        }
        assert_eq!(m["response_types_supported"], json!(["code"]), "{m}");
        assert_eq!(m["response_modes_supported"], json!(["query"]), "{m}");
        assert_eq!(
            m["grant_types_supported"],
            json!(["authorization_code", "refresh_token", "client_credentials"]),
            "{m}"
        );
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post", "none"]),
            "{m}"
        );
        for key in [
            "revocation_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported",
        ] {
            let methods = m[key].as_array().unwrap_or_else(|| panic!("{key}: {m}"));
            assert!(
                methods.contains(&json!("client_secret_basic")),
                "{key}: {m}"
            );
        }
        assert_eq!(
            m["code_challenge_methods_supported"],
            json!(["S256"]),
            "{m}"
        );
        assert_eq!(
            m["authorization_response_iss_parameter_supported"], true,
            "{m}"
        );
    }
    for path in [
        "/.well-known/oauth-authorization-server/t/nope",
        "/t/nope/.well-known/oauth-authorization-server",
    ] {
        assert_eq!(api.raw("GET", path, &[], "").status, 404, "{path}");
    }
}

#[test]
fn every_endpoint_in_the_metadata_answers_for_its_tenant() {
    let api = Api::start();
    api.tenant("acme");
    let base = api.issuer("");
    for prefix in ["", "/t/acme"] {
        let m = api
            .raw(
                "GET",
                &format!("{prefix}/.well-known/oauth-authorization-server"),
                &[],
                "",
            )
            .json();
        let path = |key: &str| -> String {
            let url = s(&m[key]);
            url.strip_prefix(&base)
                .unwrap_or_else(|| panic!("{key} {url} is not on {base}"))
                .to_owned()
        };

        let r = api.raw("GET", &path("authorization_endpoint"), &[], "");
        assert_shown(&r);

        let r = api.post_form(
            &path("token_endpoint"),
            &[],
            "grant_type=client_credentials",
        );
        assert!(matches!(r.status, 400 | 401), "{r:?}");
        assert!(r.json()["error"].is_string(), "{r:?}");

        let r = api.post_form(&path("revocation_endpoint"), &[], "token=whatever");
        assert!(matches!(r.status, 400 | 401), "{r:?}");
        assert!(r.json()["error"].is_string(), "{r:?}");

        let r = api.post_form(&path("introspection_endpoint"), &[], "token=whatever");
        json_error(&r, 401, "invalid_client");

        let registration = path("registration_endpoint");
        let body = json!({"redirect_uris": [CB], "client_name": "Found"});
        let r = api.send("POST", &registration, None, body.clone());
        assert_eq!(r.status, 401, "{r:?}");
        let r = api.admin("POST", &registration, body);
        assert_eq!(r.status, 201, "{r:?}");
        let id = s(&r.json()["client_id"]);
        let r = api.admin_query(
            "GET",
            &format!("{prefix}/oauth2/clients/by-id?client_id={id}"),
        );
        assert_eq!(r.status, 200, "registered in its own tenant: {r:?}");
    }
}

// ---------------------------------------------------------------------
// The browser flow, without a browser.

/// `GET /oauth2/authorize` with `params` and, when given, `cookie`.
fn get_authorize(
    api: &Api,
    prefix: &str,
    params: &[(String, String)],
    cookie: Option<&str>,
) -> Reply {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    api.raw(
        "GET",
        &format!("{prefix}/oauth2/authorize?{}", form(params)),
        &headers,
        "",
    )
}

/// The page's CSRF cookie value.
fn csrf_of(page: &Reply) -> String {
    let (value, _) =
        set_cookie(page, "moth_oauth_csrf").unwrap_or_else(|| panic!("no CSRF cookie: {page:?}"));
    assert!(!value.is_empty(), "{page:?}");
    value
}

/// `POST /oauth2/authorize` with `params` plus `extra` and `cookie`.
fn post_authorize(
    api: &Api,
    params: &[(String, String)],
    extra: &[(&str, &str)],
    cookie: Option<&str>,
) -> Reply {
    let mut all = params.to_vec();
    all.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    api.post_form("/oauth2/authorize", &headers, &form(&all))
}

#[test]
fn the_authorization_page_is_locked_down_and_sets_a_csrf_cookie() {
    let w = world();
    let state = "st&te=1 2/3";
    let params = authz(&w.id, CB, "read", state);
    let r = get_authorize(&w.api, "", &params, None);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{r:?}"
    );
    assert_csp(&r);
    assert_eq!(
        r.header("x-frame-options")
            .map(str::to_ascii_uppercase)
            .as_deref(),
        Some("DENY"),
        "{r:?}"
    );
    assert!(
        r.header("cache-control")
            .unwrap_or_default()
            .contains("no-store"),
        "{r:?}"
    );
    let (csrf, attrs) = set_cookie(&r, "moth_oauth_csrf").expect("a CSRF cookie");
    assert!(csrf.len() >= 16, "a random CSRF token: {csrf:?}");

    let html = &r.body;
    let lower = html.to_ascii_lowercase();
    assert!(lower.contains("<form"), "{html}");
    assert!(lower.contains("method=\"post\""), "{html}");
    assert!(html.contains("/oauth2/authorize\""), "{html}");
    assert_eq!(
        input_value(html, "csrf").as_deref(),
        Some(csrf.as_str()),
        "{html}"
    );
    for (k, v) in &params {
        assert_eq!(
            input_value(html, k).as_deref(),
            Some(v.as_str()),
            "{k} in {html}"
        );
    }
    assert!(html.contains("name=\"username\""), "{html}");
    assert!(html.contains("name=\"password\""), "{html}");
    assert!(html.contains("name=\"decision\""), "{html}");
    assert!(html.contains("value=\"allow\""), "{html}");
    assert!(html.contains("value=\"deny\""), "{html}");
    assert!(html.contains("Web"), "the client's name is shown: {html}");
    // Each page its own token.
    let again = get_authorize(&w.api, "", &params, None);
    assert_ne!(csrf_of(&again), csrf, "a fresh CSRF token per page");
    // Last, so that the rest is checked whatever this says.
    // The OAuth routes' own path: no other route sees the cookie.
    for a in ["httponly", "samesite=strict", "path=/oauth2/"] {
        assert!(attrs.iter().any(|x| x == a), "{a} missing in {attrs:?}");
    }
}

#[test]
fn a_form_post_without_the_csrf_cookie_or_field_is_refused() {
    let w = world();
    let params = authz(&w.id, CB, "read", "xyz");
    let csrf = csrf_of(&get_authorize(&w.api, "", &params, None));
    let cookie = format!("moth_oauth_csrf={csrf}");
    let login = [
        ("username", "ann"),
        ("password", "pw"),
        ("decision", "allow"),
    ];
    let other = format!("moth_oauth_csrf={csrf}x");
    for (extra_csrf, cookie) in [
        (Some(csrf.as_str()), None),
        (None, Some(cookie.as_str())),
        (Some("forged"), Some(cookie.as_str())),
        (Some(csrf.as_str()), Some(other.as_str())),
        (Some(""), Some("moth_oauth_csrf=")),
    ] {
        let mut extra = login.to_vec();
        if let Some(c) = extra_csrf {
            extra.push(("csrf", c));
        }
        let r = post_authorize(&w.api, &params, &extra, cookie);
        assert_eq!(r.status, 403, "{extra_csrf:?} {cookie:?}: {r:?}");
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("text/html"),
            "{r:?}"
        );
        assert!(r.header("location").is_none(), "{r:?}");
        assert!(set_cookie(&r, "moth_oauth_session").is_none(), "{r:?}");
    }
    // The user gave no consent.
    let r = w
        .api
        .holder("GET", "/oauth2/consents", &w.session, json!({}));
    assert_eq!((r.status, r.json()), (200, json!([])), "{r:?}");
}

#[test]
fn a_wrong_password_shows_the_form_again_with_401() {
    let w = world();
    let params = authz(&w.id, CB, "read", "xyz");
    let page = get_authorize(&w.api, "", &params, None);
    let mut csrf = csrf_of(&page);
    let r = post_authorize(
        &w.api,
        &params,
        &[
            ("csrf", &csrf),
            ("username", "ann"),
            ("password", "Wr0ng-pa55word-marker"),
            ("decision", "allow"),
        ],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{r:?}"
    );
    assert!(r.header("location").is_none(), "{r:?}");
    assert!(set_cookie(&r, "moth_oauth_session").is_none(), "{r:?}");
    assert!(
        r.body.contains("name=\"password\""),
        "the form again: {r:?}"
    );
    assert!(
        !r.body.contains("Wr0ng-pa55word-marker"),
        "the password is not echoed: {r:?}"
    );
    // The form works from there (with a fresh CSRF token, if it has one).
    if let Some((c, _)) = set_cookie(&r, "moth_oauth_csrf") {
        csrf = c;
    }
    let form_csrf = input_value(&r.body, "csrf").unwrap_or_else(|| csrf.clone());
    assert_eq!(form_csrf, csrf, "the form's token is the cookie's");
    let r = post_authorize(
        &w.api,
        &params,
        &[
            ("csrf", &csrf),
            ("username", "ann"),
            ("password", "pw"),
            ("decision", "allow"),
        ],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    let back = redirected(&r, CB);
    assert!(param(&back, "code").is_some(), "{back:?}");
}

#[test]
fn redirect_statuses() {
    // RFC 6749 §4.1.2.1 answers the authorization request with a 302.
    let w = world();
    let mut params = authz(&w.id, CB, "read", "s");
    params[0].1 = "token".into();
    let r = get_authorize(&w.api, "", &params, None);
    assert_eq!(r.status, 302, "{r:?}");
    // After the page's POST, 303: the browser follows with a GET
    // (RFC 9700 §4.11), never re-posting the password.
    let params = authz(&w.id, CB, "read", "s");
    let csrf = csrf_of(&get_authorize(&w.api, "", &params, None));
    let r = post_authorize(
        &w.api,
        &params,
        &[("csrf", &csrf), ("decision", "deny")],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    assert_eq!(r.status, 303, "{r:?}");
}

#[test]
fn deny_redirects_access_denied_with_state_and_iss() {
    let w = world();
    let state = "a b&c";
    let params = authz(&w.id, CB, "read", state);
    let csrf = csrf_of(&get_authorize(&w.api, "", &params, None));
    let r = post_authorize(
        &w.api,
        &params,
        &[("csrf", &csrf), ("decision", "deny")],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    let back = redirected(&r, CB);
    assert_redirected_error(&back, "access_denied", Some(state), &w.api.issuer(""));
    let r = w
        .api
        .holder("GET", "/oauth2/consents", &w.session, json!({}));
    assert_eq!((r.status, r.json()), (200, json!([])), "{r:?}");
}

#[test]
fn allow_redirects_with_a_code_that_exchanges_with_pkce_and_the_session_skips_the_page() {
    let w = world();
    let api = &w.api;
    let issuer = s(&api
        .raw("GET", "/.well-known/oauth-authorization-server", &[], "")
        .json()["issuer"]);
    let state = "xyz";
    let params = authz(&w.id, CB, "read", state);
    let csrf = csrf_of(&get_authorize(api, "", &params, None));
    let r = post_authorize(
        api,
        &params,
        &[
            ("csrf", &csrf),
            ("username", "ann"),
            ("password", "pw"),
            ("decision", "allow"),
        ],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    let back = redirected(&r, CB);
    assert_eq!(param(&back, "state").as_deref(), Some(state), "{back:?}");
    assert_eq!(param(&back, "iss"), Some(issuer), "RFC 9207: {back:?}");
    assert_eq!(param(&back, "error"), None, "{back:?}");
    let code = param(&back, "code").expect("a code");
    let (session, attrs) = set_cookie(&r, "moth_oauth_session").expect("a session cookie");
    assert!(!session.is_empty());

    // The code, by client_secret_basic with the verifier.
    let t = tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    assert_eq!(t["scope"], "read", "{t}");
    assert!(t["refresh_token"].is_string(), "{t}");
    let info = api.introspect("", &s(&t["access_token"]));
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["sub"], w.ann.to_string(), "{info}");
    assert_eq!(info["username"], "ann", "{info}");
    assert_eq!(info["client_id"], w.id.as_str(), "{info}");

    // Back with the session cookie: consent covers `read`, so no page.
    let cookie = format!("moth_oauth_session={session}");
    let again = authz(&w.id, CB, "read", "second");
    let r = get_authorize(api, "", &again, Some(&cookie));
    let back = redirected(&r, CB);
    assert_eq!(param(&back, "state").as_deref(), Some("second"));
    assert_eq!(param(&back, "iss"), Some(api.issuer("")));
    let code = param(&back, "code").expect("a code");
    tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    // A wider scope needs consent: the page, without the login fields.
    let wider = authz(&w.id, CB, "read write", "third");
    let r = get_authorize(api, "", &wider, Some(&cookie));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        !r.body.contains("name=\"password\""),
        "already logged in: {r:?}"
    );
    let csrf = csrf_of(&r);
    let r = post_authorize(
        api,
        &wider,
        &[("csrf", &csrf), ("decision", "allow")],
        Some(&format!("{cookie}; moth_oauth_csrf={csrf}")),
    );
    let back = redirected(&r, CB);
    let code = param(&back, "code").expect("a code");
    let t = tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    assert_eq!(t["scope"], "read write", "{t}");
    // Last, so that the rest is checked whatever this says.
    for a in ["httponly", "samesite=lax", "path=/oauth2/"] {
        assert!(attrs.iter().any(|x| x == a), "{a} missing in {attrs:?}");
    }
}

/// Whether a cookie with `Path=cookie_path` is sent with a request for
/// `request_path` (RFC 6265 §5.1.4).
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    cookie_path == request_path
        || request_path
            .strip_prefix(cookie_path)
            .is_some_and(|rest| cookie_path.ends_with('/') || rest.starts_with('/'))
}

/// The `Path` attribute among a cookie's `attrs` (`/` when none: the
/// default-path of RFC 6265 §5.1.4 would be the request's directory).
fn cookie_path(attrs: &[String]) -> Option<String> {
    attrs
        .iter()
        .find_map(|a| a.strip_prefix("path=").map(str::to_owned))
}

#[test]
fn the_browser_flow_works_in_a_tenant_as_a_browser_would_send_cookies() {
    let api = Api::start();
    api.tenant("acme");
    let ann = api.user_in("/t/acme", "ann");
    let (id, secret) = api.web("/t/acme");
    let issuer = s(&api
        .raw(
            "GET",
            "/t/acme/.well-known/oauth-authorization-server",
            &[],
            "",
        )
        .json()["issuer"]);
    let params = authz(&id, CB, "read", "xyz");
    let page = get_authorize(&api, "/t/acme", &params, None);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("/t/acme/oauth2/authorize\""),
        "the form posts to the tenant: {page:?}"
    );
    let (csrf, attrs) = set_cookie(&page, "moth_oauth_csrf").expect("a CSRF cookie");
    let mut all = params.clone();
    all.extend(
        [
            ("csrf", csrf.as_str()),
            ("username", "ann"),
            ("password", "pw"),
            ("decision", "allow"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let r = api.post_form(
        "/t/acme/oauth2/authorize",
        &[("Cookie", &format!("moth_oauth_csrf={csrf}"))],
        &form(&all),
    );
    let back = redirected(&r, CB);
    assert_eq!(param(&back, "iss"), Some(issuer), "{back:?}");
    let code = param(&back, "code").expect("a code");
    let t = tokens(&api.exchange("/t/acme", &id, &secret, &code, CB));
    let info = api.introspect("/t/acme", &s(&t["access_token"]));
    assert_eq!(info["sub"], ann.to_string(), "{info}");
    let (_, session_attrs) = set_cookie(&r, "moth_oauth_session").expect("a session cookie");
    // A browser sends the cookies back to the tenant's form only if their
    // paths cover it.
    for (name, attrs) in [
        ("moth_oauth_csrf", &attrs),
        ("moth_oauth_session", &session_attrs),
    ] {
        let path = cookie_path(attrs).unwrap_or_else(|| "/".to_owned());
        assert!(
            path_matches(&path, "/t/acme/oauth2/authorize"),
            "{name} has Path={path}: a browser would not send it to /t/acme/oauth2/authorize"
        );
    }
}

#[test]
fn client_secret_post_and_public_clients_and_two_methods_at_once() {
    let api = Api::start();
    api.user_in("", "ann");
    let session = api.login_in("", "ann");
    assert_eq!(
        base64(b"Aladdin:open sesame"),
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "RFC 7617's example"
    );
    let v = api.register(
        "",
        json!({"redirect_uris": [CB], "client_name": "Poster", "scope": "read",
               "token_endpoint_auth_method": "client_secret_post"}),
    );
    let (id, secret) = (s(&v["client_id"]), s(&v["client_secret"]));

    let code = api.code("", &session, &id, CB, "read");
    let t = tokens(&api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    ));
    assert_eq!(t["scope"], "read", "{t}");
    assert!(
        t.get("refresh_token").is_none_or(Value::is_null),
        "no refresh grant: {t}"
    );

    // Both methods at once.
    let code = api.code("", &session, &id, CB, "read");
    let r = api.token(
        "",
        Some(&basic(&id, &secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    );
    oauth_error(&r, 400, "invalid_request");

    // A public client: client_id alone, PKCE required at the exchange.
    let public = api.public("");
    let code = api.code("", &session, &public, CB, "read");
    let r = api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &"x".repeat(43)),
            ("client_id", &public),
        ],
    );
    oauth_error(&r, 400, "invalid_grant");
    let code = api.code("", &session, &public, CB, "read");
    let t = tokens(&api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &public),
        ],
    ));
    assert_eq!(t["scope"], "read", "{t}");
    // A public client offering a secret does not authenticate.
    let code = api.code("", &session, &public, CB, "read");
    let r = api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &public),
            ("client_secret", "made-up"),
        ],
    );
    oauth_error(&r, 401, "invalid_client");
}

// ---------------------------------------------------------------------
// Authorization errors: shown or redirected.

#[test]
fn unknown_clients_and_unregistered_redirect_uris_are_shown_never_redirected() {
    let w = world();
    let unknown = "0123456789abcdef0123456789abcdef";
    let mut cases: Vec<Vec<(String, String)>> = vec![
        authz(unknown, CB, "read", "xyz"),
        authz(&w.id, "https://evil.example/cb", "read", "xyz"),
        authz(&w.id, "https://app.example/cb/extra", "read", "xyz"),
        authz(&w.id, "https://app.example/c", "read", "xyz"),
    ];
    let mut no_client = authz(&w.id, CB, "read", "xyz");
    no_client.retain(|(k, _)| k != "client_id");
    cases.push(no_client);
    let mut dup_client = authz(&w.id, CB, "read", "xyz");
    dup_client.push(("client_id".into(), w.id.clone()));
    cases.push(dup_client);
    let mut dup_redirect = authz(&w.id, CB, "read", "xyz");
    dup_redirect.push(("redirect_uri".into(), CB2.into()));
    cases.push(dup_redirect);
    // The web client has two redirect URIs: it must name one.
    let mut no_redirect = authz(&w.id, CB, "read", "xyz");
    no_redirect.retain(|(k, _)| k != "redirect_uri");
    cases.push(no_redirect);
    for params in &cases {
        let r = get_authorize(&w.api, "", params, None);
        assert_shown(&r);
        // And the headless completion says so in JSON.
        let mut body = serde_json::Map::new();
        for (k, v) in params {
            body.insert(k.clone(), Value::String(v.clone()));
        }
        if params
            .iter()
            .filter(|(k, _)| k == "client_id" || k == "redirect_uri")
            .count()
            > 2
        {
            continue; // JSON cannot repeat a key.
        }
        let r = w.api.complete("", &w.session, Value::Object(body));
        assert_eq!(r.status, 400, "{params:?}: {r:?}");
        assert!(r.json()["error"].is_string(), "{r:?}");
        assert!(r.json().get("redirect_to").is_none(), "{r:?}");
    }
    // The form POST as well.
    let params = authz(&w.id, "https://evil.example/cb", "read", "xyz");
    let csrf = csrf_of(&get_authorize(
        &w.api,
        "",
        &authz(&w.id, CB, "read", "x"),
        None,
    ));
    let r = post_authorize(
        &w.api,
        &params,
        &[
            ("csrf", &csrf),
            ("username", "ann"),
            ("password", "pw"),
            ("decision", "allow"),
        ],
        Some(&format!("moth_oauth_csrf={csrf}")),
    );
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.header("location").is_none(), "{r:?}");
}

#[test]
fn other_authorization_errors_are_redirected_with_state_and_iss() {
    let w = world();
    let api = &w.api;
    let issuer = api.issuer("");
    let public = api.public("");
    let v = api.register(
        "",
        json!({"redirect_uris": [CB], "client_name": "Batch",
               "grant_types": ["client_credentials"], "scope": "svc"}),
    );
    let machine = s(&v["client_id"]);

    let with = |mut p: Vec<(String, String)>, k: &str, v: Option<&str>| {
        p.retain(|(n, _)| n != k);
        if let Some(v) = v {
            p.push((k.to_owned(), v.to_owned()));
        }
        p
    };
    let base = authz(&w.id, CB, "read", "xyz");
    let public_base = authz(&public, CB, "read", "xyz");
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (
            with(base.clone(), "response_type", Some("token")),
            "unsupported_response_type",
        ),
        (
            with(base.clone(), "response_type", Some("code token")),
            "unsupported_response_type",
        ),
        (with(base.clone(), "response_type", None), "invalid_request"),
        (with(base.clone(), "scope", Some("admin")), "invalid_scope"),
        (
            with(base.clone(), "scope", Some("read admin")),
            "invalid_scope",
        ),
        (
            with(base.clone(), "code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (
            with(public_base.clone(), "code_challenge", None),
            "invalid_request",
        ),
        (
            with(
                with(public_base.clone(), "code_challenge", None),
                "code_challenge_method",
                None,
            ),
            "invalid_request",
        ),
        (
            {
                let mut p = base.clone();
                p.push(("scope".into(), "write".into()));
                p
            },
            "invalid_request",
        ),
        (authz(&machine, CB, "svc", "xyz"), "unauthorized_client"),
    ];
    for (params, code) in &cases {
        let r = get_authorize(api, "", params, None);
        let back = redirected(&r, CB);
        assert_redirected_error(&back, code, Some("xyz"), &issuer);
        // The headless completion names the same redirect.
        if params.iter().filter(|(k, _)| k == "scope").count() > 1 {
            continue;
        }
        let mut body = serde_json::Map::new();
        for (k, v) in params {
            body.insert(k.clone(), Value::String(v.clone()));
        }
        let r = api.complete("", &w.session, Value::Object(body));
        assert_eq!(r.status, 200, "{params:?}: {r:?}");
        let to = s(&r.json()["redirect_to"]);
        assert!(to.starts_with(&format!("{CB}?")), "{to}");
        assert_redirected_error(&query(&to), code, Some("xyz"), &issuer);
    }
    // Without a state, none comes back.
    let no_state = with(with(base.clone(), "state", None), "scope", Some("admin"));
    let r = get_authorize(api, "", &no_state, None);
    let back = redirected(&r, CB);
    assert_redirected_error(&back, "invalid_scope", None, &issuer);
}

#[test]
fn headless_completion_needs_the_session_token() {
    let w = world();
    let api = &w.api;
    let body = authz_json(&w.id, CB, "read", "xyz");
    let path = "/oauth2/authorize/complete";
    let r = api.send("POST", path, None, body.clone());
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.send(
        "POST",
        path,
        Some("Bearer not-a-session-token"),
        body.clone(),
    );
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.send("POST", path, Some(ADMIN_BEARER), body.clone());
    assert_eq!(r.status, 401, "the admin key is no user: {r:?}");

    // As Bearer.
    let code = api.code("", &w.session, &w.id, CB, "read");
    tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    // As `token` in the body.
    let mut with_token = body.clone();
    with_token["token"] = json!(w.session);
    let r = api.send("POST", path, None, with_token);
    assert_eq!(r.status, 200, "{r:?}");
    let to = s(&r.json()["redirect_to"]);
    let back = query(&to);
    assert_eq!(param(&back, "iss"), Some(api.issuer("")));
    let code = param(&back, "code").expect("a code");
    tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    // Deny.
    let mut deny = body.clone();
    deny["decision"] = json!("deny");
    let r = api.complete("", &w.session, deny);
    assert_eq!(r.status, 200, "{r:?}");
    let to = s(&r.json()["redirect_to"]);
    assert!(to.starts_with(&format!("{CB}?")), "{to}");
    assert_redirected_error(&query(&to), "access_denied", Some("xyz"), &api.issuer(""));
    // A logged-out session is no session.
    let r = api.send("DELETE", "/logout", None, json!({"token": w.session}));
    assert!(r.status < 300, "{r:?}");
    let r = api.complete("", &w.session, body);
    assert_eq!(r.status, 401, "{r:?}");
}

// ---------------------------------------------------------------------
// The token endpoint.

#[test]
fn a_replayed_code_is_invalid_grant_and_revokes_its_tokens() {
    let w = world();
    let api = &w.api;
    let code = w.code("read");
    let t = tokens(&api.exchange("", &w.id, &w.secret, &code, CB));
    let access = s(&t["access_token"]);
    let refresh = s(&t["refresh_token"]);
    assert!(api.active("", &access));
    let r = api.exchange("", &w.id, &w.secret, &code, CB);
    oauth_error(&r, 400, "invalid_grant");
    assert_eq!(api.introspect("", &access), json!({"active": false}));
    assert_eq!(api.introspect("", &refresh), json!({"active": false}));
    oauth_error(&w.refresh(&refresh, None), 400, "invalid_grant");
}

#[test]
fn refresh_tokens_rotate_and_a_reused_one_revokes_the_grant() {
    let w = world();
    let api = &w.api;
    let t = w.tokens("read write");
    let (a1, r1) = (s(&t["access_token"]), s(&t["refresh_token"]));

    // Narrower, never wider.
    let t2 = tokens(&w.refresh(&r1, Some("read")));
    let (a2, r2) = (s(&t2["access_token"]), s(&t2["refresh_token"]));
    assert_ne!(r2, r1, "rotated");
    assert_ne!(a2, a1);
    assert_eq!(t2["scope"], "read", "{t2}");
    let info = api.introspect("", &r2);
    assert_eq!(info["token_type"], "refresh_token", "{info}");
    assert_eq!(info["active"], true, "{info}");
    oauth_error(&w.refresh(&r2, Some("read admin")), 400, "invalid_scope");
    // Empty parameters count as absent: the grant's scopes.
    let t3 = tokens(&w.refresh(&r2, Some("")));
    let (a3, r3) = (s(&t3["access_token"]), s(&t3["refresh_token"]));
    assert_eq!(t3["scope"], "read write", "{t3}");

    // Another client cannot use it.
    let (other, other_secret) = api.web("");
    let r = api.token(
        "",
        Some(&basic(&other, &other_secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", &r3)],
    );
    oauth_error(&r, 400, "invalid_grant");

    // R1 again: stolen; the whole grant goes.
    assert!(api.active("", &a3));
    oauth_error(&w.refresh(&r1, None), 400, "invalid_grant");
    for t in [&a1, &a2, &a3, &r2, &r3] {
        assert_eq!(api.introspect("", t), json!({"active": false}), "{t}");
    }
    oauth_error(&w.refresh(&r3, None), 400, "invalid_grant");
}

#[test]
fn a_refresh_grace_interval_lets_concurrent_refreshes_all_succeed_and_no_longer() {
    let w = world();
    let api = &w.api;
    let r = api.admin("PATCH", "/oauth2/lifetimes", json!({"refresh_grace": 10}));
    assert_eq!(r.status, 200, "{r:?}");
    let t = w.tokens("read");
    let r0 = s(&t["refresh_token"]);

    // Four refreshes with one token at once: every one gets tokens.
    let answers: Vec<Value> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| tokens(&w.refresh(&r0, None))))
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let siblings: Vec<String> = answers.iter().map(|t| s(&t["refresh_token"])).collect();
    let mut distinct = siblings.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "each its own: {siblings:?}");
    for t in &answers {
        assert!(api.active("", &s(&t["access_token"])), "{t}");
    }
    for r in &siblings {
        assert_eq!(api.introspect("", r)["active"], true, "{r}");
    }

    // The client keeps one of them and goes on; a retry of that refresh
    // within the interval succeeds too.
    let next = tokens(&w.refresh(&siblings[2], None));
    let r_next = s(&next["refresh_token"]);
    api.clock.advance(5);
    let late = tokens(&w.refresh(&siblings[2], None));
    assert!(api.active("", &s(&late["access_token"])));
    api.clock.advance(6);
    // Past the grace interval, the used token is a replay: the grant goes.
    oauth_error(&w.refresh(&siblings[2], None), 400, "invalid_grant");
    for t in [
        &r_next,
        &s(&late["refresh_token"]),
        &s(&next["access_token"]),
    ] {
        assert_eq!(api.introspect("", t), json!({"active": false}), "{t}");
    }

    // A sibling left unused when another was used is a replay at once.
    let t = w.tokens("read");
    let r0 = s(&t["refresh_token"]);
    let first = s(&tokens(&w.refresh(&r0, None))["refresh_token"]);
    let second = s(&tokens(&w.refresh(&r0, None))["refresh_token"]);
    let kept = tokens(&w.refresh(&first, None));
    oauth_error(&w.refresh(&second, None), 400, "invalid_grant");
    assert_eq!(
        api.introspect("", &s(&kept["refresh_token"])),
        json!({"active": false})
    );
}

#[test]
fn without_a_grace_interval_one_of_two_concurrent_refreshes_wins_and_replay_revokes() {
    let w = world();
    let api = &w.api;
    let t = w.tokens("read");
    let r0 = s(&t["refresh_token"]);
    let answers: Vec<Reply> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| w.refresh(&r0, None)))
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<&Reply> = answers.iter().filter(|r| r.status == 200).collect();
    assert!(won.len() <= 1, "{answers:?}");
    for r in answers.iter().filter(|r| r.status != 200) {
        oauth_error(r, 400, "invalid_grant");
    }
    // Whichever order they ran in, the grant is now revoked: the token was
    // presented twice.
    for r in won {
        let t = tokens(r);
        assert_eq!(
            api.introspect("", &s(&t["refresh_token"])),
            json!({"active": false}),
            "{t}"
        );
    }
}

#[test]
fn client_credentials_issues_an_access_token_without_a_refresh_token() {
    let w = world();
    let api = &w.api;
    let (machine, secret) = api.machine("");
    let now = api.clock.secs();
    let lifetimes = api.admin_query("GET", "/oauth2/lifetimes").json();
    let t = tokens(&api.token(
        "",
        Some(&basic(&machine, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "svc")],
    ));
    assert_eq!(t["scope"], "svc", "{t}");
    assert_eq!(t["expires_in"], lifetimes["access"], "{t}");
    assert!(
        t.get("refresh_token").is_none_or(Value::is_null),
        "RFC 6749 §4.4.3: {t}"
    );
    let info = api.introspect("", &s(&t["access_token"]));
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["client_id"], machine.as_str(), "{info}");
    assert_eq!(info["token_type"], "Bearer", "{info}");
    assert_eq!(info["scope"], "svc", "{info}");
    assert_eq!(info["iss"], api.issuer("").as_str(), "{info}");
    assert_eq!(info["iat"], now, "{info}");
    assert_eq!(
        info["exp"].as_u64(),
        Some(now + t["expires_in"].as_u64().unwrap()),
        "{info}"
    );
    assert!(
        info.get("sub").is_none_or(Value::is_null),
        "no user: {info}"
    );
    assert!(
        info.get("username").is_none_or(Value::is_null),
        "no user: {info}"
    );

    // By client_secret_post, with the scope empty (so absent).
    let t = tokens(&api.token(
        "",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &machine),
            ("client_secret", &secret),
            ("scope", ""),
        ],
    ));
    assert_eq!(t["scope"], "svc", "{t}");
    let r = api.token(
        "",
        Some(&basic(&machine, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "svc other")],
    );
    oauth_error(&r, 400, "invalid_scope");
    // A client not registered for it.
    let r = api.token(
        "",
        Some(&basic(&w.id, &w.secret)),
        &[("grant_type", "client_credentials")],
    );
    oauth_error(&r, 400, "unauthorized_client");
    let public = api.public("");
    let r = api.token(
        "",
        None,
        &[("grant_type", "client_credentials"), ("client_id", &public)],
    );
    assert!(matches!(r.status, 400 | 401), "{r:?}");
    assert!(
        ["unauthorized_client", "invalid_client"]
            .contains(&r.json()["error"].as_str().unwrap_or("")),
        "{r:?}"
    );
    assert_no_store(&r);
}

#[test]
fn invalid_client_is_401_with_www_authenticate() {
    let w = world();
    let api = &w.api;
    let unknown = "0123456789abcdef0123456789abcdef";
    let cc = [("grant_type", "client_credentials")];
    for auth in [
        basic(&w.id, "wrong-secret"),
        basic(unknown, &w.secret),
        basic(&w.id, ""),
        "Basic !!!not-base64!!!".to_owned(),
        format!("Basic {}", base64(b"no-colon-here")),
    ] {
        oauth_error(&api.token("", Some(&auth), &cc), 401, "invalid_client");
    }
    for pairs in [
        vec![("client_id", w.id.as_str()), ("client_secret", "wrong")],
        vec![("client_id", unknown), ("client_secret", w.secret.as_str())],
        // A confidential client without its secret.
        vec![("client_id", w.id.as_str())],
    ] {
        let mut all = cc.to_vec();
        all.extend(pairs);
        oauth_error(&api.token("", None, &all), 401, "invalid_client");
    }
    // With no client at all.
    let code = w.code("read");
    let r = api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
    );
    assert!(matches!(r.status, 400 | 401), "{r:?}");
    assert_no_store(&r);
    if r.status == 401 {
        oauth_error(&r, 401, "invalid_client");
    } else {
        oauth_error(&r, 400, "invalid_request");
    }
}

#[test]
fn unsupported_grant_types_and_malformed_token_requests() {
    let w = world();
    let api = &w.api;
    let auth = basic(&w.id, &w.secret);
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "nope",
    ] {
        let r = api.token("", Some(&auth), &[("grant_type", grant)]);
        oauth_error(&r, 400, "unsupported_grant_type");
    }
    // grant_type missing or empty.
    oauth_error(&api.token("", Some(&auth), &[]), 400, "invalid_request");
    oauth_error(
        &api.token("", Some(&auth), &[("grant_type", "")]),
        400,
        "invalid_request",
    );
    // A required parameter missing, or empty.
    oauth_error(
        &api.token("", Some(&auth), &[("grant_type", "authorization_code")]),
        400,
        "invalid_request",
    );
    oauth_error(
        &api.token(
            "",
            Some(&auth),
            &[("grant_type", "refresh_token"), ("refresh_token", "")],
        ),
        400,
        "invalid_request",
    );

    // A repeated parameter, whichever.
    let code = w.code("read");
    for repeated in ["grant_type", "code", "redirect_uri", "code_verifier"] {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ];
        let again = *pairs.iter().find(|(k, _)| *k == repeated).unwrap();
        pairs.push(again);
        oauth_error(&api.token("", Some(&auth), &pairs), 400, "invalid_request");
    }
    let r = api.post_form(
        "/oauth2/token",
        &[],
        &form(&[
            ("grant_type", "client_credentials"),
            ("client_id", w.id.as_str()),
            ("client_id", w.id.as_str()),
            ("client_secret", w.secret.as_str()),
        ]),
    );
    oauth_error(&r, 400, "invalid_request");

    // Parameters in the URL are refused, the secret most of all.
    let r = api.post_form(
        &format!(
            "/oauth2/token?{}",
            form(&[
                ("client_id", w.id.as_str()),
                ("client_secret", w.secret.as_str())
            ])
        ),
        &[],
        &form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ]),
    );
    oauth_error(&r, 400, "invalid_request");
    assert!(!r.body.contains(&w.secret), "{r:?}");
    let r = api.post_form(
        &format!(
            "/oauth2/token?{}",
            form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ])
        ),
        &[("Authorization", &auth)],
        "",
    );
    oauth_error(&r, 400, "invalid_request");
    // Only forms: not JSON.
    let r = api.raw(
        "POST",
        "/oauth2/token",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CB,
                "code_verifier": VERIFIER})
        .to_string(),
    );
    assert!(matches!(r.status, 400 | 415), "{r:?}");
    assert_no_store(&r);
    // None of that spent the code... or if it did, it said nothing of it.
    let r = api.exchange("", &w.id, &w.secret, &code, CB);
    assert!(matches!(r.status, 200 | 400), "{r:?}");
    assert_no_store(&r);
}

#[test]
fn revocation_answers_200_for_any_token_and_a_refresh_token_takes_its_access_token() {
    let w = world();
    let api = &w.api;
    let auth = basic(&w.id, &w.secret);
    let revoke =
        |headers: &[(&str, &str)], body: &str| api.post_form("/oauth2/revoke", headers, body);
    for body in [
        form(&[("token", "no-such-token")]),
        form(&[
            ("token", "no-such-token"),
            ("token_type_hint", "refresh_token"),
        ]),
        form(&[("token", "no-such-token"), ("token_type_hint", "nonsense")]),
    ] {
        let r = revoke(&[("Authorization", &auth)], &body);
        assert_eq!((r.status, r.body.as_str()), (200, ""), "{body}: {r:?}");
    }
    let r = revoke(&[("Authorization", &auth)], "");
    json_error(&r, 400, "invalid_request");
    let r = revoke(
        &[("Authorization", &basic(&w.id, "wrong"))],
        &form(&[("token", "x")]),
    );
    json_error(&r, 401, "invalid_client");
    let r = revoke(
        &[],
        &form(&[
            ("token", "x"),
            ("client_id", &w.id),
            ("client_secret", "wrong"),
        ]),
    );
    json_error(&r, 401, "invalid_client");

    // An access token alone.
    let t = w.tokens("read");
    let (access, refresh) = (s(&t["access_token"]), s(&t["refresh_token"]));
    let r = revoke(
        &[("Authorization", &auth)],
        &form(&[
            ("token", access.as_str()),
            ("token_type_hint", "access_token"),
        ]),
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:?}");
    assert!(!api.active("", &access));
    // (RFC 7009 §2.1: the refresh token MAY go too; not asked here.)
    let _ = refresh;
    // A refresh token, and the grant's access tokens with it.
    let t2 = w.tokens("read");
    let (access2, refresh2) = (s(&t2["access_token"]), s(&t2["refresh_token"]));
    assert!(api.active("", &access2));
    let r = revoke(
        &[],
        &form(&[
            ("token", refresh2.as_str()),
            ("client_id", &w.id),
            ("client_secret", &w.secret),
        ]),
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:?}");
    assert_eq!(api.introspect("", &refresh2), json!({"active": false}));
    assert_eq!(api.introspect("", &access2), json!({"active": false}));
    oauth_error(&w.refresh(&refresh2, None), 400, "invalid_grant");
    // Again: still 200.
    let r = revoke(
        &[("Authorization", &auth)],
        &form(&[("token", refresh2.as_str())]),
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:?}");

    // Another client's token: left alone.
    let t = w.tokens("read");
    let access = s(&t["access_token"]);
    let (other, other_secret) = api.web("");
    let r = revoke(
        &[("Authorization", &basic(&other, &other_secret))],
        &form(&[("token", access.as_str())]),
    );
    // The note says 200 for any token; RFC 7009 §2.1 lets the server
    // refuse another client's token instead. Either way it stands.
    assert!(matches!(r.status, 200 | 400), "{r:?}");
    assert!(api.active("", &access), "not the other client's to revoke");
}

#[test]
fn introspection_needs_a_caller_and_inactive_is_exactly_active_false() {
    let w = world();
    let api = &w.api;
    let t = w.tokens("read");
    let access = s(&t["access_token"]);
    let body = form(&[("token", access.as_str())]);
    let path = "/oauth2/introspect";

    // Nobody, a wrong secret, a public client, a user's token: 401.
    let public = api.public("");
    for headers in [
        vec![],
        vec![("Authorization", basic(&w.id, "wrong"))],
        vec![("Authorization", basic(&public, ""))],
        vec![("Authorization", format!("Bearer {}", w.session))],
        vec![("Authorization", format!("Bearer {access}"))],
    ] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = api.post_form(path, &h, &body);
        json_error(&r, 401, "invalid_client");
        assert!(!r.body.contains("\"active\""), "{r:?}");
    }
    let r = api.post_form(
        path,
        &[],
        &form(&[("token", access.as_str()), ("client_id", public.as_str())]),
    );
    json_error(&r, 401, "invalid_client");

    // A confidential client by basic or post, or the admin key.
    let now = api.clock.secs();
    let by_basic = api.post_form(path, &[("Authorization", &basic(&w.id, &w.secret))], &body);
    assert_eq!(by_basic.status, 200, "{by_basic:?}");
    let by_post = api.post_form(
        path,
        &[],
        &form(&[
            ("token", access.as_str()),
            ("client_id", &w.id),
            ("client_secret", &w.secret),
        ]),
    );
    assert_eq!(by_post.status, 200, "{by_post:?}");
    let by_admin = api.introspect("", &access);
    assert_eq!(by_basic.json(), by_admin);
    assert_eq!(by_post.json(), by_admin);
    let v = by_admin;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["scope"], "read", "{v}");
    assert_eq!(v["client_id"], w.id.as_str(), "{v}");
    assert_eq!(v["token_type"], "Bearer", "{v}");
    assert_eq!(v["iat"], now, "{v}");
    assert_eq!(
        v["exp"].as_u64(),
        Some(now + t["expires_in"].as_u64().unwrap()),
        "{v}"
    );
    assert_eq!(v["iss"], api.issuer("").as_str(), "{v}");
    assert_eq!(v["sub"], w.ann.to_string(), "{v}");
    assert_eq!(v["username"], "ann", "{v}");

    // Inactive: exactly {"active":false}, whatever the reason.
    let expired = {
        let t = w.tokens("read");
        s(&t["access_token"])
    };
    api.clock.advance(t["expires_in"].as_u64().unwrap() + 1);
    for token in [
        "no-such-token".to_owned(),
        w.secret.clone(),
        w.session.clone(),
        access.clone(),
        expired,
    ] {
        let r = api.post_form(
            path,
            &[("Authorization", &basic(&w.id, &w.secret))],
            &form(&[("token", token.as_str())]),
        );
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.json(), json!({"active": false}), "{token}: {r:?}");
    }
    // Missing token.
    let r = api.post_form(path, &[("Authorization", ADMIN_BEARER)], "");
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn introspection_needs_authentication_even_without_an_admin_key() {
    // RFC 7662 §2.1: the endpoint MUST require some form of authorization.
    let api = Api::start_with(|c| c.admin_key = None);
    api.user_in("", "ann");
    let session = api.login_in("", "ann");
    let (id, secret) = api.web("");
    let code = api.code("", &session, &id, CB, "read");
    let t = tokens(&api.exchange("", &id, &secret, &code, CB));
    let body = form(&[("token", s(&t["access_token"]).as_str())]);
    let r = api.post_form("/oauth2/introspect", &[], &body);
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.json()["error"], "invalid_client", "{r:?}");
    let r = api.post_form(
        "/oauth2/introspect",
        &[("Authorization", &basic(&id, &secret))],
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["active"], true, "{r:?}");
}

#[test]
fn authorize_bearer_checks_token_and_scope_with_www_authenticate() {
    let w = world();
    let api = &w.api;
    let t = w.tokens("read");
    let (access, refresh) = (s(&t["access_token"]), s(&t["refresh_token"]));
    let path = "/oauth2/authorize-bearer";

    let r = api.holder("POST", path, &access, json!({"scope": "read"}));
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v, api.introspect("", &access), "as introspection says");
    // No scope required.
    let r = api.holder("POST", path, &access, json!({}));
    assert_eq!(r.status, 200, "{r:?}");

    // Missing scope: 403.
    for required in ["write", "read write"] {
        let r = api.holder("POST", path, &access, json!({"scope": required}));
        assert_eq!(r.status, 403, "{r:?}");
        assert_eq!(r.json(), json!({"error": "insufficient_scope"}), "{r:?}");
        assert_bearer_challenge(&r, &[("error", "insufficient_scope"), ("scope", required)]);
    }
    // Not an active access token: 401.
    for bad in [
        "no-such-token",
        refresh.as_str(),
        w.session.as_str(),
        w.secret.as_str(),
    ] {
        let r = api.holder("POST", path, bad, json!({"scope": "read"}));
        assert_eq!(r.status, 401, "{bad}: {r:?}");
        assert_eq!(r.json(), json!({"error": "invalid_token"}), "{r:?}");
        assert_bearer_challenge(&r, &[("error", "invalid_token")]);
    }
    // No token at all: 401 with the Bearer challenge (RFC 6750 §3).
    let r = api.send("POST", path, None, json!({"scope": "read"}));
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        r.header("www-authenticate")
            .unwrap_or_default()
            .starts_with("Bearer"),
        "{r:?}"
    );
    // Expired.
    api.clock.advance(t["expires_in"].as_u64().unwrap() + 1);
    let r = api.holder("POST", path, &access, json!({"scope": "read"}));
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.json(), json!({"error": "invalid_token"}), "{r:?}");
}

#[test]
fn authorize_bearer_takes_its_scope_as_a_form_too() {
    let w = world();
    let api = &w.api;
    let t = w.tokens("read");
    let bearer = format!("Bearer {}", s(&t["access_token"]));
    let path = "/oauth2/authorize-bearer";
    let r = api.post_form(path, &[("Authorization", &bearer)], "scope=read");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["active"], true, "{r:?}");
    let r = api.post_form(path, &[("Authorization", &bearer)], "scope=read%20write");
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.json(), json!({"error": "insufficient_scope"}), "{r:?}");
}

// ---------------------------------------------------------------------
// Consents.

#[test]
fn consents_are_listed_and_revoked_by_their_user_ending_the_tokens() {
    let w = world();
    let api = &w.api;
    let since = api.clock.secs();
    let t = w.tokens("read");
    let (access, refresh) = (s(&t["access_token"]), s(&t["refresh_token"]));

    let r = api.send("GET", "/oauth2/consents", None, json!({}));
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.holder("GET", "/oauth2/consents", "not-a-session", json!({}));
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.holder("GET", "/oauth2/consents", &w.session, json!({}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json(),
        json!([{"client_id": w.id, "client_name": "Web", "scope": "read", "since": since}]),
        "{r:?}"
    );
    // Another user sees none of it, and cannot revoke it.
    api.user_in("", "bob");
    let bob = api.login_in("", "bob");
    let r = api.holder("GET", "/oauth2/consents", &bob, json!({}));
    assert_eq!((r.status, r.json()), (200, json!([])), "{r:?}");
    let r = api.holder(
        "DELETE",
        "/oauth2/consents",
        &bob,
        json!({"client_id": w.id}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"revoked": false})),
        "{r:?}"
    );
    assert!(api.active("", &access));
    let r = api.send(
        "DELETE",
        "/oauth2/consents",
        None,
        json!({"client_id": w.id}),
    );
    assert_eq!(r.status, 401, "{r:?}");
    assert!(api.active("", &access));

    let r = api.holder(
        "DELETE",
        "/oauth2/consents",
        &w.session,
        json!({"client_id": w.id}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"revoked": true})),
        "{r:?}"
    );
    assert_eq!(api.introspect("", &access), json!({"active": false}));
    assert_eq!(api.introspect("", &refresh), json!({"active": false}));
    oauth_error(&w.refresh(&refresh, None), 400, "invalid_grant");
    let r = api.holder("GET", "/oauth2/consents", &w.session, json!({}));
    assert_eq!((r.status, r.json()), (200, json!([])), "{r:?}");
    let r = api.holder(
        "DELETE",
        "/oauth2/consents",
        &w.session,
        json!({"client_id": w.id}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"revoked": false})),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------
// Tenants.

#[test]
fn tenants_are_separate_issuers() {
    let api = Api::start();
    api.tenant("a");
    api.tenant("b");
    for prefix in ["", "/t/a", "/t/b"] {
        api.user_in(prefix, "ann");
    }
    let session_a = api.login_in("/t/a", "ann");
    let session_b = api.login_in("/t/b", "ann");
    let (id, secret) = api.web("/t/a");

    // Unknown in b and in the default tenant.
    for prefix in ["", "/t/b"] {
        let r = get_authorize(&api, prefix, &authz(&id, CB, "read", "xyz"), None);
        assert_shown(&r);
        let session = if prefix.is_empty() {
            api.login_in("", "ann")
        } else {
            session_b.clone()
        };
        let r = api.complete(prefix, &session, authz_json(&id, CB, "read", "xyz"));
        assert_eq!(r.status, 400, "{r:?}");
        let r = api.admin_query(
            "GET",
            &format!("{prefix}/oauth2/clients/by-id?client_id={id}"),
        );
        assert_eq!(r.status, 404, "{r:?}");
    }

    // The code of a, with a's issuer.
    let code = api.code("/t/a", &session_a, &id, CB, "read");
    for prefix in ["", "/t/b"] {
        oauth_error(
            &api.exchange(prefix, &id, &secret, &code, CB),
            401,
            "invalid_client",
        );
    }
    let t = tokens(&api.exchange("/t/a", &id, &secret, &code, CB));
    let access = s(&t["access_token"]);
    let info = api.introspect("/t/a", &access);
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["iss"], api.issuer("/t/a").as_str(), "{info}");
    for prefix in ["", "/t/b"] {
        assert_eq!(
            api.introspect(prefix, &access),
            json!({"active": false}),
            "{prefix}"
        );
        let r = api.holder(
            "POST",
            &format!("{prefix}/oauth2/authorize-bearer"),
            &access,
            json!({}),
        );
        assert_eq!(r.status, 401, "{prefix}: {r:?}");
    }
    let r = api.holder(
        "POST",
        "/t/a/oauth2/authorize-bearer",
        &access,
        json!({"scope": "read"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    // b's consents do not list a's.
    let r = api.holder("GET", "/t/b/oauth2/consents", &session_b, json!({}));
    assert_eq!((r.status, r.json()), (200, json!([])), "{r:?}");
    let r = api.holder("GET", "/t/a/oauth2/consents", &session_a, json!({}));
    assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{r:?}");
    // a's session is nobody in b.
    let (id_b, _) = api.web("/t/b");
    let r = api.complete("/t/b", &session_a, authz_json(&id_b, CB, "read", "xyz"));
    assert_eq!(r.status, 401, "{r:?}");
}

// ---------------------------------------------------------------------
// proauth2's flaws, as regression tests.

#[test]
fn errors_never_echo_secrets_or_codes() {
    let w = world();
    let api = &w.api;
    let secret_marker = "SECRETMARKER-f00dfeedbeef";
    let code_marker = "CODEMARKER-c0ffee";
    let responses = vec![
        api.token(
            "",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &w.id),
                ("client_secret", secret_marker),
            ],
        ),
        api.token(
            "",
            Some(&basic(&w.id, secret_marker)),
            &[("grant_type", "client_credentials")],
        ),
        api.exchange("", &w.id, &w.secret, code_marker, CB),
        w.refresh(code_marker, None),
        api.post_form(
            "/oauth2/revoke",
            &[("Authorization", &basic(&w.id, secret_marker))],
            &form(&[("token", code_marker)]),
        ),
        api.post_form(
            "/oauth2/introspect",
            &[("Authorization", &basic(&w.id, secret_marker))],
            &form(&[("token", code_marker)]),
        ),
    ];
    for r in &responses {
        assert!(r.status >= 400, "{r:?}");
        assert!(!r.body.contains(secret_marker), "the secret echoed: {r:?}");
        assert!(!r.body.contains(code_marker), "the code echoed: {r:?}");
        for (_, v) in &r.headers {
            assert!(
                !v.contains(secret_marker) && !v.contains(code_marker),
                "{r:?}"
            );
        }
    }
    // A real code refused (wrong verifier, wrong redirect URI): not echoed.
    for (verifier, redirect) in [("x".repeat(43), CB), (VERIFIER.to_owned(), CB2)] {
        let code = w.code("read");
        let r = api.token(
            "",
            Some(&basic(&w.id, &w.secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", &verifier),
            ],
        );
        oauth_error(&r, 400, "invalid_grant");
        assert!(!r.body.contains(&code), "{r:?}");
        assert!(!r.body.contains(&w.secret), "{r:?}");
    }
    // The authorization page does not reflect what it is given as markup.
    let evil = "<script>alert(1)</script>";
    for params in [
        authz(evil, CB, "read", "xyz"),
        authz(&w.id, evil, "read", "xyz"),
        authz(&w.id, CB, "read", evil),
    ] {
        let r = get_authorize(api, "", &params, None);
        assert!(!r.body.contains(evil), "{params:?}: {r:?}");
    }
}

#[test]
fn two_concurrent_exchanges_of_one_code_one_succeeds() {
    let w = world();
    for _ in 0..3 {
        let code = w.code("read");
        let statuses = on_threads(8, |_| {
            let r = w.api.exchange("", &w.id, &w.secret, &code, CB);
            if r.status == 200 {
                tokens(&r);
            } else {
                oauth_error(&r, 400, "invalid_grant");
            }
            vec![r.status]
        });
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "exactly one exchange wins: {statuses:?}"
        );
    }
}

#[test]
fn the_redirect_uri_is_checked_at_the_exchange() {
    let w = world();
    let api = &w.api;
    // Issued for CB: CB2, another URI, or none at all are refused.
    for redirect in [Some(CB2), Some("https://evil.example/cb"), None] {
        let code = w.code("read");
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        if let Some(r) = redirect {
            pairs.push(("redirect_uri", r));
        }
        let r = api.token("", Some(&basic(&w.id, &w.secret)), &pairs);
        if redirect.is_some() {
            // RFC 6749 §5.2: it does not match the authorization request's.
            oauth_error(&r, 400, "invalid_grant");
        } else {
            // §4.1.3: required, since the request named one; missing.
            assert_eq!(r.status, 400, "{r:?}");
            assert_no_store(&r);
            let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
            assert!(
                ["invalid_grant", "invalid_request"].contains(&error.as_str()),
                "{r:?}"
            );
        }
    }
    // Issued for CB2, exchanged for CB2.
    let code = api.code("", &w.session, &w.id, CB2, "read");
    tokens(&api.exchange("", &w.id, &w.secret, &code, CB2));
}

#[test]
fn a_wrong_client_redeeming_a_code_spends_it_for_the_right_one() {
    let w = world();
    let api = &w.api;
    let (thief, thief_secret) = api.web("");
    let code = w.code("read");
    let r = api.exchange("", &thief, &thief_secret, &code, CB);
    oauth_error(&r, 400, "invalid_grant");
    let r = api.exchange("", &w.id, &w.secret, &code, CB);
    oauth_error(&r, 400, "invalid_grant");

    // Nor is a public client let in by naming the owner's id.
    let public = api.public("");
    let code = api.code("", &w.session, &public, CB, "read");
    let r = api.token(
        "",
        Some(&basic(&thief, &thief_secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
    );
    oauth_error(&r, 400, "invalid_grant");
    let r = api.token(
        "",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &public),
        ],
    );
    oauth_error(&r, 400, "invalid_grant");
}
