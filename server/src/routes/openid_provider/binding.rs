//! The cookie that binds an authorization in flight to the browser that started it
//! (`services::openid_provider::authorizations`): a random value, sent only to the
//! authorization paths, never readable by scripts, kept ten minutes.

use axum::http::{header, HeaderMap, HeaderValue};

const NAME: &str = "askonce_authorization";
/// Over https the name says so (`__Secure-`): the browser then never takes it from http.
const SECURE_NAME: &str = "__Secure-askonce_authorization";

fn name(https: bool) -> &'static str {
    if https {
        SECURE_NAME
    } else {
        NAME
    }
}

/// The binding the browser sent, if any.
pub(super) fn read(headers: &HeaderMap, https: bool) -> Option<String> {
    let wanted = name(https);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == wanted)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The `Set-Cookie` that gives (or renews) `value`.
pub(super) fn set(value: &str, https: bool) -> Option<HeaderValue> {
    let secure = if https { "; Secure" } else { "" };
    let max_age = services::openid_provider::authorizations::LIFETIME.num_seconds();
    HeaderValue::from_str(&format!("{}={value}; Path=/authorize; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", name(https))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binding_is_read_back_and_nothing_else() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("askonce_session=s; askonce_authorization=abc_-1"));
        assert_eq!(read(&headers, false).as_deref(), Some("abc_-1"));
        assert_eq!(read(&headers, true), None, "over https only the __Secure- name counts");
        headers.insert(header::COOKIE, HeaderValue::from_static("askonce_authorization=a;b"));
        assert_eq!(read(&headers, false).as_deref(), Some("a"));
        let cookie = set("v", true).unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with("__Secure-askonce_authorization=v; Path=/authorize; HttpOnly; SameSite=Lax; Max-Age=600"), "{cookie}");
        assert!(cookie.ends_with("; Secure"));
    }
}
