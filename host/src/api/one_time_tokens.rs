//! The `one-time-tokens` interface: single-use tokens for password reset
//! and email verification.

use std::time::Duration;

use crate::error::Result;
use crate::ops;
use crate::{Moth, OneTimeToken, User};

impl Moth {
    /// Issue a single-use token for user `id` and `purpose`, valid for
    /// `lifetime` (4 hours when `None`; at most 7 days).
    pub fn issue_one_time_token(
        &self,
        id: u64,
        purpose: &str,
        lifetime: Option<Duration>,
    ) -> Result<OneTimeToken> {
        let lifetime = lifetime.map(|d| d.as_secs());
        let token = self
            .call(ops::ISSUE_ONE_TIME_TOKEN, |i| {
                let (one_time, store) = i.one_time_tokens();
                one_time.call_issue_one_time_token(store, id, purpose, lifetime)
            })
            .map(OneTimeToken::from)?;
        self.sweep_state().minted(token.expires);
        Ok(token)
    }

    /// Use up a token of `purpose` and return its user.
    pub fn redeem_one_time_token(&self, token: &str, purpose: &str) -> Result<User> {
        self.call(ops::REDEEM_ONE_TIME_TOKEN, |i| {
            let (one_time, store) = i.one_time_tokens();
            one_time.call_redeem_one_time_token(store, token, purpose)
        })
        .map(User::from)
    }

    /// Use up a `reset-password` token, set the user's new password and
    /// revoke their login tokens, in one commit.
    pub fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        let user = self
            .call(ops::RESET_PASSWORD, |i| {
                let (one_time, store) = i.one_time_tokens();
                one_time.call_reset_password(store, token, new_password)
            })
            .map(User::from)?;
        self.sweep_state().revoked();
        Ok(user)
    }
}
