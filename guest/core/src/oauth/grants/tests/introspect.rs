//! Tests of introspection and of a resource server's bearer checks.

use super::*;

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
