//! The kinds of application a site owner registers (Auth0's `app_type`), and what each may do.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppType {
    /// A server-side web app: keeps a secret, authenticates at the token endpoint.
    RegularWeb,
    /// A single-page app in the browser: no secret, PKCE required.
    Spa,
    /// A mobile or desktop app: no secret, PKCE required.
    Native,
    /// A machine (service, job) calling APIs as itself: `client_credentials` only.
    NonInteractive,
}

impl AppType {
    /// Public clients cannot keep a secret (RFC 6749 §2.1): they authenticate with `none`
    /// and must prove possession of the code with PKCE.
    pub fn is_public(self) -> bool {
        matches!(self, AppType::Spa | AppType::Native)
    }

    /// Whether people sign in through it (the authorization code flow).
    pub fn signs_people_in(self) -> bool {
        !matches!(self, AppType::NonInteractive)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::RegularWeb => "regular_web",
            AppType::Spa => "spa",
            AppType::Native => "native",
            AppType::NonInteractive => "non_interactive",
        }
    }

    pub fn parse(s: &str) -> Option<AppType> {
        [AppType::RegularWeb, AppType::Spa, AppType::Native, AppType::NonInteractive].into_iter().find(|t| t.as_str() == s)
    }
}

/// Whether `redirect_uri` is one of `registered`: compared as strings, exactly (OpenID Connect
/// Core §3.1.2.1, RFC 9700 §4.1.3). No prefix, no wildcard, no normalization: `HTTPS://` or a
/// trailing slash is another address.
pub fn redirect_uri_registered(registered: &[String], redirect_uri: &str) -> bool {
    registered.iter().any(|r| r == redirect_uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_spa_and_native_are_public() {
        assert!(AppType::Spa.is_public() && AppType::Native.is_public());
        assert!(!AppType::RegularWeb.is_public() && !AppType::NonInteractive.is_public());
        assert_eq!(AppType::parse("regular_web"), Some(AppType::RegularWeb));
        assert_eq!(AppType::parse("web"), None);
    }

    #[test]
    fn redirect_uris_match_exactly_or_not_at_all() {
        let registered = vec!["https://shop.example/callback".to_string()];
        assert!(redirect_uri_registered(&registered, "https://shop.example/callback"));
        for variant in [
            "https://shop.example/callback/",
            "https://shop.example/callback?x=1",
            "https://shop.example/callback#f",
            "https://shop.example/callbackx",
            "https://shop.example/call",
            "HTTPS://shop.example/callback",
            "https://SHOP.example/callback",
            "https://shop.example:443/callback",
            "https://shop.example:8443/callback",
            "https://shop.example/x/../callback",
            "https://shop.example/%63allback",
            "https://evil@shop.example/callback",
            "https://shop.example@evil.example/callback",
            "https://shop.example.evil.example/callback",
            "http://shop.example/callback",
            "https://*.example/callback",
            "",
        ] {
            assert!(!redirect_uri_registered(&registered, variant), "{variant} must not match");
        }
    }
}
