//! Tests of the OAuth grants, including regression tests for proauth2's
//! flaws: codes and tokens stored in plaintext, `redirect_uri` not checked
//! at token exchange, non-atomic code redemption, a wrong client's
//! redemption leaving the code usable, tokens that never expire, no
//! refresh, no PKCE, scope not enforced, errors echoing the code.

use std::sync::Arc;

use super::*;
use crate::AccountState;
use crate::memory::MemoryEnv;
use crate::oauth::clients::ClientSpec;
use crate::users::tests::auth;

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
fn the_code_flow_with_pkce_issues_tokens_that_introspect() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    assert_eq!(t.scopes.to_string(), "read");
    assert_eq!(t.expires_in, DEFAULT_ACCESS_LIFETIME);
    let info = w.a.introspect_token(&t.access_token).unwrap().unwrap();
    assert!(info.access);
    assert_eq!(info.client_id, w.web.id);
    assert_eq!(info.user, Some(w.ann));
    assert_eq!(info.username.as_deref(), Some("ann"));
    assert_eq!(info.scopes.to_string(), "read");
    assert_eq!(info.expires, w.a.env().now() + DEFAULT_ACCESS_LIFETIME);
    let refresh = t.refresh_token.unwrap();
    assert!(!w.a.introspect_token(&refresh).unwrap().unwrap().access);
    // The tokens are distinct kinds: an access token is no refresh token.
    assert!(
        w.a.refresh_grant_as(&w.web, &t.access_token, None, &lifetimes())
            .is_err()
    );
}

#[test]
fn secrets_are_stored_only_as_digests_and_never_echoed() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    let secrets = [
        c.clone(),
        t.access_token.clone(),
        t.refresh_token.clone().unwrap(),
    ];
    for (k, v) in w.a.env().dump() {
        let hay = [k, v].concat();
        for s in &secrets {
            assert!(
                !hay.windows(s.len()).any(|w| w == s.as_bytes()),
                "stored: {s}"
            );
        }
    }
    let again = exchange(&w, &w.web, &c).unwrap_err();
    assert!(!again.to_string().contains(&c), "{again}");
    assert!(!format!("{t:?}").contains(&t.access_token));
}

#[test]
fn a_code_is_single_use_and_a_replay_revokes_what_it_issued() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    let err = exchange(&w, &w.web, &c).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(!active(&w, &t.access_token));
    assert!(!active(&w, t.refresh_token.as_deref().unwrap()));
    assert!(exchange(&w, &w.web, &c).is_err());
}

#[test]
fn concurrent_redemptions_issue_tokens_once() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let a = Arc::new(w.a);
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let a = a.clone();
                let (web, c) = (w.web.clone(), c.clone());
                s.spawn(move || {
                    a.exchange_code_as(&web, &c, Some(CB), Some(VERIFIER), &lifetimes())
                        .is_ok()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    assert_eq!(wins, 1);
}

#[test]
fn a_wrong_clients_redemption_spends_the_code() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let other =
        w.a.register_client(&ClientSpec {
            name: "Other".into(),
            confidential: true,
            redirect_uris: vec![CB.into()],
            grant_types: vec![GrantType::AuthorizationCode],
            scopes: "read".into(),
        })
        .unwrap()
        .client;
    assert_eq!(
        exchange(&w, &other, &c).unwrap_err().code(),
        "invalid_grant"
    );
    assert!(exchange(&w, &w.web, &c).is_err(), "the code is spent");
}

#[test]
fn the_redirect_uri_is_checked_at_the_exchange() {
    let w = world();
    for sent in [
        None,
        Some("https://app.example/other"),
        Some("https://app.example/cb/"),
    ] {
        let c = code(&w, &w.web, CB);
        let err =
            w.a.exchange_code_as(&w.web, &c, sent, Some(VERIFIER), &lifetimes())
                .unwrap_err();
        assert_eq!(err.code(), "invalid_grant", "{sent:?}");
        assert!(exchange(&w, &w.web, &c).is_err(), "spent after {sent:?}");
    }
}

#[test]
fn pkce_is_verified_and_cannot_be_downgraded() {
    let w = world();
    let wrong = "a".repeat(43);
    for verifier in [None, Some(wrong.as_str()), Some(CHALLENGE)] {
        let c = code(&w, &w.web, CB);
        let r =
            w.a.exchange_code_as(&w.web, &c, Some(CB), verifier, &lifetimes());
        assert_eq!(r.unwrap_err().code(), "invalid_grant", "{verifier:?}");
    }
    // A confidential client may skip PKCE; a verifier then is refused
    // (RFC 9700 §2.1.1: a downgrade).
    let plain = AuthorizationRequest {
        code_challenge: None,
        code_challenge_method: None,
        ..request(&w.web, CB)
    };
    let authz = w.a.check_authorization(&plain).unwrap();
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    assert!(exchange(&w, &w.web, &c).is_err());
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    assert!(
        w.a.exchange_code_as(&w.web, &c, Some(CB), None, &lifetimes())
            .is_ok()
    );
}

#[test]
fn authorization_requests_are_checked_and_errors_go_where_they_may() {
    let w = world();
    let no_redirect = |req: AuthorizationRequest| match w.a.check_authorization(&req) {
        Err(AuthorizeError::NoRedirect(_)) => {}
        other => panic!("{req:?}: {other:?}"),
    };
    no_redirect(AuthorizationRequest {
        client_id: "f".repeat(32),
        ..request(&w.web, CB)
    });
    no_redirect(request(&w.web, "https://evil.example/cb"));
    no_redirect(request(&w.web, "https://app.example/cb?x"));
    // Several registered: the request must say which.
    no_redirect(AuthorizationRequest {
        redirect_uri: None,
        ..request(&w.web, CB)
    });
    let redirected = |req: AuthorizationRequest, code: &str| match w.a.check_authorization(&req) {
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
        }) => {
            assert_eq!(Some(redirect_uri), req.redirect_uri);
            assert_eq!(error.code(), code, "{req:?}");
        }
        other => panic!("{req:?}: {other:?}"),
    };
    redirected(
        AuthorizationRequest {
            scope: Some("admin".into()),
            ..request(&w.web, CB)
        },
        "invalid_scope",
    );
    // No implicit grant.
    redirected(
        AuthorizationRequest {
            response_type: "token".into(),
            ..request(&w.web, CB)
        },
        "unsupported_response_type",
    );
    redirected(
        AuthorizationRequest {
            response_type: String::new(),
            ..request(&w.web, CB)
        },
        "invalid_request",
    );
    // A machine client may not use the code grant.
    let machine = AuthorizationRequest {
        client_id: w.machine.id.clone(),
        ..request(&w.web, CB)
    };
    assert!(matches!(
        w.a.check_authorization(&machine),
        Err(AuthorizeError::NoRedirect(_))
    ));
    redirected(
        AuthorizationRequest {
            code_challenge_method: Some("plain".into()),
            ..request(&w.web, CB)
        },
        "invalid_request",
    );
    redirected(
        AuthorizationRequest {
            code_challenge: None,
            code_challenge_method: None,
            ..request(&w.public, "http://127.0.0.1:4242/cb")
        },
        "invalid_request",
    );
    // A loopback redirect URI matches with any port.
    let authz =
        w.a.check_authorization(&request(&w.public, "http://127.0.0.1:4242/cb"))
            .unwrap();
    assert_eq!(authz.redirect_uri, "http://127.0.0.1:4242/cb");
    // Without a scope, the client's allowed scopes.
    let all =
        w.a.check_authorization(&AuthorizationRequest {
            scope: None,
            ..request(&w.web, CB)
        })
        .unwrap();
    assert_eq!(all.scopes.to_string(), "read write");
}

#[test]
fn codes_and_access_tokens_expire() {
    let w = world();
    let c = code(&w, &w.web, CB);
    w.a.env().advance(DEFAULT_CODE_LIFETIME);
    assert_eq!(
        exchange(&w, &w.web, &c).unwrap_err().code(),
        "invalid_grant"
    );
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    w.a.env().advance(DEFAULT_ACCESS_LIFETIME - 1);
    assert!(active(&w, &t.access_token));
    w.a.env().advance(1);
    assert!(!active(&w, &t.access_token));
    // The refresh token outlives it.
    assert!(active(&w, t.refresh_token.as_deref().unwrap()));
}

#[test]
fn refresh_tokens_rotate_and_a_replay_revokes_the_grant() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let first = exchange(&w, &w.web, &c).unwrap();
    let r1 = first.refresh_token.unwrap();
    let second =
        w.a.refresh_grant_as(&w.web, &r1, None, &lifetimes())
            .unwrap();
    let r2 = second.refresh_token.clone().unwrap();
    assert_ne!(r1, r2);
    assert!(active(&w, &second.access_token));
    assert!(
        active(&w, &first.access_token),
        "refreshing keeps earlier access tokens"
    );
    assert!(!active(&w, &r1), "a spent refresh token is inactive");
    // The old one again: theft. Everything of the grant goes.
    let err =
        w.a.refresh_grant_as(&w.web, &r1, None, &lifetimes())
            .unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    for t in [&first.access_token, &second.access_token, &r2] {
        assert!(!active(&w, t));
    }
    assert!(
        w.a.refresh_grant_as(&w.web, &r2, None, &lifetimes())
            .is_err()
    );
}

#[test]
fn refreshing_may_narrow_the_scope_never_widen_it() {
    let w = world();
    let authz =
        w.a.check_authorization(&AuthorizationRequest {
            scope: Some("read write".into()),
            ..request(&w.web, CB)
        })
        .unwrap();
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    let t = exchange(&w, &w.web, &c).unwrap();
    let r = t.refresh_token.unwrap();
    let err =
        w.a.refresh_grant_as(&w.web, &r, Some("read admin"), &lifetimes())
            .unwrap_err();
    assert_eq!(err.code(), "invalid_scope");
    let narrow =
        w.a.refresh_grant_as(&w.web, &r, Some("read"), &lifetimes())
            .unwrap();
    assert_eq!(narrow.scopes.to_string(), "read");
    // The grant keeps its scopes: the next refresh may ask for all again.
    let wide =
        w.a.refresh_grant_as(
            &w.web,
            narrow.refresh_token.as_deref().unwrap(),
            None,
            &lifetimes(),
        )
        .unwrap();
    assert_eq!(wide.scopes.to_string(), "read write");
}

#[test]
fn refresh_tokens_have_idle_and_absolute_lifetimes() {
    let w = world();
    let short = OAuthLifetimes {
        refresh_idle: 100,
        refresh: 250,
        ..lifetimes()
    };
    let c = code(&w, &w.web, CB);
    let t =
        w.a.exchange_code_as(&w.web, &c, Some(CB), Some(VERIFIER), &short)
            .unwrap();
    let mut r = t.refresh_token.unwrap();
    for _ in 0..2 {
        w.a.env().advance(99);
        r =
            w.a.refresh_grant_as(&w.web, &r, None, &short)
                .unwrap()
                .refresh_token
                .unwrap();
    }
    // 198 s in: idle allows 100 more, the grant only 52.
    w.a.env().advance(52);
    assert!(w.a.refresh_grant_as(&w.web, &r, None, &short).is_err());
    let c = code(&w, &w.web, CB);
    let t =
        w.a.exchange_code_as(&w.web, &c, Some(CB), Some(VERIFIER), &short)
            .unwrap();
    w.a.env().advance(100);
    let idle =
        w.a.refresh_grant_as(&w.web, t.refresh_token.as_deref().unwrap(), None, &short);
    assert_eq!(idle.unwrap_err().code(), "invalid_grant");
}

#[test]
fn another_client_cannot_refresh_a_grant() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let r = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let err =
        w.a.refresh_grant_as(&w.public, &r, None, &lifetimes())
            .unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(active(&w, &r), "and it does not revoke the owner's grant");
}

#[test]
fn client_credentials_are_for_confidential_clients_acting_for_themselves() {
    let w = world();
    let t =
        w.a.client_credentials_grant_as(&w.machine, None, &lifetimes())
            .unwrap();
    assert_eq!(t.refresh_token, None);
    let info = w.a.introspect_token(&t.access_token).unwrap().unwrap();
    assert_eq!(info.user, None);
    assert_eq!(info.scopes.to_string(), "reports");
    assert_eq!(
        w.a.client_credentials_grant_as(&w.web, None, &lifetimes())
            .unwrap_err(),
        OAuthError::UnauthorizedClient
    );
    assert_eq!(
        w.a.client_credentials_grant_as(&w.machine, Some("admin"), &lifetimes())
            .unwrap_err()
            .code(),
        "invalid_scope"
    );
    w.a.env().advance(DEFAULT_ACCESS_LIFETIME);
    assert!(!active(&w, &t.access_token));
}

#[test]
fn revoking_a_refresh_token_revokes_its_access_tokens_and_only_for_its_client() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    let r = t.refresh_token.unwrap();
    // Another client's revocation does nothing (and says nothing).
    w.a.revoke_oauth_token_as(&w.public, &r).unwrap();
    assert!(active(&w, &r));
    // An access token alone.
    w.a.revoke_oauth_token_as(&w.web, &t.access_token).unwrap();
    assert!(!active(&w, &t.access_token));
    assert!(active(&w, &r));
    let again =
        w.a.refresh_grant_as(&w.web, &r, None, &lifetimes())
            .unwrap();
    w.a.revoke_oauth_token_as(&w.web, again.refresh_token.as_deref().unwrap())
        .unwrap();
    assert!(!active(&w, &again.access_token));
    // Unknown and malformed tokens: fine, nothing happens.
    w.a.revoke_oauth_token_as(&w.web, "nonsense").unwrap();
    w.a.revoke_oauth_token_as(&w.web, &r).unwrap();
}

#[test]
fn deleting_disabling_or_revoking_the_user_revokes_the_grants() {
    for end in ["delete", "disable", "revoke sessions"] {
        let w = world();
        let c = code(&w, &w.web, CB);
        let t = exchange(&w, &w.web, &c).unwrap();
        let pending = code(&w, &w.web, CB);
        match end {
            "delete" => w.a.delete_user(w.ann).unwrap(),
            "disable" => {
                w.a.set_account_state(
                    w.ann,
                    &AccountState {
                        enabled: false,
                        ..AccountState::default()
                    },
                )
                .unwrap()
            }
            _ => {
                w.a.delete_tokens(w.ann).unwrap();
            }
        }
        assert!(!active(&w, &t.access_token), "{end}");
        let r = t.refresh_token.as_deref().unwrap();
        assert!(
            w.a.refresh_grant_as(&w.web, r, None, &lifetimes()).is_err(),
            "{end}"
        );
        assert!(exchange(&w, &w.web, &pending).is_err(), "{end}");
    }
}

#[test]
fn bearer_checks_answer_rfc_6750s_errors() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    let read = Scopes::parse("read").unwrap();
    let write = Scopes::parse("read write").unwrap();
    let info =
        w.a.authorize_bearer(&t.access_token, &read)
            .unwrap()
            .unwrap();
    assert_eq!(info.user, Some(w.ann));
    assert_eq!(
        w.a.authorize_bearer(&t.access_token, &write).unwrap(),
        Err(BearerError::InsufficientScope)
    );
    let refresh = t.refresh_token.unwrap();
    for bad in [refresh.as_str(), "", "motha_nope"] {
        assert_eq!(
            w.a.authorize_bearer(bad, &read).unwrap(),
            Err(BearerError::InvalidToken)
        );
    }
}

#[test]
fn lifetimes_are_bounded() {
    let w = world();
    let authz = w.a.check_authorization(&request(&w.web, CB)).unwrap();
    let too_long = OAuthLifetimes {
        code: MAX_CODE_LIFETIME + 1,
        ..lifetimes()
    };
    assert_eq!(
        w.a.issue_code_for(&authz, w.ann, &too_long)
            .unwrap_err()
            .code(),
        "invalid_request"
    );
    let zero = OAuthLifetimes {
        access: 0,
        ..lifetimes()
    };
    assert!(w.a.issue_code_for(&authz, w.ann, &zero).is_err());
    assert_eq!(
        w.a.issue_code_for(&authz, 999, &lifetimes())
            .unwrap_err()
            .code(),
        "access_denied"
    );
}

#[test]
fn sweeping_deletes_what_expired_and_nothing_live() {
    let w = world();
    let short = OAuthLifetimes {
        refresh_idle: 500,
        refresh: 1000,
        ..lifetimes()
    };
    let oauth_keys = |w: &World| {
        w.a.env()
            .dump()
            .into_iter()
            .filter(|(k, v)| {
                matches!(
                    k[0],
                    keys::OAUTH_CODE | keys::OAUTH_TOKEN | keys::OAUTH_GRANT
                ) || (k[0] == keys::EXPIRY && v.first().is_some_and(|t| t.is_ascii_uppercase()))
            })
            .count()
    };
    let c = code(&w, &w.web, CB);
    let t =
        w.a.exchange_code_as(&w.web, &c, Some(CB), Some(VERIFIER), &short)
            .unwrap();
    w.a.client_credentials_grant_as(&w.machine, None, &lifetimes())
        .unwrap();
    let _unused = code(&w, &w.web, CB);
    assert!(oauth_keys(&w) > 0);
    // Past the codes' and access tokens' lifetimes: the refresh token lives.
    w.a.env().advance(DEFAULT_ACCESS_LIFETIME.min(400));
    while w.a.sweep(100).unwrap().deleted == 100 {}
    let r = t.refresh_token.unwrap();
    assert!(active(&w, &r));
    assert!(w.a.refresh_grant_as(&w.web, &r, None, &short).is_ok());
    // Past everything.
    w.a.env().advance(short.refresh + DEFAULT_ACCESS_LIFETIME);
    while w.a.sweep(100).unwrap().deleted == 100 {}
    assert_eq!(oauth_keys(&w), 0);
}

#[test]
fn issuing_a_code_remembers_consent_which_the_user_can_revoke() {
    let w = world();
    let read = Scopes::parse("read").unwrap();
    let both = Scopes::parse("read write").unwrap();
    assert!(!w.a.consent_covers(w.ann, &w.web.id, &read).unwrap());
    let c = code(&w, &w.web, CB);
    assert!(w.a.consent_covers(w.ann, &w.web.id, &read).unwrap());
    assert!(!w.a.consent_covers(w.ann, &w.web.id, &both).unwrap());
    let listed = w.a.list_consents(w.ann).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_name, "Web");
    assert_eq!(listed[0].scopes, read);
    let t = exchange(&w, &w.web, &c).unwrap();
    let c2 = code(&w, &w.web, CB);
    let untouched = exchange(&w, &w.web, &c2).unwrap();
    let pending = code(&w, &w.web, CB);
    // Another client's grant is not touched by this revocation.
    let pc = code(&w, &w.public, "http://127.0.0.1/cb");
    let other =
        w.a.exchange_code_as(
            &w.public,
            &pc,
            Some("http://127.0.0.1/cb"),
            Some(VERIFIER),
            &lifetimes(),
        )
        .unwrap();
    assert!(w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    assert!(!w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    assert!(!active(&w, &t.access_token));
    let r = t.refresh_token.as_deref().unwrap();
    assert!(w.a.refresh_grant_as(&w.web, r, None, &lifetimes()).is_err());
    assert!(exchange(&w, &w.web, &pending).is_err());
    assert!(active(&w, &other.access_token));
    // Consenting again starts afresh: old grants stay dead, new ones live.
    let c = code(&w, &w.web, CB);
    let fresh = exchange(&w, &w.web, &c).unwrap();
    assert!(active(&w, &fresh.access_token));
    assert!(!active(&w, &t.access_token));
    // Even a grant nothing touched since, made in the same second as the
    // new consent: it was made under the revoked one.
    assert!(!active(&w, &untouched.access_token));
    assert!(!active(&w, untouched.refresh_token.as_deref().unwrap()));
}

#[test]
fn deleting_a_client_ends_its_grants() {
    let w = world();
    let t =
        w.a.client_credentials_grant_as(&w.machine, None, &lifetimes())
            .unwrap();
    assert!(active(&w, &t.access_token));
    assert!(w.a.delete_client(&w.machine.id).unwrap());
    assert!(!active(&w, &t.access_token));
}

#[test]
fn deleting_a_user_deletes_their_consents() {
    let w = world();
    code(&w, &w.web, CB);
    w.a.delete_user(w.ann).unwrap();
    let consents =
        w.a.env()
            .dump()
            .into_iter()
            .filter(|(k, _)| k[0] == keys::OAUTH_CONSENT)
            .count();
    assert_eq!(consents, 0);
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

#[test]
fn issue_code_checks_the_request_again_and_uses_the_set_lifetimes() {
    let w = world();
    let set = OAuthLifetimes {
        code: 5,
        ..lifetimes()
    };
    w.a.set_oauth_lifetimes(&set).unwrap();
    assert_eq!(w.a.get_oauth_lifetimes().unwrap(), set);
    let c = w.a.issue_code(&request(&w.web, CB), w.ann).unwrap();
    w.a.env().advance(5);
    let secret = w.a.rotate_client_secret(&w.web.id).unwrap().unwrap().secret;
    let expired =
        w.a.exchange_code(&w.web.id, secret.as_deref(), &c, Some(CB), Some(VERIFIER));
    assert_eq!(expired.unwrap_err().code(), "invalid_grant");
    let bad = AuthorizationRequest {
        scope: Some("admin".into()),
        ..request(&w.web, CB)
    };
    assert!(matches!(
        w.a.issue_code(&bad, w.ann),
        Err(AuthorizeError::Redirect { .. })
    ));
    for wrong in [
        OAuthLifetimes {
            code: 0,
            ..lifetimes()
        },
        OAuthLifetimes {
            code: MAX_CODE_LIFETIME + 1,
            ..lifetimes()
        },
        OAuthLifetimes {
            refresh: MAX_OAUTH_LIFETIME + 1,
            ..lifetimes()
        },
    ] {
        assert!(matches!(
            w.a.set_oauth_lifetimes(&wrong),
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(w.a.get_oauth_lifetimes().unwrap(), set);
}

#[test]
fn a_narrowed_refresh_gives_an_access_token_with_only_those_scopes() {
    let w = world();
    let authz =
        w.a.check_authorization(&AuthorizationRequest {
            scope: Some("read write".into()),
            ..request(&w.web, CB)
        })
        .unwrap();
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    let t = exchange(&w, &w.web, &c).unwrap();
    let r = t.refresh_token.unwrap();
    let narrow =
        w.a.refresh_grant_as(&w.web, &r, Some("read"), &lifetimes())
            .unwrap();
    let write = Scopes::parse("write").unwrap();
    assert_eq!(
        w.a.authorize_bearer(&narrow.access_token, &write).unwrap(),
        Err(BearerError::InsufficientScope)
    );
    let info = w.a.introspect_token(&narrow.access_token).unwrap().unwrap();
    assert_eq!(info.scopes.to_string(), "read");
    // The refresh token still carries the grant's.
    let refresh = narrow.refresh_token.unwrap();
    let info = w.a.introspect_token(&refresh).unwrap().unwrap();
    assert_eq!(info.scopes.to_string(), "read write");
}

#[test]
fn a_code_issued_before_a_consent_revocation_stays_dead_after_consenting_again() {
    let w = world();
    let pending = code(&w, &w.web, CB);
    assert!(w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    let fresh = code(&w, &w.web, CB);
    assert_eq!(
        exchange(&w, &w.web, &pending).unwrap_err().code(),
        "invalid_grant"
    );
    assert!(exchange(&w, &w.web, &fresh).is_ok());
}

#[test]
fn a_code_replayed_after_its_lifetime_still_revokes_its_tokens() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    w.a.env().advance(DEFAULT_CODE_LIFETIME * 10);
    while w.a.sweep(100).unwrap().deleted == 100 {}
    let r = t.refresh_token.as_deref().unwrap();
    assert!(active(&w, r));
    assert_eq!(
        exchange(&w, &w.web, &c).unwrap_err().code(),
        "invalid_grant"
    );
    assert!(!active(&w, r));
}

#[test]
fn a_redirect_uri_left_out_of_the_request_may_be_left_out_or_named_at_the_exchange() {
    let w = world();
    let only =
        w.a.register_client(&ClientSpec {
            name: "One".into(),
            confidential: true,
            redirect_uris: vec![CB.into()],
            grant_types: vec![GrantType::AuthorizationCode],
            scopes: "read".into(),
        })
        .unwrap()
        .client;
    let unnamed = AuthorizationRequest {
        redirect_uri: None,
        ..request(&only, CB)
    };
    for (sent, ok) in [
        (None, true),
        (Some(CB), true),
        (Some("https://app.example/other"), false),
    ] {
        let authz = w.a.check_authorization(&unnamed).unwrap();
        assert_eq!(authz.redirect_uri, CB);
        let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
        let r =
            w.a.exchange_code_as(&only, &c, sent, Some(VERIFIER), &lifetimes());
        assert_eq!(r.is_ok(), ok, "{sent:?}");
    }
}

#[test]
fn scopes_a_client_lost_are_not_issued_any_more() {
    let w = world();
    let authz =
        w.a.check_authorization(&AuthorizationRequest {
            scope: Some("read write".into()),
            ..request(&w.web, CB)
        })
        .unwrap();
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    let pending = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    let t = exchange(&w, &w.web, &c).unwrap();
    let spec = ClientSpec {
        name: "Web".into(),
        confidential: true,
        redirect_uris: vec![CB.into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: "read".into(),
    };
    let narrowed = w.a.update_client(&w.web.id, &spec).unwrap().unwrap();
    let refreshed =
        w.a.refresh_grant_as(
            &narrowed,
            t.refresh_token.as_deref().unwrap(),
            None,
            &lifetimes(),
        )
        .unwrap();
    assert_eq!(refreshed.scopes.to_string(), "read");
    let later =
        w.a.exchange_code_as(&narrowed, &pending, Some(CB), Some(VERIFIER), &lifetimes())
            .unwrap();
    assert_eq!(later.scopes.to_string(), "read");
}

#[test]
fn no_access_token_outlives_its_grant() {
    let w = world();
    let short = OAuthLifetimes {
        refresh: 100,
        refresh_idle: 100,
        ..lifetimes()
    };
    let c = code(&w, &w.web, CB);
    let t =
        w.a.exchange_code_as(&w.web, &c, Some(CB), Some(VERIFIER), &short)
            .unwrap();
    assert_eq!(t.expires_in, 100);
    w.a.env().advance(60);
    let again =
        w.a.refresh_grant_as(&w.web, t.refresh_token.as_deref().unwrap(), None, &short)
            .unwrap();
    assert_eq!(again.expires_in, 40);
    let info = w.a.introspect_token(&again.access_token).unwrap().unwrap();
    assert_eq!(info.expires, w.a.env().now() + 40);
    assert_eq!(info.issued, w.a.env().now());
    w.a.env().advance(40);
    assert!(!active(&w, &again.access_token));
}

#[test]
fn a_public_clients_code_without_a_challenge_is_refused() {
    let w = world();
    // Only reachable through the crate's own API: check_authorization
    // refuses such a request for a public client.
    let authz = Authorization {
        client: w.public.clone(),
        redirect_uri: "http://127.0.0.1/cb".into(),
        redirect_uri_sent: true,
        scopes: Scopes::parse("read").unwrap(),
        challenge: None,
    };
    let c = w.a.issue_code_for(&authz, w.ann, &lifetimes()).unwrap();
    let r = w.a.exchange_code_as(
        &w.public,
        &c,
        Some("http://127.0.0.1/cb"),
        None,
        &lifetimes(),
    );
    assert_eq!(r.unwrap_err().code(), "invalid_grant");
}

#[test]
fn concurrent_refreshes_with_one_token_leave_the_grant_revoked() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let r = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let a = Arc::new(w.a);
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (a, web, r) = (a.clone(), w.web.clone(), r.clone());
                s.spawn(move || a.refresh_grant_as(&web, &r, None, &lifetimes()).is_ok())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum()
    });
    // At most one rotation wins; any replay after it revokes the grant
    // (no grace interval), so nothing of the grant is left active.
    assert!(wins <= 1);
    let leftovers = a
        .env()
        .dump()
        .into_iter()
        .filter(|(k, _)| k[0] == keys::OAUTH_GRANT)
        .count();
    assert_eq!(leftovers, 0, "{wins} won");
}
