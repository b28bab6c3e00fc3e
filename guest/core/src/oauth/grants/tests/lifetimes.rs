//! Tests of the lifetimes: their bounds, that nothing outlives its
//! grant, and sweeping what expired.

use super::*;

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
