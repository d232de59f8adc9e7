//! Where a profile value came from and when: a provider claim, the person, an admin, an
//! import or the management API. Shown on the profile page ("from Google, 3 days ago").

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The source of a value. String form: `claim:<connection>:<claim>`, `user`, `admin`,
/// `import`, `api`, `link`, `hook:<name>`, `form:<stage>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// Copied from a claim of a linked identity.
    Claim {
        connection: String,
        claim: String,
    },
    /// The person answered or edited it.
    User,
    /// A site owner set it in the console.
    Admin,
    Import,
    Api,
    /// Proven by opening a link emailed to the address (email verification only).
    Link,
    /// Set by the site owner's post-login hook of this name (`app::hooks`).
    Hook {
        name: String,
    },
    /// Answered by the person in the external form of this stage (`app::external_form`).
    Form {
        stage: String,
    },
    /// A hidden field's value, taken from the context (`query:ref`, `tags`, `connection`).
    Context {
        from: String,
    },
    /// The person answered on the pages of this application (the prompt API; `client_id`).
    App {
        client: String,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Claim { connection, claim } => write!(f, "claim:{connection}:{claim}"),
            Source::User => f.write_str("user"),
            Source::Admin => f.write_str("admin"),
            Source::Import => f.write_str("import"),
            Source::Api => f.write_str("api"),
            Source::Link => f.write_str("link"),
            Source::Hook { name } => write!(f, "hook:{name}"),
            Source::Form { stage } => write!(f, "form:{stage}"),
            Source::Context { from } => write!(f, "context:{from}"),
            Source::App { client } => write!(f, "app:{client}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a value source")]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Source::User),
            "admin" => Ok(Source::Admin),
            "import" => Ok(Source::Import),
            "api" => Ok(Source::Api),
            "link" => Ok(Source::Link),
            _ if s.starts_with("hook:") && s.len() > "hook:".len() => Ok(Source::Hook { name: s["hook:".len()..].to_string() }),
            _ if s.starts_with("form:") && s.len() > "form:".len() => Ok(Source::Form { stage: s["form:".len()..].to_string() }),
            _ if s.starts_with("context:") && s.len() > "context:".len() => Ok(Source::Context { from: s["context:".len()..].to_string() }),
            _ if s.starts_with("app:") && s.len() > "app:".len() => Ok(Source::App { client: s["app:".len()..].to_string() }),
            _ => {
                let rest = s.strip_prefix("claim:").ok_or_else(|| UnknownSource(s.to_string()))?;
                match rest.split_once(':') {
                    Some((connection, claim)) if !connection.is_empty() && !claim.is_empty() => {
                        Ok(Source::Claim { connection: connection.to_string(), claim: claim.to_string() })
                    }
                    _ => Err(UnknownSource(s.to_string())),
                }
            }
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A source and the moment the value was set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `claim:<connection>:<claim>`, `user`, `admin`, `import` or `api`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub source: Source,
    pub at: DateTime<Utc>,
    /// For `email_verified` only: the address the evidence is for (verification belongs to
    /// an address, see `profile::verification`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip_through_their_string_form() {
        let all = [
            Source::Claim { connection: "google".into(), claim: "given_name".into() },
            Source::User,
            Source::Admin,
            Source::Import,
            Source::Api,
            Source::Link,
            Source::Hook { name: "crm".into() },
            Source::Form { stage: "work".into() },
            Source::Context { from: "query:ref".into() },
            Source::App { client: "shop".into() },
        ];
        assert!("hook:".parse::<Source>().is_err(), "a hook has a name");
        assert!("form:".parse::<Source>().is_err(), "a form is a stage's");
        for source in all {
            let text = source.to_string();
            assert_eq!(text.parse::<Source>(), Ok(source.clone()));
            let json = serde_json::to_string(&source).unwrap();
            assert_eq!(serde_json::from_str::<Source>(&json).unwrap(), source);
        }
    }

    #[test]
    fn a_claim_keeps_colons_in_the_claim_name() {
        let s: Source = "claim:okta:urn:custom:dept".parse().unwrap();
        assert_eq!(s, Source::Claim { connection: "okta".into(), claim: "urn:custom:dept".into() });
    }

    #[test]
    fn malformed_sources_are_refused() {
        for bad in ["", "claim:", "claim:google", "claim::x", "robot"] {
            assert!(bad.parse::<Source>().is_err(), "{bad}");
        }
    }
}
