//! An example plugin: it knows moth only through the WIT it imports
//! (`../../wit/plugin.wit`), and the plugin host decides which of those
//! operations it may call and for which tenant.
//!
//! The glue exists only on `wasm32`, where the plugin runs.

#[cfg(target_arch = "wasm32")]
mod plugin {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../../wit",
        generate_all,
    });

    use moth::auth::types::Error;
    use moth::auth::{roles, sessions, users};

    struct Plugin;

    impl Guest for Plugin {
        fn handle(token: String) -> String {
            let who = match sessions::validate(&token) {
                Ok(v) => v.user.username,
                Err(e) => return format!("denied: {}", describe(&e)),
            };
            match roles::token_has_all(&token, &["reports:read".to_owned()]) {
                Ok(true) => format!("hello {who}: you may read reports"),
                Ok(false) => format!("hello {who}: you may not read reports"),
                Err(e) => format!("hello {who}: {}", describe(&e)),
            }
        }

        fn escalate() -> String {
            match users::create_user("mallory", "correct horse battery staple", "admin") {
                Ok(u) => format!("created user {}", u.id),
                Err(e) => format!("refused: {}", describe(&e)),
            }
        }
    }

    /// The error as the WIT names it, with its text where it has one.
    fn describe(e: &Error) -> String {
        match e {
            Error::InvalidInput(why) => format!("invalid-input: {why}"),
            Error::InvalidToken => "invalid-token".into(),
            Error::TokenExpired => "token-expired".into(),
            other => format!("{other:?}"),
        }
    }

    export!(Plugin);
}
