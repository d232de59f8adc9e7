//! Profile fields a site owner can ask for: what is asked, how it is answered, where the
//! answer goes, and which provider claims already answer it.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::profile::RootAttribute;

/// A field's key: 1–64 characters of a-z, 0-9 and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid key: use 1–64 characters of a-z, 0-9 and _, starting with a letter")]
pub struct InvalidKey(pub String);

impl FieldKey {
    pub fn parse(s: &str) -> Result<FieldKey, InvalidKey> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(FieldKey(s.to_string()))
        } else {
            Err(InvalidKey(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FieldKey {
    type Error = InvalidKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        FieldKey::parse(&value)
    }
}

impl From<FieldKey> for String {
    fn from(value: FieldKey) -> Self {
        value.0
    }
}

/// How a field is answered (and rendered).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Textarea,
    Email,
    Phone,
    Url,
    Number,
    Date,
    Dropdown,
    Radio,
    Checkbox,
    Multiselect,
    /// An explicit yes/no agreement (newsletter, terms): stored as a boolean, and "no" is an
    /// answer too.
    Consent,
    /// Never shown: taken from the context when the person answers the stage it is in
    /// (`Field::from`), and stored with `context:` provenance.
    Hidden,
}

impl FieldKind {
    /// Kinds whose answers must come from `validation.options`.
    pub(crate) fn has_options(self) -> bool {
        matches!(self, FieldKind::Dropdown | FieldKind::Radio | FieldKind::Multiselect)
    }
}

/// Where an answer is stored. Never `app_metadata`: that is for admins and the API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Root(RootAttribute),
    UserMetadata(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTarget {
    #[error("answers can never be stored in app_metadata (`{0}`): it is for admins and the API")]
    AppMetadata(String),
    #[error("`{0}` is not a target: use a root attribute (given_name, …) or user_metadata.<key>")]
    Unknown(String),
    #[error("`{0}` cannot be asked: it is set by the identity provider")]
    NotAskable(String),
}

impl FromStr for Target {
    type Err = InvalidTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("app_metadata") {
            return Err(InvalidTarget::AppMetadata(s.to_string()));
        }
        if let Some(key) = s.strip_prefix("user_metadata.") {
            return FieldKey::parse(key).map(|k| Target::UserMetadata(k.0)).map_err(|_| InvalidTarget::Unknown(s.to_string()));
        }
        match s.parse::<RootAttribute>() {
            // Whether an email is verified is the provider's word, never an answer.
            Ok(RootAttribute::EmailVerified) => Err(InvalidTarget::NotAskable(s.to_string())),
            Ok(attr) => Ok(Target::Root(attr)),
            Err(_) => Err(InvalidTarget::Unknown(s.to_string())),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Root(attr) => f.write_str(attr.as_str()),
            Target::UserMetadata(key) => write!(f, "user_metadata.{key}"),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One choice of a dropdown, radio group or multiselect.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Rules an answer must meet, checked in the browser for convenience and on the server for
/// real.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Validation {
    pub required: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// A regular expression the whole answer must match.
    pub pattern: Option<String>,
    /// Human words for the pattern ("five digits").
    pub pattern_hint: Option<String>,
    /// Between -9007199254740991 and 9007199254740991 (`profile::metadata::MAX_EXACT`).
    #[cfg_attr(feature = "openapi", schema(minimum = -9007199254740991.0, maximum = 9007199254740991.0))]
    pub min: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(minimum = -9007199254740991.0, maximum = 9007199254740991.0))]
    pub max: Option<f64>,
    pub options: Vec<Choice>,
    /// A multiselect: the fewest and most choices an answer may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_choices: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_choices: Option<usize>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub key: FieldKey,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = r"\S"))]
    pub label: String,
    #[serde(default)]
    pub help: Option<String>,
    pub kind: FieldKind,
    /// A root attribute (`given_name`, …) or `user_metadata.<key>`; never `app_metadata`.
    pub target: Target,
    #[serde(default)]
    pub validation: Validation,
    /// Provider claims that already answer this field, in order of preference
    /// (`job_title`, `title`).
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default = "yes")]
    pub user_editable: bool,
    /// For a consent field: the purpose agreed to, and its version (`profiling::consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<super::consent::ConsentTerms>,
    /// For a hidden field: where its value comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<HiddenFrom>,
}

/// Where a hidden field's value comes from, when the person answers the stage it is in.
/// String form: `query:<param>` (`?ref=` on the page they were reading: `query:ref`), `tags`
/// (the article's tags, a list), `connection` (the connection they signed in with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiddenFrom {
    Query(String),
    Tags,
    Connection,
}

impl FromStr for HiddenFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tags" => Ok(HiddenFrom::Tags),
            "connection" => Ok(HiddenFrom::Connection),
            _ => match s.strip_prefix("query:") {
                Some(p) if !p.is_empty() && p.len() <= 64 && p.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) => {
                    Ok(HiddenFrom::Query(p.to_string()))
                }
                _ => Err(format!("`{s}` is not a source: query:<param>, tags or connection")),
            },
        }
    }
}

impl fmt::Display for HiddenFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HiddenFrom::Query(p) => write!(f, "query:{p}"),
            HiddenFrom::Tags => f.write_str("tags"),
            HiddenFrom::Connection => f.write_str("connection"),
        }
    }
}

impl Serialize for HiddenFrom {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HiddenFrom {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// What a hidden field can be taken from at the moment a stage is answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HiddenContext {
    /// The query parameters of the page the person was on.
    pub query: Vec<(String, String)>,
    /// The tags of the place (an article's).
    pub tags: Vec<String>,
    /// The connection of their latest sign-in (looked up by the answer's store when a hidden
    /// field asks for it).
    pub connection: Option<String>,
}

impl HiddenContext {
    /// The value `from` gives here, if any: text bounded like any answer, tags as a list.
    pub fn value(&self, from: &HiddenFrom) -> Option<Value> {
        let bounded = |s: &str| Some(s.trim().chars().take(256).collect::<String>()).filter(|s| !s.is_empty());
        match from {
            HiddenFrom::Query(param) => self.query.iter().find(|(k, _)| k == param).and_then(|(_, v)| bounded(v)).map(Value::from),
            HiddenFrom::Tags => {
                (!self.tags.is_empty()).then(|| Value::from(self.tags.iter().take(50).filter_map(|t| bounded(t)).collect::<Vec<_>>()))
            }
            HiddenFrom::Connection => self.connection.as_deref().and_then(bounded).map(Value::from),
        }
    }

    /// The query parameters of `query` (`ref=news&x=1`, with or without `?`), decoded.
    pub fn parse_query(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| !k.is_empty())
            .take(50)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

fn yes() -> bool {
    true
}

/// The OpenAPI schemas of keys and targets carry the same rules as their parsers, so API
/// clients (and the API fuzzer) can tell a well-formed value before sending it.
#[cfg(feature = "openapi")]
mod schema {
    use utoipa::openapi::{
        schema::{ObjectBuilder, Schema, Type},
        RefOr,
    };

    use super::{FieldKey, Target};
    use crate::profile::RootAttribute;

    const KEY_PATTERN: &str = "[a-z][a-z0-9_]{0,63}";

    impl utoipa::PartialSchema for FieldKey {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("1–64 characters of a-z, 0-9 and _, starting with a letter"))
                .pattern(Some(format!("^{KEY_PATTERN}$")))
                .min_length(Some(1))
                .max_length(Some(64))
                .examples(["company"])
                .into()
        }
    }
    impl utoipa::ToSchema for FieldKey {}

    impl utoipa::PartialSchema for Target {
        fn schema() -> RefOr<Schema> {
            // Every root attribute a person may be asked for (not `email_verified`: that is
            // the provider's word), or a user_metadata key.
            let roots: Vec<&str> = RootAttribute::ALL.iter().filter(|a| **a != RootAttribute::EmailVerified).map(|a| a.as_str()).collect();
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("A root attribute (given_name, …) or user_metadata.<key>; never app_metadata"))
                .pattern(Some(format!(r"^({}|user_metadata\.{KEY_PATTERN})$", roots.join("|"))))
                .examples(["user_metadata.company"])
                .into()
        }
    }
    impl utoipa::ToSchema for Target {}

    impl utoipa::PartialSchema for super::HiddenFrom {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("Where a hidden field's value comes from: query:<param> (the page's ?param=), tags or connection"))
                .pattern(Some(r"^(query:[A-Za-z0-9_.\-]{1,64}|tags|connection)$".to_string()))
                .examples(["query:ref"])
                .into()
        }
    }
    impl utoipa::ToSchema for super::HiddenFrom {}
}

/// Whether `value` counts as "known": absent, null, empty strings and empty lists do not.
pub fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lower_snake_case() {
        assert!(FieldKey::parse("job_title").is_ok());
        for bad in ["", "Job", "1st", "job-title", "job.title", &"a".repeat(65)] {
            assert!(FieldKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn targets_are_root_attributes_or_user_metadata_never_app_metadata() {
        assert_eq!("given_name".parse(), Ok(Target::Root(RootAttribute::GivenName)));
        assert_eq!("user_metadata.company".parse(), Ok(Target::UserMetadata("company".into())));
        assert!(matches!("app_metadata.plan".parse::<Target>(), Err(InvalidTarget::AppMetadata(_))));
        assert!(matches!("email_verified".parse::<Target>(), Err(InvalidTarget::NotAskable(_))));
        assert!(matches!("user_metadata.a.b".parse::<Target>(), Err(InvalidTarget::Unknown(_))));
        assert!(matches!("shoe_size".parse::<Target>(), Err(InvalidTarget::Unknown(_))));
    }

    #[test]
    fn hidden_fields_take_their_value_from_the_context() {
        let context = HiddenContext {
            query: HiddenContext::parse_query("?ref=news%20letter&utm=x"),
            tags: vec!["rust".into(), "wasm".into()],
            connection: Some("google".into()),
        };
        assert_eq!(context.value(&"query:ref".parse().unwrap()), Some(Value::from("news letter")));
        assert_eq!(context.value(&"query:missing".parse().unwrap()), None);
        assert_eq!(context.value(&HiddenFrom::Tags), Some(serde_json::json!(["rust", "wasm"])));
        assert_eq!(context.value(&HiddenFrom::Connection), Some(Value::from("google")));
        assert!("query:".parse::<HiddenFrom>().is_err() && "cookie:x".parse::<HiddenFrom>().is_err());
        assert_eq!("query:utm_source".parse::<HiddenFrom>().unwrap().to_string(), "query:utm_source");
    }

    #[test]
    fn presence_ignores_blanks_and_empty_lists() {
        assert!(!is_present(None));
        assert!(!is_present(Some(&Value::Null)));
        assert!(!is_present(Some(&Value::from("  "))));
        assert!(!is_present(Some(&serde_json::json!([]))));
        assert!(is_present(Some(&Value::from(false))), "a consent 'no' is an answer");
        assert!(is_present(Some(&Value::from(0))));
    }

    /// The OpenAPI patterns must accept exactly what the parsers accept.
    #[cfg(feature = "openapi")]
    #[test]
    fn the_schema_patterns_agree_with_the_parsers() {
        use utoipa::{
            openapi::{schema::Schema, RefOr},
            PartialSchema,
        };
        fn pattern(schema: RefOr<Schema>) -> regex_lite::Regex {
            let RefOr::T(Schema::Object(object)) = schema else { panic!("not an inline object schema") };
            regex_lite::Regex::new(&object.pattern.expect("a pattern")).unwrap()
        }
        let key = pattern(FieldKey::schema());
        let target = pattern(Target::schema());
        let long = "a".repeat(64);
        let too_long = "a".repeat(65);
        let candidates = [
            "",
            "a",
            "job_title",
            "Job",
            "1st",
            "job-title",
            "job.title",
            "a_1",
            long.as_str(),
            too_long.as_str(),
            "given_name",
            "email",
            "email_verified",
            "locale",
            "user_metadata.company",
            "user_metadata.",
            "user_metadata.A",
            "user_metadata.a.b",
            "app_metadata.plan",
            "shoe_size",
            " given_name",
        ];
        for c in candidates {
            assert_eq!(key.is_match(c), FieldKey::parse(c).is_ok(), "key {c:?}");
            assert_eq!(target.is_match(c), c.parse::<Target>().is_ok(), "target {c:?}");
        }
        assert!(target.is_match(&format!("user_metadata.{long}")) && !target.is_match(&format!("user_metadata.{too_long}")));
    }
}
