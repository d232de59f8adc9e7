//! Scopes: what an application asks for, and which of a person's claims each releases
//! (OpenID Connect Core §5.4).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Asking in context on the application's own pages (the prompt API). Never asked for at
/// `/authorize`: an application allowed it exchanges a person's access token for a prompt
/// token at the token endpoint (RFC 8693), see [`TOKEN_EXCHANGE`].
pub const PROMPT: &str = "prompt";

/// The scopes an authorization request may ask for. `phone` and `address` are not offered:
/// AskOnce keeps no verified phone number or postal address as root attributes (a site's
/// own fields are released by name instead, see `released_fields`).
pub const SUPPORTED: [&str; 4] = [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS];
/// The scopes an application that signs people in may be allowed: [`SUPPORTED`] and
/// [`PROMPT`].
pub const CLIENT_SCOPES: [&str; 5] = [OPENID, PROFILE, EMAIL, OFFLINE_ACCESS, PROMPT];

/// RFC 8693's grant type: how an application gets a prompt token for the person whose access
/// token it holds.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: the type of the token exchanged, and of the token issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The claims `profile` releases, of those AskOnce keeps.
pub const PROFILE_CLAIMS: [&str; 8] =
    ["name", "given_name", "family_name", "nickname", "preferred_username", "picture", "locale", "updated_at"];
/// The claims `email` releases.
pub const EMAIL_CLAIMS: [&str; 2] = ["email", "email_verified"];

/// What a scope lets an application know, in words for the consent screen and `/profile`.
pub fn describe(scope: &str) -> Option<&'static str> {
    match scope {
        OPENID => Some("Know who you are (your AskOnce account)"),
        PROFILE => Some("See your name, nickname, picture and language"),
        EMAIL => Some("See your email address, and whether it is verified"),
        OFFLINE_ACCESS => Some("Keep access while you are away, until you remove it"),
        PROMPT => Some("Ask you questions on its own pages and save your answers"),
        _ => None,
    }
}

/// A set of scope values, kept sorted so two requests for the same scopes compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Space-separated values (RFC 6749 §3.3); empty values are dropped.
    pub fn parse(s: &str) -> Scopes {
        Scopes(s.split(' ').filter(|v| !v.is_empty()).map(str::to_string).collect())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values not in `allowed`.
    pub fn not_in<'a>(&'a self, allowed: &'a [String]) -> impl Iterator<Item = &'a str> {
        self.iter().filter(move |s| !allowed.iter().any(|a| a == s))
    }

    /// Whether every value is also in `other`.
    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether `claim` (a standard claim's name) is released under these scopes.
    pub fn releases(&self, claim: &str) -> bool {
        (self.contains(PROFILE) && PROFILE_CLAIMS.contains(&claim)) || (self.contains(EMAIL) && EMAIL_CLAIMS.contains(&claim))
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl From<Scopes> for String {
    fn from(s: Scopes) -> String {
        s.to_string()
    }
}

impl From<String> for Scopes {
    fn from(s: String) -> Scopes {
        Scopes::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_a_sorted_set() {
        let s = Scopes::parse("profile  openid email openid");
        assert_eq!(s.to_string(), "email openid profile");
        assert_eq!(s, Scopes::parse("openid email profile"));
        assert!(Scopes::parse("openid").is_subset(&s));
        assert!(!s.is_subset(&Scopes::parse("openid")));
    }

    #[test]
    fn claims_follow_their_scope() {
        let s = Scopes::parse("openid email");
        assert!(s.releases("email") && s.releases("email_verified"));
        assert!(!s.releases("given_name"));
        assert!(Scopes::parse("openid profile").releases("given_name"));
        assert!(!Scopes::parse("openid profile").releases("email"));
    }

    #[test]
    fn values_outside_the_allowed_list_are_named() {
        let allowed = vec!["openid".to_string(), "profile".to_string()];
        let s = Scopes::parse("openid profile email admin");
        assert_eq!(s.not_in(&allowed).collect::<Vec<_>>(), vec!["admin", "email"]);
    }
}
