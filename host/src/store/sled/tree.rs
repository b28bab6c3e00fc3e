//! One key space: reads, ordered scans and guarded atomic commits, durable
//! before they are acknowledged. A space is a sled tree seen through a
//! prefix: the keys under one tenant's prefix in the shared tree, or (with
//! an empty prefix) the whole tree of the `default` tenant. The prefix is
//! added to every key going in and stripped from every key coming out, so
//! a tenant can neither name nor see a key outside its space.

use std::sync::Arc;

use moth_core::{Entry, Guard, StoreError, Write};
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::flush::GroupFlush;
use super::spaces;
use crate::store::backend::KeySpace;
use crate::store::space::failure;

/// One tenant's keys in a sled tree.
pub(super) struct SledSpace {
    tree: sled::Tree,
    /// Starts every key of this space in `tree`; empty for a whole tree.
    prefix: Vec<u8>,
    flusher: Arc<GroupFlush>,
}

impl SledSpace {
    /// All of `tree`.
    pub(super) fn whole(tree: sled::Tree, flusher: Arc<GroupFlush>) -> Self {
        SledSpace {
            tree,
            prefix: Vec::new(),
            flusher,
        }
    }

    /// The keys of the space under `id` in `shared`.
    pub(super) fn prefixed(shared: sled::Tree, id: u64, flusher: Arc<GroupFlush>) -> Self {
        SledSpace {
            tree: shared,
            prefix: spaces::prefix(id).to_vec(),
            flusher,
        }
    }

    /// `key` as stored in the tree.
    fn stored(&self, key: &[u8]) -> Vec<u8> {
        [&self.prefix[..], key].concat()
    }
}

impl KeySpace for SledSpace {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .get(self.stored(key))
            .map_err(failure)?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        // `prefix + start .. prefix + end` holds exactly the space's keys
        // in `start..end`: every key under the prefix sorts below the next
        // prefix, whatever its bytes (all 0xff included).
        let skip = self.prefix.len();
        self.tree
            .range(self.stored(start)..self.stored(end))
            .take(limit as usize)
            .map(|r| {
                r.map(|(k, v)| (k[skip..].to_vec(), v.to_vec()))
                    .map_err(failure)
            })
            .collect()
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        if !writes.is_empty() {
            self.flusher.check_writable()?;
        }
        let guards: Vec<(Vec<u8>, Option<&[u8]>)> = guards
            .iter()
            .map(|g| (self.stored(&g.key), g.expect.as_deref()))
            .collect();
        let writes: Vec<(Vec<u8>, Option<&[u8]>)> = writes
            .iter()
            .map(|w| (self.stored(&w.key), w.value.as_deref()))
            .collect();
        let outcome = self.tree.transaction(|tx| {
            for (key, expect) in &guards {
                if tx.get(key)?.as_deref() != *expect {
                    return Err(ConflictableTransactionError::Abort(()));
                }
            }
            for (key, value) in &writes {
                match value {
                    Some(v) => tx.insert(key.as_slice(), *v)?,
                    None => tx.remove(key.as_slice())?,
                };
            }
            Ok(())
        });
        match outcome {
            Ok(()) => {}
            Err(TransactionError::Abort(())) => return Err(StoreError::Conflict),
            Err(TransactionError::Storage(e)) => return Err(failure(e)),
        }
        if writes.is_empty() {
            Ok(())
        } else {
            self.flusher.flush()
        }
    }

    fn len(&self) -> Result<usize, StoreError> {
        self.tree
            .scan_prefix(&self.prefix)
            .keys()
            .try_fold(0, |n, k| k.map(|_| n + 1))
            .map_err(failure)
    }

    #[cfg(feature = "testing")]
    fn fail_flush(&self) {
        self.flusher.fail("injected flush failure");
    }
}
