//! External forms: a stage asked by a form on another site, in the redirect protocol of
//! Arengu and Auth0's redirect rules.
//!
//! 1. When the stage is next, `/welcome` offers it as a link to `/forms/{stage}/start`, which
//!    sends the browser to `URL?session_token=<JWT>&state=<opaque>`. The session token
//!    ([`SessionToken`], HS256 with the stage's secret) names the person (`sub`), what is
//!    already known for the stage's fields (`profile`, to prefill) and what to ask (`ask`).
//! 2. The form sends the browser back to `/continue?state=…&token=<JWT>`: an
//!    [`AnswerToken`] signed with the same secret, whose `answers` AskOnce checks against the
//!    stage's fields and stores with provenance `form:<stage>`.
//!
//! The return is taken once (`jti`), only in the browser session that left (`state`), only
//! for the person who left (`sub`), only while the token lives (`exp`), and only if meant for
//! this AskOnce (`aud` = its public URL). Anything else gets a [`FormProblem`] page and changes
//! nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a form sends the browser back.
pub use crate::profiling::required::CONTINUE_PATH;

/// The path that sends the person to `stage`'s form.
pub fn start_path(stage: &str, return_to: Option<&str>) -> String {
    let base = format!("/forms/{stage}/start");
    match return_to.filter(|r| !r.is_empty()) {
        Some(rt) => format!("{base}?return_to={}", crate::return_to::percent_encode(rt)),
        None => base,
    }
}

/// A stage's new form secret: shown this once (console and API).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSecret {
    pub stage: String,
    /// Signs the session tokens AskOnce sends and checks the answer tokens the form returns
    /// (HS256). Keep it on the form's server only.
    pub secret: String,
}

/// What AskOnce sends the form (`session_token`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionToken {
    /// AskOnce's public URL.
    pub iss: String,
    /// The form's address, exactly as configured.
    pub aud: String,
    /// The person's user id; the answer token must name the same.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The stage key.
    pub stage: String,
    /// The `state` of this round trip; the answer token carries it back.
    pub state: String,
    /// The field keys still unknown: what the form should ask.
    pub ask: Vec<String>,
    /// The values already known for the stage's other fields, by field key, to prefill.
    pub profile: Map<String, Value>,
}

/// What the form sends back (`token` on `/continue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerToken {
    /// Must be AskOnce's public URL (checked with the signature).
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    /// Unique per token: a token is taken once.
    pub jti: String,
    pub state: String,
    /// Answers by field key: a string, a number, a boolean, a list of strings (multiple
    /// choice), or null (left blank).
    #[serde(default)]
    pub answers: Map<String, Value>,
}

/// Why the answers a form sent back were not taken; each says so to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum FormProblem {
    #[error("This browser did not come from the form just now (or the sign-in has changed since). Nothing was saved; please open the form again.")]
    NotStarted,
    #[error("The form's answer does not belong to this visit. Nothing was saved; please open the form again.")]
    StateMismatch,
    #[error("The form's answer could not be checked (its signature or contents are wrong). Nothing was saved.")]
    BadToken,
    #[error("The form's answer came back too late. Nothing was saved; please open the form again.")]
    Expired,
    #[error("The form's answer was already used once. Nothing more was saved.")]
    Replayed,
    #[error("The form's answer was meant for someone else. Nothing was saved.")]
    WrongPerson,
    #[error("This question stage is not open now, so there was nothing to save.")]
    NotOpen,
    #[error("The form sent answers this stage cannot take. Nothing was saved; please open the form again.")]
    InvalidAnswers,
    #[error("This form is not set up yet (it has no secret). Please try again later.")]
    NotSetUp,
}

impl FormProblem {
    pub const ALL: [FormProblem; 9] = [
        FormProblem::NotStarted,
        FormProblem::StateMismatch,
        FormProblem::BadToken,
        FormProblem::Expired,
        FormProblem::Replayed,
        FormProblem::WrongPerson,
        FormProblem::NotOpen,
        FormProblem::InvalidAnswers,
        FormProblem::NotSetUp,
    ];

    /// The code in `/welcome?form_problem=…`.
    pub fn code(self) -> &'static str {
        match self {
            FormProblem::NotStarted => "not_started",
            FormProblem::StateMismatch => "state_mismatch",
            FormProblem::BadToken => "bad_token",
            FormProblem::Expired => "expired",
            FormProblem::Replayed => "replayed",
            FormProblem::WrongPerson => "wrong_person",
            FormProblem::NotOpen => "not_open",
            FormProblem::InvalidAnswers => "invalid_answers",
            FormProblem::NotSetUp => "not_set_up",
        }
    }

    pub fn from_code(code: &str) -> Option<FormProblem> {
        FormProblem::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// The answers of a token as the form values the stage's validation reads (one string each,
/// several for a multiple choice). `Err`: the keys that are no field of the stage, or whose
/// value is no answer (an object, a list of non-strings).
pub fn answers_as_form_values(answers: &Map<String, Value>, stage_fields: &[String]) -> Result<BTreeMap<String, Vec<String>>, Vec<String>> {
    let mut values = BTreeMap::new();
    let mut wrong = Vec::new();
    for (key, value) in answers {
        if !stage_fields.iter().any(|f| f == key) {
            wrong.push(key.clone());
            continue;
        }
        let raw = match value {
            Value::Null => vec![],
            Value::String(s) => vec![s.clone()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Number(n) => vec![n.to_string()],
            Value::Array(items) if items.iter().all(Value::is_string) => {
                items.iter().filter_map(Value::as_str).map(str::to_string).collect()
            }
            Value::Array(_) | Value::Object(_) => {
                wrong.push(key.clone());
                continue;
            }
        };
        values.insert(key.clone(), raw);
    }
    if wrong.is_empty() {
        Ok(values)
    } else {
        Err(wrong)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn answers_become_form_values_of_the_stage_fields_only() {
        let fields = vec!["company".to_string(), "newsletter".to_string(), "topics".to_string(), "size".to_string()];
        let answers = json!({"company": "Acme", "newsletter": true, "topics": ["rust", "web"], "size": 12});
        let values = answers_as_form_values(answers.as_object().unwrap(), &fields).unwrap();
        assert_eq!(values["company"], ["Acme"]);
        assert_eq!(values["newsletter"], ["true"]);
        assert_eq!(values["topics"], ["rust", "web"]);
        assert_eq!(values["size"], ["12"]);

        let blank = answers_as_form_values(json!({"company": null}).as_object().unwrap(), &fields).unwrap();
        assert_eq!(blank["company"], Vec::<String>::new());

        let stray = json!({"company": "Acme", "role": "admin", "topics": [1, 2], "size": {"n": 1}});
        let mut wrong = answers_as_form_values(stray.as_object().unwrap(), &fields).unwrap_err();
        wrong.sort();
        assert_eq!(wrong, ["role", "size", "topics"], "an answer to no field of the stage, or no answer at all");
    }

    #[test]
    fn problems_round_trip_through_their_codes() {
        for p in FormProblem::ALL {
            assert_eq!(FormProblem::from_code(p.code()), Some(p));
            assert!(p.to_string().ends_with('.'), "a sentence for people: {p:?}");
        }
        assert_eq!(FormProblem::from_code("nope"), None);
    }

    #[test]
    fn the_start_path_carries_where_to_return() {
        assert_eq!(start_path("work", None), "/forms/work/start");
        assert_eq!(start_path("work", Some("/articles/1?x=1&y")), "/forms/work/start?return_to=/articles/1%3Fx%3D1%26y");
    }
}
