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
    if let Some(path) = path.as_deref().filter(|p| p.is_file()) {
        // SAFETY: the file was written by `Component::serialize` for an
        // engine with this compatibility hash (it is in the name), renamed
        // into place only when complete, in a directory that must be
        // writable only by this user. wasmtime checks the header again.
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
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Write aside and rename, so a reader never sees half a file.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().display(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
