//! `ReturnTo`: where to send someone after sign-in or a question stage. Only a path on this
//! site is accepted, so no link can turn AskOnce into an open redirector.

use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

/// A local path (with optional query and fragment), checked by [`ReturnTo::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReturnTo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the return address must be a path on this site")]
pub struct NotALocalPath;

impl ReturnTo {
    const MAX_LEN: usize = 2048;

    /// Accepts `/path?query#frag`. Refuses absolute and scheme-relative URLs (`//host`,
    /// `/\host` — browsers treat `\` as `/`), control characters, and any of those hidden
    /// behind percent-encoding.
    pub fn parse(input: &str) -> Result<ReturnTo, NotALocalPath> {
        if input.len() > Self::MAX_LEN || !is_local(input) {
            return Err(NotALocalPath);
        }
        // Decode repeatedly: `%252F` becomes `%2F` becomes `/` across layers of decoding.
        let mut decoded = input.to_string();
        for _ in 0..3 {
            let next = percent_decode(&decoded);
            if !is_local(&next) {
                return Err(NotALocalPath);
            }
            if next == decoded {
                break;
            }
            decoded = next;
        }
        Ok(ReturnTo(input.to_string()))
    }

    /// `parse`, falling back to the home page for anything refused or absent.
    pub fn or_home(input: Option<&str>) -> ReturnTo {
        input.and_then(|s| ReturnTo::parse(s).ok()).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where a sign-in continues: `/welcome` (this sign-in's questions, if any), then here.
    pub fn via_welcome(&self) -> String {
        format!("/welcome?return_to={}", percent_encode(&self.0))
    }
}

/// Whether `path` is served by the server outside the app's pages — the OpenID Provider's
/// `/authorize…` and `/oidc/…`, a provider's `/auth/…`, an external form's `/forms/…` — so
/// reaching it from a hydrated page takes a full page load (the app's router would show its
/// "not found" page for it).
pub fn is_server_route(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path == "/authorize" || ["/authorize/", "/oidc/", "/auth/", "/forms/"].iter().any(|p| path.starts_with(p))
}

/// Everything but RFC 3986 unreserved characters and `/` is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`: a path as a
/// query-string value.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

impl Default for ReturnTo {
    fn default() -> Self {
        ReturnTo("/".to_string())
    }
}

impl fmt::Display for ReturnTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ReturnTo {
    type Error = NotALocalPath;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ReturnTo::parse(&value)
    }
}

impl From<ReturnTo> for String {
    fn from(value: ReturnTo) -> Self {
        value.0
    }
}

fn is_local(s: &str) -> bool {
    let mut chars = s.chars();
    if chars.next() != Some('/') {
        return false;
    }
    if matches!(chars.next(), Some('/') | Some('\\')) {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\\')
}

/// Percent-decoding (bytes, lossy UTF-8): enough to see what a browser would see.
fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {

    #[test]
    fn server_routes_are_told_from_pages() {
        assert!(super::is_server_route("/authorize/continue?id=x"));
        assert!(super::is_server_route("/authorize?client_id=x"));
        assert!(super::is_server_route("/oidc/logout"));
        assert!(super::is_server_route("/forms/survey/start"));
        assert!(!super::is_server_route("/authorized-apps"));
        assert!(!super::is_server_route("/welcome?return_to=/authorize/continue"));
        assert!(!super::is_server_route("/profile"));
    }

    use super::*;

    #[test]
    fn local_paths_are_accepted_as_they_are() {
        for ok in ["/", "/articles/rust?ref=mail#top", "/welcome", "/a%20b"] {
            assert_eq!(ReturnTo::parse(ok).map(|r| r.to_string()), Ok(ok.to_string()), "{ok}");
        }
    }

    #[test]
    fn absolute_scheme_relative_and_backslash_urls_are_refused() {
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/ok\\..\\",
            "/\t/evil.example",
            "/\n/evil.example",
        ] {
            assert_eq!(ReturnTo::parse(bad), Err(NotALocalPath), "{bad:?}");
        }
    }

    #[test]
    fn encoded_variants_are_refused() {
        for bad in ["/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example", "/%09/evil", "/%5C", "/x%0A"]
        {
            assert_eq!(ReturnTo::parse(bad), Err(NotALocalPath), "{bad}");
        }
    }

    #[test]
    fn over_long_paths_are_refused() {
        assert!(ReturnTo::parse(&format!("/{}", "a".repeat(3000))).is_err());
    }

    #[test]
    fn refused_or_missing_values_fall_back_to_home() {
        assert_eq!(ReturnTo::or_home(Some("//evil")).as_str(), "/");
        assert_eq!(ReturnTo::or_home(None).as_str(), "/");
        assert_eq!(ReturnTo::or_home(Some("/profile")).as_str(), "/profile");
    }

    #[test]
    fn sign_ins_continue_through_the_welcome_step() {
        let rt = ReturnTo::parse("/articles/rust?x=1&y=2").unwrap();
        assert_eq!(rt.via_welcome(), "/welcome?return_to=/articles/rust%3Fx%3D1%26y%3D2");
    }

    #[test]
    fn deserializing_checks_the_path() {
        assert!(serde_json::from_str::<ReturnTo>("\"//evil\"").is_err());
        assert!(serde_json::from_str::<ReturnTo>("\"/ok\"").is_ok());
    }
}
