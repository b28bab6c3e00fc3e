//! Where a request comes from: the client's IP address, for rate limits
//! and audit records.
//!
//! Behind a reverse proxy the TCP peer is the proxy, and the client is
//! only named in `X-Forwarded-For`. That header is text anyone can send,
//! so it is believed only when the peer is a proxy the operator trusts
//! ([`ServerConfig::trusted_proxies`](super::ServerConfig::trusted_proxies)),
//! and it is read from the right: each proxy appends the address it was
//! handed the request by, so entries left of the first untrusted address
//! are whatever that client chose to claim.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::request::Parts;
use ipnet::IpNet;

/// The header in which proxies name the addresses they were handed a
/// request by.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The TCP peer of a request's connection, as accepted (an IPv4 client of
/// a dual-stack listener shows as IPv4-mapped IPv6 here). Put in every
/// request's extensions by the connection serving it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerAddr(pub SocketAddr);

/// The proxies whose `X-Forwarded-For` is believed; shared by every
/// request, in their extensions next to [`PeerAddr`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TrustedProxies(pub Arc<Vec<IpNet>>);

/// The client's IP address, when the request came over a connection
/// ([`PeerAddr`]): the peer itself, or — when the peer is a trusted proxy —
/// the rightmost untrusted address in `X-Forwarded-For` (see
/// [`client_ip`]). `None` when the router was called directly, without a
/// connection (tests). Always IPv4 for IPv4 clients, never IPv4-mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Source(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let Some(&PeerAddr(peer)) = parts.extensions.get::<PeerAddr>() else {
            return Ok(Source(None));
        };
        let trusted = parts
            .extensions
            .get::<TrustedProxies>()
            .map_or(&[][..], |t| t.0.as_slice());
        let forwarded: Vec<&HeaderValue> = parts.headers.get_all(X_FORWARDED_FOR).iter().collect();
        Ok(Source(Some(client_ip(peer.ip(), &forwarded, trusted))))
    }
}

/// The client's address, given the TCP `peer`, the `X-Forwarded-For`
/// header values in the order received, and the `trusted` proxies.
///
/// An untrusted peer is the client, whatever it forwards. From a trusted
/// one, the entries of every value, taken together in order, are walked
/// from the right: trusted proxies are skipped, and the first untrusted
/// address is the client. Should every entry be trusted, the leftmost is
/// the client. An entry that is not an IP address (`unknown`, a port, an
/// obfuscated name) ends the walk: nothing left of it can be placed, so
/// the client is the last trusted hop, the one that handed the request on.
/// Empty entries are skipped, as HTTP lists allow them. Every address is
/// compared and returned with IPv4-mapped IPv6 made IPv4, so a dual-stack
/// listener's peers match IPv4 networks.
pub(crate) fn client_ip(peer: IpAddr, forwarded_for: &[&HeaderValue], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut hop = peer.to_canonical();
    if !is_trusted(&hop) {
        return hop;
    }
    let entries = forwarded_for
        .iter()
        .rev()
        .flat_map(|value| value.as_bytes().rsplit(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|entry| !entry.is_empty());
    for entry in entries {
        let Some(ip) = parse_ip(entry) else {
            return hop;
        };
        hop = ip.to_canonical();
        if !is_trusted(&hop) {
            return hop;
        }
    }
    hop
}

/// An entry as a plain IP address; anything else (a port, brackets, a
/// name, bytes that are not ASCII) is `None`.
fn parse_ip(entry: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(entry).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use axum::http::Request;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    /// `client_ip` over header values given as text.
    fn resolve(peer: &str, headers: &[&str], trusted: &[&str]) -> IpAddr {
        let values: Vec<HeaderValue> = headers
            .iter()
            .map(|h| HeaderValue::from_str(h).unwrap())
            .collect();
        let refs: Vec<&HeaderValue> = values.iter().collect();
        client_ip(ip(peer), &refs, &nets(trusted))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = ["10.0.0.0/8"];
        assert_eq!(
            resolve("203.0.113.9", &["198.51.100.1"], &proxies),
            ip("203.0.113.9")
        );
        assert_eq!(
            resolve("203.0.113.9", &["10.0.0.1"], &proxies),
            ip("203.0.113.9")
        );
        // Nothing is trusted by default.
        assert_eq!(resolve("10.0.0.1", &["198.51.100.1"], &[]), ip("10.0.0.1"));
        // No header: the peer, trusted or not.
        assert_eq!(resolve("10.0.0.1", &[], &proxies), ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_names_the_rightmost_untrusted_address() {
        let proxies = ["10.0.0.0/8"];
        assert_eq!(
            resolve("10.0.0.1", &["198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
        // What the client itself put on the left is not believed.
        assert_eq!(
            resolve("10.0.0.1", &["1.2.3.4, 5.6.7.8,198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_skipped() {
        let proxies = ["10.0.0.0/8", "192.168.1.7/32"];
        assert_eq!(
            resolve(
                "10.0.0.1",
                &["1.2.3.4, 198.51.100.1, 192.168.1.7, 10.9.9.9"],
                &proxies
            ),
            ip("198.51.100.1")
        );
        // Every entry trusted: the leftmost is the client.
        assert_eq!(
            resolve("10.0.0.1", &["10.1.1.1, 192.168.1.7, 10.2.2.2"], &proxies),
            ip("10.1.1.1")
        );
        // Empty entries are nothing, not an end.
        assert_eq!(
            resolve("10.0.0.1", &[" , 198.51.100.1,, 10.2.2.2 ,"], &proxies),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn an_entry_that_is_not_an_address_ends_the_walk_at_the_last_trusted_hop() {
        let proxies = ["10.0.0.0/8"];
        for garbage in [
            "unknown",
            "198.51.100.1:443",
            "[2001:db8::1]",
            "_hidden",
            "1.2.3",
            "fe80::1%eth0",
        ] {
            let header = format!("1.2.3.4, {garbage}, 10.2.2.2");
            assert_eq!(
                resolve("10.0.0.1", &[&header], &proxies),
                ip("10.2.2.2"),
                "{header}"
            );
            assert_eq!(
                resolve("10.0.0.1", &[garbage], &proxies),
                ip("10.0.0.1"),
                "{garbage}"
            );
        }
        // Bytes that are not text are no address either.
        let opaque = HeaderValue::from_bytes(b"198.51.100.\xff").unwrap();
        assert_eq!(
            client_ip(ip("10.0.0.1"), &[&opaque], &nets(&proxies)),
            ip("10.0.0.1")
        );
        // Garbage the untrusted client sent, left of its own address, is
        // never reached.
        assert_eq!(
            resolve("10.0.0.1", &["unknown, 198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn several_headers_are_one_list_in_order() {
        let proxies = ["10.0.0.0/8"];
        assert_eq!(
            resolve(
                "10.0.0.1",
                &["1.2.3.4, 198.51.100.1", "10.3.3.3", "10.2.2.2, 10.1.1.1"],
                &proxies
            ),
            ip("198.51.100.1")
        );
        assert_eq!(
            resolve("10.0.0.1", &["198.51.100.1", "203.0.113.5"], &proxies),
            ip("203.0.113.5")
        );
        assert_eq!(
            resolve("10.0.0.1", &["10.5.5.5", "unknown", "10.2.2.2"], &proxies),
            ip("10.2.2.2")
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_ipv4() {
        let proxies = ["10.0.0.0/8"];
        // A dual-stack listener's peer matches the IPv4 network.
        assert_eq!(
            resolve("::ffff:10.0.0.1", &["198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
        // An untrusted peer comes back as IPv4 too.
        assert_eq!(
            resolve("::ffff:203.0.113.9", &[], &proxies),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))
        );
        // And so do forwarded entries, trusted or not.
        assert_eq!(
            resolve(
                "10.0.0.1",
                &["::ffff:198.51.100.1, ::ffff:10.2.2.2"],
                &proxies
            ),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn ipv6_networks_are_matched() {
        let proxies = ["2001:db8:aa::/48", "fd00::1/128"];
        assert_eq!(
            resolve(
                "2001:db8:aa:1::5",
                &["2001:db8:bb::9, fd00::1, 2001:db8:aa:ffff::1"],
                &proxies
            ),
            ip("2001:db8:bb::9")
        );
        assert_eq!(
            resolve("2001:db8:ab::5", &["2001:db8:bb::9"], &proxies),
            ip("2001:db8:ab::5")
        );
        assert_eq!(
            resolve("fd00::1", &["198.51.100.1"], &proxies),
            ip("198.51.100.1")
        );
    }

    async fn extract(req: Request<()>) -> Source {
        let (mut parts, ()) = req.into_parts();
        let Ok(source) = Source::from_request_parts(&mut parts, &()).await;
        source
    }

    #[tokio::test]
    async fn the_extractor_reads_the_connections_facts() {
        let request = || Request::builder().header(X_FORWARDED_FOR, "198.51.100.1");
        // No connection: no source.
        assert_eq!(extract(request().body(()).unwrap()).await, Source(None));
        let peer = PeerAddr(SocketAddr::from(([10, 0, 0, 1], 50000)));
        // A peer but no trusted proxies: the peer.
        let req = request().extension(peer).body(()).unwrap();
        assert_eq!(extract(req).await, Source(Some(ip("10.0.0.1"))));
        let trusted = TrustedProxies(Arc::new(nets(&["10.0.0.0/8"])));
        let req = request()
            .extension(peer)
            .extension(trusted)
            .body(())
            .unwrap();
        assert_eq!(extract(req).await, Source(Some(ip("198.51.100.1"))));
    }
}
