//! Moving tenants from trees of their own (databases from before the
//! shared tree) into the shared tree, when a database opens.
//!
//! Each step is durable before the next, so a crash anywhere leaves one
//! of two states, both of which the next open finishes:
//!
//! 1. copy the tree's entries under a fresh id, then flush — until the
//!    registry names the id, a (partial) copy is an orphan;
//! 2. compare-and-swap the registry entry from the tree to `space:{id}`,
//!    then flush — from here the tenant's data is the copy;
//! 3. drop the tree, then flush — until then it is an orphan.
//!
//! A migration interrupted before step 2 starts over with a new id;
//! [`drop_orphans`](super::registry::drop_orphans) (run whenever the
//! tenants of a database are opened) removes what it left. Once every
//! entry names a space, opening migrates nothing.

use super::registry;
use super::spaces::{self, DEFAULT_TREE, Space};
use crate::error::Result;

/// Move every tenant still in a tree of its own into the shared tree;
/// how many were moved. The `default` tenant keeps its tree.
pub(super) fn migrate(db: &sled::Db) -> Result<usize> {
    let mut legacy = Vec::new();
    for entry in registry::entries(db)? {
        if let Space::Tree(tree) = Space::parse(&entry.space)?
            && tree != DEFAULT_TREE
        {
            let tree = tree.to_owned();
            legacy.push((entry, tree));
        }
    }
    if legacy.is_empty() {
        return Ok(0);
    }
    let shared = spaces::shared(db)?;
    let trees = db.tree_names();
    let mut moved = 0;
    for (entry, tree) in legacy {
        // A tenant registered but never opened has no tree: nothing to copy.
        let exists = trees.iter().any(|t| t.as_ref() == tree.as_bytes());
        let id = db.generate_id()?;
        if exists {
            spaces::copy_tree(&db.open_tree(&tree)?, &shared, id)?;
            db.flush()?;
        }
        if !registry::switch(db, &entry, &spaces::space_name(id))? {
            // Cannot happen while this process holds the database's lock;
            // the copy would be an orphan, so it goes now.
            spaces::drop_prefix(&shared, id)?;
            db.flush()?;
            continue;
        }
        if exists {
            db.drop_tree(tree.as_bytes())?;
            db.flush()?;
        }
        moved += 1;
    }
    Ok(moved)
}
