//! How long what the grants issue lives: the defaults and bounds of codes,
//! access tokens and refresh tokens, and the lifetimes as set.

use super::OAuthError;
use crate::env::{Env, Write};
use crate::error::{Error, Result};
use crate::record::{decode_oauth_lifetimes, encode_oauth_lifetimes};
use crate::{Auth, keys};

/// The default lifetime of an authorization code: 60 s.
pub const DEFAULT_CODE_LIFETIME: u64 = 60;
/// The longest lifetime of an authorization code: 10 minutes (RFC 6749
/// §4.1.2).
pub const MAX_CODE_LIFETIME: u64 = 10 * 60;
/// The default lifetime of an access token: one hour.
pub const DEFAULT_ACCESS_LIFETIME: u64 = 60 * 60;
/// The default idle lifetime of a refresh token: 14 days unused.
pub const DEFAULT_REFRESH_IDLE_LIFETIME: u64 = 14 * 24 * 60 * 60;
/// The default absolute lifetime of a grant's refresh tokens: 30 days,
/// however often they are refreshed.
pub const DEFAULT_REFRESH_LIFETIME: u64 = 30 * 24 * 60 * 60;
/// The longest any OAuth lifetime may be: one year.
pub const MAX_OAUTH_LIFETIME: u64 = 365 * 24 * 60 * 60;
/// The longest refresh grace interval: 5 minutes. It exists for refreshes
/// racing each other, which take seconds; a longer one would only widen
/// the window in which a stolen refresh token goes unnoticed.
pub const MAX_REFRESH_GRACE: u64 = 5 * 60;

/// How long what a grant issues lives, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OAuthLifetimes {
    /// Of an authorization code: 1..=[`MAX_CODE_LIFETIME`].
    pub code: u64,
    /// Of an access token.
    pub access: u64,
    /// Of a refresh token left unused.
    pub refresh_idle: u64,
    /// Of a grant's refresh tokens in all: no refresh goes past it.
    pub refresh: u64,
    /// For how long after a refresh the refresh token it used may still
    /// be used (0..=[`MAX_REFRESH_GRACE`] whole seconds; 0, the default,
    /// turns it off): each such use gives a new live refresh token beside
    /// the one the refresh issued, so that refreshes racing with one token
    /// all succeed. After it, or once another refresh has used a live
    /// token, that token is a replay, which revokes the grant.
    pub refresh_grace: u64,
}

impl Default for OAuthLifetimes {
    fn default() -> Self {
        OAuthLifetimes {
            code: DEFAULT_CODE_LIFETIME,
            access: DEFAULT_ACCESS_LIFETIME,
            refresh_idle: DEFAULT_REFRESH_IDLE_LIFETIME,
            refresh: DEFAULT_REFRESH_LIFETIME,
            // Off: rotation's theft detection is whole unless asked.
            refresh_grace: 0,
        }
    }
}

impl OAuthLifetimes {
    pub(super) fn check(&self) -> core::result::Result<(), OAuthError> {
        let bad = |what: &str, max: u64| {
            OAuthError::InvalidRequest(format!("the {what} lifetime must be 1..={max} seconds"))
        };
        if !(1..=MAX_CODE_LIFETIME).contains(&self.code) {
            return Err(bad("code", MAX_CODE_LIFETIME));
        }
        for (what, l) in [
            ("access token", self.access),
            ("refresh token idle", self.refresh_idle),
            ("refresh token", self.refresh),
        ] {
            if !(1..=MAX_OAUTH_LIFETIME).contains(&l) {
                return Err(bad(what, MAX_OAUTH_LIFETIME));
            }
        }
        if self.refresh_grace > MAX_REFRESH_GRACE {
            return Err(OAuthError::InvalidRequest(format!(
                "the refresh grace interval must be 0..={MAX_REFRESH_GRACE} seconds"
            )));
        }
        Ok(())
    }
}

impl<E: Env> Auth<E> {
    /// The lifetimes of what OAuth grants issue, as set (or the defaults).
    pub fn get_oauth_lifetimes(&self) -> Result<OAuthLifetimes> {
        match self.env.get(&keys::oauth_settings())? {
            Some(bytes) => decode_oauth_lifetimes(&bytes),
            None => Ok(OAuthLifetimes::default()),
        }
    }

    /// Set the lifetimes of what OAuth grants issue from now on.
    ///
    /// Errors: [`Error::InvalidInput`] for a lifetime out of range (a code
    /// 1..=[`MAX_CODE_LIFETIME`] seconds, the grace interval
    /// 0..=[`MAX_REFRESH_GRACE`], the rest 1..=[`MAX_OAUTH_LIFETIME`]).
    pub fn set_oauth_lifetimes(&self, lifetimes: &OAuthLifetimes) -> Result<()> {
        lifetimes.check().map_err(|e| match e {
            OAuthError::InvalidRequest(why) => Error::InvalidInput(why),
            other => Error::InvalidInput(other.to_string()),
        })?;
        self.env.commit(
            &[],
            &[Write::put(
                keys::oauth_settings(),
                encode_oauth_lifetimes(lifetimes),
            )],
        )?;
        Ok(())
    }
}
