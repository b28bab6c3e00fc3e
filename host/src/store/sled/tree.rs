//! One key space (a tenant's sled tree): reads, ordered scans and guarded
//! atomic commits, durable before they are acknowledged.

use std::sync::Arc;

use moth_core::{Entry, Guard, StoreError, Write};
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::flush::GroupFlush;
use crate::store::backend::KeySpace;
use crate::store::space::failure;

/// One tenant's sled tree.
pub(super) struct SledSpace {
    pub(super) tree: sled::Tree,
    pub(super) flusher: Arc<GroupFlush>,
}

impl KeySpace for SledSpace {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree.get(key).map_err(failure)?.map(|v| v.to_vec()))
    }

    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.tree
            .range(start..end)
            .take(limit as usize)
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(failure))
            .collect()
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        if !writes.is_empty() {
            self.flusher.check_writable()?;
        }
        let outcome = self.tree.transaction(|tx| {
            for g in guards {
                if tx.get(&g.key)?.as_deref() != g.expect.as_deref() {
                    return Err(ConflictableTransactionError::Abort(()));
                }
            }
            for w in writes {
                match &w.value {
                    Some(v) => tx.insert(w.key.as_slice(), v.as_slice())?,
                    None => tx.remove(w.key.as_slice())?,
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
        Ok(self.tree.len())
    }

    #[cfg(feature = "testing")]
    fn fail_flush(&self) {
        self.flusher.fail("injected flush failure");
    }
}
