//! Which hosts this server answers for, against DNS rebinding: a web page
//! whose name an attacker re-points at 127.0.0.1 can make a browser send
//! requests here, but they carry the attacker's name in `Host` (and their
//! page's in `Origin`). Such requests are refused with 403.
//!
//! Allowed, with any port: `localhost`, every loopback address, the
//! address bound (every IP address when that is `0.0.0.0` or `::`, whose
//! interfaces cannot all be known), and the names and addresses of
//! [`ServerConfig::allow_hosts`](super::ServerConfig::allow_hosts). An IP
//! address in `Host` cannot come from rebinding: a browser sends the name
//! it resolved. The check applies with or without an admin key: the
//! public routes (login, passvalid) answer without one, and a rebound page
//! must not be able to guess passwords through them.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::Request;
use axum::http::header;

use super::error::ApiError;

/// An allowed host: a lower-case name or an address.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Allowed {
    Name(String),
    Ip(IpAddr),
}

impl Allowed {
    /// A host as configured: a name or an IP address (IPv6 with or without
    /// brackets), without a port.
    pub fn parse(host: &str) -> Result<Allowed, String> {
        let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        if let Ok(ip) = bare.unwrap_or(host).parse::<IpAddr>() {
            return Ok(Allowed::Ip(ip.to_canonical()));
        }
        let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if valid {
            Ok(Allowed::Name(name))
        } else {
            Err(format!(
                "allowed host {host:?} is not a host name or IP address (give it without a port)"
            ))
        }
    }
}

/// The hosts a server answers for.
#[derive(Debug)]
pub(super) struct HostPolicy {
    bound: IpAddr,
    extra: Vec<Allowed>,
}

impl HostPolicy {
    /// The policy of a server bound to `addr` that also allows `extra`
    /// (already checked by [`super::ServerConfig::check`]; any that do not
    /// parse allow nothing).
    pub fn new(addr: SocketAddr, extra: &[String]) -> Self {
        HostPolicy {
            bound: addr.ip().to_canonical(),
            extra: extra
                .iter()
                .filter_map(|h| Allowed::parse(h).ok())
                .collect(),
        }
    }

    /// Whether `authority` (`host[:port]`, as in `Host`) is allowed.
    pub fn allows(&self, authority: &str) -> bool {
        let Some(host) = host_of(authority) else {
            return false;
        };
        match Allowed::parse(host) {
            Ok(Allowed::Ip(ip)) => {
                ip.is_loopback()
                    || ip == self.bound
                    || self.bound.is_unspecified()
                    || self.extra.contains(&Allowed::Ip(ip))
            }
            Ok(Allowed::Name(name)) => {
                name == "localhost" || self.extra.contains(&Allowed::Name(name))
            }
            Err(_) => false,
        }
    }

    /// Whether an `Origin` header's value names an allowed host. `null`
    /// (a sandboxed or opaque origin) does not.
    fn allows_origin(&self, origin: &str) -> bool {
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        matches!(scheme, "http" | "https") && !rest.contains('/') && self.allows(rest)
    }
}

/// The host of `host[:port]`, brackets kept around an IPv6 address; `None`
/// when it is not of that form.
fn host_of(authority: &str) -> Option<&str> {
    if authority.is_empty() || authority.contains(['@', '/', ' ', '\\']) {
        return None;
    }
    let port_ok = |p: &str| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        host[1..end].parse::<Ipv6Addr>().ok()?;
        return match rest.strip_prefix(':') {
            None if rest.is_empty() => Some(host),
            Some(port) if port_ok(port) => Some(host),
            _ => None,
        };
    }
    match authority.split_once(':') {
        None => Some(authority),
        Some((host, port)) if port_ok(port) && !host.is_empty() => Some(host),
        _ => None,
    }
}

/// Why `req` is refused, if it is: it names a host this server does not
/// answer for (`Host`, or the authority of an absolute request target),
/// or a browser sent it from a page of another host (`Origin`).
pub(super) fn refusal(policy: &HostPolicy, req: &Request) -> Option<ApiError> {
    let headers = req.headers();
    let mut hosts = headers.get_all(header::HOST).iter();
    let host_ok = match (hosts.next(), hosts.next(), req.uri().authority()) {
        // More than one Host header.
        (_, Some(_), _) => false,
        (None, None, None) => false,
        (host, None, authority) => {
            host.is_none_or(|h| h.to_str().is_ok_and(|h| policy.allows(h)))
                && authority.is_none_or(|a| policy.allows(a.as_str()))
        }
    };
    if !host_ok {
        return Some(ApiError::host_not_allowed());
    }
    let origin_ok = headers
        .get_all(header::ORIGIN)
        .iter()
        .all(|o| o.to_str().is_ok_and(|o| policy.allows_origin(o)));
    if !origin_ok {
        return Some(ApiError::origin_not_allowed());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(addr: &str, extra: &[&str]) -> HostPolicy {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        HostPolicy::new(addr.parse().unwrap(), &extra)
    }

    #[test]
    fn loopback_names_the_bound_address_and_configured_hosts() {
        let p = policy("127.0.0.1:8080", &["auth.example", "10.1.2.3", "[fd00::1]"]);
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:1",
            "localhost.",
            "127.0.0.1",
            "127.0.0.1:9",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8080",
            "auth.example",
            "Auth.Example:443",
            "10.1.2.3:8080",
            "[fd00::1]:1",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "localhost.evil.example",
            "evil.example:8080",
            "10.1.2.4",
            "[::2]",
            "::1",
            "[::1",
            "localhost:80a",
            "localhost:123456",
            "user@localhost",
            "localhost/x",
            "auth.example.evil",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
    }

    #[test]
    fn an_unspecified_bind_allows_every_address_but_no_other_name() {
        let p = policy("0.0.0.0:8080", &[]);
        assert!(p.allows("192.168.1.5:8080"));
        assert!(p.allows("[2001:db8::1]"));
        assert!(!p.allows("moth.internal"));
        let bound = policy("192.168.1.5:8080", &[]);
        assert!(bound.allows("192.168.1.5"));
        assert!(!bound.allows("192.168.1.6"));
    }

    #[test]
    fn origins() {
        let p = policy("127.0.0.1:8080", &[]);
        assert!(p.allows_origin("http://localhost:3000"));
        assert!(p.allows_origin("https://127.0.0.1"));
        assert!(!p.allows_origin("null"));
        assert!(!p.allows_origin("https://evil.example"));
        assert!(!p.allows_origin("file://"));
        assert!(!p.allows_origin("http://localhost/x"));
    }

    #[test]
    fn configured_hosts_must_be_hosts() {
        assert!(Allowed::parse("auth.example").is_ok());
        assert!(Allowed::parse("::1").is_ok());
        for bad in ["", "a b", "auth.example:8080", "http://x", "*"] {
            assert!(Allowed::parse(bad).is_err(), "{bad}");
        }
    }
}
