//! Tests of the OAuth grants, including regression tests for proauth2's
//! flaws: codes and tokens stored in plaintext, `redirect_uri` not checked
//! at token exchange, non-atomic code redemption, a wrong client's
//! redemption leaving the code usable, tokens that never expire, no
//! refresh, no PKCE, scope not enforced, errors echoing the code.

use super::*;
use crate::memory::MemoryEnv;
use crate::oauth::clients::{Client, ClientSpec, GrantType};
use crate::users::tests::auth;
use crate::{Auth, Error, Scopes, keys};

mod client_credentials;
mod code;
mod introspect;
mod lifetimes;
mod refresh;
mod revoke;

/// RFC 7636, Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CB: &str = "https://app.example/cb";

fn lifetimes() -> OAuthLifetimes {
    OAuthLifetimes::default()
}

struct World {
    a: Auth<MemoryEnv>,
    web: Client,
    public: Client,
    machine: Client,
    ann: u64,
}

fn world() -> World {
    let a = auth();
    let web = a
        .register_client(&ClientSpec {
            name: "Web".into(),
            confidential: true,
            redirect_uris: vec![CB.into(), "https://app.example/other".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scopes: "read write".into(),
        })
        .unwrap()
        .client;
    let public = a
        .register_client(&ClientSpec {
            name: "CLI".into(),
            confidential: false,
            redirect_uris: vec!["http://127.0.0.1/cb".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scopes: "read".into(),
        })
        .unwrap()
        .client;
    let machine = a
        .register_client(&ClientSpec {
            name: "Batch".into(),
            confidential: true,
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            scopes: "reports".into(),
        })
        .unwrap()
        .client;
    let ann = a.create_user("ann", "pw", "").unwrap().id;
    World {
        a,
        web,
        public,
        machine,
        ann,
    }
}

fn request(client: &Client, redirect_uri: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        response_type: "code".into(),
        client_id: client.id.clone(),
        redirect_uri: Some(redirect_uri.into()),
        scope: Some("read".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
    }
}

/// A code for ann from `client` at `redirect_uri`, with PKCE.
fn code(w: &World, client: &Client, redirect_uri: &str) -> String {
    let authz =
        w.a.check_authorization(&request(client, redirect_uri))
            .unwrap();
    w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap()
}

fn exchange(w: &World, client: &Client, code: &str) -> OAuthResult<TokenResponse> {
    w.a.exchange_code_as(client, code, Some(CB), Some(VERIFIER), &lifetimes())
}

fn active(w: &World, token: &str) -> bool {
    w.a.introspect_token(token).unwrap().is_some()
}

#[test]
fn the_token_endpoint_authenticates_clients_as_rfc_6749_says() {
    let w = world();
    let secret =
        w.a.rotate_client_secret(&w.web.id)
            .unwrap()
            .unwrap()
            .secret
            .unwrap();
    assert_eq!(
        w.a.authenticate_token_client(&w.web.id, Some(&secret))
            .unwrap()
            .id,
        w.web.id
    );
    for (id, sent) in [
        (w.web.id.as_str(), None),
        (w.web.id.as_str(), Some("moths_wrong")),
        (w.public.id.as_str(), Some(secret.as_str())),
        ("unknown", None),
    ] {
        assert_eq!(
            w.a.authenticate_token_client(id, sent).unwrap_err(),
            OAuthError::InvalidClient,
            "{id} {sent:?}"
        );
    }
    assert!(w.a.authenticate_token_client(&w.public.id, None).is_ok());
    // The public grant functions authenticate first.
    let c = code(&w, &w.web, CB);
    assert_eq!(
        w.a.exchange_code(&w.web.id, None, &c, Some(CB), Some(VERIFIER))
            .unwrap_err(),
        OAuthError::InvalidClient
    );
    let t =
        w.a.exchange_code(&w.web.id, Some(&secret), &c, Some(CB), Some(VERIFIER))
            .unwrap();
    let r = t.refresh_token.unwrap();
    assert!(
        w.a.refresh_grant(&w.web.id, Some(&secret), &r, None)
            .is_ok()
    );
    assert_eq!(
        w.a.revoke_oauth_token(&w.web.id, Some("moths_x"), &r)
            .unwrap_err(),
        OAuthError::InvalidClient
    );
}
