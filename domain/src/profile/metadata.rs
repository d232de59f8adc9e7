//! `user_metadata` / `app_metadata`: free-form JSON objects with Auth0's update rule and
//! bounds on their size and shape.
//!
//! Update rule (a PATCH): top-level keys merge into what is stored, a nested object given for
//! a key replaces the stored one whole, and `null` deletes the key.

use serde_json::{Map, Value};

/// Bounds on one metadata object. Oversize input is refused whole, never truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataLimits {
    /// Serialized JSON size, in bytes.
    pub max_bytes: usize,
    /// Nesting depth: 1 = only scalars and arrays of scalars at the top level.
    pub max_depth: usize,
    pub max_key_len: usize,
}

impl Default for MetadataLimits {
    fn default() -> Self {
        // Generous for profile data (preferences, answers), small enough that a profile row
        // stays cheap to read on every login.
        Self { max_bytes: 16 * 1024, max_depth: 5, max_key_len: 64 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata must be a JSON object")]
    NotAnObject,
    #[error("metadata is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("metadata is nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("metadata key `{key}` is invalid: keys are 1–{max} characters without `.` or a leading `$`")]
    InvalidKey { key: String, max: usize },
    #[error("metadata number {number} is out of range: numbers are between -{MAX_EXACT} and {MAX_EXACT} (store larger ones as text)")]
    NumberOutOfRange { number: String },
    /// PostgreSQL stores no NUL in JSON text; a request's NUL is refused before any handler,
    /// but metadata also comes from hook replies and imports.
    #[error("metadata may not contain NUL characters")]
    Nul,
}

/// The largest magnitude a stored number may have: 2^53 - 1, the last integer every JSON
/// reader (JavaScript's among them) holds exactly. Beyond it numbers do not come back as they
/// went in — PostgreSQL keeps `-1.7976931348623157e308` as a 309-digit decimal that the JSON
/// reader then refuses ("number out of range"), which made reading the profile a server error.
pub const MAX_EXACT: i64 = 9_007_199_254_740_991;

/// Whether `n` is within [`MAX_EXACT`] (and so reads back as written, on every database).
pub(crate) fn exact_number(n: f64) -> bool {
    n.is_finite() && n.abs() <= MAX_EXACT as f64
}

/// Checks `value` against `limits`.
pub fn validate_metadata(value: &Value, limits: &MetadataLimits) -> Result<(), MetadataError> {
    let Value::Object(map) = value else {
        return Err(MetadataError::NotAnObject);
    };
    check_object(map, 1, limits)?;
    let size = serde_json::to_vec(value).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > limits.max_bytes {
        return Err(MetadataError::TooLarge { limit: limits.max_bytes });
    }
    Ok(())
}

fn check_object(map: &Map<String, Value>, depth: usize, limits: &MetadataLimits) -> Result<(), MetadataError> {
    for (key, value) in map {
        // Dots would make `user_metadata.a.b` targets ambiguous; `$` keys are operators in
        // many document stores people export to.
        if key.contains('\0') {
            return Err(MetadataError::Nul);
        }
        if key.is_empty() || key.chars().count() > limits.max_key_len || key.contains('.') || key.starts_with('$') {
            return Err(MetadataError::InvalidKey { key: key.chars().take(80).collect(), max: limits.max_key_len });
        }
        check_value(value, depth, limits)?;
    }
    Ok(())
}

fn check_value(value: &Value, depth: usize, limits: &MetadataLimits) -> Result<(), MetadataError> {
    match value {
        Value::Object(inner) => {
            if depth + 1 > limits.max_depth {
                return Err(MetadataError::TooDeep { limit: limits.max_depth });
            }
            check_object(inner, depth + 1, limits)
        }
        Value::Array(items) => {
            if depth + 1 > limits.max_depth {
                return Err(MetadataError::TooDeep { limit: limits.max_depth });
            }
            items.iter().try_for_each(|item| check_value(item, depth + 1, limits))
        }
        Value::Number(n) if !n.as_f64().is_some_and(exact_number) => Err(MetadataError::NumberOutOfRange { number: n.to_string() }),
        Value::String(text) if text.contains('\0') => Err(MetadataError::Nul),
        _ => Ok(()),
    }
}

/// Applies `patch` to `current` by Auth0's rule. Both must be objects (validated before).
pub fn merge_metadata(current: &Map<String, Value>, patch: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = current.clone();
    for (key, value) in patch {
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.clone(), value.clone());
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    #[test]
    fn nul_characters_are_refused_in_keys_and_values() {
        let limits = MetadataLimits::default();
        for bad in [serde_json::json!({"a\u{0}": 1}), serde_json::json!({"a": "x\u{0}y"}), serde_json::json!({"a": {"b": ["\u{0}"]}})] {
            assert!(matches!(validate_metadata(&bad, &limits), Err(MetadataError::Nul)), "{bad}");
        }
    }

    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn top_level_keys_merge_nested_objects_are_replaced_and_null_deletes() {
        let current = obj(json!({"theme": "dark", "address": {"city": "Lyon", "zip": "69001"}, "old": 1}));
        let patch = obj(json!({"lang": "fr", "address": {"city": "Paris"}, "old": null}));
        let merged = merge_metadata(&current, &patch);
        assert_eq!(Value::Object(merged), json!({"theme": "dark", "lang": "fr", "address": {"city": "Paris"}}));
    }

    #[test]
    fn deleting_a_missing_key_is_harmless() {
        let merged = merge_metadata(&Map::new(), &obj(json!({"nope": null})));
        assert!(merged.is_empty());
    }

    #[test]
    fn numbers_that_would_not_read_back_exactly_are_refused() {
        let limits = MetadataLimits::default();
        assert!(validate_metadata(&json!({"n": 9007199254740991_i64, "x": -1.5, "f": 0.1}), &limits).is_ok());
        let huge = validate_metadata(&json!({"a": [{"n": -1.7976931348623157e308}]}), &limits);
        assert!(matches!(huge, Err(MetadataError::NumberOutOfRange { .. })), "{huge:?}");
        assert!(validate_metadata(&json!({"n": 9007199254740992_u64}), &limits).is_err());
    }

    #[test]
    fn only_objects_are_metadata() {
        let limits = MetadataLimits::default();
        assert_eq!(validate_metadata(&json!([1, 2]), &limits), Err(MetadataError::NotAnObject));
        assert_eq!(validate_metadata(&json!("x"), &limits), Err(MetadataError::NotAnObject));
        assert!(validate_metadata(&json!({}), &limits).is_ok());
    }

    #[test]
    fn oversize_metadata_is_refused() {
        let limits = MetadataLimits { max_bytes: 100, ..Default::default() };
        let big = json!({"bio": "x".repeat(200)});
        assert_eq!(validate_metadata(&big, &limits), Err(MetadataError::TooLarge { limit: 100 }));
    }

    #[test]
    fn deep_nesting_is_refused_in_objects_and_arrays() {
        let limits = MetadataLimits { max_depth: 3, ..Default::default() };
        assert!(validate_metadata(&json!({"a": {"b": {"c": 1}}}), &limits).is_ok());
        assert_eq!(validate_metadata(&json!({"a": {"b": {"c": {"d": 1}}}}), &limits), Err(MetadataError::TooDeep { limit: 3 }));
        assert_eq!(validate_metadata(&json!({"a": [[[1]]]}), &limits), Err(MetadataError::TooDeep { limit: 3 }));
    }

    #[test]
    fn keys_with_dots_dollars_or_no_characters_are_refused() {
        let limits = MetadataLimits::default();
        for bad in [json!({"a.b": 1}), json!({"$set": 1}), json!({"": 1}), json!({"ok": {"x.y": 1}})] {
            assert!(matches!(validate_metadata(&bad, &limits), Err(MetadataError::InvalidKey { .. })), "{bad}");
        }
    }
}
