//! The user directory's search words: free text, and field filters beside it.
//!
//! `ada email:@example.com connection:google user_metadata.company:"Acme Ltd"` is the free
//! text `ada` and three filters, all of which a user must meet. A filter is `field:value`;
//! a value with spaces is quoted. Text and values match anywhere, ignoring case (as the free
//! text does); `connection:` is a connection's exact name.

use domain::profiling::FieldKey;

/// One field filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// The email address contains this.
    Email(String),
    /// The name contains this.
    Name(String),
    /// Has an identity from this connection (exact name).
    Connection(String),
    /// `user_metadata.<key>`'s value (as text; a list's items) contains this.
    UserMetadata { key: String, value: String },
}

/// A parsed search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// What is left once the filters are taken out, words joined by one space.
    pub text: String,
    pub filters: Vec<Filter>,
}

/// What is wrong with a search, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryProblem {
    #[error("`{0}:` is not a field you can search by: a user_metadata key is 1–64 characters of a-z, 0-9 and _")]
    UnknownField(String),
    #[error("`{0}:` needs a value after the colon")]
    EmptyValue(String),
    #[error("a quote is not closed")]
    UnclosedQuote,
}

impl UserQuery {
    pub fn parse(input: &str) -> Result<UserQuery, QueryProblem> {
        let mut text = Vec::new();
        let mut filters = Vec::new();
        for token in tokens(input)? {
            let Token { field, value } = token;
            let Some(field) = field else {
                text.push(value);
                continue;
            };
            let lowered = field.to_ascii_lowercase();
            let known = matches!(lowered.as_str(), "email" | "name" | "connection") || lowered.starts_with("user_metadata.");
            if !known {
                // `https://…`, `10:30`: words with a colon in them, searched as they are.
                text.push(format!("{field}:{value}"));
                continue;
            }
            if value.trim().is_empty() {
                return Err(QueryProblem::EmptyValue(field));
            }
            let filter = match lowered.as_str() {
                "email" => Filter::Email(value),
                "name" => Filter::Name(value),
                "connection" => Filter::Connection(value),
                _ => match field.strip_prefix("user_metadata.").map(FieldKey::parse) {
                    Some(Ok(key)) => Filter::UserMetadata { key: key.to_string(), value },
                    _ => return Err(QueryProblem::UnknownField(field)),
                },
            };
            filters.push(filter);
        }
        Ok(UserQuery { text: text.join(" "), filters })
    }
}

struct Token {
    field: Option<String>,
    value: String,
}

/// Splits on spaces outside quotes; `field:value` where the part before the first colon looks
/// like a field name (letters, digits, `_`, `.`), so `ada@example.com` and `10:30` stay text.
fn tokens(input: &str) -> Result<Vec<Token>, QueryProblem> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut raw = String::new();
        let mut quoted_value = None;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '"' {
                let mut inside = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => inside.push(c),
                        None => return Err(QueryProblem::UnclosedQuote),
                    }
                }
                quoted_value = Some((raw.clone(), inside));
                raw.clear();
                continue;
            }
            raw.push(c);
        }
        let token = match quoted_value {
            // `field:"two words"` (or a quoted free phrase with nothing before it).
            Some((before, inside)) => match before.strip_suffix(':').filter(|f| is_field_name(f)) {
                Some(field) => Token { field: Some(field.to_string()), value: format!("{inside}{raw}") },
                None => Token { field: None, value: format!("{before}{inside}{raw}") },
            },
            None => match raw.split_once(':') {
                Some((field, value)) if is_field_name(field) && field.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => {
                    Token { field: Some(field.to_string()), value: value.to_string() }
                }
                _ => Token { field: None, value: raw },
            },
        };
        out.push(token);
    }
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_taken_out_of_the_free_text() {
        let q = UserQuery::parse(r#"ada  email:@example.com connection:google user_metadata.company:"Acme Ltd" lovelace"#).unwrap();
        assert_eq!(q.text, "ada lovelace");
        assert_eq!(
            q.filters,
            vec![
                Filter::Email("@example.com".into()),
                Filter::Connection("google".into()),
                Filter::UserMetadata { key: "company".into(), value: "Acme Ltd".into() },
            ]
        );
    }

    #[test]
    fn text_that_only_looks_like_a_filter_stays_text() {
        let q = UserQuery::parse("ada@example.com 10:30 https://x.example").unwrap();
        assert!(q.filters.is_empty());
        assert_eq!(q.text, "ada@example.com 10:30 https://x.example");
        assert_eq!(UserQuery::parse("EMAIL:ada").unwrap().filters, vec![Filter::Email("ada".into())], "field names ignore case");
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(UserQuery::parse("email:"), Err(QueryProblem::EmptyValue("email".into())));
        assert_eq!(UserQuery::parse(r#"name:"Ada"#), Err(QueryProblem::UnclosedQuote));
        assert_eq!(UserQuery::parse("user_metadata.Bad:x"), Err(QueryProblem::UnknownField("user_metadata.Bad".into())));
        assert_eq!(UserQuery::parse("  "), Ok(UserQuery::default()));
    }

    #[test]
    fn a_quoted_phrase_is_free_text() {
        let q = UserQuery::parse(r#""Ada Lovelace""#).unwrap();
        assert_eq!(q.text, "Ada Lovelace");
        assert!(q.filters.is_empty());
    }
}
