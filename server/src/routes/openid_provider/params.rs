//! A request's parameters — a query, or an `application/x-www-form-urlencoded` body — as the
//! endpoints read them.

use axum::response::{IntoResponse, Redirect, Response};

/// The name-value pairs, in the order sent.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Params {
        Params(url::form_urlencoded::parse(encoded).into_owned().collect())
    }

    /// The value of `name` when sent and not empty (RFC 6749 §3.1: a parameter sent without
    /// a value is treated as omitted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// The first name sent twice (RFC 6749 §3.1, §3.2: each at most once).
    pub fn repeated(&self) -> Option<&str> {
        let mut seen = std::collections::BTreeSet::new();
        self.0.iter().map(|(k, _)| k.as_str()).find(|k| !seen.insert(*k))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// A form post answered with the same request as a GET to `path` (the authorization and
/// logout endpoints): an application's page posting here is another site, whose POST does not
/// carry AskOnce's `SameSite=Lax` session cookie; the GET that follows is a top-level
/// navigation that does.
pub(super) fn resend_as_get(path: &str, body: &[u8]) -> Response {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(url::form_urlencoded::parse(body)).finish();
    Redirect::to(&format!("{path}?{query}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_value_is_as_if_omitted_and_repeats_are_named() {
        let params = Params::parse(b"client_id=shop&state=&scope=openid&scope=email");
        assert_eq!(params.get("client_id"), Some("shop"));
        assert_eq!(params.get("state"), None);
        assert_eq!(params.get("nonce"), None);
        assert_eq!(params.repeated(), Some("scope"));
        assert_eq!(Params::parse(b"a=1&b=2").repeated(), None);
    }
}
