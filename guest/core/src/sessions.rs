//! Login sessions: minting, validating, revoking and sweeping tokens.

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{SessionEntry, TokenRecord};
use crate::settings::check_lifetime;
use crate::txn::{committed, retry};
use crate::users::check_username;
use crate::{Auth, Session, User, Validation, keys, password, token};

/// The most expired tokens one sweep call may delete.
pub const MAX_SWEEP: u32 = 10_000;

impl<E: Env> Auth<E> {
    /// Check `username`'s password and mint a token valid for `lifetime`
    /// seconds (the stored default when `None`). Rehashes the password when
    /// the Argon2 settings changed since it was last hashed.
    pub fn login(&self, username: &str, password: &str, lifetime: Option<u64>) -> Result<Session> {
        check_username(username)?;
        password::check_password_input(password)?;
        if let Some(l) = lifetime {
            check_lifetime(l)?;
        }
        let settings = self.settings()?;
        let lifetime = lifetime.unwrap_or(settings.default_token_lifetime);
        // Argon2 runs are the cost of a login; across retries each stored
        // hash is verified at most once and a rehash is computed at most once.
        let mut verified: Option<String> = None;
        let mut rehashed: Option<String> = None;
        let mut first = true;
        retry(|| {
            let Some(user) = self.find_user(username)? else {
                if first {
                    password::verify_dummy(&settings, password);
                }
                return Err(Error::NoUser);
            };
            first = false;
            let record = &user.record;
            if verified.as_deref() != Some(record.password_hash.as_str()) {
                if !password::verify(&record.password_hash, password)? {
                    return Err(Error::InvalidPassword);
                }
                verified = Some(record.password_hash.clone());
            }
            let mut writes = Vec::with_capacity(4);
            if password::needs_rehash(&record.password_hash, &settings) {
                if rehashed.is_none() {
                    rehashed = Some(password::hash(&self.env, &settings, password)?);
                }
                let mut updated = record.clone();
                updated.password_hash = rehashed.clone().unwrap_or_default();
                writes.push(Write::put(keys::user(record.id), updated.encode()));
            }
            let now = self.env.now();
            let expires = now
                .checked_add(lifetime)
                .ok_or_else(|| invalid("token lifetime overflows the clock"))?;
            let token = token::mint(&self.env);
            let digest = token::digest(&token);
            let generation = record.generation;
            writes.push(Write::put(
                keys::token(&digest),
                TokenRecord {
                    user_id: record.id,
                    generation,
                    expires,
                }
                .encode(),
            ));
            writes.push(Write::put(
                keys::session(record.id, &digest),
                SessionEntry {
                    generation,
                    expires,
                }
                .encode(),
            ));
            writes.push(Write::put(keys::expiry(expires, &digest), Vec::new()));
            // Guarding the user record makes a login that races a password
            // change, a revocation or a deletion start over and see it.
            let session = Session {
                token,
                user: User::from(record),
                expires,
            };
            committed(self.env.commit(&[user.guard()], &writes), session)
        })
    }

    /// The user and expiry behind a live token. An expired token is deleted
    /// and reported as [`Error::TokenExpired`]; a revoked one as
    /// [`Error::InvalidToken`].
    pub fn validate(&self, token: &str) -> Result<Validation> {
        let (digest, record) = self.load_token(token)?;
        let user = self.load_user(record.user_id)?;
        let live_user = user.filter(|u| u.record.generation == record.generation);
        let Some(user) = live_user else {
            // Revoked by a password change or user deletion whose commit
            // could not see this token: finish the job.
            self.delete_token(&digest, &record)?;
            return Err(Error::InvalidToken);
        };
        if record.expires <= self.env.now() {
            self.delete_token(&digest, &record)?;
            return Err(Error::TokenExpired);
        }
        Ok(Validation {
            user: User::from(&user.record),
            expires: record.expires,
        })
    }

    /// Delete a token.
    pub fn logout(&self, token: &str) -> Result<()> {
        let (digest, record) = self.load_token(token)?;
        match self.delete_token_guarded(&digest, &record) {
            Ok(()) => Ok(()),
            // Someone else deleted it between our read and our commit.
            Err(StoreError::Conflict) => Err(Error::InvalidToken),
            Err(e) => Err(e.into()),
        }
    }

    /// How many live tokens user `id` has.
    pub fn count_tokens(&self, id: u64) -> Result<u64> {
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        let now = self.env.now();
        let generation = user.record.generation;
        let live = self
            .sessions_of(id)?
            .iter()
            .filter(|(_, e)| e.generation == generation && e.expires > now)
            .count();
        Ok(live as u64)
    }

    /// Revoke every token of user `id`; returns how many were live.
    pub fn delete_tokens(&self, id: u64) -> Result<u64> {
        self.rewrite_user(id, true, |_| {})
    }

    /// Delete up to `limit` expired tokens, oldest first; returns how many.
    pub fn sweep(&self, limit: u32) -> Result<u64> {
        if !(1..=MAX_SWEEP).contains(&limit) {
            return Err(invalid(format!("sweep limit must be 1..={MAX_SWEEP}")));
        }
        let (start, end) = keys::expired_by(self.env.now());
        let expired = self.env.scan(&start, &end, limit)?;
        let mut writes = Vec::with_capacity(expired.len() * 3);
        for (key, _) in &expired {
            let digest = keys::trailing_digest(key)
                .ok_or_else(|| Error::Storage("corrupt expiry key".into()))?;
            writes.push(Write::delete(key.clone()));
            let token_key = keys::token(&digest);
            if let Some(bytes) = self.env.get(&token_key)? {
                let record = TokenRecord::decode(&bytes)?;
                writes.push(Write::delete(keys::session(record.user_id, &digest)));
                writes.push(Write::delete(token_key));
            }
        }
        // Token digests are never reused, so deleting them needs no guards.
        if !writes.is_empty() {
            self.env.commit(&[], &writes)?;
        }
        Ok(expired.len() as u64)
    }

    fn load_token(&self, token: &str) -> Result<([u8; 32], TokenRecord)> {
        if !token::well_formed(token) {
            return Err(Error::InvalidToken);
        }
        let digest = token::digest(token);
        let bytes = self
            .env
            .get(&keys::token(&digest))?
            .ok_or(Error::InvalidToken)?;
        Ok((digest, TokenRecord::decode(&bytes)?))
    }

    fn delete_token_guarded(&self, digest: &[u8; 32], r: &TokenRecord) -> Result<(), StoreError> {
        let key = keys::token(digest);
        let guards = [Guard::equals(key.clone(), Some(r.encode()))];
        let writes = [
            Write::delete(key),
            Write::delete(keys::session(r.user_id, digest)),
            Write::delete(keys::expiry(r.expires, digest)),
        ];
        self.env.commit(&guards, &writes)
    }

    /// Delete a dead token; losing the race to another deleter is fine.
    fn delete_token(&self, digest: &[u8; 32], r: &TokenRecord) -> Result<()> {
        match self.delete_token_guarded(digest, r) {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::env::Env;
    use crate::users::tests::auth;
    use crate::{Error, Settings, keys};

    #[test]
    fn login_validate_logout() {
        let a = auth();
        let ann = a.create_user("ann", "pw", "r").unwrap();
        let s = a.login("ann", "pw", None).unwrap();
        assert_eq!(s.user, ann);
        assert_eq!(s.expires, a.env().now() + 3 * 24 * 3600);
        let v = a.validate(&s.token).unwrap();
        assert_eq!((v.user, v.expires), (ann.clone(), s.expires));
        assert_eq!(a.count_tokens(ann.id), Ok(1));
        a.logout(&s.token).unwrap();
        assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
        assert_eq!(a.logout(&s.token), Err(Error::InvalidToken));
        assert_eq!(a.count_tokens(ann.id), Ok(0));
    }

    #[test]
    fn wrong_password_and_unknown_user() {
        let a = auth();
        a.create_user("ann", "pw", "").unwrap();
        assert_eq!(a.login("ann", "nope", None), Err(Error::InvalidPassword));
        assert_eq!(a.login("bob", "pw", None), Err(Error::NoUser));
        assert!(matches!(
            a.login("ann", "pw", Some(0)),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn expiry_is_checked_on_use_and_expired_tokens_are_deleted() {
        let a = auth();
        let u = a.create_user("ann", "pw", "").unwrap();
        let s = a.login("ann", "pw", Some(60)).unwrap();
        a.env().advance(59);
        assert!(a.validate(&s.token).is_ok());
        a.env().advance(1);
        assert_eq!(
            a.count_tokens(u.id),
            Ok(0),
            "expired tokens are not counted"
        );
        assert_eq!(a.validate(&s.token), Err(Error::TokenExpired));
        assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    }

    #[test]
    fn sweep_deletes_only_expired_tokens_and_all_their_keys() {
        let a = auth();
        a.create_user("ann", "pw", "").unwrap();
        let keys_before = a.env().len();
        let short: Vec<_> = (0..5)
            .map(|_| a.login("ann", "pw", Some(10)).unwrap())
            .collect();
        let long = a.login("ann", "pw", Some(1000)).unwrap();
        a.env().advance(10);
        assert_eq!(a.sweep(2), Ok(2));
        assert_eq!(a.sweep(100), Ok(3));
        assert_eq!(a.sweep(100), Ok(0));
        assert_eq!(
            a.env().len(),
            keys_before + 3,
            "only the live token's three keys remain"
        );
        for s in &short {
            assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
        }
        assert!(a.validate(&long.token).is_ok());
        assert!(matches!(a.sweep(0), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn password_change_and_deletion_revoke_tokens() {
        let a = auth();
        let u = a.create_user("ann", "pw", "").unwrap();
        let t1 = a.login("ann", "pw", None).unwrap().token;
        a.set_password(u.id, "new").unwrap();
        assert_eq!(a.validate(&t1), Err(Error::InvalidToken));
        assert_eq!(a.login("ann", "pw", None), Err(Error::InvalidPassword));
        let t2 = a.login("ann", "new", None).unwrap().token;
        let t3 = a.login("ann", "new", None).unwrap().token;
        assert_eq!(a.delete_tokens(u.id), Ok(2));
        assert_eq!(a.validate(&t2), Err(Error::InvalidToken));
        let t4 = a.login("ann", "new", None).unwrap().token;
        a.delete_user(u.id).unwrap();
        assert_eq!(a.validate(&t3), Err(Error::InvalidToken));
        assert_eq!(a.validate(&t4), Err(Error::InvalidToken));
        assert_eq!(a.env().len(), 2, "only the id counter and settings remain");
    }

    #[test]
    fn a_token_that_escaped_revocation_is_dead_and_cleaned_up() {
        let a = auth();
        let u = a.create_user("ann", "pw", "").unwrap();
        let t = a.login("ann", "pw", None).unwrap().token;
        // Simulate a token committed between a revocation's scan and its
        // commit: bump the generation without deleting the token.
        a.rewrite_user(u.id, false, |r| r.generation += 1).unwrap();
        assert_eq!(a.count_tokens(u.id), Ok(0));
        assert_eq!(a.validate(&t), Err(Error::InvalidToken));
        let digest = crate::token::digest(&t);
        assert!(
            a.env()
                .dump()
                .iter()
                .all(|(k, _)| keys::trailing_digest(k) != Some(digest))
        );
    }

    #[test]
    fn login_rehashes_when_settings_change() {
        let a = auth();
        a.create_user("ann", "pw", "").unwrap();
        let before = a.find_user("ann").unwrap().unwrap().record.password_hash;
        assert!(before.contains("m=64,t=1"));
        a.set_settings(Settings {
            argon2_memory_kib: 128,
            argon2_iterations: 2,
            ..a.settings().unwrap()
        })
        .unwrap();
        a.login("ann", "pw", None).unwrap();
        let after = a.find_user("ann").unwrap().unwrap().record.password_hash;
        assert!(after.contains("m=128,t=2"), "{after}");
        assert_eq!(a.password_valid("ann", "pw"), Ok(true));
    }

    #[test]
    fn the_store_never_holds_a_token() {
        let a = auth();
        a.create_user("ann", "pw", "").unwrap();
        let t = a.login("ann", "pw", None).unwrap().token;
        let random_part = &t.as_bytes()[5..48];
        for (k, v) in a.env().dump() {
            for hay in [&k, &v] {
                assert!(!hay.windows(random_part.len()).any(|w| w == random_part));
            }
        }
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let a = auth();
        for t in ["", "moth_", "abc", &"x".repeat(10_000)] {
            assert_eq!(a.validate(t), Err(Error::InvalidToken));
            assert_eq!(a.logout(t), Err(Error::InvalidToken));
        }
    }
}
