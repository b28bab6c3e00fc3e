//! The `store` capability over sled: the database files, one key space
//! per tenant, and group-committed durability.

mod files;
mod flush;
mod tree;

use std::path::Path;
use std::sync::Arc;

pub use files::{db_exists, make_db, reset_db};
pub use tree::SledStore;

use crate::error::Result;
use flush::GroupFlush;

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Flushed to disk before the commit returns: survives `kill -9` and
    /// power loss (as far as the disk honours fsync). The default.
    #[default]
    Flush,
    /// Left in sled's buffers, flushed on sled's timer (every 500 ms): a
    /// crash can lose the last moments of acknowledged writes. Faster.
    Buffered,
}

/// One open moth database: the sled database and its group-commit
/// flusher, shared by every key space.
#[derive(Clone)]
pub(crate) struct SledDb {
    flusher: Arc<GroupFlush>,
}

impl SledDb {
    /// Open the moth database at `path` (creating it when `create` is set
    /// and there is none), committing with `durability`.
    pub fn open(path: &Path, create: bool, durability: Durability) -> Result<Self> {
        let db = files::open(path, create)?;
        Ok(SledDb {
            flusher: Arc::new(GroupFlush::new(db, durability)),
        })
    }

    /// The underlying sled database: the tenant registry lives in its
    /// default tree.
    pub fn db(&self) -> &sled::Db {
        &self.flusher.db
    }

    /// The key space named `tree`.
    pub fn key_space(&self, tree: &str) -> Result<SledStore> {
        Ok(SledStore::open(&self.flusher, tree)?)
    }
}
