//! Tests of the refresh grant: rotation, replay, narrowing the scope, the
//! refresh tokens' lifetimes.

use std::sync::Arc;

use crate::record::MAX_LIVE_REFRESH_TOKENS;

use super::*;

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

fn grace(seconds: u64) -> OAuthLifetimes {
    OAuthLifetimes {
        refresh_grace: seconds,
        ..lifetimes()
    }
}

#[test]
fn within_the_grace_interval_a_replaced_token_gets_a_live_sibling() {
    let w = world();
    let g = grace(10);
    let c = code(&w, &w.web, CB);
    let r0 = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let first = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap();
    let r1 = first.refresh_token.unwrap();
    w.a.env().advance(9);
    // The race's loser: r0 again, 9 s after it was replaced.
    let second = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap();
    let r2 = second.refresh_token.unwrap();
    assert_ne!(r1, r2);
    assert!(active(&w, &first.access_token) && active(&w, &second.access_token));
    assert!(active(&w, &r1) && active(&w, &r2), "both siblings are live");
    assert!(!active(&w, &r0), "a replaced token is not active");
    // Either sibling carries on; using one sets the other aside for good,
    // while the used one may race for the interval from then.
    let third = w.a.refresh_grant_as(&w.web, &r2, None, &g).unwrap();
    let r3 = third.refresh_token.unwrap();
    assert!(!active(&w, &r1) && !active(&w, &r2));
    w.a.env().advance(9);
    let fourth = w.a.refresh_grant_as(&w.web, &r2, None, &g).unwrap();
    assert!(active(&w, &r3) && active(&w, fourth.refresh_token.as_deref().unwrap()));
    // r1 was live but unused when r2 was used: a replay, even within the
    // interval (else a second holder could go on beside the client).
    let err = w.a.refresh_grant_as(&w.web, &r1, None, &g).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(!active(&w, &r3) && !active(&w, &third.access_token));
}

#[test]
fn a_second_holder_cannot_go_on_beside_the_client() {
    // A thief with a sibling waits for the client to refresh, then uses
    // its own token within the interval: a replay, the grant goes.
    let w = world();
    let g = grace(60);
    let c = code(&w, &w.web, CB);
    let r0 = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let client = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap();
    let thief = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap();
    let next =
        w.a.refresh_grant_as(&w.web, client.refresh_token.as_deref().unwrap(), None, &g)
            .unwrap();
    w.a.env().advance(1);
    let stolen = thief.refresh_token.unwrap();
    let err = w.a.refresh_grant_as(&w.web, &stolen, None, &g).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(!active(&w, next.refresh_token.as_deref().unwrap()));
    assert!(!active(&w, &next.access_token));
}

#[test]
fn after_the_grace_interval_a_replaced_token_revokes_the_grant() {
    let w = world();
    let g = grace(10);
    let c = code(&w, &w.web, CB);
    let r0 = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let first = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap();
    w.a.env().advance(10);
    let err = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(!active(&w, &first.access_token));
    assert!(!active(&w, first.refresh_token.as_deref().unwrap()));
    // And with the interval off (the default), at once.
    let c = code(&w, &w.web, CB);
    let r0 = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let first = w.a.refresh_grant_as(&w.web, &r0, None, &grace(0)).unwrap();
    assert!(w.a.refresh_grant_as(&w.web, &r0, None, &grace(0)).is_err());
    assert!(!active(&w, first.refresh_token.as_deref().unwrap()));
}

#[test]
fn the_grace_interval_gives_a_bounded_number_of_siblings() {
    let w = world();
    let g = grace(60);
    let c = code(&w, &w.web, CB);
    let r0 = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let live: Vec<String> = (0..MAX_LIVE_REFRESH_TOKENS)
        .map(|_| {
            w.a.refresh_grant_as(&w.web, &r0, None, &g)
                .unwrap()
                .refresh_token
                .unwrap()
        })
        .collect();
    assert!(live.iter().all(|r| active(&w, r)));
    // One more is past what a race explains: refused, the grant stands.
    let err = w.a.refresh_grant_as(&w.web, &r0, None, &g).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
    assert!(live.iter().all(|r| active(&w, r)));
}

#[test]
fn concurrent_refreshes_within_the_grace_interval_all_succeed() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let r = exchange(&w, &w.web, &c).unwrap().refresh_token.unwrap();
    let a = Arc::new(w.a);
    let answers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (a, web, r) = (a.clone(), w.web.clone(), r.clone());
                s.spawn(move || a.refresh_grant_as(&web, &r, None, &grace(5)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap().refresh_token.unwrap())
            .collect()
    });
    for r in &answers {
        assert!(a.introspect_token(r).unwrap().is_some(), "live: {r}");
    }
}

#[test]
fn the_grace_interval_is_bounded() {
    let w = world();
    let err =
        w.a.set_oauth_lifetimes(&grace(MAX_REFRESH_GRACE + 1))
            .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    w.a.set_oauth_lifetimes(&grace(MAX_REFRESH_GRACE)).unwrap();
    assert_eq!(
        w.a.get_oauth_lifetimes().unwrap().refresh_grace,
        MAX_REFRESH_GRACE
    );
}
