//! Tests of the authorization code grant: the authorization request, the
//! code's binding to client, redirect URI, PKCE and user, its single use.

use std::sync::Arc;

use super::*;

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
