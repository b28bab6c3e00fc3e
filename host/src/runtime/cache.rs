//! The compiled-artifact cache: compiling the component costs tens of
//! milliseconds, loading a precompiled artifact well under one.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::{Error, Result};

/// Where compiled artifacts are cached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CacheDir {
    /// `$MOTH_CACHE_DIR`, else `$XDG_CACHE_HOME/moth`, else `$HOME/.cache/moth`.
    #[default]
    Default,
    /// This directory. It must be writable only by the user running moth:
    /// artifacts in it are loaded as machine code.
    Path(PathBuf),
    /// Compile at every start.
    Off,
}

impl CacheDir {
    /// The directory this resolves to now, if any.
    pub(super) fn resolve(&self) -> Option<PathBuf> {
        match self {
            CacheDir::Off => None,
            CacheDir::Path(p) => Some(p.clone()),
            CacheDir::Default => {
                let var = |k| {
                    std::env::var_os(k)
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                };
                var("MOTH_CACHE_DIR")
                    .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("moth")))
                    .or_else(|| var("HOME").map(|p| p.join(".cache").join("moth")))
            }
        }
    }
}

fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "moth-{}-{hex}-{:016x}.cwasm",
        env!("CARGO_PKG_VERSION"),
        h.finish()
    )
}

pub(super) fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache: Option<&Path>,
) -> Result<(Component, bool)> {
    let path = cache.map(|dir| dir.join(cache_key(engine, bytes)));
    let trusted = path.as_deref().filter(|p| p.is_file()).filter(|p| {
        let verdict = private(p).and_then(|()| private(p.parent().unwrap_or(Path::new("."))));
        if let Err(e) = &verdict {
            tracing::warn!(path = %p.display(), error = %e, "not loading a cached component others could have written");
        }
        verdict.is_ok()
    });
    if let Some(path) = trusted {
        // SAFETY: the file was written by `Component::serialize` for an
        // engine with this compatibility hash (it is in the name), renamed
        // into place only when complete, and it and its directory were just
        // checked to belong to this user and be writable by no one else.
        // wasmtime checks the header again.
        match unsafe { Component::deserialize_file(engine, path) } {
            Ok(c) => return Ok((c, true)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring unusable cached component")
            }
        }
    }
    let component = Component::new(engine, bytes).map_err(Error::Component)?;
    if let Some(path) = path
        && let Err(e) = store_artifact(&component, &path)
    {
        tracing::warn!(path = %path.display(), error = %e, "could not cache the compiled component");
    }
    Ok((component, false))
}

fn store_artifact(component: &Component, path: &Path) -> std::io::Result<()> {
    use std::io::Write as _;
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    private(dir)?;
    // Write aside under an unguessable name that must not exist yet (so no
    // one can plant a file or a link there first), then rename into place,
    // so a reader never sees half a file.
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(std::io::Error::from)?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{nonce}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Create `dir` (and its parents) readable and writable by this user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Fail unless `path` belongs to this user and no one else can write it:
/// a cached artifact is loaded as machine code.
#[cfg(unix)]
fn private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(std::io::Error::other("it is a symbolic link"));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(std::io::Error::other("group or others can write it"));
    }
    // On Linux /proc/self belongs to this process's effective user.
    if let Ok(me) = std::fs::metadata("/proc/self")
        && meta.uid() != me.uid()
    {
        return Err(std::io::Error::other("another user owns it"));
    }
    Ok(())
}

/// Elsewhere only the kind of file is checked.
#[cfg(not(unix))]
fn private(path: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("it is a symbolic link"));
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn only_private_files_and_directories_are_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        create_private_dir(&cache).unwrap();
        assert!(private(&cache).is_ok());
        let file = cache.join("a.cwasm");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(private(&file).is_ok());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(private(&file).is_err(), "world-writable");
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(private(&cache).is_err(), "world-writable directory");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(private(&link).is_err(), "a link");
    }
}
