//! Addresses of the site owner's own services that AskOnce calls or sends people to (hooks,
//! external forms): checked the same way wherever one is configured.

/// An absolute http(s) URL with a host and no credentials in it.
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
    Ok(())
}
