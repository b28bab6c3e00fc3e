//! `token`: arbitrary strings as bearer tokens. One user with one real
//! token lives in a [`MemoryEnv`] for the whole run; no string but that
//! token may validate or log out, nothing may panic, and a string that is
//! not the token writes nothing.
//!
//! The first byte of the input picks how the string is made, so that the
//! fuzzer reaches deep into the token check as well as around it:
//! `0` the real token with `(position, byte)` edits, `1` a well-formed
//! token (right checksum) from the remaining bytes, `2` the real token
//! with the remaining bytes spliced in, anything else the input as text.

use std::sync::{Mutex, OnceLock};

use moth_core::memory::MemoryEnv;
use moth_core::{Auth, Error, User};

use crate::{cheap_settings, forge, text};

struct Fixture {
    auth: Auth<MemoryEnv>,
    user: User,
    token: String,
}

impl Fixture {
    fn new() -> Self {
        let auth = Auth::new(MemoryEnv::new());
        auth.set_settings(cheap_settings()).expect("cheap settings");
        let user = auth.create_user("ann", "pw", "r").expect("create ann");
        let token = auth.login("ann", "pw", None).expect("log in").token;
        Fixture { auth, user, token }
    }
}

fn fixture() -> &'static Mutex<Fixture> {
    static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();
    FIXTURE.get_or_init(|| Mutex::new(Fixture::new()))
}

/// The string the input stands for, given the real token.
pub fn candidate(real: &str, data: &[u8]) -> String {
    match data.split_first() {
        Some((0, edits)) => {
            let mut bytes = real.as_bytes().to_vec();
            for edit in edits.chunks_exact(2) {
                let at = edit[0] as usize % bytes.len();
                bytes[at] = edit[1];
            }
            text(&bytes)
        }
        Some((1, rest)) => {
            let mut random = [0u8; 32];
            for (i, b) in rest.iter().enumerate() {
                random[i % 32] ^= b;
            }
            forge(&random)
        }
        Some((2, [at, rest @ ..])) => {
            let at = *at as usize % (real.len() + 1);
            format!("{}{}{}", &real[..at], text(rest), &real[at..])
        }
        _ => text(data),
    }
}

/// One input: its string is validated, then logged out.
pub fn run(data: &[u8]) {
    let mut fx = fixture().lock().unwrap_or_else(|p| p.into_inner());
    let token = candidate(&fx.token, data);
    let real = token == fx.token;
    let commits = fx.auth.env().commits();
    let entries = fx.auth.env().len();

    match fx.auth.validate(&token) {
        Ok(v) => assert!(real && v.user == fx.user, "{token:?} validated as {v:?}"),
        Err(Error::InvalidToken) => assert!(!real, "the real token was refused"),
        Err(e) => panic!("validate({token:?}) failed with {e:?}"),
    }
    assert_eq!(fx.auth.env().commits(), commits, "validate wrote");

    match fx.auth.logout(&token) {
        Ok(()) => {
            assert!(real, "{token:?} logged out");
            fx.token = fx
                .auth
                .login("ann", "pw", None)
                .expect("log in again")
                .token;
        }
        Err(Error::InvalidToken) => {
            assert!(!real, "the real token could not log out");
            assert_eq!(fx.auth.env().commits(), commits, "a refused logout wrote");
        }
        Err(e) => panic!("logout({token:?}) failed with {e:?}"),
    }
    assert_eq!(fx.auth.env().len(), entries, "the store grew or shrank");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{budget, generator};

    /// The real token itself, by each way of making a string.
    #[test]
    fn the_real_token_validates_and_logs_out() {
        let real = fixture().lock().unwrap().token.clone();
        run(real.as_bytes());
        let real = fixture().lock().unwrap().token.clone();
        run(&[2, 0]);
        // An edit that writes what is there already.
        run(&[0, 7, real.as_bytes()[7]]);
    }

    #[test]
    fn adversarial_strings() {
        let real = fixture().lock().unwrap().token.clone();
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            b"moth_".to_vec(),
            real.as_bytes()[..real.len() - 1].to_vec(),
            format!("{real} ").into_bytes(),
            format!(" {real}").into_bytes(),
            real.to_ascii_uppercase().into_bytes(),
            format!("Bearer {real}").into_bytes(),
            vec![0; moth_core::TOKEN_LEN],
            vec![0xff; moth_core::TOKEN_LEN],
        ];
        // A multibyte character at every offset, keeping the length.
        for c in ["é", "€", "😀"] {
            for at in 0..=real.len() - c.len() {
                cases.push(format!("{}{c}{}", &real[..at], &real[at + c.len()..]).into_bytes());
            }
        }
        // One byte edited, everywhere, to everything interesting.
        for at in 0..real.len() as u8 {
            for b in [b'A', b'-', b'_', b'=', b'+', b'/', 0, 0x80, 0xc3] {
                cases.push(vec![0, at, b]);
            }
        }
        for case in cases {
            run(&case);
        }
    }

    #[test]
    fn generated_inputs() {
        let mut g = generator(1);
        for _ in 0..budget(600) {
            let mut input = g.input(200);
            if let Some(first) = input.first_mut() {
                *first %= 4;
            }
            run(&input);
        }
    }
}
