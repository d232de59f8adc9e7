//! A person's account id: `users.id`, a time-ordered UUID for accounts made here, or the id an
//! import kept (1 to 64 bytes). Read once where it enters — the session, a URL, a token's
//! subject, a database row — and passed typed from there: no service takes a bare string for
//! it, so an email, a provider's subject or a hook id cannot be handed over by mistake.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest id an import may keep (`users.id`).
pub const MAX_USER_ID_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct UserId(String);

impl UserId {
    /// An id from outside (a URL, an API body, a CLI argument): `None` when it cannot be one,
    /// which callers answer as "no such user".
    pub fn parse(text: &str) -> Option<UserId> {
        (!text.is_empty() && text.len() <= MAX_USER_ID_BYTES && !text.chars().any(char::is_control)).then(|| UserId(text.to_string()))
    }

    /// An id this server stored or signed itself (a `users.id` column, the session, a token
    /// it issued): already checked when it was made.
    pub fn from_stored(text: impl Into<String>) -> UserId {
        UserId(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for UserId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for UserId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for UserId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_outside_is_one_to_64_bytes_without_control_characters() {
        assert!(UserId::parse("0193a4c2-7b1e-7c3d-9f00-1234567890ab").is_some());
        assert!(UserId::parse("auth0|abc").is_some());
        assert!(UserId::parse("").is_none());
        assert!(UserId::parse(&"x".repeat(65)).is_none());
        assert!(UserId::parse("a\u{0}b").is_none());
        assert!(UserId::parse("a\nb").is_none());
    }

    #[test]
    fn it_crosses_the_wire_as_a_plain_string() {
        let id = UserId::from_stored("u1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"u1\"");
        assert_eq!(serde_json::from_str::<UserId>("\"u1\"").unwrap(), id);
    }
}
