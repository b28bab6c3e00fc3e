//! Database files: MOTH's `db_exists`, `make_db` and `reset_db`, and
//! opening a database safely.
//!
//! A moth database is a sled directory whose default tree holds a format
//! marker, so that moth never mistakes another directory for its own.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

const MARKER_KEY: &[u8] = b"moth:format";
const MARKER_VALUE: &[u8] = b"1";

/// Whether `path` holds a moth database. Does not open (or lock) it.
pub(in crate::store) fn db_exists(path: impl AsRef<Path>) -> bool {
    let path = path.as_ref();
    path.join("conf").is_file() && path.join("db").is_file()
}

/// Create an empty database at `path` unless one is there; returns whether
/// it created one.
pub(in crate::store) fn make_db(path: impl AsRef<Path>) -> Result<bool> {
    let path = path.as_ref();
    if db_exists(path) {
        return Ok(false);
    }
    create_new(path).map(|_| true)
}

fn create_new(path: &Path) -> Result<sled::Db> {
    if path.exists()
        && path
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::InvalidInput(format!(
            "{} exists and is not a moth database",
            path.display()
        )));
    }
    let db = open_raw(path)?;
    db.insert(MARKER_KEY, MARKER_VALUE)?;
    db.flush()?;
    Ok(db)
}

/// Delete every tenant, user and token in the database at `path`, keeping the
/// database itself; returns whether there was one to reset. The database
/// must not be open elsewhere.
pub(in crate::store) fn reset_db(path: impl AsRef<Path>) -> Result<bool> {
    let path = path.as_ref();
    if !db_exists(path) {
        return Ok(false);
    }
    let db = open(path, false)?;
    // Every tree but sled's own: the default tenant's, the shared tree of
    // all other tenants' spaces, and any tree a migration left.
    for name in db.tree_names() {
        if name.as_ref() != b"__sled__default" {
            db.drop_tree(&name)?;
        }
    }
    super::registry::clear_registry(&db)?;
    db.flush()?;
    Ok(true)
}

fn open_raw(path: &Path) -> Result<sled::Db> {
    // sled releases its file lock from a background flusher thread after
    // the last handle drops, so a database closed a moment ago in this very
    // process can still look locked: wait briefly before calling it busy.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            Err(e) if is_lock_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) if is_lock_busy(&e) => {
                return Err(Error::DatabaseBusy(path.display().to_string()));
            }
            Err(e) => return Err(Error::Database(e)),
        }
    }
}

/// sled reports a held lock only in its message text.
fn is_lock_busy(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Open the moth database at `path`, creating it first when `create` is
/// set and there is none, and check its marker.
pub(super) fn open(path: &Path, create: bool) -> Result<sled::Db> {
    if !db_exists(path) {
        if !create {
            return Err(Error::NoDatabase(path.display().to_string()));
        }
        return create_new(path);
    }
    let db = open_raw(path)?;
    match db.get(MARKER_KEY)? {
        Some(v) if v.as_ref() == MARKER_VALUE => Ok(db),
        Some(v) => Err(Error::UnsupportedFormat {
            location: path.display().to_string(),
            found: String::from_utf8_lossy(&v).into_owned(),
        }),
        None => Err(Error::NoDatabase(path.display().to_string())),
    }
}
