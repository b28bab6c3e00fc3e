//! The glue itself, compiled only for wasm32.

wit_bindgen::generate!({
    world: "auth",
    path: "../wit",
    generate_all,
    default_bindings_module: "crate::component",
});

use exports::moth::auth::users as types;
use exports::moth::auth::users::Guest;
use moth::auth::store;
use moth_core::{Auth, Env, StoreError};

/// The WIT imports, as an environment for the core logic.
struct Imports;

fn store_error(e: store::StoreError) -> StoreError {
    match e {
        store::StoreError::Conflict => StoreError::Conflict,
        store::StoreError::Failure(m) => StoreError::Failure(m),
    }
}

impl Env for Imports {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        store::get(key).map_err(store_error)
    }

    fn scan(
        &self,
        start: &[u8],
        end: &[u8],
        limit: u32,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let entries = store::scan(start, end, limit).map_err(store_error)?;
        Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    fn commit(
        &self,
        guards: &[moth_core::Guard],
        writes: &[moth_core::Write],
    ) -> Result<(), StoreError> {
        let guards: Vec<store::Guard> = guards
            .iter()
            .map(|g| store::Guard {
                key: g.key.clone(),
                expect: g.expect.clone(),
            })
            .collect();
        let writes: Vec<store::Write> = writes
            .iter()
            .map(|w| store::Write {
                key: w.key.clone(),
                value: w.value.clone(),
            })
            .collect();
        store::commit(&guards, &writes).map_err(store_error)
    }

    fn now(&self) -> u64 {
        wasi::clocks::wall_clock::now().seconds
    }

    fn random(&self, buf: &mut [u8]) {
        let bytes = wasi::random::random::get_random_bytes(buf.len() as u64);
        // A host that returns fewer bytes than asked would silently weaken
        // every token and salt: better to trap.
        assert_eq!(bytes.len(), buf.len(), "host returned short randomness");
        buf.copy_from_slice(&bytes);
    }
}

fn auth() -> Auth<Imports> {
    Auth::new(Imports)
}

fn err(e: moth_core::Error) -> types::Error {
    use moth_core::Error as E;
    match e {
        E::NoUser => types::Error::NoUser,
        E::InvalidPassword => types::Error::InvalidPassword,
        E::UserExists => types::Error::UserExists,
        E::InvalidToken => types::Error::InvalidToken,
        E::TokenExpired => types::Error::TokenExpired,
        E::InvalidInput(m) => types::Error::InvalidInput(m),
        E::Storage(m) => types::Error::Storage(m),
    }
}

fn user(u: moth_core::User) -> types::User {
    types::User {
        id: u.id,
        username: u.username,
        permissions: u.permissions,
    }
}

fn settings_to_wit(s: moth_core::Settings) -> types::Settings {
    types::Settings {
        argon2_memory_kib: s.argon2_memory_kib,
        argon2_iterations: s.argon2_iterations,
        argon2_parallelism: s.argon2_parallelism,
        default_token_lifetime: s.default_token_lifetime,
    }
}

struct Component;

impl Guest for Component {
    fn create_user(
        username: String,
        password: String,
        permissions: String,
    ) -> Result<types::User, types::Error> {
        #[cfg(feature = "fault-injection")]
        faults::inject(&username);
        auth()
            .create_user(&username, &password, &permissions)
            .map(user)
            .map_err(err)
    }

    fn delete_user(id: u64) -> Result<(), types::Error> {
        auth().delete_user(id).map_err(err)
    }

    fn get_user(id: u64) -> Result<types::User, types::Error> {
        auth().user(id).map(user).map_err(err)
    }

    fn list_users(after: Option<u64>, limit: u32) -> Result<types::UserPage, types::Error> {
        let page = auth().list_users(after, limit).map_err(err)?;
        Ok(types::UserPage {
            users: page.users.into_iter().map(user).collect(),
            next: page.next,
        })
    }

    fn set_password(id: u64, password: String) -> Result<(), types::Error> {
        auth().set_password(id, &password).map_err(err)
    }

    fn set_permissions(id: u64, permissions: String) -> Result<(), types::Error> {
        auth().set_permissions(id, &permissions).map_err(err)
    }

    fn check_password(username: String, password: String) -> Result<bool, types::Error> {
        auth().password_valid(&username, &password).map_err(err)
    }

    fn login(
        username: String,
        password: String,
        lifetime: Option<u64>,
    ) -> Result<types::Session, types::Error> {
        let s = auth().login(&username, &password, lifetime).map_err(err)?;
        Ok(types::Session {
            token: s.token,
            user: user(s.user),
            expires: s.expires,
        })
    }

    fn validate(token: String) -> Result<types::Validation, types::Error> {
        let v = auth().validate(&token).map_err(err)?;
        Ok(types::Validation {
            user: user(v.user),
            expires: v.expires,
        })
    }

    fn logout(token: String) -> Result<(), types::Error> {
        auth().logout(&token).map_err(err)
    }

    fn count_tokens(id: u64) -> Result<u64, types::Error> {
        auth().count_tokens(id).map_err(err)
    }

    fn delete_tokens(id: u64) -> Result<u64, types::Error> {
        auth().delete_tokens(id).map_err(err)
    }

    fn sweep(limit: u32) -> Result<u64, types::Error> {
        auth().sweep(limit).map_err(err)
    }

    fn get_settings() -> Result<types::Settings, types::Error> {
        auth().settings().map(settings_to_wit).map_err(err)
    }

    fn set_settings(s: types::Settings) -> Result<(), types::Error> {
        auth()
            .set_settings(moth_core::Settings {
                argon2_memory_kib: s.argon2_memory_kib,
                argon2_iterations: s.argon2_iterations,
                argon2_parallelism: s.argon2_parallelism,
                default_token_lifetime: s.default_token_lifetime,
            })
            .map_err(err)
    }
}

export!(Component);

/// Misbehaviour on demand, for the host's fault-containment tests. Each
/// fault strikes mid-operation: after the store has been read, before the
/// commit.
#[cfg(feature = "fault-injection")]
mod faults {
    pub fn inject(username: &str) {
        if !username.starts_with("fault-") {
            return;
        }
        let _ = super::auth().settings();
        match username {
            "fault-trap" => core::arch::wasm32::unreachable(),
            "fault-loop" => loop {
                core::hint::black_box(());
            },
            "fault-oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    core::hint::black_box(&hoard);
                }
            }
            _ => {}
        }
    }
}
