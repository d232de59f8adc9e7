//! One answer as a form posts it, and a stored answer as forms and pages show it.
//!
//! A form posts `answers[job_title]=Engineer` for most fields and
//! `answers[interests][]=rust&answers[interests][]=wasm` for a multiselect (the `[]` makes the
//! query-string decoder collect a list; a repeated plain key is an error there). Both decode to
//! a [`FormAnswer`]: the raw values, validated afterwards by `validate_answer`.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{Field, FieldKind};

/// The raw values posted for one field: one for most kinds, any number for a multiselect
/// (and a checkbox, which posts an empty value before its own so that unticking it is sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormAnswer(pub Vec<String>);

impl FormAnswer {
    pub fn one(value: impl Into<String>) -> Self {
        FormAnswer(vec![value.into()])
    }
}

impl Serialize for FormAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for FormAnswer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = FormAnswer;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FormAnswer, E> {
                Ok(FormAnswer::one(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<FormAnswer, E> {
                Ok(FormAnswer(vec![v]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<FormAnswer, A::Error> {
                let mut values = Vec::new();
                // A form has a handful of options; anything longer is not a person's answer.
                while let Some(v) = seq.next_element::<String>()? {
                    if values.len() == MAX_VALUES {
                        return Err(de::Error::custom("too many values for one answer"));
                    }
                    values.push(v);
                }
                Ok(FormAnswer(values))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The most values one answer may post.
const MAX_VALUES: usize = 200;

/// A stored answer as the values of its form inputs (to show it selected when editing).
pub fn form_values(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec![],
        Value::String(s) => vec![s.clone()],
        Value::Bool(true) => vec!["yes".into()],
        Value::Bool(false) => vec!["no".into()],
        Value::Array(items) => items.iter().flat_map(form_values).collect(),
        other => vec![other.to_string()],
    }
}

/// A stored answer in words: choices by their labels, yes/no, lists joined.
pub fn describe_value(field: Option<&Field>, value: &Value) -> String {
    let label = |v: &str| {
        field
            .filter(|f| f.kind.has_options())
            .and_then(|f| f.validation.options.iter().find(|o| o.value == v))
            .map(|o| o.label.clone())
            .unwrap_or_else(|| v.to_string())
    };
    match value {
        Value::String(s) => label(s),
        Value::Bool(b) if field.is_some_and(|f| f.kind == FieldKind::Consent) => if *b { "agreed" } else { "declined" }.into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Array(items) => items.iter().map(|i| describe_value(field, i)).collect::<Vec<_>>().join(", "),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::profiling::field::{Choice, FieldKey, Target, Validation};

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Form {
        answers: BTreeMap<String, FormAnswer>,
    }

    #[test]
    fn one_value_and_bracketed_lists_decode_as_forms_post_them() {
        let form: Form = serde_qs::Config::new(5, false)
            .deserialize_str("answers[job]=Engineer&answers[topics][]=&answers[topics][]=rust&answers[topics][]=wasm")
            .unwrap();
        assert_eq!(form.answers["job"], FormAnswer::one("Engineer"));
        assert_eq!(form.answers["topics"], FormAnswer(vec!["".into(), "rust".into(), "wasm".into()]));
        // The browser posts what the form decoded to; the server decodes it again.
        let again: Form = serde_qs::Config::new(5, false).deserialize_str(&serde_qs::to_string(&form).unwrap()).unwrap();
        assert_eq!(again, form);
    }

    #[test]
    fn stored_values_read_as_form_values_and_words() {
        let field = Field {
            key: FieldKey::parse("topics").unwrap(),
            label: "Topics".into(),
            help: None,
            kind: FieldKind::Multiselect,
            target: Target::UserMetadata("topics".into()),
            validation: Validation {
                options: vec![
                    Choice { value: "rust".into(), label: "Rust".into() },
                    Choice { value: "wasm".into(), label: "WebAssembly".into() },
                ],
                ..Default::default()
            },
            claims: vec![],
            user_editable: true,
            consent: None,
            from: None,
        };
        let stored = serde_json::json!(["rust", "wasm"]);
        assert_eq!(form_values(&stored), vec!["rust", "wasm"]);
        assert_eq!(describe_value(Some(&field), &stored), "Rust, WebAssembly");
        assert_eq!(describe_value(None, &stored), "rust, wasm");
        assert_eq!(form_values(&Value::Bool(true)), vec!["yes"]);
        assert_eq!(describe_value(None, &Value::Bool(false)), "no");
    }
}
