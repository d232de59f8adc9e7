//! Stages: ordered groups of fields asked at one moment (signup, a later login, a place in
//! the app), optionally only when the profile meets a condition, skippable with a cooldown.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::field::{FieldKey, Target};

/// A stage's key; same rules as a field key.
pub type StageKey = FieldKey;

/// When a stage may be shown.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Right after the account is created (the first login).
    Signup,
    /// At a login, from the `min_logins`-th on (2 = "from the second login on").
    Login { min_logins: u32 },
    /// In a named place of the app (`article`), optionally only where one of `tags` applies.
    Context {
        #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
        name: String,
        #[serde(default)]
        tags: Vec<String>,
    },
}

/// An optional condition on the profile.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    Exists { target: Target },
    Missing { target: Target },
    Equals { target: Target, value: Value },
    In { target: Target, values: Vec<Value> },
}

/// How long a skipped stage waits before it may be shown again. Both set: whichever comes
/// later. Neither set: a skip is final.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cooldown {
    pub days: Option<u32>,
    pub logins: Option<u32>,
}

impl<'de> Deserialize<'de> for Cooldown {
    /// An object only: serde's derived form also takes a sequence (`[days, logins]`), which
    /// the API documents nowhere and the API fuzzing found accepted.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Default, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        struct Fields {
            days: Option<u32>,
            logins: Option<u32>,
        }
        struct ObjectOnly;
        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = Cooldown;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object with `days` and/or `logins`")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Cooldown, A::Error> {
                let Fields { days, logins } = Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Cooldown { days, logins })
            }
        }
        deserializer.deserialize_map(ObjectOnly)
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub key: StageKey,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, pattern = r"\S"))]
    pub title: String,
    #[serde(default)]
    pub intro: Option<String>,
    pub trigger: Trigger,
    #[serde(default)]
    pub when: Option<Condition>,
    #[cfg_attr(feature = "ssr", schema(min_items = 1))]
    pub fields: Vec<FieldKey>,
    #[serde(default = "yes")]
    pub skippable: bool,
    #[serde(default)]
    pub cooldown: Cooldown,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Asked by a form on another site instead of here (the redirect protocol, see
    /// `crate::external_form`); `fields` are then the answers the form may return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalForm>,
}

/// A form on another site that asks a stage's fields: AskOnce sends the person to `url` with
/// a signed session token, and takes the answers back from the token the form returns to
/// `/continue`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalForm {
    /// The form's address (http or https, no fragment); the token and state are added to its
    /// query.
    #[cfg_attr(feature = "ssr", schema(max_length = 2048))]
    pub url: String,
    /// How long the tokens both ways stay valid, in minutes (1–60).
    #[serde(default = "ExternalForm::default_token_minutes")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 60))]
    pub token_minutes: u32,
}

impl ExternalForm {
    pub const MAX_TOKEN_MINUTES: u32 = 60;

    fn default_token_minutes() -> u32 {
        10
    }
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::Cooldown;

    #[test]
    fn a_cooldown_is_an_object_with_known_keys_only() {
        assert_eq!(serde_json::from_str::<Cooldown>(r#"{"days": 7}"#).unwrap(), Cooldown { days: Some(7), logins: None });
        assert_eq!(serde_json::from_str::<Cooldown>("{}").unwrap(), Cooldown::default());
        assert!(serde_json::from_str::<Cooldown>("[null, null]").is_err(), "no sequence form");
        assert!(serde_json::from_str::<Cooldown>(r#"{"weeks": 1}"#).is_err(), "no unknown keys");
    }
}
