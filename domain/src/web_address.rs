//! Addresses of the site owner's own services that AskOnce calls or sends people to (hooks,
//! external forms): checked the same way wherever one is configured.

/// An absolute http(s) URL with a host and no credentials in it. The host is a DNS name of
/// ASCII letters, digits and hyphens (an IDN in its `xn--` form: the URL standard maps some
/// Unicode to punctuation, `🄁` to `0,`), or an IP literal: the
/// URL standard would also take `;`, `,`, `'` and more in a host, and an external form's
/// origin goes into the Content-Security-Policy header, where those would end a directive
/// or start a policy.
pub fn check(url: &str) -> Result<(), &'static str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or("Give an http:// or https:// address.")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("The address needs a host.");
    }
    if authority.contains('@') {
        return Err("Put no user name or password in the address; the other side checks a signature instead.");
    }
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("That is not a usable address.");
    }
    if !plain_host_and_port(authority) {
        return Err(
            "The host must be a name of letters, digits, hyphens and dots (an international name in its xn-- form), or an IP address.",
        );
    }
    Ok(())
}

/// `host[:port]` with a DNS-name or IP-literal host and a numeric port.
fn plain_host_and_port(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((inside, after)) => {
                if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                    return false;
                }
                (None, after.strip_prefix(':').map(Some).unwrap_or(if after.is_empty() { None } else { Some("x") }))
            }
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(authority), None),
        },
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    let host_ok = host.is_none_or(|h| {
        let h = h.strip_suffix('.').unwrap_or(h);
        !h.is_empty() && h.split('.').all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn names_and_ip_literals_pass() {
        for url in [
            "https://crm.example/hook",
            "https://forms.example.com:8443/work?x=1",
            "http://10.0.0.5:8080/x",
            "https://[2001:db8::1]:443/x",
            "https://[::ffff:1.2.3.4]/",
            "https://xn--bcher-kva.example/",
            "https://crm.example./",
        ] {
            assert_eq!(check(url), Ok(()), "{url}");
        }
    }

    /// What would break the Content-Security-Policy header the origin goes into, or smuggle
    /// anything but a host.
    #[test]
    fn hosts_with_other_characters_are_refused() {
        for url in [
            "https://forms.example;sandbox/x",
            "https://a\u{1F101}b.example/",
            "https://\u{2474}.example/",
            "https://bücher.example/",
            "https://x,script-src/",
            "https://x'unsafe-inline'/",
            "https://a_b.example/",
            "https://a..b/",
            "https://x.example:80a/",
            "https://x.example:/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[zz::1]/",
            "https://user:pw@crm.example/",
            "https:///path",
            "ftp://x",
            "https://crm.example/a b",
        ] {
            assert!(check(url).is_err(), "{url}");
        }
    }
}
