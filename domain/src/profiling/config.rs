//! A whole profiling configuration as one document (the shipped defaults, export/import),
//! and the checks a configuration must pass before it is used: unique keys and targets,
//! stages naming existing fields, valid patterns, options where a kind needs them.
//!
//! Passing the checks is a type: [`ValidConfig`], which only [`ValidConfig::check`] (and the
//! shipped defaults) can build, and which is what the server stores.

use std::{collections::BTreeSet, ops::Deref};

use super::{engine::ProfilingConfig, field::FieldKind};

/// One thing wrong with a configuration, saying where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigProblem {
    /// `fields.company.validation.pattern`, `stages.work.fields`, …
    pub location: String,
    pub message: String,
}

fn problem(location: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem { location: location.into(), message: message.into() }
}

/// A configuration that passed every check. Reading it is reading a [`ProfilingConfig`]
/// (`Deref`); changing it means building a new one through [`ValidConfig::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidConfig(ProfilingConfig);

impl ValidConfig {
    /// The configuration, if it passes every check; otherwise every problem found (not just
    /// the first), so an editor can mark them all.
    pub fn check(config: ProfilingConfig) -> Result<ValidConfig, Vec<ConfigProblem>> {
        let problems = problems(&config);
        if problems.is_empty() {
            Ok(ValidConfig(config))
        } else {
            Err(problems)
        }
    }

    /// Parses a JSON document and checks it.
    pub fn from_json(text: &str) -> Result<ValidConfig, Vec<ConfigProblem>> {
        let config: ProfilingConfig = serde_json::from_str(text).map_err(|e| vec![problem("document", e.to_string())])?;
        ValidConfig::check(config)
    }

    /// The configuration AskOnce ships with: the seed scenario (names at signup, work at the
    /// second login, a newsletter offer on articles).
    pub fn defaults() -> ValidConfig {
        // The shipped file is checked by a unit test; an empty configuration (which passes
        // every check: nothing to contradict) is the safe fallback should it ever fail.
        ValidConfig::from_json(include_str!("defaults.json")).unwrap_or_else(|_| ValidConfig(ProfilingConfig::default()))
    }

    pub fn into_inner(self) -> ProfilingConfig {
        self.0
    }
}

impl Deref for ValidConfig {
    type Target = ProfilingConfig;
    fn deref(&self) -> &ProfilingConfig {
        &self.0
    }
}

impl ProfilingConfig {
    /// The shipped defaults, for reading (storing them goes through [`ValidConfig::defaults`]).
    pub fn defaults() -> ProfilingConfig {
        ValidConfig::defaults().into_inner()
    }
}

/// Every problem in `config`; none means it is valid.
fn problems(config: &ProfilingConfig) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let mut keys = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for field in &config.fields {
        let at = format!("fields.{}", field.key);
        if !keys.insert(field.key.clone()) {
            problems.push(problem(&at, "duplicate field key"));
        }
        if !targets.insert(field.target.clone()) {
            problems.push(problem(format!("{at}.target"), format!("another field already stores into `{}`", field.target)));
        }
        if field.label.trim().is_empty() {
            problems.push(problem(format!("{at}.label"), "a field needs a label"));
        }
        let v = &field.validation;
        if let Some(pattern) = &v.pattern {
            if let Err(e) = regex_lite::Regex::new(pattern) {
                problems.push(problem(format!("{at}.validation.pattern"), format!("invalid regular expression: {e}")));
            }
        }
        if let (Some(min), Some(max)) = (v.min_length, v.max_length) {
            if min > max {
                problems.push(problem(format!("{at}.validation"), "min_length is greater than max_length"));
            }
        }
        for (what, bound) in [("min", v.min), ("max", v.max)] {
            if bound.is_some_and(|b| !crate::profile::metadata::exact_number(b)) {
                let limit = crate::profile::metadata::MAX_EXACT;
                problems.push(problem(format!("{at}.validation.{what}"), format!("between -{limit} and {limit}")));
            }
        }
        if let (Some(min), Some(max)) = (v.min, v.max) {
            if min > max {
                problems.push(problem(format!("{at}.validation"), "min is greater than max"));
            }
        }
        if (v.min_choices.is_some() || v.max_choices.is_some()) && field.kind != FieldKind::Multiselect {
            problems.push(problem(format!("{at}.validation"), "only a multiselect takes min_choices and max_choices"));
        }
        if let (Some(min), Some(max)) = (v.min_choices, v.max_choices) {
            if min > max {
                problems.push(problem(format!("{at}.validation"), "min_choices is greater than max_choices"));
            }
        }
        if v.min_choices.is_some_and(|m| m > v.options.len()) {
            problems.push(problem(format!("{at}.validation.min_choices"), "more than there are options"));
        }
        if field.kind.has_options() && v.options.is_empty() {
            problems.push(problem(format!("{at}.validation.options"), "this kind of field needs options"));
        }
        let mut values = BTreeSet::new();
        for choice in &v.options {
            if !values.insert(choice.value.clone()) {
                problems.push(problem(format!("{at}.validation.options"), format!("duplicate option `{}`", choice.value)));
            }
        }
        if matches!(field.kind, FieldKind::Consent | FieldKind::Checkbox) && (v.min_length.is_some() || v.pattern.is_some()) {
            problems.push(problem(format!("{at}.validation"), "yes/no fields take no length or pattern"));
        }
        match (field.kind, &field.from) {
            (FieldKind::Hidden, None) => problems.push(problem(format!("{at}.from"), "a hidden field says where its value comes from")),
            // The context's word goes into user_metadata only: never a name, email or picture.
            (FieldKind::Hidden, Some(_)) if !matches!(field.target, super::Target::UserMetadata(_)) => {
                problems.push(problem(format!("{at}.target"), "a hidden field is stored in user_metadata.<key>"))
            }
            (kind, Some(_)) if kind != FieldKind::Hidden => {
                problems.push(problem(format!("{at}.from"), "only a hidden field takes a source"))
            }
            _ => {}
        }
        if let Some(terms) = &field.consent {
            if field.kind != FieldKind::Consent {
                problems.push(problem(format!("{at}.consent"), "only a consent field has a purpose"));
            }
            let chars = terms.purpose.trim().chars().count();
            if chars == 0 {
                problems.push(problem(format!("{at}.consent.purpose"), "say what the agreement is for"));
            } else if chars > super::consent::MAX_PURPOSE_CHARS {
                let max = super::consent::MAX_PURPOSE_CHARS;
                problems.push(problem(format!("{at}.consent.purpose"), format!("at most {max} characters")));
            }
        }
    }
    let mut stage_keys = BTreeSet::new();
    for stage in &config.stages {
        let at = format!("stages.{}", stage.key);
        if !stage_keys.insert(stage.key.clone()) {
            problems.push(problem(&at, "duplicate stage key"));
        }
        if stage.title.trim().is_empty() {
            problems.push(problem(format!("{at}.title"), "a stage needs a title"));
        }
        if stage.fields.is_empty() {
            problems.push(problem(format!("{at}.fields"), "a stage needs at least one field"));
        }
        for key in &stage.fields {
            if !keys.contains(key) {
                problems.push(problem(format!("{at}.fields"), format!("unknown field `{key}`")));
            }
        }
        if let super::stage::Trigger::Context { name, .. } = &stage.trigger {
            if name.trim().is_empty() {
                problems.push(problem(format!("{at}.trigger"), "a context stage needs a context name"));
            }
        }
        if let Some(form) = &stage.external {
            if let Err(reason) = crate::web_address::check(&form.url) {
                problems.push(problem(format!("{at}.external.url"), reason));
            } else if form.url.contains('#') {
                problems.push(problem(format!("{at}.external.url"), "the address takes no #fragment (the token goes in its query)"));
            }
            if !(1..=super::ExternalForm::MAX_TOKEN_MINUTES).contains(&form.token_minutes) {
                let max = super::ExternalForm::MAX_TOKEN_MINUTES;
                problems.push(problem(format!("{at}.external.token_minutes"), format!("between 1 and {max} minutes")));
            }
            // Sending someone away in the middle of reading an article loses their place; a
            // form elsewhere belongs to the moment after sign-in.
            if matches!(stage.trigger, super::stage::Trigger::Context { .. }) {
                problems.push(problem(format!("{at}.external"), "an external form is asked at signup or a login, not in context"));
            }
        }
        if !stage.steps.is_empty() {
            let flat: Vec<&super::FieldKey> = stage.steps.iter().flatten().collect();
            if flat != stage.fields.iter().collect::<Vec<_>>() {
                problems.push(problem(format!("{at}.steps"), "the steps must list the stage's fields, in the same order"));
            }
            if stage.steps.iter().any(Vec::is_empty) {
                problems.push(problem(format!("{at}.steps"), "a step needs at least one field"));
            }
            if stage.external.is_some() {
                problems.push(problem(format!("{at}.steps"), "an external form has its own pages: leave steps out"));
            }
        }
        if stage.intro.as_deref().is_some_and(|i| i.chars().count() > super::intro::MAX_INTRO_CHARS) {
            problems.push(problem(format!("{at}.intro"), format!("at most {} characters", super::intro::MAX_INTRO_CHARS)));
        }
        if let Some(condition) = &stage.when {
            if condition.depth() > super::stage::Condition::MAX_DEPTH {
                let max = super::stage::Condition::MAX_DEPTH;
                problems.push(problem(format!("{at}.when"), format!("combinations nest at most {max} deep")));
            }
        }
        let (min_logins, max_logins) = match stage.trigger {
            super::stage::Trigger::Login { min_logins, max_logins } => (Some(min_logins), max_logins),
            _ => (None, None),
        };
        if let (Some(min), Some(max)) = (min_logins, max_logins) {
            if max < min {
                problems.push(problem(format!("{at}.trigger.max_logins"), "the last login comes before the first"));
            }
        }
        for (what, count) in [
            ("trigger.min_logins", min_logins),
            ("trigger.max_logins", max_logins),
            ("cooldown.days", stage.cooldown.days),
            ("cooldown.logins", stage.cooldown.logins),
        ] {
            if count.is_some_and(|n| n > MAX_COUNT) {
                problems.push(problem(format!("{at}.{what}"), format!("at most {MAX_COUNT}")));
            }
        }
    }
    problems
}

/// The largest count a stage takes (logins, days): the API documents them as 32-bit integers,
/// and what it accepts it must give back as documented.
pub const MAX_COUNT: u32 = i32::MAX as u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_are_valid_and_reproduce_the_seed_scenario() {
        let config = ValidConfig::from_json(include_str!("defaults.json")).unwrap();
        let keys: Vec<&str> = config.stages.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["name", "work", "subscription"]);
    }

    #[test]
    fn counts_beyond_the_documented_range_are_refused() {
        let text = r#"{
            "fields": [{"key": "a", "label": "A", "kind": "text", "target": "user_metadata.a"}],
            "stages": [{"key": "s", "title": "S", "trigger": {"on": "login", "min_logins": 2147483648}, "fields": ["a"],
                        "cooldown": {"days": 2147483647, "logins": 4294967295}}]
        }"#;
        let problems = ValidConfig::from_json(text).unwrap_err();
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(locations, ["stages.s.trigger.min_logins", "stages.s.cooldown.logins"], "{problems:?}");
    }

    #[test]
    fn every_problem_is_reported_with_its_location() {
        let text = r#"{
            "fields": [
                {"key": "a", "label": "A", "kind": "text", "target": "user_metadata.a", "validation": {"pattern": "("}},
                {"key": "a", "label": "A again", "kind": "text", "target": "user_metadata.b"},
                {"key": "c", "label": "C", "kind": "dropdown", "target": "user_metadata.a"}
            ],
            "stages": [{"key": "s", "title": "S", "trigger": {"on": "signup"}, "fields": ["a", "nope"]}]
        }"#;
        let problems = ValidConfig::from_json(text).unwrap_err();
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert!(locations.contains(&"fields.a.validation.pattern"), "{problems:?}");
        assert!(locations.contains(&"fields.a"), "duplicate key: {problems:?}");
        assert!(locations.contains(&"fields.c.target"), "duplicate target: {problems:?}");
        assert!(locations.contains(&"fields.c.validation.options"), "{problems:?}");
        assert!(problems.iter().any(|p| p.location == "stages.s.fields" && p.message.contains("nope")));
    }

    #[test]
    fn only_the_checker_builds_a_valid_config() {
        let mut config = ProfilingConfig::defaults();
        assert_eq!(ValidConfig::check(config.clone()).map(ValidConfig::into_inner), Ok(config.clone()));
        config.stages[0].fields.clear();
        let problems = ValidConfig::check(config).unwrap_err();
        assert_eq!(problems[0].location, "stages.name.fields", "{problems:?}");
        assert_eq!(*ValidConfig::defaults(), ProfilingConfig::defaults());
    }

    #[test]
    fn unknown_keys_and_app_metadata_targets_are_refused() {
        let unknown =
            r#"{"fields": [{"key": "a", "label": "A", "kind": "text", "target": "user_metadata.a", "colour": "red"}], "stages": []}"#;
        assert!(ValidConfig::from_json(unknown).unwrap_err()[0].message.contains("colour"));
        let app = r#"{"fields": [{"key": "a", "label": "A", "kind": "text", "target": "app_metadata.plan"}], "stages": []}"#;
        assert!(ValidConfig::from_json(app).unwrap_err()[0].message.contains("app_metadata"));
    }
}
