//! Redirect URIs: which a client may register, and when the one in a
//! request matches a registered one.
//!
//! Matching is exact string comparison (RFC 9700 §2.1, RFC 6749 §3.1.2.3:
//! no prefixes, no wildcards, no normalisation), with one exception from
//! RFC 8252 §7.3: a native app's loopback redirect URI
//! (`http://127.0.0.1/…` or `http://[::1]/…`) matches with any port, since
//! the app learns its port only when it starts listening.

use core::fmt;

use crate::error::{Result, invalid};

/// The longest redirect URI accepted, in bytes.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;

/// The loopback hosts RFC 8252 §7.3 allows plain `http` for. `localhost`
/// is not one of them: it is a name that may resolve elsewhere (RFC 8252
/// §8.3).
const LOOPBACK_ORIGINS: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// A registered redirect URI: checked when registered, then matched
/// exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Check `uri` for registration. Accepted: an `https` URI with a host;
    /// `http` on a loopback address (`127.0.0.1` or `[::1]`, any or no
    /// port); a private-use scheme of a native app, which has a period
    /// (`com.example.app:/callback`, RFC 8252 §7.1). Refused: a fragment
    /// (RFC 6749 §3.1.2), user information in the authority, anything but
    /// RFC 3986's characters, a scheme that is not lower case, and more
    /// than [`MAX_REDIRECT_URI_BYTES`].
    pub fn register(uri: &str) -> Result<RedirectUri> {
        if uri.is_empty() || uri.len() > MAX_REDIRECT_URI_BYTES {
            return Err(invalid(format!(
                "a redirect URI must be 1..={MAX_REDIRECT_URI_BYTES} bytes"
            )));
        }
        if !uri.bytes().all(is_uri_char) {
            return Err(invalid(
                "a redirect URI must consist of RFC 3986 characters (percent-encode the rest)",
            ));
        }
        if uri.contains('#') {
            return Err(invalid("a redirect URI must not have a fragment"));
        }
        let Some((scheme, rest)) = uri.split_once(':') else {
            return Err(invalid("a redirect URI must be absolute (scheme:...)"));
        };
        check_scheme(scheme)?;
        match scheme {
            "https" => check_authority(rest)?,
            "http" if split_loopback(uri).is_some() => {}
            "http" => {
                return Err(invalid(
                    "http redirect URIs are allowed only on a loopback address: http://127.0.0.1 or http://[::1]",
                ));
            }
            private if private.contains('.') => {
                if rest.is_empty() {
                    return Err(invalid("a private-use redirect URI needs a path"));
                }
            }
            _ => {
                return Err(invalid(
                    "a redirect URI must be https, http on a loopback address, or a private-use scheme with a period (com.example.app:/callback)",
                ));
            }
        }
        Ok(RedirectUri(uri.to_owned()))
    }

    /// Rebuild a redirect URI read back from the store (checked when it
    /// was registered).
    pub fn from_stored(uri: String) -> RedirectUri {
        RedirectUri(uri)
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `requested`, the `redirect_uri` of a request, is this one:
    /// the same string, or, for a loopback URI, the same but for the port.
    pub fn matches(&self, requested: &str) -> bool {
        if self.0 == requested {
            return true;
        }
        match (split_loopback(&self.0), split_loopback(requested)) {
            (Some((origin, _, rest)), Some((r_origin, _, r_rest))) => {
                origin == r_origin && rest == r_rest
            }
            _ => false,
        }
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 3986's unreserved, reserved and `%` characters.
fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, in lower case so that
/// exact matching is not defeated by case.
fn check_scheme(scheme: &str) -> Result<()> {
    let mut bytes = scheme.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    if !first_ok
        || !bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
    {
        return Err(invalid(
            "a redirect URI's scheme must be lower-case letters, digits, +, - or .",
        ));
    }
    Ok(())
}

/// An `https` URI's `//authority`: a host (a name or an IP literal) and an
/// optional port, without user information.
fn check_authority(rest: &str) -> Result<()> {
    let Some(after) = rest.strip_prefix("//") else {
        return Err(invalid(
            "an https redirect URI needs a host (https://host/...)",
        ));
    };
    let authority = after.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("a redirect URI must not carry user information"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(literal) => match literal.split_once(']') {
            Some((ip, port)) if !ip.is_empty() => (ip, port),
            _ => return Err(invalid("a redirect URI's IP literal is malformed")),
        },
        None => match authority.split_once(':') {
            Some((host, _)) => (host, &authority[host.len()..]),
            None => (authority, ""),
        },
    };
    if host.is_empty() {
        return Err(invalid(
            "an https redirect URI needs a host (https://host/...)",
        ));
    }
    if !port.is_empty() && parse_port(port).is_none() {
        return Err(invalid("a redirect URI's port must be 1..=65535"));
    }
    Ok(())
}

/// `:digits` as a port number, 1..=65535.
fn parse_port(port: &str) -> Option<u16> {
    let digits = port.strip_prefix(':')?;
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|p| *p != 0)
}

/// A loopback `http` URI as (origin, port, path-and-query); `None` for any
/// other URI (including one whose port is malformed).
fn split_loopback(uri: &str) -> Option<(&str, Option<u16>, &str)> {
    LOOPBACK_ORIGINS.iter().find_map(|origin| {
        let after = uri.strip_prefix(origin)?;
        let end = after.find(['/', '?']).unwrap_or(after.len());
        let (port, rest) = after.split_at(end);
        let port = match port {
            "" => None,
            port => Some(parse_port(port)?),
        };
        Some((*origin, port, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(uri: &str) -> RedirectUri {
        RedirectUri::register(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
    }

    #[test]
    fn what_may_be_registered() {
        for uri in [
            "https://app.example/callback",
            "https://app.example:8443/cb?x=1",
            "https://[2001:db8::1]/cb",
            "https://app.example",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://[::1]:5000",
            "com.example.app:/oauth2redirect",
            "com.example.app:/cb?x=%20y",
        ] {
            assert_eq!(ok(uri).as_str(), uri);
        }
    }

    #[test]
    fn what_may_not() {
        for uri in [
            "",
            "/relative/path",
            "app.example/cb",
            "https://app.example/cb#frag",
            "https://app.example/cb#",
            "http://app.example/cb",
            "http://localhost/cb",
            "http://localhost:8080/cb",
            "http://127.0.0.2/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://127.0.0.1@evil.example/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.1:80x/cb",
            "https://user:pw@app.example/cb",
            "https://@app.example/cb",
            "https:///cb",
            "https:app.example/cb",
            "https://app.example:/cb",
            "https://app.example:99999/cb",
            "https://[]/cb",
            "HTTPS://app.example/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "custom:/cb",
            "com.example.app:",
            "https://app.example/c b",
            "https://app.example/\u{e9}",
            "https://app.example/cb\n",
            "https://app.example/a\\b",
            "1https://app.example/cb",
        ] {
            assert!(RedirectUri::register(uri).is_err(), "{uri:?} was accepted");
        }
        let long = format!("https://app.example/{}", "a".repeat(MAX_REDIRECT_URI_BYTES));
        assert!(RedirectUri::register(&long).is_err());
    }

    #[test]
    fn matching_is_exact() {
        let r = ok("https://app.example/callback");
        assert!(r.matches("https://app.example/callback"));
        for other in [
            "https://app.example/callback/",
            "https://app.example/callback?x=1",
            "https://app.example/callbac",
            "https://app.example/Callback",
            "https://APP.example/callback",
            "https://app.example:443/callback",
            "https://app.example/callback#x",
            "https://app.example/callback/../callback",
            "https://app.example/%63allback",
            "http://app.example/callback",
            "",
        ] {
            assert!(!r.matches(other), "{other}");
        }
    }

    #[test]
    fn a_loopback_uri_matches_any_port_and_nothing_else_changes() {
        let r = ok("http://127.0.0.1/cb");
        assert!(r.matches("http://127.0.0.1/cb"));
        assert!(r.matches("http://127.0.0.1:51004/cb"));
        assert!(r.matches("http://127.0.0.1:1/cb"));
        for other in [
            "http://127.0.0.1:51004/cb2",
            "http://127.0.0.1:51004/cb?x",
            "http://[::1]:51004/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:70000/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:5x/cb",
            "https://127.0.0.1:51004/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://localhost:51004/cb",
        ] {
            assert!(!r.matches(other), "{other}");
        }
        let v6 = ok("http://[::1]:8080");
        assert!(v6.matches("http://[::1]:9090"));
        assert!(v6.matches("http://[::1]"));
        assert!(!v6.matches("http://[::1]:9090/"));
        // Any port, whatever the registered one was.
        let with_port = ok("http://127.0.0.1:8080/cb");
        assert!(with_port.matches("http://127.0.0.1/cb"));
        assert!(with_port.matches("http://127.0.0.1:9/cb"));
    }

    #[test]
    fn only_loopback_uris_ignore_the_port() {
        let r = ok("https://app.example:8443/cb");
        assert!(!r.matches("https://app.example:9443/cb"));
        assert!(!r.matches("https://app.example/cb"));
    }
}
