//! [`StoreLocation`]: where a moth database lives, as given on the command
//! line (`--store`), in `MOTH_STORE`, or to [`Options::open`](crate::Options::open).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a moth database lives. A string beginning `postgres://` or
/// `postgresql://` names a PostgreSQL database; anything else is the path
/// of a sled directory.
///
/// ```
/// use moth::StoreLocation;
///
/// assert!(matches!(StoreLocation::from("moth.db"), StoreLocation::Sled(_)));
/// let pg = StoreLocation::from("postgres://moth:secret@127.0.0.1/moth");
/// assert!(matches!(pg, StoreLocation::Postgres(_)));
/// // A password never reaches a log line or an error message.
/// assert_eq!(pg.to_string(), "postgres://moth:***@127.0.0.1/moth");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A sled directory on this machine: the default, nothing to run.
    Sled(PathBuf),
    /// A PostgreSQL database, by its connection URL
    /// (`postgres://user:password@host:port/database?options`), for several
    /// moth hosts over one database.
    Postgres(String),
}

impl StoreLocation {
    /// Read `s` as a location: a PostgreSQL URL or a path.
    pub fn parse(s: &str) -> StoreLocation {
        let lower = s.get(..13).unwrap_or(s).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            StoreLocation::Postgres(s.to_owned())
        } else {
            StoreLocation::Sled(PathBuf::from(s))
        }
    }
}

impl StoreLocation {
    /// The path or the whole URL, password included: for handing the
    /// location to another process, never for a log.
    pub fn reveal(&self) -> String {
        match self {
            StoreLocation::Sled(p) => p.display().to_string(),
            StoreLocation::Postgres(url) => url.clone(),
        }
    }
}

impl From<&str> for StoreLocation {
    fn from(s: &str) -> Self {
        StoreLocation::parse(s)
    }
}

impl From<String> for StoreLocation {
    fn from(s: String) -> Self {
        StoreLocation::parse(&s)
    }
}

impl From<&String> for StoreLocation {
    fn from(s: &String) -> Self {
        StoreLocation::parse(s)
    }
}

impl From<&Path> for StoreLocation {
    fn from(p: &Path) -> Self {
        match p.to_str() {
            Some(s) => StoreLocation::parse(s),
            None => StoreLocation::Sled(p.to_owned()),
        }
    }
}

impl From<PathBuf> for StoreLocation {
    fn from(p: PathBuf) -> Self {
        StoreLocation::from(p.as_path())
    }
}

impl From<&PathBuf> for StoreLocation {
    fn from(p: &PathBuf) -> Self {
        StoreLocation::from(p.as_path())
    }
}

impl From<&StoreLocation> for StoreLocation {
    fn from(l: &StoreLocation) -> Self {
        l.clone()
    }
}

/// The path, or the URL with its password (in the authority or in a
/// `password=` parameter) replaced by `***`.
impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sled(p) => write!(f, "{}", p.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sled(p) => f.debug_tuple("Sled").field(p).finish(),
            StoreLocation::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
        }
    }
}

fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let mut out = url[..scheme_end].to_owned();
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let tail = &rest[authority_end..];
    match tail.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_everything_else_a_path() {
        assert_eq!(
            StoreLocation::from("postgresql://h/db"),
            StoreLocation::Postgres("postgresql://h/db".into())
        );
        assert_eq!(
            StoreLocation::from("POSTGRES://h/db"),
            StoreLocation::Postgres("POSTGRES://h/db".into())
        );
        assert_eq!(
            StoreLocation::from("./postgres://x"),
            StoreLocation::Sled("./postgres://x".into())
        );
        assert_eq!(StoreLocation::from("m"), StoreLocation::Sled("m".into()));
    }

    #[test]
    fn passwords_are_redacted() {
        for (url, shown) in [
            ("postgres://u:p@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://u:p:q@h", "postgres://u:***@h"),
            (
                "postgres://h/db?user=u&password=p&sslmode=disable",
                "postgres://h/db?user=u&password=***&sslmode=disable",
            ),
            (
                "postgres://u:p%40x@h/db?options=-c%20a",
                "postgres://u:***@h/db?options=-c%20a",
            ),
        ] {
            let l = StoreLocation::from(url);
            assert_eq!(l.to_string(), shown);
            assert!(!format!("{l:?}").contains(":p"), "{l:?}");
        }
    }
}
