//! Who the client is: the one place that decides a request's client address.
//!
//! The TCP peer is the client, unless the peer is one of `server.trusted_proxies`: then the
//! header the proxies write (`server.forwarded_header`: `X-Forwarded-For` by default, or RFC
//! 7239 `Forwarded`'s `for=`) is read from the right, skipping trusted hops, and the first
//! address that is not a trusted proxy is the client. Entries further left were written by
//! that untrusted client and are never read, so nobody can choose their own address by
//! sending the header themselves. Only the configured header is read: a proxy passes the
//! other one through untouched, so it would be the client's word alone.
//!
//! The result goes into the request's extensions as [`ClientIp`]; the sign-in rate limiter,
//! the password throttle, `last_ip` and the signed-in sessions list all read it from there.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;
use serde::Deserialize;
use services::net::ClientIp;

/// One `server.trusted_proxies` entry: a CIDR block (`10.0.0.0/8`, `fd00::/8`) or a single
/// address (`192.0.2.10`, taken as its /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TrustedProxy(IpNet);

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let net = match s.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => {
                s.parse::<IpAddr>().map(IpNet::from).map_err(|_| format!("`{s}` is not a CIDR block (10.0.0.0/8) or an IP address"))?
            }
        };
        // `10.1.2.3/8` means the block `10.0.0.0/8`: keep the network, not the typed host.
        Ok(Self(net.trunc()))
    }
}

impl TryFrom<String> for TrustedProxy {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which header the trusted proxies write the client chain into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// The configured proxies and their header, shared by the middleware.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Arc<[IpNet]>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn new(proxies: &[TrustedProxy], header: ForwardedHeader) -> Self {
        Self { nets: proxies.iter().map(|p| p.0).collect(), header }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        // Canonical first: a dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`.
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request from `peer` carrying `headers`.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Every field line of the header counts, in order (RFC 9110 §5.3).
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded_for(headers),
        };
        // Walk from the nearest hop to the farthest. `last_trusted` is the address of the
        // proxy that wrote the hop being read.
        let mut last_trusted = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.trusts(ip) => last_trusted = ip,
                Some(ip) => return ip,
                // `unknown`, an obfuscated name or garbage: the chain cannot be followed past
                // here, so the client is the proxy that reported it (never a guess further left).
                None => return last_trusted,
            }
        }
        // Every hop was a trusted proxy (or there was no header): the farthest one is the
        // client, e.g. a health check sent by the proxy itself.
        last_trusted
    }
}

/// The `for=` of every `Forwarded` element, in order; `None` for a value that is not an IP.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all(header::FORWARDED) {
        let Ok(value) = value.to_str() else {
            // An unreadable line breaks the chain at its position.
            hops.push(None);
            continue;
        };
        for element in split_outside_quotes(value, ',') {
            // An element without `for=` still is a hop the proxy added; its client unknown.
            let mut hop = None;
            for pair in split_outside_quotes(element, ';') {
                if let Some((name, value)) = pair.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("for") {
                        hop = parse_node(value.trim());
                    }
                }
            }
            hops.push(hop);
        }
    }
    hops
}

/// The entries of every `X-Forwarded-For` line, in order.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        match value.to_str() {
            Ok(value) => hops.extend(value.split(',').map(|entry| parse_node(entry.trim()))),
            Err(_) => hops.push(None),
        }
    }
    hops
}

/// RFC 7239 §6 node: `192.0.2.60`, `"192.0.2.60:8080"`, `"[2001:db8::1]"`, `"[2001:db8::1]:4711"`;
/// also a bare IPv6 address, as X-Forwarded-For writes it. `unknown` and `_obfuscated` give `None`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(node);
    if let Some(rest) = node.strip_prefix('[') {
        let (v6, _port) = rest.split_once(']')?;
        return v6.parse::<std::net::Ipv6Addr>().ok().map(|ip| IpAddr::V6(ip).to_canonical());
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    // `a.b.c.d:port`
    node.parse::<SocketAddr>().ok().map(|s| s.ip().to_canonical())
}

/// Splits on `sep` where it is not inside a quoted string.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Puts the request's [`ClientIp`] in its extensions. Without a peer address (a router served
/// without connect info, as some tests do) the client is `0.0.0.0`: every such request then
/// shares one quota, which errs on the side of limiting.
pub(crate) async fn resolve_client_ip(State(proxies): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = ClientIp::new(proxies.resolve(peer, request.headers()));
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies_with(list: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies::new(&list.iter().map(|s| s.parse().unwrap()).collect::<Vec<TrustedProxy>>(), header)
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        proxies_with(list, ForwardedHeader::XForwardedFor)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.9")]);
        assert_eq!(proxies(&[]).resolve(ip("192.0.2.1"), &h), ip("192.0.2.1"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(proxies(&["10.0.0.0/8"]).resolve(ip("192.0.2.1"), &h), ip("192.0.2.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["10.0.0.0/8", "192.0.2.10"]);
        // The client forged "1.2.3.4"; the proxies appended the real address and each other.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // Several header lines are one list.
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.9, 192.0.2.10")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_node_forms_are_understood() {
        let p = proxies_with(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("forwarded", r#"for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2"#),
        ]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", r#"for="192.0.2.60:8080", For=10.9.9.9"#)]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("192.0.2.60"));
        let h = headers(&[("forwarded", r#"for="_gazonk";by="a,b", for=192.0.2.60"#)]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("192.0.2.60"), "quoted commas do not split elements");
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // Proxies that write X-Forwarded-For pass a client's own `Forwarded` through: ignored.
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("forwarded", "for=1.2.3.4"), ("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        let p = proxies_with(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(&[("forwarded", "for=203.0.113.9"), ("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn an_unknown_or_unparseable_hop_stops_the_walk_at_the_proxy_that_wrote_it() {
        let p = proxies_with(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let h = headers(&[("forwarded", "for=203.0.113.9, for=unknown, for=10.2.2.2")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.2.2.2"));
        let h = headers(&[("x-forwarded-for", "203.0.113.9, garbage")]);
        assert_eq!(proxies(&["10.0.0.0/8"]).resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        assert_eq!(proxies(&["10.0.0.0/8"]).resolve(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn ipv4_mapped_peers_and_hops_match_ipv4_proxies() {
        let p = proxies(&["127.0.0.1"]);
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(p.resolve(ip("::ffff:127.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_proxy_entries_parse_as_blocks_or_addresses() {
        assert_eq!("10.1.2.3/8".parse::<TrustedProxy>().unwrap().to_string(), "10.0.0.0/8");
        assert_eq!("192.0.2.10".parse::<TrustedProxy>().unwrap().to_string(), "192.0.2.10/32");
        assert_eq!("fd00::/8".parse::<TrustedProxy>().unwrap().to_string(), "fd00::/8");
        assert!("10.0.0.0/33".parse::<TrustedProxy>().is_err());
        assert!("proxy.internal".parse::<TrustedProxy>().is_err());
    }
}
