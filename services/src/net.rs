//! The client's address as the whole app sees it.
//!
//! The server resolves it once per request (from the TCP peer, or from `Forwarded` /
//! `X-Forwarded-For` when the peer is a configured trusted proxy) and stores a [`ClientIp`]
//! in the request's extensions; the rate limiter, the password throttle, `last_ip` and the
//! signed-in sessions list all read that one value, so they can never disagree.

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// The resolved client address of the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The address with an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) turned into the
    /// IPv4 address it stands for, so a dual-stack listener and a proxy that writes either
    /// form give the same client.
    pub fn new(ip: IpAddr) -> Self {
        Self(ip.to_canonical())
    }

    /// The network limits are counted per.
    pub fn network(self) -> ClientNetwork {
        ClientNetwork::of(self.0)
    }
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What rate limits count per: an IPv4 address, or the /64 an IPv6 address is in.
///
/// One IPv6 subscriber usually gets a whole /64 (often a /56 or /48), so counting per address
/// would give them 2^64 fresh quotas; a /64 is the smallest block that is one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientNetwork(IpNet);

/// The prefix length of one IPv6 customer network.
const IPV6_CLIENT_PREFIX: u8 = 64;

impl ClientNetwork {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(IpNet::V4(Ipv4Net::from(v4))),
            IpAddr::V6(v6) => Self(IpNet::V6(v6_network(v6))),
        }
    }
}

fn v6_network(v6: Ipv6Addr) -> Ipv6Net {
    // 64 <= 128, so `new` cannot fail; the fallback keeps the type total without a panic.
    Ipv6Net::new(v6, IPV6_CLIENT_PREFIX).map(|n| n.trunc()).unwrap_or_else(|_| Ipv6Net::from(v6))
}

impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // A single IPv4 address reads better without its "/32".
            IpNet::V4(v4) => v4.addr().fmt(f),
            IpNet::V6(v6) => v6.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_in_one_slash_64_share_a_network_and_others_do_not() {
        let a = ClientNetwork::of(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, ClientNetwork::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(a, ClientNetwork::of(ip("2001:db8:1:3::1")));
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_addresses_are_their_own_network() {
        assert_ne!(ClientNetwork::of(ip("192.0.2.1")), ClientNetwork::of(ip("192.0.2.2")));
        assert_eq!(ClientNetwork::of(ip("192.0.2.1")).to_string(), "192.0.2.1");
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_counts_as_the_ipv4_address() {
        assert_eq!(ClientNetwork::of(ip("::ffff:192.0.2.1")), ClientNetwork::of(ip("192.0.2.1")));
        // ... and not as the /64 `::ffff:0:0/64`, which would lump all of IPv4 together.
        assert_ne!(ClientNetwork::of(ip("::ffff:192.0.2.1")), ClientNetwork::of(ip("::ffff:192.0.2.2")));
        assert_eq!(ClientIp::new(ip("::ffff:192.0.2.1")), ClientIp(ip("192.0.2.1")));
    }
}
