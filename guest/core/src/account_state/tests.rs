//! Tests of account states: the defaults (also of stores written before
//! states existed), what disabling revokes and when, what a disabled
//! account is told and what it is not, verified emails, and races with
//! logins and key creations.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::env::Entry;
use crate::memory::{MemoryEnv, Racy, before_next_commit};
use crate::record::UserRecord;
use crate::users::tests::auth;
use crate::{
    KeyOwner, LogFilter, MAX_API_KEYS_PER_OWNER, PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL,
    Settings,
};

/// An `Auth` holding user `ann` (password `pw`), and her id.
fn with_ann() -> (Auth<MemoryEnv>, u64) {
    let a = auth();
    let id = a.create_user("ann", "pw", "read").unwrap().id;
    (a, id)
}

fn disabled() -> AccountState {
    AccountState {
        enabled: false,
        ..AccountState::default()
    }
}

fn disabled_from(t: u64) -> AccountState {
    AccountState {
        disabled_from: Some(t),
        ..AccountState::default()
    }
}

fn user_key(a: &Auth<MemoryEnv>, id: u64) -> Vec<u8> {
    a.env().get(&keys::user(id)).unwrap().unwrap()
}

/// Every credential of one user: a session, an API key, a one-time token
/// of each built-in purpose.
struct Credentials {
    session: String,
    key: String,
    reset: String,
    verify: String,
}

fn credentials(a: &Auth<MemoryEnv>, id: u64, name: &str) -> Credentials {
    Credentials {
        session: a.login(name, "pw", None).unwrap().token,
        key: a
            .create_api_key(&KeyOwner::User(id), "ci", "read", None)
            .unwrap()
            .key,
        reset: a
            .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None)
            .unwrap()
            .token,
        verify: a
            .issue_one_time_token(id, PURPOSE_VERIFY_EMAIL, None)
            .unwrap()
            .token,
    }
}

/// Whether each of `c` is refused as a dead credential is: the session
/// and the key as unknown tokens, the one-time tokens likewise.
fn all_dead(a: &Auth<MemoryEnv>, c: &Credentials) -> bool {
    a.validate(&c.session) == Err(Error::InvalidToken)
        && a.verify_api_key(&c.key) == Err(Error::InvalidToken)
        && a.redeem_one_time_token(&c.reset, PURPOSE_RESET_PASSWORD) == Err(Error::InvalidToken)
        && a.redeem_one_time_token(&c.verify, PURPOSE_VERIFY_EMAIL) == Err(Error::InvalidToken)
}

#[test]
fn a_new_account_has_the_default_state_and_an_unknown_id_is_no_user() {
    let (a, id) = with_ann();
    let state = a.get_account_state(id).unwrap();
    assert_eq!(state, AccountState::default());
    assert!(state.enabled && !state.email_verified && !state.superuser);
    assert_eq!(state.disabled_from, None);
    assert!(!state.is_disabled_at(u64::MAX));
    let before = (a.env().len(), a.env().commits());
    assert_eq!(a.get_account_state(99), Err(Error::NoUser));
    assert_eq!(a.set_account_state(99, &disabled()), Err(Error::NoUser));
    assert_eq!((a.env().len(), a.env().commits()), before);
}

#[test]
fn disabled_at_means_not_enabled_or_from_that_second_on() {
    assert!(disabled().is_disabled_at(0));
    let later = disabled_from(100);
    assert!(!later.is_disabled_at(99));
    assert!(later.is_disabled_at(100) && later.is_disabled_at(u64::MAX));
}

/// A store written before account states (user records of version 2):
/// its users read as the default state and keep working; setting a state
/// rewrites the record at version 3.
#[test]
fn a_user_stored_before_states_existed_reads_as_the_default_state() {
    let (a, id) = with_ann();
    let session = a.login("ann", "pw", None).unwrap().token;
    let u = a.load_user(id).unwrap().unwrap().record;
    let mut v2 = vec![2];
    v2.extend_from_slice(&u.id.to_be_bytes());
    v2.extend_from_slice(&u.generation.to_be_bytes());
    for s in [&u.username, &u.permissions, &u.password_hash] {
        v2.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v2.extend_from_slice(s.as_bytes());
    }
    a.env()
        .commit(&[], &[Write::put(keys::user(id), v2.clone())])
        .unwrap();
    assert_eq!(user_key(&a, id), v2);
    assert_eq!(a.get_account_state(id), Ok(AccountState::default()));
    assert_eq!(a.validate(&session).map(|v| v.user.id), Ok(id));
    assert!(a.login("ann", "pw", None).is_ok());
    let verified = AccountState {
        email_verified: true,
        ..AccountState::default()
    };
    a.set_account_state(id, &verified).unwrap();
    assert_eq!(user_key(&a, id)[0], 3);
    assert_eq!(a.get_account_state(id), Ok(verified));
    assert_eq!(a.validate(&session).map(|v| v.user.id), Ok(id));
}

#[test]
fn disabling_revokes_every_session_key_and_one_time_token_in_one_commit() {
    let (a, ann) = with_ann();
    let bob = a.create_user("bob", "pw", "").unwrap().id;
    let anns = credentials(&a, ann, "ann");
    let second = a.login("ann", "pw", None).unwrap().token;
    a.create_api_key(&KeyOwner::User(ann), "deploy", "", Some(3600))
        .unwrap();
    let bobs = credentials(&a, bob, "bob");
    let commits = a.env().commits();
    a.set_account_state(ann, &disabled()).unwrap();
    assert_eq!(a.env().commits(), commits + 1, "one commit");
    assert_eq!(a.get_account_state(ann), Ok(disabled()));
    assert!(all_dead(&a, &anns));
    assert_eq!(a.validate(&second), Err(Error::InvalidToken));
    assert_eq!(a.count_tokens(ann), Ok(0));
    // The keys are gone from the store, not merely refused.
    assert_eq!(a.list_api_keys(&KeyOwner::User(ann)), Ok(vec![]));
    let owner = keys::owner_bytes(&KeyOwner::User(ann));
    let dump = a.env().dump();
    let leftover = |(k, v): &Entry| {
        [keys::OWNER, keys::KEY_NAME, keys::OWNER_VERSION].contains(&k[0])
            && k[1..].starts_with(&owner)
            // Only ann's "deploy" key expires.
            || k[0] == keys::EXPIRY && v == &[keys::API_KEY]
    };
    assert!(!dump.iter().any(leftover));
    let keys_left = dump.iter().filter(|(k, _)| k[0] == keys::API_KEY).count();
    assert_eq!(keys_left, 1, "only bob's key is stored");
    // Bob is untouched.
    assert_eq!(a.validate(&bobs.session).map(|v| v.user.id), Ok(bob));
    assert!(a.verify_api_key(&bobs.key).is_ok());
    assert!(
        a.redeem_one_time_token(&bobs.verify, PURPOSE_VERIFY_EMAIL)
            .is_ok()
    );
}

#[test]
fn enabling_again_brings_nothing_back_and_new_credentials_work() {
    let (a, id) = with_ann();
    let old = credentials(&a, id, "ann");
    a.set_account_state(id, &disabled()).unwrap();
    a.set_account_state(id, &AccountState::default()).unwrap();
    assert_eq!(a.get_account_state(id), Ok(AccountState::default()));
    assert!(all_dead(&a, &old));
    let new = credentials(&a, id, "ann");
    assert_eq!(a.validate(&new.session).map(|v| v.user.id), Ok(id));
    assert!(a.verify_api_key(&new.key).is_ok());
    assert!(
        a.redeem_one_time_token(&new.verify, PURPOSE_VERIFY_EMAIL)
            .is_ok()
    );
}

#[test]
fn a_disabled_account_gets_no_new_credentials_and_nothing_is_written() {
    let (a, id) = with_ann();
    a.set_account_state(id, &disabled()).unwrap();
    let before = (a.env().len(), a.env().commits());
    assert_eq!(a.login("ann", "pw", None), Err(Error::AccountDisabled));
    assert_eq!(
        a.create_api_key(&KeyOwner::User(id), "ci", "", None),
        Err(Error::AccountDisabled)
    );
    assert_eq!(
        a.issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None),
        Err(Error::AccountDisabled)
    );
    assert_eq!((a.env().len(), a.env().commits()), before);
}

/// The state is not told before the password is checked: a wrong password
/// is the same answer, the same log entry and the same count for a
/// disabled account as for an enabled one; only the right one learns.
#[test]
fn a_wrong_password_answers_the_same_whether_or_not_the_account_is_disabled() {
    let a = auth();
    a.set_settings(Settings {
        log_retention: 3600,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    let on = a.create_user("on", "pw", "").unwrap().id;
    let off = a.create_user("off", "pw", "").unwrap().id;
    a.set_account_state(off, &disabled()).unwrap();
    for name in ["on", "off"] {
        assert_eq!(a.login(name, "nope", None), Err(Error::InvalidPassword));
        assert_eq!(a.check_password(name, "nope"), Ok(false));
    }
    assert_eq!(a.login("on", "pw", None).map(|s| s.user.id), Ok(on));
    assert_eq!(a.check_password("on", "pw"), Ok(true));
    assert_eq!(a.login("off", "pw", None), Err(Error::AccountDisabled));
    assert_eq!(a.check_password("off", "pw"), Err(Error::AccountDisabled));
    // The failures were logged alike; the refused right passwords as
    // refusals, never as successes.
    let attempts = |id| {
        let filter = LogFilter {
            user: Some(id),
            ..LogFilter::default()
        };
        let page = a.list_attempts(&filter, None, 100).unwrap();
        let mut seen: Vec<(bool, String)> = page
            .entries
            .into_iter()
            .map(|e| (e.success, e.reason))
            .collect();
        seen.sort();
        seen
    };
    let failed = (false, "wrong password".to_owned());
    let refused = (false, "account disabled".to_owned());
    assert_eq!(
        attempts(off),
        vec![refused.clone(), refused, failed.clone(), failed.clone()]
    );
    assert_eq!(attempts(on).iter().filter(|s| **s == failed).count(), 2);
}

#[test]
fn lockout_counts_a_disabled_accounts_failures_and_a_right_password_forgives_none() {
    let a = auth();
    a.set_settings(Settings {
        lockout_threshold: 5,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    a.set_account_state(id, &disabled()).unwrap();
    for _ in 0..4 {
        assert_eq!(a.login("ann", "nope", None), Err(Error::InvalidPassword));
    }
    // Right, but disabled: told so, and the four failures still stand.
    assert_eq!(a.login("ann", "pw", None), Err(Error::AccountDisabled));
    assert_eq!(a.login("ann", "nope", None), Err(Error::InvalidPassword));
    // Locked now, right password or wrong: the lock says nothing of the
    // state either.
    assert!(matches!(
        a.login("ann", "pw", None),
        Err(Error::LockedOut(_))
    ));
    assert!(matches!(
        a.check_password("ann", "nope"),
        Err(Error::LockedOut(_))
    ));
}

#[test]
fn a_later_disabled_from_revokes_nothing_until_its_time_then_refuses_everything() {
    let (a, id) = with_ann();
    // Logged in before the one-time tokens are issued: a login kills them.
    let another = a.login("ann", "pw", None).unwrap().token;
    let c = credentials(&a, id, "ann");
    let from = a.env().now() + 100;
    let generation = a.load_user(id).unwrap().unwrap().record.generation;
    a.set_account_state(id, &disabled_from(from)).unwrap();
    assert_eq!(
        a.load_user(id).unwrap().unwrap().record.generation,
        generation,
        "nothing revoked"
    );
    a.env().advance(99);
    assert_eq!(a.validate(&c.session).map(|v| v.user.id), Ok(id));
    assert!(a.verify_api_key(&c.key).is_ok());
    a.env().advance(1);
    // Its time has come, with no commit at that time.
    let before = (a.env().len(), a.env().commits());
    assert_eq!(a.validate(&c.session), Err(Error::InvalidToken));
    assert_eq!(a.validate(&another), Err(Error::InvalidToken));
    assert_eq!(a.verify_api_key(&c.key), Err(Error::InvalidToken));
    let key_id = crate::token::public_id(&crate::token::digest(&c.key));
    assert_eq!(a.get_api_key(&key_id), Err(Error::InvalidToken));
    assert_eq!(a.rotate_api_key(&key_id, 0), Err(Error::InvalidToken));
    assert_eq!(
        a.redeem_one_time_token(&c.verify, PURPOSE_VERIFY_EMAIL),
        Err(Error::AccountDisabled)
    );
    assert_eq!(
        a.reset_password(&c.reset, "new"),
        Err(Error::AccountDisabled)
    );
    assert_eq!(a.login("ann", "pw", None), Err(Error::AccountDisabled));
    assert_eq!(a.check_password("ann", "pw"), Err(Error::AccountDisabled));
    assert_eq!(a.check_password("ann", "nope"), Ok(false));
    assert_eq!(
        (a.env().len(), a.env().commits()),
        before,
        "refusals write nothing"
    );
    // Cancelling the time once it has passed enables the account, and
    // the credentials that outlived the time die with that commit.
    a.set_account_state(id, &AccountState::default()).unwrap();
    assert!(all_dead(&a, &c));
    assert_eq!(a.validate(&another), Err(Error::InvalidToken));
    assert!(a.login("ann", "pw", None).is_ok());
}

#[test]
fn a_disabled_from_already_passed_disables_at_once() {
    let (a, id) = with_ann();
    let c = credentials(&a, id, "ann");
    let now = a.env().now();
    a.set_account_state(id, &disabled_from(now)).unwrap();
    assert!(all_dead(&a, &c));
    assert_eq!(a.list_api_keys(&KeyOwner::User(id)), Ok(vec![]));
    assert_eq!(a.login("ann", "pw", None), Err(Error::AccountDisabled));
}

#[test]
fn cancelling_a_later_disabled_from_in_time_keeps_everything() {
    let (a, id) = with_ann();
    let c = credentials(&a, id, "ann");
    a.set_account_state(id, &disabled_from(a.env().now() + 10))
        .unwrap();
    a.set_account_state(id, &AccountState::default()).unwrap();
    a.env().advance(20);
    assert_eq!(a.validate(&c.session).map(|v| v.user.id), Ok(id));
    assert!(a.verify_api_key(&c.key).is_ok());
    assert!(
        a.redeem_one_time_token(&c.verify, PURPOSE_VERIFY_EMAIL)
            .is_ok()
    );
}

#[test]
fn a_reset_of_a_disabled_account_is_refused_after_the_token_check_writing_nothing() {
    let (a, id) = with_ann();
    let reset = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None)
        .unwrap()
        .token;
    a.set_account_state(id, &disabled_from(a.env().now() + 1))
        .unwrap();
    a.env().advance(1);
    let before = a.env().dump();
    // A bad token is told it is bad, not that the account is disabled.
    let bogus = crate::token::mint_prefixed(a.env(), crate::ONE_TIME_TOKEN_PREFIX);
    assert_eq!(a.reset_password(&bogus, "new"), Err(Error::InvalidToken));
    assert_eq!(a.reset_password(&reset, "new"), Err(Error::AccountDisabled));
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.check_password("ann", "new"), Ok(false));
}

#[test]
fn redeeming_a_verify_email_token_marks_the_email_verified_in_the_same_commit() {
    let (a, id) = with_ann();
    let invite = a.issue_one_time_token(id, "invite", None).unwrap().token;
    let reset = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None)
        .unwrap()
        .token;
    // Other purposes verify nothing.
    a.redeem_one_time_token(&invite, "invite").unwrap();
    a.redeem_one_time_token(&reset, PURPOSE_RESET_PASSWORD)
        .unwrap();
    assert!(!a.get_account_state(id).unwrap().email_verified);
    let verify = a
        .issue_one_time_token(id, PURPOSE_VERIFY_EMAIL, None)
        .unwrap()
        .token;
    let commits = a.env().commits();
    assert_eq!(
        a.redeem_one_time_token(&verify, PURPOSE_VERIFY_EMAIL)
            .map(|u| u.id),
        Ok(id)
    );
    assert_eq!(a.env().commits(), commits + 1);
    let state = a.get_account_state(id).unwrap();
    assert_eq!(
        state,
        AccountState {
            email_verified: true,
            ..AccountState::default()
        }
    );
    // Verifying again keeps it verified; the flag survives other writes.
    let again = a
        .issue_one_time_token(id, PURPOSE_VERIFY_EMAIL, None)
        .unwrap()
        .token;
    a.redeem_one_time_token(&again, PURPOSE_VERIFY_EMAIL)
        .unwrap();
    a.set_password(id, "new").unwrap();
    a.set_permissions(id, "write").unwrap();
    a.login("ann", "new", None).unwrap();
    assert_eq!(a.get_account_state(id), Ok(state));
}

#[test]
fn superuser_and_email_verified_are_stored_without_revoking_anything() {
    let (a, id) = with_ann();
    let c = credentials(&a, id, "ann");
    let state = AccountState {
        superuser: true,
        email_verified: true,
        ..AccountState::default()
    };
    let commits = a.env().commits();
    a.set_account_state(id, &state).unwrap();
    assert_eq!(a.env().commits(), commits + 1);
    assert_eq!(a.get_account_state(id), Ok(state));
    assert_eq!(a.validate(&c.session).map(|v| v.user.id), Ok(id));
    assert!(a.verify_api_key(&c.key).is_ok());
    assert!(
        a.redeem_one_time_token(&c.verify, PURPOSE_VERIFY_EMAIL)
            .is_ok()
    );
    // Setting the state it has already writes nothing.
    let commits = a.env().commits();
    a.set_account_state(id, &state).unwrap();
    assert_eq!(a.env().commits(), commits);
    // Disabling keeps the other flags; so does enabling.
    let off = AccountState {
        enabled: false,
        ..state
    };
    a.set_account_state(id, &off).unwrap();
    assert_eq!(a.get_account_state(id), Ok(off));
}

#[test]
fn disabling_enabling_and_scheduling_are_logged_and_other_changes_are_not() {
    let (a, id) = with_ann();
    a.set_settings(Settings {
        log_retention: 3600,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    let events = || {
        let filter = LogFilter {
            user: Some(id),
            ..LogFilter::default()
        };
        let mut page = a.list_events(&filter, None, 100).unwrap().entries;
        page.reverse();
        page.into_iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::AccountDisabled | EventKind::AccountEnabled
                )
            })
            .map(|e| (e.kind, e.reason))
            .collect::<Vec<_>>()
    };
    let from = a.env().now() + 50;
    let superuser = AccountState {
        superuser: true,
        ..AccountState::default()
    };
    // A second apart: entries of one second list in no set order.
    for state in [
        superuser,
        disabled_from(from),
        AccountState::default(),
        disabled(),
        AccountState::default(),
    ] {
        a.set_account_state(id, &state).unwrap();
        a.env().advance(1);
    }
    let revoked = "account disabled: sessions, API keys and one-time tokens revoked";
    assert_eq!(
        events(),
        vec![
            (
                EventKind::AccountDisabled,
                format!("account to be disabled from {from}")
            ),
            (
                EventKind::AccountEnabled,
                "scheduled disabling cancelled".to_owned()
            ),
            (EventKind::AccountDisabled, revoked.to_owned()),
            (
                EventKind::AccountEnabled,
                "account enabled: credentials from before revoked".to_owned()
            ),
        ]
    );
    assert_eq!(
        EventKind::from_name("account-disabled"),
        Some(EventKind::AccountDisabled)
    );
    assert_eq!(
        EventKind::from_name("account-enabled"),
        Some(EventKind::AccountEnabled)
    );
    assert!(!EventKind::AccountDisabled.is_attempt());
}

/// The most keys an owner can hold all go in the disabling commit.
#[test]
fn disabling_deletes_a_full_set_of_keys_in_one_bounded_commit() {
    let (a, id) = with_ann();
    let owner = KeyOwner::User(id);
    let keys: Vec<String> = (0..MAX_API_KEYS_PER_OWNER)
        .map(|i| {
            a.create_api_key(&owner, &format!("k{i}"), "", Some(60))
                .unwrap()
                .key
        })
        .collect();
    a.env().reset_max_commit_writes();
    let commits = a.env().commits();
    a.set_account_state(id, &disabled()).unwrap();
    assert_eq!(a.env().commits(), commits + 1);
    // Record, owner entry, name claim and expiry entry per key, plus a
    // handful: bounded by the cap, not by anything else the user holds.
    let bound = 4 * u64::from(MAX_API_KEYS_PER_OWNER) + 16;
    assert!(a.env().max_commit_writes() <= bound);
    assert!(
        keys.iter()
            .all(|k| a.verify_api_key(k) == Err(Error::InvalidToken))
    );
    let left = a.env().dump().into_iter().filter(|(k, v)| {
        [keys::API_KEY, keys::OWNER, keys::KEY_NAME].contains(&k[0])
            || k[0] == keys::EXPIRY && v == &[keys::API_KEY]
    });
    assert_eq!(left.count(), 0);
}

/// Two `Auth`s over one store holding `ann` (password `pw`), and her id.
fn racing() -> (Auth<Racy>, Rc<Auth<Racy>>, u64) {
    let (a, b) = Racy::pair();
    a.set_settings(auth().get_settings().unwrap()).unwrap();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    (a, b, id)
}

#[test]
fn a_login_racing_a_disable_starts_over_and_is_refused() {
    let (a, b, id) = racing();
    before_next_commit(&a, move || b.set_account_state(id, &disabled()).unwrap());
    assert_eq!(a.login("ann", "pw", None), Err(Error::AccountDisabled));
    assert!(a.env().before_commit.borrow().is_none(), "the race ran");
    assert_eq!(a.count_tokens(id), Ok(0));
}

#[test]
fn a_key_created_while_a_disable_commits_is_deleted_with_the_rest() {
    let (a, b, id) = racing();
    let made = Rc::new(RefCell::new(String::new()));
    let slot = made.clone();
    before_next_commit(&a, move || {
        let key = b
            .create_api_key(&KeyOwner::User(id), "late", "", None)
            .unwrap()
            .key;
        *slot.borrow_mut() = key;
    });
    a.set_account_state(id, &disabled()).unwrap();
    assert!(a.env().before_commit.borrow().is_none(), "the race ran");
    let key = made.borrow().clone();
    assert!(key.starts_with(crate::API_KEY_PREFIX));
    // Deleted by the disabling commit (which retried on seeing it), not
    // merely refused while the account is disabled.
    assert_eq!(a.list_api_keys(&KeyOwner::User(id)), Ok(vec![]));
    assert_eq!(a.verify_api_key(&key), Err(Error::InvalidToken));
    // Enabled again, it stays dead: it was deleted, not merely refused.
    a.set_account_state(id, &AccountState::default()).unwrap();
    assert_eq!(a.verify_api_key(&key), Err(Error::InvalidToken));
    assert_eq!(a.list_api_keys(&KeyOwner::User(id)), Ok(vec![]));
}

#[test]
fn a_user_record_with_a_state_keeps_it_through_every_rewrite() {
    let (a, id) = with_ann();
    let state = AccountState {
        disabled_from: Some(u64::MAX),
        email_verified: true,
        superuser: true,
        ..AccountState::default()
    };
    a.set_account_state(id, &state).unwrap();
    a.set_permissions(id, "x").unwrap();
    a.delete_tokens(id).unwrap();
    a.set_password(id, "pw2").unwrap();
    let record = UserRecord::decode(&user_key(&a, id)).unwrap();
    assert_eq!(record.state, state);
    assert_eq!(record.permissions, "x");
}
