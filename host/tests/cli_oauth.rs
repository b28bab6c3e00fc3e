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
    let web = register_web(&db);
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

/// Register a confidential client "Web" with two grants, one redirect URI
/// and two scopes: what the CLI printed.
fn register_web(db: &str) -> serde_json::Value {
    one(
        db,
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
    )
}

/// A confidential client "Web" as [`register_web`] makes it; its id.
fn web_client(db: &str) -> String {
    register_web(db)["client_id"].as_str().unwrap().to_owned()
}

#[test]
fn an_update_changes_only_what_it_names() {
    let (_dir, db) = db();
    let id = web_client(&db);
    let before = one(&db, &["oauth-client", "show", &id]);

    let renamed = one(&db, &["oauth-client", "update", &id, "--name", "Web 2"]);
    assert!(renamed.get("client_secret").is_none());
    assert_eq!(renamed["client_name"], "Web 2");
    for kept in [
        "client_id",
        "redirect_uris",
        "grant_types",
        "response_types",
        "scope",
        "token_endpoint_auth_method",
        "client_id_issued_at",
    ] {
        assert_eq!(renamed[kept], before[kept], "{kept}");
    }
    assert_eq!(one(&db, &["oauth-client", "show", &id]), renamed);

    // Redirect URIs and grant types are replaced whole; "" is no scopes.
    let updated = one(
        &db,
        &[
            "oauth-client",
            "update",
            &id,
            "--redirect-uri",
            "https://app.example/a",
            "--redirect-uri",
            "com.example.app:/cb",
            "--scope",
            "",
        ],
    );
    assert_eq!(
        updated["redirect_uris"],
        serde_json::json!(["https://app.example/a", "com.example.app:/cb"])
    );
    assert_eq!(updated["scope"], "");
    assert_eq!(updated["client_name"], "Web 2");
    assert_eq!(updated["grant_types"], before["grant_types"]);
    assert_eq!(updated["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(one(&db, &["oauth-client", "show", &id]), updated);

    let machine = one(
        &db,
        &[
            "oauth-client",
            "update",
            &id,
            "--grant-type",
            "client_credentials",
            "--scope",
            "read",
        ],
    );
    assert_eq!(
        machine["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(machine["response_types"], serde_json::json!([]));
    assert_eq!(machine["redirect_uris"], updated["redirect_uris"]);
    assert_eq!(machine["scope"], "read");
}

#[test]
fn a_bad_update_is_refused_and_changes_nothing() {
    let (_dir, db) = db();
    let id = web_client(&db);
    let before = one(&db, &["oauth-client", "show", &id]);

    fails(
        &db,
        &[
            "oauth-client",
            "update",
            "00000000000000000000000000000000",
            "--name",
            "Nobody",
        ],
        1,
        "no such client",
    );
    fails(
        &db,
        &["oauth-client", "update", "not-an-id", "--name", "Nobody"],
        1,
        "no such client",
    );
    fails(
        &db,
        &[
            "oauth-client",
            "update",
            &id,
            "--name",
            "Web 2",
            "--redirect-uri",
            "https://app.example/ok",
            "--redirect-uri",
            "http://app.example/cb",
        ],
        1,
        "loopback",
    );
    fails(
        &db,
        &[
            "oauth-client",
            "update",
            &id,
            "--redirect-uri",
            "https://app.example/cb#x",
        ],
        1,
        "fragment",
    );
    fails(
        &db,
        &["oauth-client", "update", &id, "--grant-type", "implicit"],
        2,
        "not offered",
    );
    fails(
        &db,
        &[
            "oauth-client",
            "update",
            &id,
            "--grant-type",
            "refresh_token",
        ],
        1,
        "refresh_token needs authorization_code",
    );
    fails(
        &db,
        &["oauth-client", "update", &id, "--name", ""],
        1,
        "client name must not be empty",
    );
    assert_eq!(one(&db, &["oauth-client", "show", &id]), before);

    // A public client stays public: it cannot take a confidential grant.
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
    let app_id = app["client_id"].as_str().unwrap();
    fails(
        &db,
        &[
            "oauth-client",
            "update",
            app_id,
            "--grant-type",
            "client_credentials",
        ],
        1,
        "confidential",
    );
    let renamed = one(&db, &["oauth-client", "update", app_id, "--name", "CLI 2"]);
    assert_eq!(renamed["token_endpoint_auth_method"], "none");
    assert!(renamed.get("client_secret").is_none());
}

#[test]
fn lifetimes_are_shown_and_set() {
    let (_dir, db) = db();
    let shown = one(&db, &["oauth-lifetimes"]);
    assert_eq!(shown["code"], 60, "{shown}");
    assert_eq!(shown["refresh_grace"], 0, "{shown}");
    let set = one(
        &db,
        &[
            "oauth-lifetimes",
            "--refresh-grace",
            "10",
            "--access",
            "600",
        ],
    );
    assert_eq!(set["refresh_grace"], 10, "{set}");
    assert_eq!(set["access"], 600, "{set}");
    assert_eq!(set["code"], 60, "what was not named stays: {set}");
    assert_eq!(one(&db, &["oauth-lifetimes"]), set);
    fails(
        &db,
        &["oauth-lifetimes", "--refresh-grace", "301"],
        1,
        "grace",
    );
    fails(&db, &["oauth-lifetimes", "--code", "-1"], 2, "");
    assert_eq!(one(&db, &["oauth-lifetimes"]), set, "nothing changed");
}
