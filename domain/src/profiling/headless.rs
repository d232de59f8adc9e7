//! The prompt API's wire shapes: what an application's page is told about the stage due at a
//! place (`GET /api/prompt`), and what it sends back (`POST /api/prompt/answers`, `/shown`,
//! `/skip`). The same engine decides and the same validation checks as on `/welcome`; these
//! types only say it in JSON an application's page (or its server) can render from.
//!
//! A place is a moment in context (`article`, with tags) on a page of the application. Login
//! moments are not offered here: those questions are asked inside the sign-in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{consent::ConsentTerms, engine::Moment, field::Choice, intro, FieldKind, Prompt};

/// The prompt API's paths.
pub const PROMPT_PATH: &str = "/api/prompt";
pub const SHOWN_PATH: &str = "/api/prompt/shown";
pub const ANSWERS_PATH: &str = "/api/prompt/answers";
pub const SKIP_PATH: &str = "/api/prompt/skip";

/// Whether `path` is the prompt API's: bearer only, no cookie read, so neither the cookie
/// CSRF check nor a required stage's hold applies to it.
pub fn is_prompt_api(path: &str) -> bool {
    [PROMPT_PATH, SHOWN_PATH, ANSWERS_PATH, SKIP_PATH].contains(&path)
}

/// The longest `page` taken (characters).
pub const MAX_PAGE_CHARS: usize = 512;
/// The longest moment name, and the most tags and the longest tag a place may have.
pub const MAX_MOMENT_CHARS: usize = 64;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 64;

/// Where an application asks: the moment, the page's tags, and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub moment: String,
    pub tags: Vec<String>,
    pub page: Option<Page>,
}

/// A page of an application: a path (`/articles/rust?ref=nl`), or a whole address whose
/// origin the caller must check against the application's web origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    text: String,
    origin: Option<String>,
}

impl Page {
    /// `text` as given (what analytics shows).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The origin of a whole address (`https://shop.example`); `None` for a path.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The page without its query and fragment: what analytics keeps (a query may carry
    /// codes, tokens or addresses).
    pub fn without_query(&self) -> &str {
        self.text.split(['?', '#']).next().unwrap_or("")
    }

    /// The page's query (`ref=nl`), for hidden fields that take a parameter of it.
    pub fn query(&self) -> &str {
        let without_fragment = self.text.split('#').next().unwrap_or("");
        without_fragment.split_once('?').map(|(_, q)| q).unwrap_or("")
    }
}

/// Why a place was refused, in words for the developer calling the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceProblem {
    #[error("moment is required: the name of the place, such as \"article\" (letters, digits, - and _; at most {MAX_MOMENT_CHARS})")]
    Moment,
    #[error("tags: at most {MAX_TAGS}, each at most {MAX_TAG_CHARS} characters")]
    Tags,
    #[error("page must be a path (\"/articles/rust\") or an http(s) address, at most {MAX_PAGE_CHARS} characters")]
    Page,
}

impl Place {
    /// Checks a place as an application sends it: `tags` comma-separated.
    pub fn parse(moment: &str, tags: &str, page: Option<&str>) -> Result<Place, PlaceProblem> {
        let moment = moment.trim();
        let moment_ok = !moment.is_empty()
            && moment.chars().count() <= MAX_MOMENT_CHARS
            && moment.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !moment_ok {
            return Err(PlaceProblem::Moment);
        }
        let tags: Vec<String> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
        if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS || t.chars().any(char::is_control)) {
            return Err(PlaceProblem::Tags);
        }
        let page = page.filter(|p| !p.is_empty()).map(parse_page).transpose()?;
        Ok(Place { moment: moment.to_string(), tags, page })
    }

    /// The engine's moment for this place.
    pub fn moment(&self) -> Moment {
        Moment::Context { name: self.moment.clone(), tags: self.tags.clone() }
    }
}

fn parse_page(text: &str) -> Result<Page, PlaceProblem> {
    if text.chars().count() > MAX_PAGE_CHARS || text.chars().any(|c| c.is_control() || c == '\\') {
        return Err(PlaceProblem::Page);
    }
    if text.starts_with('/') && !text.starts_with("//") {
        return Ok(Page { text: text.to_string(), origin: None });
    }
    crate::web_address::check(text).map_err(|_| PlaceProblem::Page)?;
    // As a browser serializes it in `Origin`: scheme, lower-case host, a port only when it is
    // not the scheme's own.
    let (scheme, rest) = text.split_once("://").ok_or(PlaceProblem::Page)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Ok(Page { text: text.to_string(), origin: Some(format!("{scheme}://{authority}")) })
}

/// `GET /api/prompt`'s answer: the stage due here, or `null`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueAnswer {
    pub prompt: Option<DueStage>,
}

/// The stage due, as an application renders it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueStage {
    pub stage: String,
    pub title: String,
    /// The introduction in the safe Markdown subset: as HTML (for a server that writes
    /// HTML) and as a tree (for a script that builds elements; `intro::nodes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<DueIntro>,
    pub skippable: bool,
    /// A stage asked by a form elsewhere: the address to send the person to; there are no
    /// fields to render then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// A multi-step stage: its fields' keys by step. One page when it has one step or none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Vec<String>>,
    pub fields: Vec<DueField>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueIntro {
    pub html: String,
    /// Strings (text) and `{"tag", "href", "children"}` elements.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub nodes: Vec<intro::IntroNode>,
}

/// One question: what to show and the rules its answer must meet (checked again on the
/// server). Where the answer is stored is not said: the application needs only the key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueField {
    pub key: String,
    pub kind: FieldKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_choices: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_choices: Option<usize>,
    /// A consent field: the purpose agreed to and its version (kept with the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<DueConsent>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueConsent {
    pub purpose: String,
    pub version: u32,
}

impl DueStage {
    /// `prompt` as an application is told it; `external_url`: where a stage asked by a form
    /// elsewhere starts.
    pub fn from_prompt(prompt: &Prompt, external_url: Option<String>) -> DueStage {
        let external = prompt.external;
        DueStage {
            stage: prompt.stage.to_string(),
            title: prompt.title.clone(),
            intro: prompt.intro.as_deref().map(|md| DueIntro { html: intro::render(md), nodes: intro::nodes(md) }),
            skippable: prompt.skippable,
            external_url: external.then_some(external_url).flatten(),
            steps: if prompt.step_count() > 1 && !external {
                prompt.steps.iter().map(|s| s.iter().map(|k| k.to_string()).collect()).collect()
            } else {
                Vec::new()
            },
            fields: if external {
                Vec::new()
            } else {
                prompt
                    .fields
                    .iter()
                    .filter(|f| f.kind != FieldKind::Hidden)
                    .map(|f| {
                        let v = &f.validation;
                        DueField {
                            key: f.key.to_string(),
                            kind: f.kind,
                            label: f.label.clone(),
                            help: f.help.clone(),
                            required: v.required,
                            min_length: v.min_length,
                            max_length: v.max_length,
                            pattern: v.pattern.clone(),
                            pattern_hint: v.pattern_hint.clone(),
                            min: v.min,
                            max: v.max,
                            options: v.options.clone(),
                            min_choices: v.min_choices,
                            max_choices: v.max_choices,
                            consent: f
                                .consent
                                .as_ref()
                                .map(|ConsentTerms { purpose, version, .. }| DueConsent { purpose: purpose.clone(), version: *version }),
                        }
                    })
                    .collect()
            },
        }
    }
}

/// One answer as JSON carries it: text, a list (multiselect), a tick or a number. Turned into
/// the form values `validate_answer` reads, so the API and `/welcome` share one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Text(String),
    List(Vec<String>),
    Tick(bool),
    Number(serde_json::Number),
}

impl AnswerValue {
    /// As form values: a tick is `yes` (a checkbox) or nothing, a number its text.
    pub fn into_form_values(self) -> Vec<String> {
        match self {
            AnswerValue::Text(t) => vec![t],
            AnswerValue::List(l) => l,
            AnswerValue::Tick(true) => vec!["yes".into()],
            AnswerValue::Tick(false) => Vec::new(),
            AnswerValue::Number(n) => vec![n.to_string()],
        }
    }
}

/// The place a `POST` is about (the same fields as `GET /api/prompt`'s query).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceBody {
    pub moment: String,
    /// Comma-separated, or a list.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tags: Tags,
    #[serde(default)]
    pub page: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Tags {
    #[default]
    None,
    Joined(String),
    List(Vec<String>),
}

impl Tags {
    pub fn joined(&self) -> String {
        match self {
            Tags::None => String::new(),
            Tags::Joined(t) => t.clone(),
            Tags::List(l) => l.join(","),
        }
    }
}

impl PlaceBody {
    pub fn place(&self) -> Result<Place, PlaceProblem> {
        Place::parse(&self.moment, &self.tags.joined(), self.page.as_deref())
    }
}

/// `POST /api/prompt/answers`: the answers to the stage due (all of them; a multi-step
/// stage may send `step` first to check one step, nothing stored until the last).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    pub moment: String,
    /// Comma-separated, or a list.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tags: Tags,
    #[serde(default)]
    pub page: Option<String>,
    pub stage: String,
    /// By field key: text, a list of texts (a multiselect), `true`/`false` (a checkbox) or a
    /// number.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: BTreeMap<String, AnswerValue>,
    /// Checks only this step (0-based) of a multi-step stage, storing nothing; without it (or
    /// for the last step) every answer is checked and stored.
    #[serde(default)]
    pub step: Option<usize>,
}

impl AnswersBody {
    pub fn place(&self) -> Result<Place, PlaceProblem> {
        Place::parse(&self.moment, &self.tags.joined(), self.page.as_deref())
    }

    /// The answers as form values by field key.
    pub fn form_values(&self) -> BTreeMap<String, Vec<String>> {
        self.answers.iter().map(|(k, v)| (k.clone(), v.clone().into_form_values())).collect()
    }
}

/// `POST /api/prompt/shown` and `/skip`: which stage, at which place.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageBody {
    pub moment: String,
    /// Comma-separated, or a list.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub tags: Tags,
    #[serde(default)]
    pub page: Option<String>,
    pub stage: String,
}

impl StageBody {
    pub fn place(&self) -> Result<Place, PlaceProblem> {
        Place::parse(&self.moment, &self.tags.joined(), self.page.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_takes_a_named_moment_tags_and_a_page() {
        let place = Place::parse("article", " rust, web ,", Some("/articles/rust?ref=nl#top")).unwrap();
        assert_eq!(place.tags, ["rust", "web"]);
        let page = place.page.unwrap();
        assert_eq!((page.origin(), page.query()), (None, "ref=nl"));
        assert_eq!(page.without_query(), "/articles/rust");
        let whole = Place::parse("article", "", Some("https://shop.example:8443/a?x=1")).unwrap().page.unwrap();
        assert_eq!(whole.origin(), Some("https://shop.example:8443"));
        let plain = Place::parse("article", "", Some("https://Shop.Example:443/a")).unwrap().page.unwrap();
        assert_eq!(plain.origin(), Some("https://shop.example"));
        assert_eq!(Place::parse("", "", None), Err(PlaceProblem::Moment));
        assert_eq!(Place::parse("a b", "", None), Err(PlaceProblem::Moment));
        assert_eq!(Place::parse("article", &"t,".repeat(21), None), Err(PlaceProblem::Tags));
    }

    #[test]
    fn a_page_is_a_path_or_a_web_address_of_bounded_length() {
        for bad in ["//evil.example/x", "javascript:alert(1)", "ftp://x.example/", "/a\\b", "/a\nb", "https://u:p@x.example/"] {
            assert_eq!(Place::parse("article", "", Some(bad)), Err(PlaceProblem::Page), "{bad}");
        }
        let long = format!("/{}", "a".repeat(MAX_PAGE_CHARS));
        assert_eq!(Place::parse("article", "", Some(&long)), Err(PlaceProblem::Page));
        assert!(Place::parse("article", "", Some(&long[..MAX_PAGE_CHARS])).is_ok());
    }

    fn field(key: &str, kind: FieldKind) -> crate::profiling::Field {
        serde_json::from_value(serde_json::json!({
            "key": key, "label": key.to_uppercase(), "kind": kind, "target": format!("user_metadata.{key}"),
            "validation": {"required": true, "max_length": 40, "options": [{"value": "a", "label": "A"}]},
        }))
        .unwrap()
    }

    fn prompt(fields: Vec<crate::profiling::Field>, steps: Vec<Vec<&str>>, external: bool) -> Prompt {
        Prompt {
            stage: crate::profiling::FieldKey::parse("s").unwrap(),
            title: "Title".into(),
            intro: Some("Read **this**".into()),
            skippable: true,
            fields,
            external,
            steps: steps.into_iter().map(|s| s.into_iter().map(|k| crate::profiling::FieldKey::parse(k).unwrap()).collect()).collect(),
            step: 0,
            typed: Default::default(),
        }
    }

    #[test]
    fn a_stage_is_told_with_its_rules_steps_and_intro_and_without_its_targets() {
        let fields = vec![field("color", FieldKind::Dropdown), field("note", FieldKind::Textarea), field("ref", FieldKind::Hidden)];
        let due = DueStage::from_prompt(&prompt(fields.clone(), vec![vec!["color"], vec!["note"]], false), None);
        assert_eq!(due.steps, vec![vec!["color".to_string()], vec!["note".to_string()]]);
        let keys: Vec<&str> = due.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["color", "note"], "a hidden field is never shown");
        assert_eq!((due.fields[0].required, due.fields[0].max_length, due.fields[0].options.len()), (true, Some(40), 1));
        let intro = due.intro.as_ref().unwrap();
        assert_eq!(intro.html, "<p>Read <strong>this</strong></p>\n");
        let json = serde_json::to_value(&due).unwrap();
        assert!(json["fields"][0].get("target").is_none(), "{json}");
        assert!(json.get("external_url").is_none());

        let external = DueStage::from_prompt(&prompt(fields, vec![], true), Some("https://askonce.example/forms/s/start".into()));
        assert_eq!(external.external_url.as_deref(), Some("https://askonce.example/forms/s/start"));
        assert!(external.fields.is_empty() && external.steps.is_empty(), "a form elsewhere asks the fields");
    }

    #[test]
    fn answers_become_the_form_values_welcome_validates() {
        let body: AnswersBody = serde_json::from_value(serde_json::json!({
            "moment": "article", "tags": ["rust"], "stage": "newsletter",
            "answers": {"subscribed": "yes", "topics": ["a", "b"], "agree": true, "age": 42}
        }))
        .unwrap();
        let values = body.form_values();
        assert_eq!(values["subscribed"], ["yes"]);
        assert_eq!(values["topics"], ["a", "b"]);
        assert_eq!(values["agree"], ["yes"]);
        assert_eq!(values["age"], ["42"]);
        assert_eq!(body.place().unwrap().tags, ["rust"]);
        assert!(serde_json::from_value::<AnswersBody>(serde_json::json!({"moment": "a", "stage": "s", "user_metadata": {}})).is_err());
    }
}
