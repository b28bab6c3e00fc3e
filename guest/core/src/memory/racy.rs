//! A test double for races between instances: an [`Env`] over a
//! [`MemoryEnv`] shared with other `Auth`s, which runs a hook just before
//! its next commit — a stand-in for another instance committing between
//! this one's reads and its commit.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::MemoryEnv;
use crate::Auth;
use crate::env::{Entry, Env, Guard, StoreError, Write};

/// See the module docs.
pub(crate) struct Racy {
    /// The store shared with the other instances.
    pub store: Rc<MemoryEnv>,
    /// Run (once) just before the next commit.
    pub before_commit: RefCell<Option<Box<dyn FnOnce()>>>,
    /// How many times randomness was drawn: each password hash draws its
    /// salt.
    pub draws: Cell<u32>,
}

impl Racy {
    /// Two `Auth`s over one fresh store.
    pub fn pair() -> (Auth<Racy>, Rc<Auth<Racy>>) {
        let store = Rc::new(MemoryEnv::new());
        let over = |store: &Rc<MemoryEnv>| {
            Auth::new(Racy {
                store: store.clone(),
                before_commit: RefCell::new(None),
                draws: Cell::new(0),
            })
        };
        (over(&store), Rc::new(over(&store)))
    }
}

/// Run `other` just before `a`'s next commit.
pub(crate) fn before_next_commit(a: &Auth<Racy>, other: impl FnOnce() + 'static) {
    *a.env().before_commit.borrow_mut() = Some(Box::new(other));
}

impl Env for Racy {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key)
    }
    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.store.scan(start, end, limit)
    }
    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        let hook = self.before_commit.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
        self.store.commit(guards, writes)
    }
    fn now(&self) -> u64 {
        self.store.now()
    }
    fn random(&self, buf: &mut [u8]) {
        self.draws.set(self.draws.get() + 1);
        self.store.random(buf)
    }
}
