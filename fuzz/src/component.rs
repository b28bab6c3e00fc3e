//! `component`: arbitrary sequences of calls through the real component
//! (`moth::Moth`, wasmtime). Each input runs on a tenant of its own (cheap
//! Argon2 costs), deleted after it. No call may trap, time out, hit the
//! memory cap or fail in the store, nothing may panic, and a token just
//! minted must validate as its user.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use moth::{Error, Moth, Options, Settings};

use crate::{cheap_settings, forge};

#[derive(Arbitrary, Debug)]
pub enum Call {
    CreateUser(Name, Pw, String),
    DeleteUser(Id),
    GetUser(Id),
    ListUsers(Option<Id>, u32),
    AllUsers,
    SetPassword(Id, Pw),
    SetPermissions(Id, String),
    CheckPassword(Name, Pw),
    Login(Name, Pw, Option<u64>),
    Validate(Tok),
    Logout(Tok),
    CountTokens(Id),
    DeleteTokens(Id),
    Sweep(u32),
    SweepAll,
    GetSettings,
    SetSettings(Costs),
}

#[derive(Arbitrary, Debug)]
pub enum Name {
    Known(u8),
    Text(String),
    /// `n` times `c`.
    Long(u16, char),
}

#[derive(Arbitrary, Debug)]
pub enum Pw {
    Known(u8),
    Text(String),
    Long(u16, char),
}

#[derive(Arbitrary, Debug)]
pub enum Id {
    Small(u8),
    Any(u64),
}

#[derive(Arbitrary, Debug)]
pub enum Tok {
    Minted(u8),
    Forged([u8; 32]),
    Text(String),
}

/// Argon2 costs from short lists, so that every valid choice is cheap.
#[derive(Arbitrary, Debug)]
pub struct Costs {
    memory: u8,
    iterations: u8,
    parallelism: u8,
    lifetime: Option<u64>,
    weak: bool,
}

const NAMES: &[&str] = &["ann", "bob", "é", "\u{202e}x", "a\tb"];
const PASSWORDS: &[&str] = &["pw", "pw2", "\0", "😀"];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

impl Name {
    fn make(&self) -> String {
        match self {
            Name::Known(i) => pick(NAMES, *i).to_owned(),
            Name::Text(s) => s.clone(),
            Name::Long(n, c) => c.to_string().repeat(*n as usize % 400),
        }
    }
}

impl Pw {
    fn make(&self) -> String {
        match self {
            Pw::Known(i) => pick(PASSWORDS, *i).to_owned(),
            Pw::Text(s) => s.clone(),
            Pw::Long(n, c) => c.to_string().repeat(*n as usize % 1400),
        }
    }
}

impl Id {
    fn make(&self) -> u64 {
        match self {
            Id::Small(i) => u64::from(*i % 8),
            Id::Any(v) => *v,
        }
    }
}

impl Costs {
    fn make(&self) -> Settings {
        Settings {
            argon2_memory_kib: [0, 7, 8, 16, 64, 1024 * 1024 + 1, u32::MAX]
                [self.memory as usize % 7],
            argon2_iterations: [0, 1, 2, 65, u32::MAX][self.iterations as usize % 5],
            argon2_parallelism: [0, 1, 2, 17][self.parallelism as usize % 4],
            default_token_lifetime: self.lifetime.unwrap_or(60),
            allow_weak_hashing: self.weak,
            max_tokens_per_user: [0, 1, 3, 1000, 10_001][self.memory as usize % 5],
        }
    }
}

struct Fixture {
    moth: Moth,
    inputs: AtomicU64,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let moth = Options::new()
            .create(true)
            .settings(cheap_settings())
            .sweep_interval(None)
            .open(dir.path().join("moth.db"))
            .expect("open a database");
        Fixture {
            moth,
            inputs: AtomicU64::new(0),
            _dir: dir,
        }
    })
}

/// A result the component may give: anything but a failure of the
/// machinery.
fn fine<T: std::fmt::Debug>(call: &Call, r: &Result<T, Error>) {
    if let Err(e) = r {
        let ordinary = matches!(
            e,
            Error::NoUser
                | Error::InvalidPassword
                | Error::InvalidToken
                | Error::TokenExpired
                | Error::UserExists
                | Error::InvalidInput(_)
        );
        assert!(ordinary, "{call:?} failed with {e:?}");
    }
}

/// Run `calls` on a fresh tenant.
pub fn calls(calls: &[Call]) {
    let fx = fixture();
    let name = format!("fz{}", fx.inputs.fetch_add(1, Ordering::Relaxed));
    let moth = fx
        .moth
        .create_tenant(&name, Some(cheap_settings()))
        .expect("create the input's tenant");
    let mut tokens: Vec<String> = Vec::new();
    for call in calls {
        let token = |t: &Tok| match t {
            Tok::Minted(i) if !tokens.is_empty() => tokens[*i as usize % tokens.len()].clone(),
            Tok::Minted(i) => forge(&[*i; 32]),
            Tok::Forged(r) => forge(r),
            Tok::Text(s) => s.clone(),
        };
        match call {
            Call::CreateUser(n, p, perms) => {
                fine(call, &moth.create_user(&n.make(), &p.make(), perms))
            }
            Call::DeleteUser(id) => fine(call, &moth.delete_user(id.make())),
            Call::GetUser(id) => fine(call, &moth.get_user(id.make())),
            Call::ListUsers(after, limit) => {
                fine(call, &moth.list_users(after.as_ref().map(Id::make), *limit))
            }
            Call::AllUsers => fine(call, &moth.all_users()),
            Call::SetPassword(id, p) => fine(call, &moth.set_password(id.make(), &p.make())),
            Call::SetPermissions(id, perms) => fine(call, &moth.set_permissions(id.make(), perms)),
            Call::CheckPassword(n, p) => fine(call, &moth.check_password(&n.make(), &p.make())),
            Call::Login(n, p, lifetime) => {
                let r = moth.login(&n.make(), &p.make(), lifetime.map(Duration::from_secs));
                fine(call, &r);
                if let Ok(s) = r {
                    let v = moth.validate(&s.token);
                    // A token with a lifetime of a second may be gone already.
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    assert!(
                        matches!(&v, Ok(v) if v.user == s.user && v.expires == s.expires)
                            || matches!(v, Err(Error::TokenExpired) if s.expires <= now),
                        "{call:?}: the new token gave {v:?}"
                    );
                    tokens.push(s.token);
                }
            }
            Call::Validate(t) => fine(call, &moth.validate(&token(t))),
            Call::Logout(t) => fine(call, &moth.logout(&token(t))),
            Call::CountTokens(id) => fine(call, &moth.count_tokens(id.make())),
            Call::DeleteTokens(id) => fine(call, &moth.delete_tokens(id.make())),
            Call::Sweep(limit) => fine(call, &moth.sweep(*limit)),
            Call::SweepAll => fine(call, &moth.sweep_all()),
            Call::GetSettings => fine(call, &moth.get_settings()),
            Call::SetSettings(c) => fine(call, &moth.set_settings(c.make())),
        }
    }
    fx.moth
        .delete_tenant(&name)
        .expect("delete the input's tenant");
}

/// One input: up to 32 calls.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(list) = u
        .arbitrary_iter::<Call>()
        .and_then(|it| it.take(32).collect::<Result<Vec<_>, _>>())
    else {
        return;
    };
    calls(&list);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{budget, generator};

    #[test]
    fn a_session_and_the_limits() {
        let ann = || Name::Known(0);
        let pw = || Pw::Known(0);
        calls(&[
            Call::CreateUser(ann(), pw(), "r".into()),
            Call::CreateUser(
                Name::Long(256, 'a'),
                Pw::Long(1024, 'x'),
                "é".repeat(32 * 1024),
            ),
            Call::CreateUser(Name::Long(257, 'a'), pw(), String::new()),
            Call::CreateUser(ann(), Pw::Long(1025, 'x'), String::new()),
            Call::Login(ann(), pw(), Some(1)),
            Call::Login(ann(), pw(), None),
            Call::Login(ann(), pw(), Some(0)),
            Call::Login(ann(), pw(), Some(u64::MAX)),
            Call::Validate(Tok::Minted(1)),
            Call::CountTokens(Id::Small(1)),
            Call::ListUsers(None, 0),
            Call::ListUsers(Some(Id::Any(u64::MAX)), 1000),
            Call::AllUsers,
            Call::SetSettings(Costs {
                memory: 2,
                iterations: 1,
                parallelism: 1,
                lifetime: Some(0),
                weak: true,
            }),
            Call::SetSettings(Costs {
                memory: 5,
                iterations: 1,
                parallelism: 1,
                lifetime: None,
                weak: true,
            }),
            Call::SetSettings(Costs {
                memory: 3,
                iterations: 2,
                parallelism: 2,
                lifetime: Some(5),
                weak: true,
            }),
            // Cheap costs without the opt-in: refused.
            Call::SetSettings(Costs {
                memory: 3,
                iterations: 1,
                parallelism: 1,
                lifetime: None,
                weak: false,
            }),
            Call::Login(ann(), pw(), None),
            Call::Sweep(0),
            Call::Sweep(u32::MAX),
            Call::SweepAll,
            Call::SetPassword(Id::Small(1), Pw::Known(1)),
            Call::Validate(Tok::Minted(0)),
            Call::Logout(Tok::Minted(0)),
            Call::Logout(Tok::Forged([1; 32])),
            Call::Validate(Tok::Text("moth_é".into())),
            Call::DeleteTokens(Id::Small(1)),
            Call::DeleteUser(Id::Small(1)),
            Call::GetUser(Id::Any(0)),
            Call::GetSettings,
        ]);
    }

    #[test]
    fn generated_inputs() {
        let mut g = generator(4);
        for _ in 0..budget(200) {
            run(&g.input(512));
        }
    }
}
