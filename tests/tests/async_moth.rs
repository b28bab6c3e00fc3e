//! `AsyncMoth` in a tokio runtime: reads run on the calling worker with no
//! thread hop; Argon2 and commits run on the blocking pool, so the worker
//! keeps serving other tasks meanwhile; a closure that reads and then
//! writes runs again, whole, on the blocking pool (its write once); errors
//! of inline reads come back as they are.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};

use moth::{AsyncMoth, Error};
use moth_tests::open;

/// A runtime with one worker: the test's own thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn here() -> ThreadId {
    thread::current().id()
}

#[test]
fn reads_run_inline_and_hashing_and_commits_on_the_blocking_pool() {
    let dir = tempfile::tempdir().unwrap();
    let moth = AsyncMoth::new(open(dir.path()).0);
    runtime().block_on(async {
        let worker = here();
        let (ann, ran) = moth
            .run(|m| Ok((m.create_user("ann", "pw", "")?, here())))
            .await
            .unwrap();
        assert_ne!(ran, worker, "create-user hashes: not on the worker");
        let (session, ran) = moth
            .run(|m| Ok((m.login("ann", "pw", None)?, here())))
            .await
            .unwrap();
        assert_ne!(ran, worker, "login hashes: not on the worker");
        let token = session.token.clone();
        let (who, ran) = moth
            .run(move |m| Ok((m.validate(&token)?, here())))
            .await
            .unwrap();
        assert_eq!(ran, worker, "validate reads: on the worker, no hop");
        assert_eq!(who.user, ann);
        let (state, ran) = moth
            .run(move |m| Ok((m.get_account_state(ann.id)?, here())))
            .await
            .unwrap();
        assert_eq!(ran, worker);
        assert!(state.enabled);
        let ran = moth
            .run(move |m| m.set_permissions(ann.id, "read").map(|()| here()))
            .await
            .unwrap();
        assert_ne!(
            ran, worker,
            "a commit waits for the fsync: not on the worker"
        );
    });
}

#[test]
fn a_read_then_a_write_runs_again_whole_on_the_blocking_pool() {
    let dir = tempfile::tempdir().unwrap();
    let moth = AsyncMoth::new(open(dir.path()).0);
    runtime().block_on(async {
        let worker = here();
        moth.run(|m| m.create_user("ann", "pw", "")).await.unwrap();
        let token = moth
            .run(|m| m.login("ann", "pw", None))
            .await
            .unwrap()
            .token;
        let calls = Arc::new(AtomicUsize::new(0));
        let (c, t) = (calls.clone(), token.clone());
        let ran = moth
            .run(move |m| {
                c.fetch_add(1, Ordering::SeqCst);
                m.validate(&t)?;
                m.logout(&t)?;
                Ok(here())
            })
            .await
            .unwrap();
        assert_ne!(ran, worker);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "inline, then again");
        let t = token.clone();
        let gone = moth.run(move |m| m.validate(&t)).await;
        assert_eq!(gone, Err(Error::InvalidToken), "logged out once, for good");

        // A closure that swallows the refusal is run again all the same.
        let token = moth
            .run(|m| m.login("ann", "pw", None))
            .await
            .unwrap()
            .token;
        let (c, t) = (Arc::new(AtomicUsize::new(0)), token.clone());
        let c2 = c.clone();
        moth.run(move |m| {
            c2.fetch_add(1, Ordering::SeqCst);
            let _ignored = m.logout(&t);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(c.load(Ordering::SeqCst), 2);
        let gone = moth.run(move |m| m.validate(&token)).await;
        assert_eq!(gone, Err(Error::InvalidToken));

        // An inline read's error is the answer: no second run.
        let c = Arc::new(AtomicUsize::new(0));
        let c2 = c.clone();
        let bad = moth
            .run(move |m| {
                c2.fetch_add(1, Ordering::SeqCst);
                m.validate("not a token")
            })
            .await;
        assert_eq!(bad, Err(Error::InvalidToken));
        assert_eq!(c.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn the_worker_serves_other_tasks_while_a_login_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let moth = AsyncMoth::new(open(dir.path()).0);
    runtime().block_on(async {
        moth.run(|m| m.create_user("ann", "pw", "")).await.unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let login = async {
            let r = moth.run(|m| m.login("ann", "pw", None)).await;
            d.store(true, Ordering::SeqCst);
            r
        };
        // Runs only while the login is pending: had the login hashed on
        // this (the only) worker, it would have finished inside its first
        // poll and this loop would never have turned.
        let other = async {
            let mut turns = 0u64;
            while !done.load(Ordering::SeqCst) {
                turns += 1;
                tokio::task::yield_now().await;
            }
            turns
        };
        let (session, turns) = tokio::join!(login, other);
        session.unwrap();
        assert!(turns > 0, "the other task never ran during the login");
    });
}
