//! A management API token's id (`api_tokens.id`): what the console and the CLI revoke by and
//! what the audit log names as the actor. Read once where it enters — a form, a CLI argument,
//! the row a bearer secret matched — and passed typed from there.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenId(String);

impl TokenId {
    /// An id from outside (a form, a CLI argument): `None` when it cannot be one, which callers
    /// answer as "no such token". Ids are UUIDs; 64 bytes leaves room and bounds the lookup.
    pub fn parse(text: &str) -> Option<TokenId> {
        (!text.is_empty() && text.len() <= 64 && !text.chars().any(char::is_control)).then(|| TokenId(text.to_string()))
    }

    /// An id this server stored itself (an `api_tokens.id` column).
    pub fn from_stored(text: impl Into<String>) -> TokenId {
        TokenId(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_outside_is_one_to_64_bytes_without_control_characters() {
        assert!(TokenId::parse("01a24eac-aaad-71b6-955b-1db8a766601c").is_some());
        assert!(TokenId::parse("").is_none());
        assert!(TokenId::parse(&"x".repeat(65)).is_none());
        assert!(TokenId::parse("a\rb").is_none());
    }
}
