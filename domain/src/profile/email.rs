//! `Email`: an address that looks deliverable, with its normalized (lower-case) form used to
//! find local accounts. Email is an attribute of a profile, never the key of an identity.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter an email address like name@example.com.")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(input: &str) -> Result<Email, InvalidEmail> {
        let s = input.trim();
        if s.len() > 320 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(InvalidEmail);
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased, for lookups: `Ada@Example.com` and `ada@example.com` are one account.
    /// ASCII only (see `profile::verification::normalize_address`).
    pub fn normalized(&self) -> String {
        super::verification::normalize_address(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_and_normalize() {
        let e = Email::parse("  Ada.Lovelace+news@Example.co.uk ").unwrap();
        assert_eq!(e.as_str(), "Ada.Lovelace+news@Example.co.uk");
        assert_eq!(e.normalized(), "ada.lovelace+news@example.co.uk");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in
            ["", "ada", "@example.com", "ada@", "ada@localhost", "a b@example.com", "ada@ex..com", "ada@.example.com", "ada@example.com."]
        {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }
}
