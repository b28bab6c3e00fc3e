//! `moth oauth-client …` as an operator runs it on a database file: the
//! RFC 7591 metadata it prints, the secret shown once, refusals.

mod common;
use common::{fails, moth, ok, one};

fn db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("moth.db").to_str().unwrap().to_owned();
    assert!(moth(&["create", "-f", &db], "").status.success());
    (dir, db)
}

#[test]
fn clients_are_registered_listed_rotated_and_deleted() {
    let (_dir, db) = db();
    let web = one(
        &db,
        &[
            "oauth-client",
            "register",
            "--name",
            "Web",
            "--redirect-uri",
            "https://app.example/cb",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "read write",
        ],
    );
    let id = web["client_id"].as_str().unwrap().to_owned();
    let secret = web["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("moths_"));
    assert_eq!(web["client_secret_expires_at"], 0);
    assert_eq!(web["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(web["scope"], "read write");
    assert_eq!(
        web["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    let app = one(
        &db,
        &[
            "oauth-client",
            "register",
            "--name",
            "CLI",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--grant-type",
            "authorization_code",
        ],
    );
    assert_eq!(app["token_endpoint_auth_method"], "none");
    assert!(app.get("client_secret").is_none());

    // Listing and showing never print a secret.
    let listed = ok(&db, &["oauth-client", "list"]);
    assert_eq!(listed.len(), 2);
    let shown = one(&db, &["oauth-client", "show", &id]);
    assert!(shown.get("client_secret").is_none());
    assert_eq!(shown["client_name"], "Web");

    let rotated = one(&db, &["oauth-client", "rotate-secret", &id]);
    assert_ne!(rotated["client_secret"].as_str().unwrap(), secret);
    assert_eq!(
        one(&db, &["oauth-client", "delete", &id]),
        serde_json::json!({"deleted": true})
    );
    fails(&db, &["oauth-client", "show", &id], 1, "no such client");
}

#[test]
fn bad_clients_are_refused_with_a_reason() {
    let (_dir, db) = db();
    fails(
        &db,
        &[
            "oauth-client",
            "register",
            "--name",
            "Web",
            "--redirect-uri",
            "http://app.example/cb",
            "--grant-type",
            "authorization_code",
        ],
        1,
        "loopback",
    );
    fails(
        &db,
        &[
            "oauth-client",
            "register",
            "--name",
            "Web",
            "--grant-type",
            "implicit",
        ],
        2,
        "not offered",
    );
    fails(
        &db,
        &[
            "oauth-client",
            "register",
            "--name",
            "Machine",
            "--public",
            "--grant-type",
            "client_credentials",
        ],
        1,
        "confidential",
    );
    assert!(ok(&db, &["oauth-client", "list"]).is_empty());
}
