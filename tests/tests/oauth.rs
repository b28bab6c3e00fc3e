//! The OAuth 2 server through the real component and a sled database:
//! every `oauth` export reached from the typed Rust API, the protocol's
//! answers and refusals intact across the boundary. (The rules themselves
//! are tested natively in moth-core's `oauth` modules.)

use moth::{
    AuthorizationRequest, AuthorizeError, BearerError, ClientSpec, GrantType, OAuthError,
    OAuthLifetimes, Scopes,
};
use moth_tests::{contains, dump, open};

/// RFC 7636, Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CB: &str = "https://app.example/cb";

fn web() -> ClientSpec {
    ClientSpec {
        name: "Web".into(),
        confidential: true,
        redirect_uris: vec![CB.into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: "read write".into(),
    }
}

fn request(client_id: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        response_type: "code".into(),
        client_id: client_id.into(),
        redirect_uri: Some(CB.into()),
        scope: Some("read".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
    }
}

#[test]
fn the_code_flow_refresh_introspection_and_revocation_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, clock) = open(dir.path());
    let ann = moth.create_user("ann", "s3cret", "").unwrap();
    let new = moth.register_client(&web()).unwrap();
    let (id, secret) = (new.client.id.clone(), new.secret.clone().unwrap());
    assert_eq!(moth.get_client(&id).unwrap(), Some(new.client.clone()));
    assert_eq!(moth.list_clients(None, 10).unwrap().clients.len(), 1);

    let authz = moth.check_authorization(&request(&id)).unwrap().unwrap();
    assert_eq!(authz.redirect_uri, CB);
    assert_eq!(authz.scopes.to_string(), "read");
    let code = moth.issue_code(&request(&id), ann.id).unwrap().unwrap();
    let read = Scopes::parse("read").unwrap();
    assert!(moth.consent_covers(ann.id, &id, &read).unwrap());

    // Client authentication is the component's.
    assert_eq!(
        moth.exchange_code(&id, None, &code, Some(CB), Some(VERIFIER))
            .unwrap(),
        Err(OAuthError::InvalidClient)
    );
    let t = moth
        .exchange_code(&id, Some(&secret), &code, Some(CB), Some(VERIFIER))
        .unwrap()
        .unwrap();
    let info = moth.introspect_token(&t.access_token).unwrap().unwrap();
    assert_eq!(
        (info.user, info.username.as_deref()),
        (Some(ann.id), Some("ann"))
    );
    assert_eq!(info.expires, clock.secs() + 3600);
    assert_eq!(
        moth.authorize_bearer(&t.access_token, &Scopes::parse("write").unwrap())
            .unwrap(),
        Err(BearerError::InsufficientScope)
    );
    // Stored only as digests.
    for s in [
        &code,
        &t.access_token,
        t.refresh_token.as_ref().unwrap(),
        &secret,
    ] {
        assert!(
            !dump(&moth)
                .iter()
                .any(|(k, v)| contains(k, s.as_bytes()) || contains(v, s.as_bytes()))
        );
    }
    // A second redemption revokes.
    let again = moth
        .exchange_code(&id, Some(&secret), &code, Some(CB), Some(VERIFIER))
        .unwrap();
    assert!(matches!(again, Err(OAuthError::InvalidGrant(_))));
    assert_eq!(moth.introspect_token(&t.access_token).unwrap(), None);

    // Rotation and revocation.
    let code = moth.issue_code(&request(&id), ann.id).unwrap().unwrap();
    let t = moth
        .exchange_code(&id, Some(&secret), &code, Some(CB), Some(VERIFIER))
        .unwrap()
        .unwrap();
    let r1 = t.refresh_token.unwrap();
    let t2 = moth
        .refresh_grant(&id, Some(&secret), &r1, None)
        .unwrap()
        .unwrap();
    assert_ne!(t2.refresh_token.as_deref(), Some(r1.as_str()));
    moth.revoke_oauth_token(&id, Some(&secret), t2.refresh_token.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(moth.introspect_token(&t2.access_token).unwrap(), None);

    // Consents are the user's to see and revoke.
    let consents = moth.list_consents(ann.id).unwrap();
    assert_eq!(consents.len(), 1);
    assert!(moth.revoke_consent(ann.id, &id).unwrap());
    assert!(!moth.consent_covers(ann.id, &id, &read).unwrap());
}

#[test]
fn refusals_cross_the_boundary_typed() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _clock) = open(dir.path());
    let new = moth.register_client(&web()).unwrap();
    let id = new.client.id;
    let unknown = AuthorizationRequest {
        client_id: "0".repeat(32),
        ..request(&id)
    };
    assert!(matches!(
        moth.check_authorization(&unknown).unwrap(),
        Err(AuthorizeError::NoRedirect(_))
    ));
    let implicit = AuthorizationRequest {
        response_type: "token".into(),
        ..request(&id)
    };
    match moth.check_authorization(&implicit).unwrap() {
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
        }) => {
            assert_eq!(redirect_uri, CB);
            assert_eq!(error, OAuthError::UnsupportedResponseType);
        }
        other => panic!("{other:?}"),
    }
    // Bad specs and lifetimes are invalid input, not protocol errors.
    let bad = ClientSpec {
        redirect_uris: vec!["http://app.example/cb".into()],
        ..web()
    };
    assert!(matches!(
        moth.register_client(&bad),
        Err(moth::Error::InvalidInput(_))
    ));
    let lifetimes = OAuthLifetimes {
        code: 601,
        ..moth.get_oauth_lifetimes().unwrap()
    };
    assert!(matches!(
        moth.set_oauth_lifetimes(&lifetimes),
        Err(moth::Error::InvalidInput(_))
    ));
    // Machine clients: client credentials, then deletion ends the grant.
    let machine = moth
        .register_client(&ClientSpec {
            name: "Batch".into(),
            confidential: true,
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            scopes: "reports".into(),
        })
        .unwrap();
    let mid = machine.client.id.clone();
    let t = moth
        .client_credentials_grant(&mid, machine.secret.as_deref(), None)
        .unwrap()
        .unwrap();
    assert_eq!(t.refresh_token, None);
    assert!(moth.introspect_token(&t.access_token).unwrap().is_some());
    let rotated = moth.rotate_client_secret(&mid).unwrap().unwrap();
    assert_ne!(rotated.secret, machine.secret);
    assert!(moth.delete_client(&mid).unwrap());
    assert_eq!(moth.introspect_token(&t.access_token).unwrap(), None);
}
