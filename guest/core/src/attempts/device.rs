//! Device credentials (OWASP's "device cookies"): proof that a client once
//! logged into an account, so that its later logins are judged by its own
//! failure counter rather than the account's lockout.
//!
//! A credential is `mothd_` + URL-safe base64 of user id, issue time and a
//! 16-byte random nonce (8 + 8 + 16 bytes) followed by HMAC-SHA-256 of them
//! under the store's device key (`m` + `device-key`, 32 random bytes made
//! on first use). Nothing is stored per credential: issuing one costs no
//! write, and only a credential that fails gets a counter (`f`, subject
//! `3` + nonce).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result};
use crate::{Auth, keys};

/// How long a device credential stays valid after its issue, in seconds
/// (one year); a login presenting an older one gets a new one.
pub const DEVICE_LIFETIME: u64 = 365 * 24 * 60 * 60;
/// Every device credential starts with this.
pub const DEVICE_PREFIX: &str = "mothd_";
const BODY: usize = 8 + 8 + 16;
const MAC: usize = 32;
/// Domain separation: the key signs nothing else, but says what it signs.
const CONTEXT: &[u8] = b"moth device credential v1";

/// A valid device credential, as verified.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DeviceClaim {
    /// The account it was issued for.
    pub user_id: u64,
    /// Its random part: the subject of its own failure counter.
    pub nonce: [u8; 16],
    /// The credential itself, handed back on the next success.
    pub credential: String,
}

fn mac(key: &[u8; 32], body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key");
    m.update(CONTEXT);
    m.update(body);
    m
}

impl<E: Env> Auth<E> {
    fn device_key(&self) -> Result<Option<[u8; 32]>> {
        match self.env.get(&keys::device_key())? {
            Some(bytes) => bytes
                .try_into()
                .map(Some)
                .map_err(|_| Error::Storage("corrupt device key".into())),
            None => Ok(None),
        }
    }

    /// The device key, made (once, whoever races) when there is none. A
    /// login that may issue a credential gets it before it checks the
    /// password, so that nothing can fail after its session is committed.
    pub(crate) fn device_key_or_new(&self) -> Result<[u8; 32]> {
        loop {
            if let Some(key) = self.device_key()? {
                return Ok(key);
            }
            let mut key = [0u8; 32];
            self.env.random(&mut key);
            let k = keys::device_key();
            match self
                .env
                .commit(&[Guard::absent(k.clone())], &[Write::put(k, key.to_vec())])
            {
                Ok(()) => return Ok(key),
                // Another call made it first: use theirs.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A new device credential for user `user_id`, signed with `key` (from
    /// [`Auth::device_key_or_new`]), and its nonce (its public id).
    pub(crate) fn issue_device(&self, key: &[u8; 32], user_id: u64) -> (String, [u8; 16]) {
        let mut raw = [0u8; BODY + MAC];
        raw[..8].copy_from_slice(&user_id.to_be_bytes());
        raw[8..16].copy_from_slice(&self.env.now().to_be_bytes());
        self.env.random(&mut raw[16..BODY]);
        let tag = mac(key, &raw[..BODY]).finalize().into_bytes();
        raw[BODY..].copy_from_slice(&tag);
        let mut credential = String::with_capacity(DEVICE_PREFIX.len() + 86);
        credential.push_str(DEVICE_PREFIX);
        URL_SAFE_NO_PAD.encode_string(raw, &mut credential);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&raw[16..BODY]);
        (credential, nonce)
    }

    /// The claim of `credential` when it is well formed, signed by this
    /// store's key and not older than [`DEVICE_LIFETIME`]; `None` for
    /// anything else, which the check then treats as an unknown device.
    pub(crate) fn verify_device(&self, credential: &str) -> Result<Option<DeviceClaim>> {
        let Some(encoded) = credential.strip_prefix(DEVICE_PREFIX) else {
            return Ok(None);
        };
        let mut raw = [0u8; BODY + MAC];
        if encoded.len() > 90 || URL_SAFE_NO_PAD.decode_slice(encoded, &mut raw) != Ok(BODY + MAC) {
            return Ok(None);
        }
        let Some(key) = self.device_key()? else {
            return Ok(None);
        };
        // `verify_slice` compares in constant time.
        if mac(&key, &raw[..BODY]).verify_slice(&raw[BODY..]).is_err() {
            return Ok(None);
        }
        let user_id = u64::from_be_bytes(raw[..8].try_into().unwrap_or_default());
        let issued = u64::from_be_bytes(raw[8..16].try_into().unwrap_or_default());
        if issued.saturating_add(DEVICE_LIFETIME) <= self.env.now() {
            return Ok(None);
        }
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&raw[16..BODY]);
        Ok(Some(DeviceClaim {
            user_id,
            nonce,
            credential: credential.to_owned(),
        }))
    }
}
