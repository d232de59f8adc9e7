//! Which addresses the server may call on a site owner's behalf (pure).
//!
//! A hook's address is typed by whoever holds `update:hooks`, so it must not reach what only
//! the server can: its own loopback, the cloud's metadata service, the private network it
//! sits in. Every range that is not a public unicast address is refused, including the IPv6
//! forms that carry an IPv4 address inside (IPv4-mapped, NAT64, 6to4), unless the site owner
//! lists it in `hooks.allow_private` (configuration only: never the API or the console).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Why an address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    Loopback,
    Unspecified,
    LinkLocal,
    Private,
    SharedAddressSpace,
    Multicast,
    /// A cloud provider's instance metadata service, by name.
    Metadata,
    /// Documentation, benchmarking, protocol-assignment and other ranges no service is on.
    Special,
}

impl Reserved {
    pub fn describe(self) -> &'static str {
        match self {
            Reserved::Loopback => "this server itself (loopback)",
            Reserved::Unspecified => "an unspecified address (this server)",
            Reserved::LinkLocal => "a link-local address (where cloud metadata services answer)",
            Reserved::Private => "a private network",
            Reserved::SharedAddressSpace => "a carrier's shared address space (100.64.0.0/10)",
            Reserved::Multicast => "a multicast address",
            Reserved::Metadata => "a cloud metadata service",
            Reserved::Special => "a reserved range no public service is on",
        }
    }
}

/// The ranges a site owner opened to hooks (`hooks.allow_private`), and the server's own
/// addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    allow: Vec<IpNet>,
    /// The server's own addresses: its interfaces at start-up (a public one of them is still
    /// the server: Linux answers it locally, past any cloud firewall), what `public_url`
    /// resolves to, and `hooks.own_addresses` (a container's host, a NAT or floating address).
    own: Vec<IpAddr>,
}

/// An address refused, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub reserved: Reserved,
}

impl Refused {
    /// What the site owner reads when saving such an address.
    pub fn message(&self) -> String {
        format!(
            "This address points into {}: AskOnce does not call it on a site owner's behalf. \
             To call a service on your own network, list its range in hooks.allow_private in askonce.toml.",
            self.reserved.describe()
        )
    }
}

/// Why an address given for a hook is refused at save time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an http(s) URL the connection could use (`http://4294967296/`, …).
    NotAUrl,
    Inside(Refused),
}

impl UrlRefusal {
    pub fn message(&self) -> String {
        match self {
            UrlRefusal::NotAUrl => "That is not a usable http:// or https:// address.".to_string(),
            UrlRefusal::Inside(refused) => refused.message(),
        }
    }
}

impl OutboundPolicy {
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow: allow.into_iter().map(|n| n.trunc()).collect(), own: Vec::new() }
    }

    /// The same, also treating `own` as the server itself (added to those given before).
    pub fn with_own_addresses(mut self, own: impl IntoIterator<Item = IpAddr>) -> Self {
        self.own.extend(own.into_iter().map(|ip| ip.to_canonical()));
        self
    }

    /// Whether the server may connect to `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        let own = [Some(ip.to_canonical()), embedded_v4(ip).map(IpAddr::V4)].into_iter().flatten().any(|ip| self.own.contains(&ip));
        if own {
            return self.check_self(ip);
        }
        match classify(ip) {
            None => Ok(()),
            Some(_) if self.allows(ip) => Ok(()),
            Some(reserved) => Err(Refused { reserved }),
        }
    }

    /// Whether the server may call itself at `ip` (one of its own addresses, or a connection
    /// whose two ends turned out to be the same address): only through loopback in an
    /// allowed range, or at an address listed exactly (`10.20.0.5/32`). Allowing a private
    /// range is about the services in it, not about this server's own ports.
    pub(crate) fn check_self(&self, ip: IpAddr) -> Result<(), Refused> {
        let listed_exactly = self.allow.iter().any(|net| net.prefix_len() == net.max_prefix_len() && net.addr() == ip.to_canonical());
        let loopback_allowed = classify(ip) == Some(Reserved::Loopback) && self.allows(ip);
        if listed_exactly || loopback_allowed {
            Ok(())
        } else {
            Err(Refused { reserved: Reserved::Loopback })
        }
    }

    /// The check at save time: the host of an http(s) URL, parsed as the connection will be
    /// (WHATWG: `127.1`, `0x7f.1` and `2130706433` are all 127.0.0.1). A name is refused here
    /// only when it is known to point inside (`localhost`, metadata names); any other name is
    /// checked after it resolves, at every connection.
    pub(crate) fn check_url(&self, url: &str) -> Result<(), UrlRefusal> {
        let parsed = url::Url::parse(url).map_err(|_| UrlRefusal::NotAUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(UrlRefusal::NotAUrl);
        }
        self.check_host(parsed.host()).map_err(UrlRefusal::Inside)
    }

    fn check_host(&self, host: Option<url::Host<&str>>) -> Result<(), Refused> {
        match host {
            Some(url::Host::Ipv4(v4)) => self.check_ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.check_ip(IpAddr::V6(v6)),
            Some(url::Host::Domain(name)) => match reserved_name(name) {
                Some(Reserved::Loopback) if self.allows(IpAddr::V4(Ipv4Addr::LOCALHOST)) => Ok(()),
                Some(Reserved::Metadata) if self.allows(IpAddr::V4(METADATA_V4)) => Ok(()),
                Some(reserved) => Err(Refused { reserved }),
                None => Ok(()),
            },
            None => Err(Refused { reserved: Reserved::Special }),
        }
    }

    fn allows(&self, ip: IpAddr) -> bool {
        let candidates = [Some(ip), Some(ip.to_canonical()), embedded_v4(ip).map(IpAddr::V4)];
        candidates.into_iter().flatten().any(|ip| self.allow.iter().any(|net| net.contains(&ip)))
    }
}

/// The metadata service's address on AWS, GCP, Azure, OpenStack and others.
const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// Names that point inside whatever DNS says: `localhost` (RFC 6761) and the metadata names
/// of the big clouds. Case and a trailing dot do not matter.
fn reserved_name(name: &str) -> Option<Reserved> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Some(Reserved::Loopback);
    }
    const METADATA: [&str; 6] =
        ["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal"];
    METADATA.contains(&name.as_str()).then_some(Reserved::Metadata)
}

/// The IPv4 address an IPv6 address stands for, where it carries one a router or translator
/// would reach: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`, SIIT),
/// NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(from(hi, lo)),
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(from(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

/// Why `ip` is not a public unicast address, or `None` when it is.
pub(crate) fn classify(ip: IpAddr) -> Option<Reserved> {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Reserved> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => Reserved::Unspecified,
        (0, ..) => Reserved::Unspecified, // 0.0.0.0/8 "this network": Linux connects it to itself
        (127, ..) => Reserved::Loopback,
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => Reserved::Private,
        (169, 254, _) => Reserved::LinkLocal,
        (100, 64..=127, _) => Reserved::SharedAddressSpace,
        (224..=239, ..) => Reserved::Multicast,
        (240..=255, ..) => Reserved::Special, // reserved, and the broadcast address
        (192, 0, 0) | (192, 0, 2) | (192, 88, 99) | (198, 18..=19, _) | (198, 51, 100) | (203, 0, 113) => Reserved::Special,
        // Azure's WireServer: a public-looking address every Azure VM reaches for its host.
        (168, 63, 129) if ip.octets()[3] == 16 => Reserved::Metadata,
        _ => return None,
    })
}

/// IPv6 by allow-list: only global unicast (`2000::/3`) less its special blocks is public;
/// everything else — loopback, unspecified, unique local, link-local, multicast, the rest of
/// `::/8` and `100::/8`, and whatever a translator might map inside — is refused.
fn classify_v6(ip: Ipv6Addr) -> Option<Reserved> {
    let s = ip.segments();
    Some(match s {
        _ if ip.is_unspecified() => Reserved::Unspecified,
        _ if ip.is_loopback() => Reserved::Loopback,
        [first, ..] if first & 0xfe00 == 0xfc00 => Reserved::Private, // unique local fc00::/7
        [first, ..] if first & 0xffc0 == 0xfe80 => Reserved::LinkLocal,
        [first, ..] if first & 0xffc0 == 0xfec0 => Reserved::Private, // site-local, deprecated
        [first, ..] if first & 0xff00 == 0xff00 => Reserved::Multicast,
        [0x64, 0xff9b, 1, ..] => Reserved::Private, // local-use NAT64 (RFC 8215)
        [first, ..] if first & 0xe000 != 0x2000 => Reserved::Special, // outside 2000::/3
        // 2001::/23: Teredo (which hides an IPv4 address), ORCHID, benchmarking…
        [0x2001, 0..=0x1ff, ..] => Reserved::Special,
        [0x2001, 0xdb8, ..] => Reserved::Special,
        [0x3fff, 0..=0x0fff, ..] => Reserved::Special, // documentation (RFC 9637)
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_inside_range_is_refused() {
        let inside = [
            ("127.0.0.1", Reserved::Loopback),
            ("127.255.255.254", Reserved::Loopback),
            ("0.0.0.0", Reserved::Unspecified),
            ("0.1.2.3", Reserved::Unspecified),
            ("10.1.2.3", Reserved::Private),
            ("172.16.0.1", Reserved::Private),
            ("172.31.255.255", Reserved::Private),
            ("192.168.1.1", Reserved::Private),
            ("169.254.169.254", Reserved::LinkLocal),
            ("100.64.0.1", Reserved::SharedAddressSpace),
            ("100.127.255.255", Reserved::SharedAddressSpace),
            ("198.18.0.1", Reserved::Special),
            ("198.19.255.255", Reserved::Special),
            ("224.0.0.1", Reserved::Multicast),
            ("255.255.255.255", Reserved::Special),
            ("192.0.2.1", Reserved::Special),
            ("::", Reserved::Unspecified),
            ("::1", Reserved::Loopback),
            ("::ffff:127.0.0.1", Reserved::Loopback),
            ("::ffff:169.254.169.254", Reserved::LinkLocal),
            ("::ffff:10.0.0.1", Reserved::Private),
            ("64:ff9b::7f00:1", Reserved::Loopback),
            ("64:ff9b::a9fe:a9fe", Reserved::LinkLocal),
            ("64:ff9b:1::1", Reserved::Private),
            ("2002:7f00:1::", Reserved::Loopback),
            ("2002:c0a8:101::1", Reserved::Private),
            ("::7f00:1", Reserved::Special),
            ("::ffff:0:7f00:1", Reserved::Loopback),
            ("::ffff:0:a9fe:a9fe", Reserved::LinkLocal),
            ("::a:7f00:1", Reserved::Special),
            ("100:0:0:1::1", Reserved::Special),
            ("4000::1", Reserved::Special),
            ("168.63.129.16", Reserved::Metadata),
            ("2001::1", Reserved::Special),
            ("2001:db8::1", Reserved::Special),
            ("fc00::1", Reserved::Private),
            ("fd12:3456::1", Reserved::Private),
            ("fe80::1", Reserved::LinkLocal),
            ("febf::1", Reserved::LinkLocal),
            ("fec0::1", Reserved::Private),
            ("ff02::1", Reserved::Multicast),
        ];
        for (text, why) in inside {
            assert_eq!(classify(ip(text)), Some(why), "{text}");
            assert_eq!(OutboundPolicy::default().check_ip(ip(text)), Err(Refused { reserved: why }), "{text}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for text in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "198.20.0.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(classify(ip(text)), None, "{text}");
        }
    }

    #[test]
    fn a_listed_range_is_allowed_in_every_form() {
        let policy = OutboundPolicy::new(vec!["127.0.0.0/8".parse().unwrap(), "10.0.0.0/8".parse().unwrap()]);
        for text in ["127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "10.9.9.9"] {
            assert_eq!(policy.check_ip(ip(text)), Ok(()), "{text}");
        }
        for text in ["::1", "169.254.169.254", "192.168.0.1", "0.0.0.0"] {
            assert!(policy.check_ip(ip(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn urls_are_read_as_the_connection_will_read_them() {
        let none = OutboundPolicy::default();
        for url in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://LOCALHOST./x",
            "http://api.localhost/x",
            "http://[::1]/x",
            "http://127.1/x",
            "http://0x7f.1/x",
            "http://2130706433/x",
            "http://017700000001/x",
            "http://0.0.0.0/x",
            "http://0/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[::ffff:7f00:1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://metadata.goog/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://[fc00::1]/",
            "http://[fe80::1]/",
            "https://10.0.0.5:8443/hook",
        ] {
            assert!(none.check_url(url).is_err(), "{url}");
        }
        for url in ["http://4294967296/x", "http://256.1.1.1/x", "ftp://crm.example/", "http://[::1/"] {
            assert_eq!(none.check_url(url), Err(UrlRefusal::NotAUrl), "{url}");
        }
        for url in ["https://crm.example/hook", "https://93.184.216.34/hook", "http://hooks.example.com:8080/"] {
            assert_eq!(none.check_url(url), Ok(()), "{url}");
        }
        let local = OutboundPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(local.check_url("http://127.0.0.1:9/x"), Ok(()));
        assert_eq!(local.check_url("http://localhost:9/x"), Ok(()));
        assert!(local.check_url("http://metadata.google.internal/").is_err());
        assert!(local.check_url("http://[::1]:9/").is_err(), "only the listed range");
    }

    #[test]
    fn the_servers_own_public_address_is_itself() {
        let policy = OutboundPolicy::default().with_own_addresses(vec![ip("203.0.114.7"), ip("2a01:4f8::7")]);
        for text in ["203.0.114.7", "::ffff:203.0.114.7", "64:ff9b::cb00:7207", "2a01:4f8::7"] {
            assert_eq!(policy.check_ip(ip(text)), Err(Refused { reserved: Reserved::Loopback }), "{text}");
        }
        assert_eq!(policy.check_ip(ip("203.0.114.8")), Ok(()));
        let allowed = OutboundPolicy::new(vec!["203.0.114.7/32".parse().unwrap()]).with_own_addresses(vec![ip("203.0.114.7")]);
        assert_eq!(allowed.check_ip(ip("203.0.114.7")), Ok(()), "listed exactly");
        // Allowing a private range opens its services, not the server's own address in it.
        let range = OutboundPolicy::new(vec!["10.20.0.0/16".parse().unwrap()]).with_own_addresses(vec![ip("10.20.0.5")]);
        assert_eq!(range.check_ip(ip("10.20.0.9")), Ok(()));
        assert!(range.check_ip(ip("10.20.0.5")).is_err());
        assert!(range.check_self(ip("10.20.0.9")).is_err(), "a connection to itself, found after dialling");
        // Loopback in an allowed range is the server itself on purpose.
        let local = OutboundPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]).with_own_addresses(vec![ip("127.0.0.1")]);
        assert_eq!(local.check_ip(ip("127.0.0.1")), Ok(()));
        assert_eq!(local.check_self(ip("127.0.0.1")), Ok(()));
    }

    #[test]
    fn the_refusal_says_what_to_do() {
        let refused = OutboundPolicy::default().check_url("http://127.0.0.1/").unwrap_err();
        assert!(matches!(refused, UrlRefusal::Inside(_)));
        assert!(refused.message().contains("loopback") && refused.message().contains("hooks.allow_private"), "{}", refused.message());
    }
}
