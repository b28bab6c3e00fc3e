//! Tests of the client credentials grant.

use super::*;

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
