//! External forms: a stage asked by a form on another site, in the redirect protocol of
//! Arengu and Auth0's redirect rules.
//!
//! 1. When the stage is next, `/welcome` offers it as a link to `/forms/{stage}/start`, which
//!    sends the browser to `URL?session_token=<JWT>&state=<opaque>`. The session token
//!    ([`SessionToken`], HS256 with the stage's secret) names the person (`sub`), what is
//!    already known for the stage's fields (`profile`, to prefill) and what to ask (`ask`).
//! 2. The form sends the browser back to `/continue?state=…&token=<JWT>` (or
//!    `session_token=<JWT>`, as Arengu's flow does): a token signed with the same secret, in
//!    one of two formats ([`ReturnedClaims`]) — AskOnce's ([`AnswerToken`]: `aud`, `jti`,
//!    `state`, `stage`, `answers`) or seed 002's (Arengu's "Progressive profiling with Auth0
//!    rules": `iss`, `sub`, an expiry 15–60 s away, the answers under `other`). AskOnce
//!    checks the answers against the stage's fields and stores them with provenance
//!    `form:<stage>`.
//!
//! The return is taken once (`jti`, or the token's hash when it has none), only in the
//! browser session that left (`state`), only for the person who left (`sub`), only while the
//! token lives (`exp`), and only if meant for this AskOnce (`aud` = its public URL, or `iss` =
//! the issuer the site owner set). Anything else gets a [`FormProblem`] page and changes
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
    /// The `iss` the form's returned tokens name when they carry no `aud` (seed 002's format);
    /// `null`: AskOnce's public URL, the `iss` of the session tokens it sends.
    #[serde(default)]
    pub issuer: Option<String>,
}

/// What a site owner may set for an external form stage; both optional (an empty body makes
/// a new secret and keeps the issuer).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSecretRequest {
    /// The site's own secret (Arengu's `SESSION_TOKEN_SECRET`): 32 to 128 bytes. Left out,
    /// AskOnce makes one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 32, max_length = 128))]
    pub secret: Option<String>,
    /// The issuer the form's tokens name; `""` sets it back to AskOnce's public URL. Left
    /// out, unchanged.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub issuer: Option<String>,
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

/// The claims of a token a form sent back, before AskOnce decides what they are worth
/// ([`ReturnedClaims::check`]): either format, every claim optional but `sub` and `exp`
/// (which the signature check requires).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReturnedClaims {
    #[serde(default)]
    pub iss: Option<String>,
    /// A string or a list of strings (RFC 7519 §4.1.3).
    #[serde(default)]
    pub aud: Option<Value>,
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    /// AskOnce's format.
    #[serde(default)]
    pub answers: Option<Map<String, Value>>,
    /// Seed 002's format (Arengu's flow, Auth0's redirect rules).
    #[serde(default)]
    pub other: Option<Map<String, Value>>,
    /// Claims of AskOnce's own session token ([`SessionToken`]): a token that has them is
    /// that token sent back, never an answer.
    #[serde(default)]
    pub ask: Option<Value>,
    #[serde(default)]
    pub profile: Option<Value>,
}

/// What a returned token must match.
#[derive(Debug, Clone, Copy)]
pub struct ReturnExpected<'a> {
    /// AskOnce's public URL: the `aud` of AskOnce's format.
    pub public_url: &'a str,
    /// The `iss` a token must name when it has one (the site owner's setting; by default
    /// exactly the `iss` of AskOnce's session tokens, its public URL).
    pub issuer: &'a str,
    /// The stage of the round trip.
    pub stage: &'a str,
    /// The stage's token lifetime (AskOnce's format).
    pub token_minutes: u32,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// A returned token that passed [`ReturnedClaims::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Returned {
    pub sub: String,
    pub exp: i64,
    /// The token's `jti`; `None` for seed 002's format, taken once by the token's hash.
    pub jti: Option<String>,
    /// The `state` claim, when the token carries one (it must equal the round trip's).
    pub state: Option<String>,
    pub answers: Map<String, Value>,
}

/// The longest a token without `jti` (seed 002's format: the seed says 15–30 s) may live.
pub const SEED_FORMAT_MAX_SECS: i64 = 60;

/// How far a clock may drift between AskOnce and the form, in seconds.
pub const LEEWAY_SECS: i64 = 30;

impl ReturnedClaims {
    /// Whether these claims (their signature and expiry already checked) are a return AskOnce
    /// takes, and what it says. Meant for this AskOnce: `aud` names its public URL (AskOnce's
    /// format, whatever its `iss`: forms made for it before seed 002 was taken may name
    /// themselves), or there is no `aud` and `iss` names the stage's issuer; never AskOnce's
    /// own session token sent back (`ask`, `profile`); a token without `jti` lives at most
    /// [`SEED_FORMAT_MAX_SECS`]; `stage`, when present, is the round trip's; answers under
    /// `answers` or `other`, not both.
    pub fn check(self, expected: ReturnExpected<'_>) -> Result<Returned, FormProblem> {
        if self.ask.is_some() || self.profile.is_some() {
            return Err(FormProblem::BadToken);
        }
        let meant_for_us = match &self.aud {
            Some(Value::String(a)) => a == expected.public_url,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expected.public_url)),
            Some(_) => false,
            None => self.iss.as_deref() == Some(expected.issuer),
        };
        if !meant_for_us {
            return Err(FormProblem::BadToken);
        }
        if self.stage.as_deref().is_some_and(|s| s != expected.stage) {
            return Err(FormProblem::StateMismatch);
        }
        match &self.jti {
            Some(jti) => {
                let longest = expected.now + i64::from(expected.token_minutes) * 60 + LEEWAY_SECS;
                if jti.is_empty() || jti.len() > 128 || self.exp > longest {
                    return Err(FormProblem::BadToken);
                }
            }
            None => {
                let issued = self.iat.unwrap_or(expected.now);
                if self.iat.is_some_and(|iat| iat > expected.now + LEEWAY_SECS)
                    || self.exp > issued + SEED_FORMAT_MAX_SECS
                    || self.exp > expected.now + SEED_FORMAT_MAX_SECS + LEEWAY_SECS
                {
                    return Err(FormProblem::BadToken);
                }
            }
        }
        let answers = match (self.answers, self.other) {
            (Some(_), Some(_)) => return Err(FormProblem::BadToken),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Map::new(),
        };
        Ok(Returned { sub: self.sub, exp: self.exp, jti: self.jti, state: self.state, answers })
    }
}

/// One round trip to a stage's form and back, as the console lists them (the "Executions"
/// of Arengu's flows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundTrip {
    pub user_id: String,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// RFC 3339, the last time the browser came back.
    pub returned_at: Option<String>,
    pub outcome: RoundTripOutcome,
    /// Why the last return was refused.
    pub reason: Option<FormProblem>,
    /// How many times the browser came back.
    pub returns: u32,
}

/// Where a round trip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundTripOutcome {
    /// Sent to the form; not back (yet).
    Started,
    /// Back, and the answers were stored.
    Stored,
    /// Back, and refused ([`RoundTrip::reason`]); nothing stored.
    Refused,
    /// Back, and AskOnce failed to take the answers (a server error; nothing stored).
    Failed,
}

impl RoundTripOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundTripOutcome::Started => "started",
            RoundTripOutcome::Stored => "stored",
            RoundTripOutcome::Refused => "refused",
            RoundTripOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RoundTripOutcome::Started, RoundTripOutcome::Stored, RoundTripOutcome::Refused, RoundTripOutcome::Failed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
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

    fn expected(now: i64) -> ReturnExpected<'static> {
        ReturnExpected { public_url: "https://login.example", issuer: "https://login.example", stage: "work", token_minutes: 10, now }
    }

    fn claims(value: Value) -> ReturnedClaims {
        serde_json::from_value(value).expect("claims")
    }

    #[test]
    fn askonces_format_is_taken_as_before() {
        let now = 1_000_000;
        let ours = json!({"aud": "https://login.example", "sub": "u1", "exp": now + 300, "jti": "j1", "state": "s1",
                          "stage": "work", "answers": {"company": "Acme"}});
        let taken = claims(ours.clone()).check(expected(now)).unwrap();
        assert_eq!((taken.jti.as_deref(), taken.state.as_deref(), &taken.answers["company"]), (Some("j1"), Some("s1"), &json!("Acme")));
        let mut listed = ours.clone();
        listed["aud"] = json!(["https://other.example", "https://login.example"]);
        assert!(claims(listed).check(expected(now)).is_ok(), "aud as a list naming AskOnce");

        let spoiled = |f: &dyn Fn(&mut Value)| {
            let mut c = ours.clone();
            f(&mut c);
            claims(c).check(expected(now))
        };
        assert_eq!(spoiled(&|c| c["aud"] = json!("https://elsewhere.example")), Err(FormProblem::BadToken));
        assert!(spoiled(&|c| c["iss"] = json!("https://forms.example")).is_ok(), "AskOnce's format: the aud decides, whatever the iss");
        // AskOnce's own session token, sent back as if it were an answer.
        assert_eq!(spoiled(&|c| c["ask"] = json!(["company"])), Err(FormProblem::BadToken));
        assert_eq!(spoiled(&|c| c["profile"] = json!({})), Err(FormProblem::BadToken));
        assert_eq!(spoiled(&|c| c["exp"] = json!(now + 86_400)), Err(FormProblem::BadToken), "beyond token_minutes");
        assert_eq!(spoiled(&|c| c["jti"] = json!("")), Err(FormProblem::BadToken));
        assert_eq!(spoiled(&|c| c["stage"] = json!("name")), Err(FormProblem::StateMismatch), "another stage's token");
        assert_eq!(spoiled(&|c| c["other"] = json!({"company": "Evil"})), Err(FormProblem::BadToken), "answers twice");
    }

    #[test]
    fn seed_002s_format_is_taken_with_a_short_life_and_the_issuer() {
        let now = 1_000_000;
        // Exactly what the seed's flow signs: {other}, HS256, issuer, subject, expiresIn 30.
        let seed = json!({"other": {"company_name": "Acme", "job_title": "CTO"}, "iat": now, "exp": now + 30,
                          "iss": "https://login.example", "sub": "u1"});
        let taken = claims(seed.clone()).check(expected(now)).unwrap();
        assert_eq!((taken.jti, taken.state, taken.answers["job_title"].as_str()), (None, None, Some("CTO")));

        let spoiled = |f: &dyn Fn(&mut Value)| {
            let mut c = seed.clone();
            f(&mut c);
            claims(c).check(expected(now))
        };
        assert_eq!(spoiled(&|c| c["iss"] = json!("https://elsewhere.example")), Err(FormProblem::BadToken), "wrong issuer");
        assert_eq!(
            spoiled(&|c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
            Err(FormProblem::BadToken),
            "neither aud nor iss"
        );
        assert_eq!(spoiled(&|c| c["exp"] = json!(now + 600)), Err(FormProblem::BadToken), "a 10-minute expiry");
        assert_eq!(
            spoiled(&|c| {
                c["iat"] = json!(now - 1000);
                c["exp"] = json!(now + 30)
            }),
            Err(FormProblem::BadToken),
            "exp far after iat"
        );
        assert_eq!(
            spoiled(&|c| {
                c["iat"] = json!(now + 600);
                c["exp"] = json!(now + 630)
            }),
            Err(FormProblem::BadToken),
            "issued in the future"
        );
        // Without iat: exp at most a minute from now.
        let no_iat = |exp: i64| {
            let mut c = seed.clone();
            c.as_object_mut().unwrap().remove("iat");
            c["exp"] = json!(exp);
            claims(c).check(expected(now))
        };
        assert!(no_iat(now + 45).is_ok());
        assert_eq!(no_iat(now + 3600), Err(FormProblem::BadToken));
        // The site owner's issuer.
        let owner = ReturnExpected { issuer: "forms.example.com", ..expected(now) };
        let mut c = seed.clone();
        c["iss"] = json!("forms.example.com");
        assert!(claims(c).check(owner).is_ok());
        assert_eq!(claims(seed).check(owner), Err(FormProblem::BadToken), "AskOnce's address is not the owner's issuer");
    }

    #[test]
    fn the_start_path_carries_where_to_return() {
        assert_eq!(start_path("work", None), "/forms/work/start");
        assert_eq!(start_path("work", Some("/articles/1?x=1&y")), "/forms/work/start?return_to=/articles/1%3Fx%3D1%26y");
    }
}
