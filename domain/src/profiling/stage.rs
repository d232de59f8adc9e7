//! Stages: ordered groups of fields asked at one moment (signup, a later login, a place in
//! the app), optionally only when the profile meets a condition, skippable with a cooldown.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::field::{FieldKey, Target};

/// A stage's key; same rules as a field key.
pub type StageKey = FieldKey;

/// When a stage may be shown.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Right after the account is created (the first login).
    Signup,
    /// At a login, from the `min_logins`-th on (2 = "from the second login on"), and up to
    /// the `max_logins`-th when set (min = max = 3: "at login 3 only").
    Login {
        min_logins: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_logins: Option<u32>,
    },
    /// In a named place of the app (`article`), optionally only where one of `tags` applies.
    Context {
        #[cfg_attr(feature = "openapi", schema(pattern = r"\S"))]
        name: String,
        #[serde(default)]
        tags: Vec<String>,
    },
}

/// An optional condition on the profile: a test of one value, or tests combined.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    Exists {
        target: Target,
    },
    Missing {
        target: Target,
    },
    Equals {
        target: Target,
        value: Value,
    },
    In {
        target: Target,
        values: Vec<Value>,
    },
    /// Every one holds (none given: true).
    All {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        conditions: Vec<Condition>,
    },
    /// At least one holds (none given: false).
    Any {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        conditions: Vec<Condition>,
    },
    /// It does not hold.
    Not {
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        condition: Box<Condition>,
    },
}

impl Condition {
    /// How deep combinations nest at most (checked when a configuration is saved).
    pub const MAX_DEPTH: usize = 4;

    pub fn depth(&self) -> usize {
        match self {
            Condition::All { conditions } | Condition::Any { conditions } => 1 + conditions.iter().map(Condition::depth).max().unwrap_or(0),
            Condition::Not { condition } => 1 + condition.depth(),
            _ => 1,
        }
    }

    /// The condition in the site owner's words ("company is missing and plan is pro or team").
    pub fn describe(&self) -> String {
        let value = |v: &Value| match v {
            Value::String(s) => format!("“{s}”"),
            other => other.to_string(),
        };
        let joined = |conditions: &[Condition], word: &str| {
            let parts: Vec<String> = conditions
                .iter()
                .map(|c| match c {
                    Condition::All { .. } | Condition::Any { .. } => format!("({})", c.describe()),
                    _ => c.describe(),
                })
                .collect();
            parts.join(word)
        };
        match self {
            Condition::Exists { target } => format!("{target} is known"),
            Condition::Missing { target } => format!("{target} is missing"),
            Condition::Equals { target, value: v } => format!("{target} is {}", value(v)),
            Condition::In { target, values } => format!("{target} is one of {}", values.iter().map(value).collect::<Vec<_>>().join(", ")),
            Condition::All { conditions } if conditions.is_empty() => "always".into(),
            Condition::Any { conditions } if conditions.is_empty() => "never".into(),
            Condition::All { conditions } => joined(conditions, " and "),
            Condition::Any { conditions } => joined(conditions, " or "),
            Condition::Not { condition } => format!("not ({})", condition.describe()),
        }
    }
}

/// How long a skipped stage waits before it may be shown again. Both set: whichever comes
/// later. Neither set: a skip is final.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub key: StageKey,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = r"\S"))]
    pub title: String,
    #[serde(default)]
    pub intro: Option<String>,
    pub trigger: Trigger,
    #[serde(default)]
    pub when: Option<Condition>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub fields: Vec<FieldKey>,
    /// A multi-step stage: `fields` split into pages, in order (their concatenation must be
    /// `fields`). Empty: one page. Answers are kept until the last step is sent and stored
    /// only then, all together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Vec<FieldKey>>,
    #[serde(default = "yes")]
    pub skippable: bool,
    #[serde(default)]
    pub cooldown: Cooldown,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Asked by a form on another site instead of here (the redirect protocol, see
    /// `app::external_form`); `fields` are then the answers the form may return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalForm>,
}

/// A form on another site that asks a stage's fields: AskOnce sends the person to `url` with
/// a signed session token, and takes the answers back from the token the form returns to
/// `/continue`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalForm {
    /// The form's address (http or https, no fragment); the token and state are added to its
    /// query.
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    pub url: String,
    /// How long the tokens both ways stay valid, in minutes (1–60).
    #[serde(default = "ExternalForm::default_token_minutes")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub token_minutes: u32,
}

impl ExternalForm {
    pub const MAX_TOKEN_MINUTES: u32 = 60;

    fn default_token_minutes() -> u32 {
        10
    }
}

impl Stage {
    /// The step (0-based) `field` is on.
    pub fn step_of(&self, field: &FieldKey) -> usize {
        self.steps.iter().position(|s| s.contains(field)).unwrap_or(0)
    }
}

impl Trigger {
    /// A login trigger from login `n` on.
    pub fn from_login(n: u32) -> Trigger {
        Trigger::Login { min_logins: n, max_logins: None }
    }

    /// Whether a login-time stage with this trigger is asked at login `number` (the signup is
    /// login 1).
    pub(crate) fn covers_login(&self, number: u32) -> bool {
        match self {
            Trigger::Signup => number == 1,
            Trigger::Login { min_logins, max_logins } => number >= *min_logins && max_logins.is_none_or(|max| number <= max),
            Trigger::Context { .. } => false,
        }
    }
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::{Condition, Cooldown, Trigger};

    #[test]
    fn combined_conditions_read_as_json_and_as_words() {
        let json = serde_json::json!({"op": "all", "conditions": [
            {"op": "missing", "target": "user_metadata.company"},
            {"op": "not", "condition": {"op": "in", "target": "user_metadata.plan", "values": ["free", "trial"]}},
            {"op": "any", "conditions": [{"op": "exists", "target": "given_name"}, {"op": "equals", "target": "locale", "value": "fr"}]}
        ]});
        let c: Condition = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), json);
        assert_eq!(
            c.describe(),
            "user_metadata.company is missing and not (user_metadata.plan is one of “free”, “trial”) and (given_name is known or locale is “fr”)"
        );
        assert_eq!(c.depth(), 3);
    }

    #[test]
    fn login_triggers_cover_from_a_login_on_or_a_window() {
        let from_two = Trigger::from_login(2);
        assert!(!from_two.covers_login(1) && from_two.covers_login(2) && from_two.covers_login(40));
        let only_three = Trigger::Login { min_logins: 3, max_logins: Some(3) };
        assert_eq!((1..6).filter(|n| only_three.covers_login(*n)).collect::<Vec<_>>(), vec![3]);
        assert!(Trigger::Signup.covers_login(1) && !Trigger::Signup.covers_login(2));
        assert_eq!(
            serde_json::to_value(&from_two).unwrap(),
            serde_json::json!({"on": "login", "min_logins": 2}),
            "a trigger without an end reads as before"
        );
    }

    #[test]
    fn a_cooldown_is_an_object_with_known_keys_only() {
        assert_eq!(serde_json::from_str::<Cooldown>(r#"{"days": 7}"#).unwrap(), Cooldown { days: Some(7), logins: None });
        assert_eq!(serde_json::from_str::<Cooldown>("{}").unwrap(), Cooldown::default());
        assert!(serde_json::from_str::<Cooldown>("[null, null]").is_err(), "no sequence form");
        assert!(serde_json::from_str::<Cooldown>(r#"{"weeks": 1}"#).is_err(), "no unknown keys");
    }
}
