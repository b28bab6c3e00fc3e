//! The sled backend (the default): one directory on this machine, a tree
//! per tenant, the tenant registry in the default tree, group-committed
//! fsync.

mod files;
mod flush;
mod registry;
mod tree;

use std::path::Path;
use std::sync::Arc;

pub(super) use files::{db_exists, make_db, reset_db};

use super::Durability;
use super::backend::{Backend, KeySpace, SpaceId};
use crate::error::Result;
use flush::GroupFlush;
use tree::SledSpace;

/// One open sled database: the database and its group-commit flusher,
/// shared by every key space.
pub(super) struct SledBackend {
    flusher: Arc<GroupFlush>,
}

impl SledBackend {
    /// Open the moth database at `path` (creating it when `create` is set
    /// and there is none), committing with `durability`.
    pub fn open(path: &Path, create: bool, durability: Durability) -> Result<Self> {
        let db = files::open(path, create)?;
        Ok(SledBackend {
            flusher: Arc::new(GroupFlush::new(db, durability)),
        })
    }

    fn db(&self) -> &sled::Db {
        &self.flusher.db
    }
}

impl Backend for SledBackend {
    fn default_space(&self) -> SpaceId {
        registry::DEFAULT_TREE.to_owned()
    }

    fn key_space(&self, space: &str) -> Result<Arc<dyn KeySpace>> {
        Ok(Arc::new(SledSpace {
            tree: self.db().open_tree(space)?,
            flusher: self.flusher.clone(),
        }))
    }

    fn lookup(&self, name: &str) -> Result<Option<SpaceId>> {
        registry::tree_of(self.db(), name)
    }

    fn register(&self, name: &str) -> Result<SpaceId> {
        registry::register(self.db(), name)
    }

    fn unregister(&self, name: &str) -> Result<Option<SpaceId>> {
        registry::unregister(self.db(), name)
    }

    fn drop_space(&self, space: &str) -> Result<()> {
        self.db().drop_tree(space.as_bytes())?;
        self.db().flush()?;
        Ok(())
    }

    fn tenants(&self) -> Result<Vec<String>> {
        registry::list(self.db())
    }

    fn drop_orphans(&self) -> Result<usize> {
        registry::drop_orphans(self.db())
    }

    fn flush(&self) -> Result<()> {
        self.db().flush()?;
        Ok(())
    }

    fn size_on_disk(&self) -> Option<u64> {
        self.db().size_on_disk().ok()
    }

    fn shared(&self) -> bool {
        false
    }
}
