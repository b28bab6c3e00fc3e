//! The sled backend (the default): one directory on this machine, the
//! tenant registry in the default tree, group-committed fsync.
//!
//! Every tenant but `default` keeps its keys in one shared tree, each
//! under a prefix of its own, rather than in a tree per tenant: sled's
//! per-tree overhead made an idle tenant cost ~59 KiB on disk, a prefix
//! costs nothing until it holds keys (see [`spaces`]). Tenants of older
//! databases are moved there when the database opens ([`migrate`]).

mod files;
mod flush;
mod migrate;
mod registry;
mod spaces;
mod tree;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

pub(super) use files::{db_exists, make_db, reset_db};

use super::Durability;
use super::backend::{Backend, KeySpace, SpaceId};
use crate::error::Result;
use flush::GroupFlush;
use spaces::Space;
use tree::SledSpace;

/// One open sled database: the database and its group-commit flusher,
/// shared by every key space, and the tree of all tenants but `default`.
pub(super) struct SledBackend {
    flusher: Arc<GroupFlush>,
    shared: sled::Tree,
}

impl SledBackend {
    /// Open the moth database at `path` (creating it when `create` is set
    /// and there is none), committing with `durability`; tenants still in
    /// trees of their own are moved to the shared tree first.
    pub fn open(path: &Path, create: bool, durability: Durability) -> Result<Self> {
        let db = files::open(path, create)?;
        let moved = migrate::migrate(&db)?;
        if moved > 0 {
            tracing::info!(moved, "moved tenants into the shared tree");
        }
        Ok(SledBackend {
            shared: spaces::shared(&db)?,
            flusher: Arc::new(GroupFlush::new(db, durability)),
        })
    }

    fn db(&self) -> &sled::Db {
        &self.flusher.db
    }
}

impl Backend for SledBackend {
    fn default_space(&self) -> SpaceId {
        spaces::DEFAULT_TREE.to_owned()
    }

    fn key_space(&self, space: &str) -> Result<Arc<dyn KeySpace>> {
        let flusher = self.flusher.clone();
        Ok(Arc::new(match Space::parse(space)? {
            Space::Tree(tree) => SledSpace::whole(self.db().open_tree(tree)?, flusher),
            Space::Prefix(id) => SledSpace::prefixed(self.shared.clone(), id, flusher),
        }))
    }

    fn lookup(&self, name: &str) -> Result<Option<SpaceId>> {
        registry::space_of(self.db(), name)
    }

    fn register(&self, name: &str) -> Result<SpaceId> {
        registry::register(self.db(), name)
    }

    fn unregister(&self, name: &str) -> Result<Option<SpaceId>> {
        registry::unregister(self.db(), name)
    }

    fn drop_space(&self, space: &str) -> Result<()> {
        match Space::parse(space)? {
            Space::Tree(tree) => {
                self.db().drop_tree(tree.as_bytes())?;
            }
            Space::Prefix(id) => {
                spaces::drop_prefix(&self.shared, id)?;
            }
        }
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
