//! The `email-tokens` interface: tokens that prove control of an address.

use crate::error::Result;
use crate::ops;
use crate::{EmailToken, EmailTokenInfo, EmailTokenOptions, Moth};

impl Moth {
    /// Create a token for `address` (single-use and valid for 15 minutes
    /// unless `options` say otherwise).
    pub fn create_email_token(
        &self,
        address: &str,
        options: &EmailTokenOptions,
    ) -> Result<EmailToken> {
        let token = self
            .call(ops::CREATE_EMAIL_TOKEN, |i| {
                let (email, store) = i.email_tokens();
                email.call_create_email_token(store, address, &options.into())
            })
            .map(EmailToken::from)?;
        self.sweep_state().minted(token.expires);
        Ok(token)
    }

    /// Check a token of `address` (and its IP binding against `ip`), use it
    /// up once, and return its retval. A token that fails its expiry or IP
    /// check is deleted, and the error says which.
    pub fn auth_email_token(
        &self,
        address: &str,
        token: &str,
        ip: Option<&str>,
    ) -> Result<Option<String>> {
        self.call(ops::AUTH_EMAIL_TOKEN, |i| {
            let (email, store) = i.email_tokens();
            email.call_auth_email_token(store, address, token, ip)
        })
    }

    /// Replace one token's retval.
    pub fn set_email_token_retval(
        &self,
        address: &str,
        token: &str,
        retval: Option<&str>,
    ) -> Result<()> {
        self.call(ops::SET_EMAIL_TOKEN_RETVAL, |i| {
            let (email, store) = i.email_tokens();
            email.call_set_email_token_retval(store, address, token, retval)
        })
    }

    /// Delete one token, given the secret.
    pub fn remove_email_token(&self, address: &str, token: &str) -> Result<()> {
        self.call(ops::REMOVE_EMAIL_TOKEN, |i| {
            let (email, store) = i.email_tokens();
            email.call_remove_email_token(store, address, token)
        })
    }

    /// The address's live tokens, oldest first: metadata only.
    pub fn list_email_tokens(&self, address: &str) -> Result<Vec<EmailTokenInfo>> {
        self.call(ops::LIST_EMAIL_TOKENS, |i| {
            let (email, store) = i.email_tokens();
            email.call_list_email_tokens(store, address)
        })
        .map(|list| list.into_iter().map(EmailTokenInfo::from).collect())
    }

    /// Delete one token of the address by its public id.
    pub fn revoke_email_token(&self, address: &str, id: &str) -> Result<()> {
        self.call(ops::REVOKE_EMAIL_TOKEN, |i| {
            let (email, store) = i.email_tokens();
            email.call_revoke_email_token(store, address, id)
        })
    }

    /// Delete every token of the address; returns how many were live.
    pub fn remove_email_address(&self, address: &str) -> Result<u64> {
        self.call(ops::REMOVE_EMAIL_ADDRESS, |i| {
            let (email, store) = i.email_tokens();
            email.call_remove_email_address(store, address)
        })
    }
}
