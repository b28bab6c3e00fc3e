//! Sessions a user can see and end (OWASP ASVS 7.5.2, "log out other
//! devices"): list a user's live sessions without their tokens, end one by
//! its public id, end every one but the caller's own.
//!
//! A session's id is its token's public id ([`token::public_id`]): 16 hex
//! digits of the token's digest, which tell sessions apart and verify
//! nothing. Listing reads the user's session index for the current
//! generation (tokens of older generations are already dead) and the
//! legacy index; ending sessions deletes their keys in guarded commits.

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{LegacySessionEntry, SessionEntry};
use crate::{Auth, EventKind, keys, token};

use super::entry_deletes;

/// The most sessions one commit of [`Auth::revoke_other_sessions`] ends:
/// three deletes each, so a commit stays small whatever the user's count.
const REVOKE_BATCH: usize = 256;

/// A live login session as listings show it: never its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The token's public id: 16 hex digits of its digest.
    pub id: String,
    /// Unix seconds at which it was minted (`None` for a token minted
    /// before moth recorded that).
    pub created: Option<u64>,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
    /// The client address its login came from, when the host gave one
    /// (`login-from`).
    pub source: Option<String>,
    /// The public id of the device credential its login presented or was
    /// given (32 hex digits, as `list-locks` names devices).
    pub device: Option<String>,
}

/// One live session-index entry of a user: its key, value, digest and what
/// a listing shows of it.
struct Live {
    key: Vec<u8>,
    value: Vec<u8>,
    digest: [u8; 32],
    info: SessionInfo,
}

impl Live {
    fn new(key: &[u8], value: &[u8], digest: [u8; 32], created: Option<u64>, expires: u64) -> Self {
        Live {
            key: key.to_vec(),
            value: value.to_vec(),
            digest,
            info: SessionInfo {
                id: token::public_id(&digest),
                created,
                expires,
                source: None,
                device: None,
            },
        }
    }
}

impl<E: Env> Auth<E> {
    /// User `id`'s live sessions, oldest first.
    /// Errors: [`Error::NoUser`].
    pub fn list_sessions(&self, id: u64) -> Result<Vec<SessionInfo>> {
        Ok(self
            .live_sessions(id)?
            .into_iter()
            .map(|l| l.info)
            .collect())
    }

    /// End user `id`'s session `session` (a public id from
    /// [`Auth::list_sessions`]): its token is deleted at once.
    /// Errors: [`Error::NoUser`]; [`Error::InvalidToken`] when the user has
    /// no live session of that id; [`Error::InvalidInput`] when `session`
    /// is not a public id.
    pub fn revoke_session(&self, id: u64, session: &str) -> Result<()> {
        let prefix = token::parse_public_id(session)
            .ok_or_else(|| invalid("session must be 16 lower-case hex digits"))?;
        let live = self.live_sessions(id)?;
        let found = live
            .iter()
            .find(|l| l.digest[..8] == prefix)
            .ok_or(Error::InvalidToken)?;
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        let event = self.event_writes(
            EventKind::SessionsRevoked,
            id,
            &user.record.username,
            format!("session {session} revoked"),
        )?;
        self.end(&[found], &event)?;
        Ok(())
    }

    /// End every live session of `token`'s user except `token`'s own;
    /// returns how many were ended. Errors: as [`Auth::validate`].
    pub fn revoke_other_sessions(&self, token: &str) -> Result<u64> {
        let v = self.validate(token)?;
        let own = token::digest(token);
        let others: Vec<Live> = self
            .live_sessions(v.user.id)?
            .into_iter()
            .filter(|l| l.digest != own)
            .collect();
        let mut ended = 0;
        // Logged once, with the first batch.
        let mut event = if others.is_empty() {
            Vec::new()
        } else {
            self.event_writes(
                EventKind::SessionsRevoked,
                v.user.id,
                &v.user.username,
                format!("{} other sessions revoked", others.len()),
            )?
        };
        for batch in others.chunks(REVOKE_BATCH) {
            ended += self.end(&batch.iter().collect::<Vec<_>>(), &event)?;
            event.clear();
        }
        Ok(ended)
    }

    /// The live sessions of user `id` (current generation, unexpired),
    /// oldest first; legacy ones (no mint time) after them.
    fn live_sessions(&self, id: u64) -> Result<Vec<Live>> {
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        let generation = user.record.generation;
        let now = self.env.now();
        let corrupt = || Error::Storage("corrupt session key".into());
        let mut live = Vec::new();
        self.scan_all(keys::sessions_in(id, generation), |k, v| {
            let (_, _, minted, digest) = keys::parse_session(k).ok_or_else(corrupt)?;
            let entry = SessionEntry::decode(v)?;
            if entry.expires > now {
                let mut l = Live::new(k, v, digest, Some(minted), entry.expires);
                l.info.source = entry.source.as_ref().map(crate::attempts::format_address);
                l.info.device = entry.device.as_ref().map(crate::attempts::device_id);
                live.push(l);
            }
            Ok(())
        })?;
        self.scan_all(keys::legacy_sessions_of(id), |k, v| {
            let e = LegacySessionEntry::decode(v)?;
            if e.generation == generation && e.expires > now {
                let digest = keys::trailing_digest(k).ok_or_else(corrupt)?;
                live.push(Live::new(k, v, digest, None, e.expires));
            }
            Ok(())
        })?;
        Ok(live)
    }

    /// Delete the tokens of `sessions` in one commit, each guarded on its
    /// index entry as read (so that a session ended meanwhile is not
    /// counted twice); returns how many were ended. On a conflict, the
    /// sessions still there are ended by a commit of their own.
    /// Delete `sessions` as read, with `event` (the log entry saying so)
    /// in the same commit as the first of them to go.
    fn end(&self, sessions: &[&Live], event: &[Write]) -> Result<u64> {
        let mut guards = Vec::with_capacity(sessions.len());
        let mut writes = Vec::with_capacity(sessions.len() * 3 + event.len());
        for s in sessions {
            guards.push(Guard::equals(s.key.clone(), Some(s.value.clone())));
            writes.extend(entry_deletes(&s.key, &s.value)?);
        }
        writes.extend_from_slice(event);
        match self.env.commit(&guards, &writes) {
            Ok(()) => Ok(sessions.len() as u64),
            Err(crate::StoreError::Conflict) => {
                // Some entry changed: end those still as read, one by one.
                let mut ended = 0;
                for s in sessions {
                    let guard = [Guard::equals(s.key.clone(), Some(s.value.clone()))];
                    let mut writes = entry_deletes(&s.key, &s.value)?.to_vec();
                    if ended == 0 {
                        writes.extend_from_slice(event);
                    }
                    match self.env.commit(&guard, &writes) {
                        Ok(()) => ended += 1,
                        Err(crate::StoreError::Conflict) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(ended)
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::TokenRecord;
    use crate::users::tests::auth;

    /// The record of token `digest`, if it is stored.
    fn token_of(a: &Auth<crate::memory::MemoryEnv>, digest: &[u8; 32]) -> Option<TokenRecord> {
        a.env()
            .get(&keys::token(digest))
            .unwrap()
            .map(|b| TokenRecord::decode(&b).unwrap())
    }

    fn ann_with(n: usize) -> (Auth<crate::memory::MemoryEnv>, u64, Vec<String>) {
        let a = auth();
        let id = a.create_user("ann", "pw", "").unwrap().id;
        // A second apart, so that oldest-first is login order.
        let tokens = (0..n)
            .map(|_| {
                a.env().advance(1);
                a.login("ann", "pw", None).unwrap().token
            })
            .collect();
        (a, id, tokens)
    }

    #[test]
    fn a_listing_shows_each_live_session_once_oldest_first_without_its_token() {
        let (a, id, tokens) = ann_with(3);
        let listed = a.list_sessions(id).unwrap();
        let ids: Vec<String> = tokens
            .iter()
            .map(|t| token::public_id(&token::digest(t)))
            .collect();
        assert_eq!(listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids);
        let shown = format!("{listed:?}");
        for t in &tokens {
            assert!(!shown.contains(t.as_str()));
        }
        let now = a.env().now();
        let created: Vec<_> = listed.iter().map(|s| s.created).collect();
        assert_eq!(created, [Some(now - 2), Some(now - 1), Some(now)]);
        assert!(listed.iter().all(|s| s.expires > now));
        // Logged out, expired and revoked sessions are not listed.
        a.logout(&tokens[0]).unwrap();
        assert_eq!(a.list_sessions(id).unwrap().len(), 2);
        a.delete_tokens(id).unwrap();
        assert_eq!(a.list_sessions(id).unwrap(), vec![]);
        assert_eq!(a.list_sessions(99), Err(Error::NoUser));
    }

    #[test]
    fn expired_sessions_are_not_listed() {
        let a = auth();
        let id = a.create_user("ann", "pw", "").unwrap().id;
        a.login("ann", "pw", Some(10)).unwrap();
        let long = a.login("ann", "pw", Some(1000)).unwrap();
        a.env().advance(10);
        let listed = a.list_sessions(id).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].expires, long.expires);
    }

    #[test]
    fn revoking_one_session_ends_that_token_only() {
        let (a, id, tokens) = ann_with(3);
        let target = token::public_id(&token::digest(&tokens[1]));
        a.revoke_session(id, &target).unwrap();
        assert_eq!(a.validate(&tokens[1]), Err(Error::InvalidToken));
        assert!(a.validate(&tokens[0]).is_ok() && a.validate(&tokens[2]).is_ok());
        assert!(
            token_of(&a, &token::digest(&tokens[1])).is_none(),
            "its keys are gone"
        );
        // Again: no such live session.
        assert_eq!(a.revoke_session(id, &target), Err(Error::InvalidToken));
    }

    #[test]
    fn a_session_of_another_user_or_a_bad_id_is_refused_and_nothing_changes() {
        let (a, ann, tokens) = ann_with(1);
        let bob = a.create_user("bob", "pw", "").unwrap().id;
        let ann_session = token::public_id(&token::digest(&tokens[0]));
        let before = a.env().len();
        assert_eq!(
            a.revoke_session(bob, &ann_session),
            Err(Error::InvalidToken)
        );
        for bad in ["", "xyz", "ABCDEF0123456789", "0123456789abcdef0"] {
            assert!(
                matches!(a.revoke_session(ann, bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
        assert_eq!(a.revoke_session(99, &ann_session), Err(Error::NoUser));
        assert_eq!(a.env().len(), before);
        assert!(a.validate(&tokens[0]).is_ok());
    }

    #[test]
    fn revoking_the_others_keeps_only_the_callers_session() {
        let (a, id, tokens) = ann_with(4);
        let bob = a.create_user("bob", "pw", "").unwrap().id;
        let bobs = a.login("bob", "pw", None).unwrap().token;
        assert_eq!(a.revoke_other_sessions(&tokens[2]), Ok(3));
        for (i, t) in tokens.iter().enumerate() {
            assert_eq!(a.validate(t).is_ok(), i == 2, "token {i}");
        }
        assert_eq!(a.list_sessions(id).unwrap().len(), 1);
        assert_eq!(a.count_tokens(id), Ok(1));
        // Another user's sessions are untouched; nothing left to end.
        assert!(a.validate(&bobs).is_ok());
        assert_eq!(a.count_tokens(bob), Ok(1));
        assert_eq!(a.revoke_other_sessions(&tokens[2]), Ok(0));
        // A dead or malformed token proves nothing.
        assert_eq!(
            a.revoke_other_sessions(&tokens[0]),
            Err(Error::InvalidToken)
        );
        assert_eq!(
            a.revoke_other_sessions("moth_nope"),
            Err(Error::InvalidToken)
        );
    }

    #[test]
    fn revoking_the_others_works_in_batches_beyond_one_commit() {
        let (a, id, tokens) = ann_with(REVOKE_BATCH * 2 + 3);
        let keep = tokens.last().unwrap();
        assert_eq!(
            a.revoke_other_sessions(keep),
            Ok((REVOKE_BATCH * 2 + 2) as u64)
        );
        assert_eq!(a.list_sessions(id).unwrap().len(), 1);
        assert!(a.validate(keep).is_ok());
    }
}
