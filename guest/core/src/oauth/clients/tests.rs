//! Tests of the OAuth client registry, including regression tests for the
//! flaws of proauth2 (ids and secrets from a non-cryptographic generator,
//! secrets stored in plaintext and compared with `==`, untyped lookups,
//! check-then-insert uniqueness).

use super::*;
use crate::users::tests::auth;

fn web() -> ClientSpec {
    ClientSpec {
        name: "Web app".into(),
        confidential: true,
        redirect_uris: vec!["https://app.example/cb".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: "read write".into(),
    }
}

fn native() -> ClientSpec {
    ClientSpec {
        name: "CLI".into(),
        confidential: false,
        redirect_uris: vec!["http://127.0.0.1/cb".into()],
        grant_types: vec![GrantType::AuthorizationCode],
        scopes: "read".into(),
    }
}

#[test]
fn a_confidential_client_gets_a_secret_once_and_the_store_only_its_digest() {
    let a = auth();
    let new = a.register_client(&web()).unwrap();
    let secret = new.secret.clone().unwrap();
    assert!(secret.starts_with(CLIENT_SECRET_PREFIX));
    assert!(token::well_formed_prefixed(&secret, CLIENT_SECRET_PREFIX));
    assert_eq!(new.client.id.len(), 32);
    assert!(new.client.confidential);
    assert_eq!(new.client.scopes.to_string(), "read write");
    assert_eq!(
        new.client.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    // Nothing stored holds the secret.
    for (k, v) in a.env().dump() {
        let hay = [k, v].concat();
        assert!(
            !hay.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is stored"
        );
    }
    assert!(!format!("{new:?}").contains(&secret));
    assert_eq!(a.get_client(&new.client.id).unwrap(), Some(new.client));
}

#[test]
fn ids_and_secrets_are_random_and_distinct() {
    let a = auth();
    let x = a.register_client(&web()).unwrap();
    let y = a.register_client(&web()).unwrap();
    assert_ne!(x.client.id, y.client.id);
    assert_ne!(x.secret, y.secret);
    // Registered in the same second, one after the other: not the clock,
    // not a counter (ids share no prefix beyond chance).
    assert_ne!(x.client.id[..8], y.client.id[..8]);
}

#[test]
fn only_the_right_secret_authenticates() {
    let a = auth();
    let new = a.register_client(&web()).unwrap();
    let (id, secret) = (new.client.id.as_str(), new.secret.as_deref().unwrap());
    assert_eq!(
        a.authenticate_client(id, secret).unwrap(),
        Some(new.client.clone())
    );
    let other = token::mint_prefixed(a.env(), CLIENT_SECRET_PREFIX);
    for wrong in [other.as_str(), "", &secret[1..], &secret.to_uppercase()] {
        assert_eq!(a.authenticate_client(id, wrong).unwrap(), None, "{wrong}");
    }
    // Another client's id with this secret.
    let second = a.register_client(&web()).unwrap();
    assert_eq!(
        a.authenticate_client(&second.client.id, secret).unwrap(),
        None
    );
    // Unknown and malformed ids.
    for bad in [
        "",
        "0123",
        &"0".repeat(32),
        &id.to_uppercase(),
        "{\"$ne\": null}",
    ] {
        assert_eq!(a.authenticate_client(bad, secret).unwrap(), None, "{bad}");
    }
}

#[test]
fn a_public_client_has_no_secret_and_never_authenticates() {
    let a = auth();
    let new = a.register_client(&native()).unwrap();
    assert_eq!(new.secret, None);
    assert!(!new.client.confidential);
    let guess = token::mint_prefixed(a.env(), CLIENT_SECRET_PREFIX);
    assert_eq!(a.authenticate_client(&new.client.id, &guess).unwrap(), None);
    assert!(a.rotate_client_secret(&new.client.id).is_err());
}

#[test]
fn rotation_replaces_the_secret_at_once() {
    let a = auth();
    let new = a.register_client(&web()).unwrap();
    let old = new.secret.unwrap();
    a.env().advance(5);
    let rotated = a.rotate_client_secret(&new.client.id).unwrap().unwrap();
    let fresh = rotated.secret.unwrap();
    assert_ne!(fresh, old);
    assert_eq!(rotated.client.updated, new.client.created + 5);
    assert!(
        a.authenticate_client(&new.client.id, &fresh)
            .unwrap()
            .is_some()
    );
    assert!(
        a.authenticate_client(&new.client.id, &old)
            .unwrap()
            .is_none()
    );
    assert_eq!(a.rotate_client_secret(&"f".repeat(32)).unwrap(), None);
}

#[test]
fn update_keeps_the_secret_and_the_kind() {
    let a = auth();
    let new = a.register_client(&web()).unwrap();
    let id = new.client.id.clone();
    let spec = ClientSpec {
        name: "Renamed".into(),
        redirect_uris: vec![
            "https://app.example/cb2".into(),
            "https://app.example/cb2".into(),
        ],
        grant_types: vec![GrantType::ClientCredentials],
        scopes: "read".into(),
        ..web()
    };
    let updated = a.update_client(&id, &spec).unwrap().unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.redirect_uris.len(), 1, "repeats collapse");
    assert_eq!(updated.grant_types, [GrantType::ClientCredentials]);
    assert_eq!(a.get_client(&id).unwrap(), Some(updated));
    assert!(
        a.authenticate_client(&id, new.secret.as_deref().unwrap())
            .unwrap()
            .is_some()
    );
    let public = ClientSpec {
        confidential: false,
        ..native()
    };
    assert!(matches!(
        a.update_client(&id, &public),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(a.update_client(&"0".repeat(32), &web()).unwrap(), None);
}

#[test]
fn delete_removes_the_client_and_its_secret_stops_working() {
    let a = auth();
    let new = a.register_client(&web()).unwrap();
    let id = new.client.id;
    assert!(a.delete_client(&id).unwrap());
    assert!(!a.delete_client(&id).unwrap());
    assert_eq!(a.get_client(&id).unwrap(), None);
    assert!(
        a.authenticate_client(&id, &new.secret.unwrap())
            .unwrap()
            .is_none()
    );
    assert!(!a.delete_client("not-an-id").unwrap());
}

#[test]
fn specs_are_checked() {
    let a = auth();
    let refused = |spec: ClientSpec| {
        assert!(
            matches!(a.register_client(&spec), Err(Error::InvalidInput(_))),
            "{spec:?}"
        )
    };
    refused(ClientSpec {
        name: String::new(),
        ..web()
    });
    refused(ClientSpec {
        name: "a\nb".into(),
        ..web()
    });
    refused(ClientSpec {
        name: "n".repeat(MAX_CLIENT_NAME_BYTES + 1),
        ..web()
    });
    refused(ClientSpec {
        grant_types: vec![],
        ..web()
    });
    refused(ClientSpec {
        redirect_uris: vec![],
        ..web()
    });
    refused(ClientSpec {
        redirect_uris: vec!["http://app.example/cb".into()],
        ..web()
    });
    refused(ClientSpec {
        redirect_uris: vec!["https://app.example/cb#x".into()],
        ..web()
    });
    refused(ClientSpec {
        redirect_uris: (0..=MAX_REDIRECT_URIS)
            .map(|i| format!("https://a.example/{i}"))
            .collect(),
        ..web()
    });
    refused(ClientSpec {
        scopes: "a\"b".into(),
        ..web()
    });
    refused(ClientSpec {
        grant_types: vec![GrantType::ClientCredentials],
        ..native()
    });
    refused(ClientSpec {
        grant_types: vec![GrantType::RefreshToken],
        ..web()
    });
    // A machine client needs no redirect URI.
    let machine = ClientSpec {
        redirect_uris: vec![],
        grant_types: vec![GrantType::ClientCredentials],
        ..web()
    };
    assert!(
        a.register_client(&machine)
            .unwrap()
            .client
            .redirect_uris
            .is_empty()
    );
    let clients = a
        .env()
        .dump()
        .into_iter()
        .filter(|(k, _)| k[0] == keys::OAUTH_CLIENT);
    assert_eq!(clients.count(), 1, "only the machine client was stored");
}

#[test]
fn grant_type_names_are_rfc_6749s_and_the_unsafe_ones_are_refused() {
    for g in GrantType::ALL {
        assert_eq!(GrantType::parse(g.as_str()).unwrap(), g);
    }
    for name in ["implicit", "password"] {
        let e = GrantType::parse(name).unwrap_err();
        assert!(e.to_string().contains("not offered"), "{e}");
    }
    assert!(GrantType::parse("Authorization_Code").is_err());
    assert!(GrantType::parse("").is_err());
}

#[test]
fn clients_are_listed_in_pages() {
    let a = auth();
    let mut ids: Vec<String> = (0..5)
        .map(|_| a.register_client(&native()).unwrap().client.id)
        .collect();
    ids.sort();
    let first = a.list_clients(None, 2).unwrap();
    assert_eq!(
        first.clients.iter().map(|c| &c.id).collect::<Vec<_>>(),
        [&ids[0], &ids[1]]
    );
    let second = a.list_clients(first.next.as_deref(), 2).unwrap();
    assert_eq!(second.clients[0].id, ids[2]);
    let last = a.list_clients(second.next.as_deref(), 2).unwrap();
    assert_eq!(last.clients.len(), 1);
    assert_eq!(last.next, None);
    assert_eq!(
        a.list_clients(None, MAX_CLIENT_PAGE).unwrap().clients.len(),
        5
    );
    for bad in [0, MAX_CLIENT_PAGE + 1] {
        assert!(a.list_clients(None, bad).is_err());
    }
    assert!(a.list_clients(Some("nope"), 2).is_err());
}

#[test]
fn matching_redirect_uris_goes_through_the_registered_ones() {
    let a = auth();
    let spec = ClientSpec {
        redirect_uris: vec!["https://app.example/cb".into(), "http://[::1]/cb".into()],
        ..native()
    };
    let client = a.register_client(&spec).unwrap().client;
    assert_eq!(
        client
            .redirect_uri("http://[::1]:4711/cb")
            .map(RedirectUri::as_str),
        Some("http://[::1]/cb")
    );
    assert!(client.redirect_uri("https://app.example/cb").is_some());
    assert!(
        client
            .redirect_uri("https://app.example/cb/../evil")
            .is_none()
    );
    assert!(client.allows(GrantType::AuthorizationCode));
    assert!(!client.allows(GrantType::ClientCredentials));
}
