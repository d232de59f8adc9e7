//! The console's question forms (a field, a stage) as posted, turned into the profiling
//! configuration's [`Edit`]s (`profiling::edit`), with each problem placed next to its input;
//! and the store that saves an edit or an import in one transaction with its audit entry. The
//! next decision reads it, so no restart is needed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use domain::profiling::{
    consent::ConsentTerms,
    edit::{Direction, Edit},
    field::{Choice, Validation},
    Condition, ConfigProblem, Cooldown, ExternalForm, Field, FieldKey, FieldKind, Stage, StageKey, Trigger,
};

/// The edit a list row's one-click action asks for (`kind`: field | stage; `action`: up |
/// down | delete | enable | disable); what is wrong with it otherwise.
pub fn edit_from_action(kind: &str, key: &str, action: &str) -> Result<Edit, String> {
    let key = FieldKey::parse(key).map_err(|e| e.to_string())?;
    Ok(match (kind, action) {
        ("field", "up") => Edit::MoveField(key, Direction::Up),
        ("field", "down") => Edit::MoveField(key, Direction::Down),
        ("field", "delete") => Edit::DeleteField(key),
        ("stage", "up") => Edit::MoveStage(key, Direction::Up),
        ("stage", "down") => Edit::MoveStage(key, Direction::Down),
        ("stage", "delete") => Edit::DeleteStage(key),
        ("stage", "enable") => Edit::SetStageEnabled(key, true),
        ("stage", "disable") => Edit::SetStageEnabled(key, false),
        _ => return Err("Unknown action.".into()),
    })
}

/// Which form input a problem belongs to (`fields.company.validation.pattern` → `pattern`),
/// so the console shows it next to that input. Unplaced problems go under `""`.
pub fn problems_by_input(problems: &[ConfigProblem], prefix: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for p in problems {
        // `fields.a` is this item; `fields.ab…` another item whose key starts the same.
        let input = match p.location.strip_prefix(prefix) {
            Some("") => "key",
            Some(rest) if rest.starts_with('.') => match &rest[1..] {
                "validation" => "validation",
                "trigger" => "context_name",
                other => other.rsplit('.').next().unwrap_or(""),
            },
            _ => "",
        };
        let entry = out.entry(input.to_string()).or_default();
        if !entry.is_empty() {
            entry.push(' ');
        }
        entry.push_str(&p.message);
        if input.is_empty() {
            entry.push_str(&format!(" ({})", p.location));
        }
    }
    out
}

/// The field form as posted: every input is text; checkboxes are present or absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldForm {
    pub key: String,
    pub label: String,
    pub help: String,
    pub kind: String,
    pub target: String,
    pub required: Option<String>,
    pub min_length: String,
    pub max_length: String,
    pub pattern: String,
    pub pattern_hint: String,
    pub min: String,
    pub max: String,
    /// One choice a line: `value = Label` (or just `value`).
    pub options: String,
    /// A multiselect's fewest and most choices.
    pub min_choices: String,
    pub max_choices: String,
    /// Comma-separated claim names.
    pub claims: String,
    pub user_editable: Option<String>,
    /// For a consent field: what the agreement is for (blank: the label says it).
    pub purpose: String,
    /// The purpose's version as read (carried; the store counts it up on a new wording).
    pub consent_version: String,
    pub reask: Option<String>,
    /// A hidden field's source: `query:ref`, `tags` or `connection`.
    pub from: String,
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn number<T: std::str::FromStr>(s: &str, input: &str, errors: &mut BTreeMap<String, String>) -> Option<T> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.insert(input.into(), "enter a number".into());
            None
        }
    }
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

impl FieldForm {
    pub(crate) fn from_field(f: &Field) -> FieldForm {
        let v = &f.validation;
        let kind = serde_json::to_value(f.kind).ok().and_then(|k| k.as_str().map(str::to_string)).unwrap_or_default();
        FieldForm {
            key: f.key.to_string(),
            label: f.label.clone(),
            help: f.help.clone().unwrap_or_default(),
            kind,
            target: f.target.to_string(),
            required: v.required.then(|| "on".into()),
            min_length: v.min_length.map(|n| n.to_string()).unwrap_or_default(),
            max_length: v.max_length.map(|n| n.to_string()).unwrap_or_default(),
            pattern: v.pattern.clone().unwrap_or_default(),
            pattern_hint: v.pattern_hint.clone().unwrap_or_default(),
            min: v.min.map(|n| n.to_string()).unwrap_or_default(),
            max: v.max.map(|n| n.to_string()).unwrap_or_default(),
            options: v.options.iter().map(|c| format!("{} = {}", c.value, c.label)).collect::<Vec<_>>().join("\n"),
            min_choices: v.min_choices.map(|n| n.to_string()).unwrap_or_default(),
            max_choices: v.max_choices.map(|n| n.to_string()).unwrap_or_default(),
            claims: f.claims.join(", "),
            user_editable: f.user_editable.then(|| "on".into()),
            purpose: f.consent.as_ref().map(|t| t.purpose.clone()).unwrap_or_default(),
            consent_version: f.consent.as_ref().map(|t| t.version.to_string()).unwrap_or_default(),
            reask: f.consent.as_ref().is_none_or(|t| t.reask).then(|| "on".into()),
            from: f.from.as_ref().map(|h| h.to_string()).unwrap_or_default(),
        }
    }

    /// The field, or what is wrong per input.
    pub(crate) fn to_field(&self) -> Result<Field, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let key = FieldKey::parse(self.key.trim()).map_err(|e| errors.insert("key".into(), e.to_string())).ok();
        let kind: Option<FieldKind> = serde_json::from_value(serde_json::Value::from(self.kind.trim()))
            .map_err(|_| errors.insert("kind".into(), "choose a kind of answer".into()))
            .ok();
        let target = self
            .target
            .trim()
            .parse()
            .map_err(|e: domain::profiling::field::InvalidTarget| errors.insert("target".into(), e.to_string()))
            .ok();
        let options = self
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match line.split_once('=') {
                Some((value, label)) => Choice { value: value.trim().to_string(), label: label.trim().to_string() },
                None => Choice { value: line.to_string(), label: line.to_string() },
            })
            .collect();
        let validation = Validation {
            required: self.required.is_some(),
            min_length: number(&self.min_length, "min_length", &mut errors),
            max_length: number(&self.max_length, "max_length", &mut errors),
            pattern: text(&self.pattern),
            pattern_hint: text(&self.pattern_hint),
            min: number(&self.min, "min", &mut errors),
            max: number(&self.max, "max", &mut errors),
            options,
            min_choices: number(&self.min_choices, "min_choices", &mut errors),
            max_choices: number(&self.max_choices, "max_choices", &mut errors),
        };
        let consent = match (kind, text(&self.purpose)) {
            (Some(FieldKind::Consent), Some(purpose)) => Some(ConsentTerms {
                purpose,
                version: number(&self.consent_version, "purpose", &mut errors).unwrap_or(1),
                reask: self.reask.is_some(),
            }),
            (Some(_), Some(_)) => {
                errors.insert("purpose".into(), "only a consent field has a purpose".into());
                None
            }
            _ => None,
        };
        let from = match text(&self.from) {
            None => None,
            Some(f) => f.parse().map_err(|e: String| errors.insert("from".into(), e)).ok(),
        };
        match (key, kind, target) {
            (Some(key), Some(kind), Some(target)) if errors.is_empty() => Ok(Field {
                key,
                label: self.label.trim().to_string(),
                help: text(&self.help),
                kind,
                target,
                validation,
                claims: list(&self.claims),
                user_editable: self.user_editable.is_some(),
                consent,
                from,
            }),
            _ => Err(errors),
        }
    }
}

/// One rule of the console's condition editor: a profile value (`target`), a test, a value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    pub target: String,
    /// One of [`RULE_TESTS`].
    pub test: String,
    /// For `equals`/`not_equals` a value; for `in`/`not_in` values separated by commas.
    /// Numbers and true/false are read as such, anything else as text.
    pub value: String,
}

/// The tests a rule can make, with their words.
pub const RULE_TESTS: [(&str, &str); 6] = [
    ("missing", "is missing"),
    ("exists", "is known"),
    ("equals", "is"),
    ("not_equals", "is not"),
    ("in", "is one of"),
    ("not_in", "is none of"),
];

fn rule_value(text: &str) -> serde_json::Value {
    let text = text.trim();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => v,
        _ => serde_json::Value::from(text),
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The condition the rules make: one rule alone, or all/any of them. `None`: no rule given.
pub(crate) fn rules_condition(join: &str, rules: &[RuleForm]) -> Result<Option<Condition>, String> {
    let mut conditions = Vec::new();
    for (i, rule) in rules.iter().enumerate().filter(|(_, r)| !r.target.trim().is_empty()) {
        let n = i + 1;
        let target = rule.target.trim().parse().map_err(|e: domain::profiling::field::InvalidTarget| format!("rule {n}: {e}"))?;
        let values = || rule.value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(rule_value).collect::<Vec<_>>();
        let needs_value = || if rule.value.trim().is_empty() { Err(format!("rule {n}: give a value to compare with")) } else { Ok(()) };
        let condition = match rule.test.as_str() {
            "missing" => Condition::Missing { target },
            "exists" => Condition::Exists { target },
            "equals" | "not_equals" => {
                needs_value()?;
                let equals = Condition::Equals { target, value: rule_value(&rule.value) };
                if rule.test == "equals" {
                    equals
                } else {
                    Condition::Not { condition: Box::new(equals) }
                }
            }
            "in" | "not_in" => {
                needs_value()?;
                let within = Condition::In { target, values: values() };
                if rule.test == "in" {
                    within
                } else {
                    Condition::Not { condition: Box::new(within) }
                }
            }
            _ => return Err(format!("rule {n}: choose a test")),
        };
        conditions.push(condition);
    }
    Ok(match (conditions.len(), join) {
        (0, _) => None,
        (1, _) => conditions.pop(),
        (_, "any") => Some(Condition::Any { conditions }),
        _ => Some(Condition::All { conditions }),
    })
}

/// A condition as the editor's rules, when it is one test or all/any of single tests (each
/// maybe negated); `None` for what only JSON can say.
pub(crate) fn condition_rows(condition: Option<&Condition>) -> Option<(&'static str, Vec<RuleForm>)> {
    fn row(c: &Condition) -> Option<RuleForm> {
        let rule = |target: &domain::profiling::Target, test: &str, value: String| RuleForm {
            target: target.to_string(),
            test: test.into(),
            value,
        };
        let list = |values: &[serde_json::Value]| values.iter().map(value_text).collect::<Vec<_>>().join(", ");
        Some(match c {
            Condition::Missing { target } => rule(target, "missing", String::new()),
            Condition::Exists { target } => rule(target, "exists", String::new()),
            Condition::Equals { target, value } => rule(target, "equals", value_text(value)),
            Condition::In { target, values } => rule(target, "in", list(values)),
            Condition::Not { condition } => match condition.as_ref() {
                Condition::Equals { target, value } => rule(target, "not_equals", value_text(value)),
                Condition::In { target, values } => rule(target, "not_in", list(values)),
                Condition::Missing { target } => rule(target, "exists", String::new()),
                Condition::Exists { target } => rule(target, "missing", String::new()),
                _ => return None,
            },
            _ => return None,
        })
    }
    match condition? {
        Condition::All { conditions } if !conditions.is_empty() => Some(("all", conditions.iter().map(row).collect::<Option<_>>()?)),
        Condition::Any { conditions } if !conditions.is_empty() => Some(("any", conditions.iter().map(row).collect::<Option<_>>()?)),
        single => Some(("all", vec![row(single)?])),
    }
}

/// The stage form as posted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageForm {
    pub key: String,
    pub title: String,
    pub intro: String,
    /// `signup`, `login` or `context`.
    pub trigger: String,
    pub min_logins: String,
    /// The last login a login stage is asked at (blank: every later one).
    pub max_logins: String,
    pub context_name: String,
    /// Comma-separated.
    pub context_tags: String,
    /// Field keys in the order asked, comma-separated.
    pub fields: String,
    /// How the condition's rules combine: `all` (the default) or `any`.
    pub condition_join: String,
    /// The condition as rules (`rules`), blank rows ignored.
    pub rules: Vec<RuleForm>,
    /// A condition the rules cannot express (nested combinations), as JSON
    /// (`{"op": "missing", "target": "user_metadata.company"}`); used when no rule is given.
    pub condition: String,
    pub skippable: Option<String>,
    pub cooldown_days: String,
    pub cooldown_logins: String,
    pub enabled: Option<String>,
    /// An external form's address; empty for a stage asked here.
    pub form_url: String,
    /// The external form's token lifetime in minutes; empty for the default.
    pub token_minutes: String,
}

impl StageForm {
    pub(crate) fn from_stage(s: &Stage) -> StageForm {
        let (trigger, min_logins, max_logins, context_name, context_tags) = match &s.trigger {
            Trigger::Signup => ("signup", String::new(), String::new(), String::new(), String::new()),
            Trigger::Login { min_logins, max_logins } => {
                ("login", min_logins.to_string(), max_logins.map(|n| n.to_string()).unwrap_or_default(), String::new(), String::new())
            }
            Trigger::Context { name, tags } => ("context", String::new(), String::new(), name.clone(), tags.join(", ")),
        };
        StageForm {
            key: s.key.to_string(),
            title: s.title.clone(),
            intro: s.intro.clone().unwrap_or_default(),
            trigger: trigger.into(),
            min_logins,
            max_logins,
            context_name,
            context_tags,
            // Steps, when there are, separated by `|`.
            fields: if s.steps.is_empty() {
                s.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")
            } else {
                s.steps.iter().map(|step| step.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")).collect::<Vec<_>>().join(" | ")
            },
            condition_join: condition_rows(s.when.as_ref()).map(|(join, _)| join.to_string()).unwrap_or_else(|| "all".into()),
            rules: condition_rows(s.when.as_ref()).map(|(_, rules)| rules).unwrap_or_default(),
            // Only what the rules cannot show is shown as JSON.
            condition: match condition_rows(s.when.as_ref()) {
                Some(_) => String::new(),
                None => s.when.as_ref().and_then(|c| serde_json::to_string(c).ok()).unwrap_or_default(),
            },
            skippable: s.skippable.then(|| "on".into()),
            cooldown_days: s.cooldown.days.map(|d| d.to_string()).unwrap_or_default(),
            cooldown_logins: s.cooldown.logins.map(|d| d.to_string()).unwrap_or_default(),
            enabled: s.enabled.then(|| "on".into()),
            form_url: s.external.as_ref().map(|f| f.url.clone()).unwrap_or_default(),
            token_minutes: s.external.as_ref().map(|f| f.token_minutes.to_string()).unwrap_or_default(),
        }
    }

    pub fn to_stage(&self) -> Result<Stage, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let key = StageKey::parse(self.key.trim()).map_err(|e| errors.insert("key".into(), e.to_string())).ok();
        let trigger = match self.trigger.trim() {
            "signup" => Some(Trigger::Signup),
            "login" => Some(Trigger::Login {
                min_logins: number(&self.min_logins, "min_logins", &mut errors).unwrap_or(1).max(1),
                max_logins: number(&self.max_logins, "max_logins", &mut errors),
            }),
            "context" => Some(Trigger::Context { name: self.context_name.trim().to_string(), tags: list(&self.context_tags) }),
            _ => {
                errors.insert("trigger".into(), "choose when the stage is shown".into());
                None
            }
        };
        let mut steps: Vec<Vec<FieldKey>> = Vec::new();
        for part in self.fields.split('|') {
            let mut step = Vec::new();
            for key in list(part) {
                match FieldKey::parse(&key) {
                    Ok(k) => step.push(k),
                    Err(e) => {
                        errors.insert("fields".into(), e.to_string());
                    }
                }
            }
            if !step.is_empty() {
                steps.push(step);
            }
        }
        let fields: Vec<FieldKey> = steps.iter().flatten().cloned().collect();
        if steps.len() < 2 {
            steps.clear();
        }
        let when = match rules_condition(&self.condition_join, &self.rules) {
            Err(problem) => {
                errors.insert("rules".into(), problem);
                None
            }
            Ok(Some(condition)) => Some(condition),
            Ok(None) => match text(&self.condition) {
                None => None,
                Some(json) => {
                    serde_json::from_str(&json).map_err(|e| errors.insert("condition".into(), format!("not a condition: {e}"))).ok()
                }
            },
        };
        let cooldown = Cooldown {
            days: number(&self.cooldown_days, "cooldown_days", &mut errors),
            logins: number(&self.cooldown_logins, "cooldown_logins", &mut errors),
        };
        let token_minutes = number(&self.token_minutes, "token_minutes", &mut errors);
        let external = text(&self.form_url).map(|url| ExternalForm { url, token_minutes: token_minutes.unwrap_or(10) });
        match (key, trigger) {
            (Some(key), Some(trigger)) if errors.is_empty() => Ok(Stage {
                key,
                title: self.title.trim().to_string(),
                intro: text(&self.intro),
                trigger,
                when,
                fields,
                steps,
                skippable: self.skippable.is_some(),
                cooldown,
                enabled: self.enabled.is_some(),
                external,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use sea_orm::DatabaseConnection;

    use domain::{
        profiling::edit::apply, profiling::edit::Edit, profiling::edit::EditError, profiling::ValidConfig, profiling::VersionedConfig,
    };
    use services::{
        profiling::load_versioned, profiling::replace_config, profiling::BasedOn, profiling::ConfigAudit, profiling::ProfilingError,
    };

    /// How often an edit that names no version is re-applied to a fresher read when other
    /// changes keep landing first: enough for a handful of editors saving at the same moment.
    const EDIT_ATTEMPTS: usize = 20;

    #[derive(Debug, thiserror::Error)]
    pub enum QuestionsError {
        #[error(transparent)]
        Edit(#[from] EditError),
        #[error(transparent)]
        Profiling(#[from] ProfilingError),
    }

    /// Applies `edit` to the stored configuration; the configuration after it.
    ///
    /// `based_on`: the revision the editor saw (the console always sends it; API callers with
    /// `If-Match`). If the configuration changed since, nothing is saved and the error is
    /// [`ProfilingError::ConfigChanged`]. Without it the edit is applied to what is stored
    /// now — re-applied on a fresh read if another change lands in between, so two editors
    /// adding different fields at once both keep theirs.
    #[tracing::instrument(skip(db))]
    pub async fn edit(
        db: &DatabaseConnection,
        edit: Edit,
        actor: services::audit::Actor<'_>,
        based_on: Option<i64>,
    ) -> Result<VersionedConfig, QuestionsError> {
        let what = format!("{edit:?}").chars().take(80).collect::<String>();
        for _attempt in 0..EDIT_ATTEMPTS {
            // Reading while others keep saving can itself find the questions changed (the
            // read is retried a few times, then gives up): one more attempt, like a lost race.
            let current = match load_versioned(db).await {
                Ok(current) => current,
                Err(ProfilingError::ConfigChanged) if based_on.is_none() => continue,
                Err(e) => return Err(e.into()),
            };
            if based_on.is_some_and(|v| v != current.version) {
                return Err(ProfilingError::ConfigChanged.into());
            }
            let next = apply(&current.config, edit.clone())?;
            let audit =
                ConfigAudit { actor, action: services::audit::Action::QuestionsChanged, details: serde_json::json!({ "edit": what }) };
            match replace_config(db, &next, BasedOn::Version(current.version), Some(audit)).await {
                Ok(version) => return Ok(VersionedConfig { version, config: next.into_inner() }),
                Err(ProfilingError::ConfigChanged) if based_on.is_none() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ProfilingError::ConfigChanged.into())
    }

    /// Replaces the whole configuration (API import) with one that passed the checks, if it
    /// is still `based_on` what is stored (when given).
    pub async fn import(
        db: &DatabaseConnection,
        config: ValidConfig,
        actor: services::audit::Actor<'_>,
        based_on: Option<i64>,
    ) -> Result<VersionedConfig, QuestionsError> {
        let audit = ConfigAudit { actor, action: services::audit::Action::QuestionsImported, details: serde_json::json!({}) };
        let based_on = based_on.map_or(BasedOn::Anything, BasedOn::Version);
        let version = replace_config(db, &config, based_on, Some(audit)).await?;
        Ok(VersionedConfig { version, config: config.into_inner() })
    }

    #[cfg(all(test, feature = "test-support"))]
    mod tests {
        use sea_orm::{EntityTrait, PaginatorTrait};

        use super::*;
        use domain::{profiling::Field, profiling::FieldKey, profiling::FieldKind, profiling::ProfilingConfig};
        use services::{entities::audit_log, profiling::seed_defaults_if_empty};

        fn text_field(key: &str) -> Field {
            Field {
                key: FieldKey::parse(key).unwrap(),
                label: key.to_string(),
                help: None,
                kind: FieldKind::Text,
                target: format!("user_metadata.{key}").parse().unwrap(),
                validation: Default::default(),
                claims: vec![],
                user_editable: true,
                consent: None,
                from: None,
            }
        }

        static ADMIN_ID: std::sync::LazyLock<domain::user_id::UserId> =
            std::sync::LazyLock::new(|| domain::user_id::UserId::from_stored("u1"));

        fn admin() -> services::audit::Actor<'static> {
            services::audit::Actor::Admin(&ADMIN_ID)
        }

        services::db_test!(an_edit_from_an_older_revision_is_refused_and_writes_nothing, |db| {
            seed_defaults_if_empty(db).await.unwrap();
            let seen = load_versioned(db).await.unwrap();
            let first =
                edit(db, Edit::SaveField { original: None, field: text_field("first") }, admin(), Some(seen.version)).await.unwrap();
            assert_eq!(first.version, seen.version + 1);
            // A second editor who opened the page at the same moment.
            let err =
                edit(db, Edit::SaveField { original: None, field: text_field("second") }, admin(), Some(seen.version)).await.unwrap_err();
            assert!(matches!(err, QuestionsError::Profiling(ProfilingError::ConfigChanged)), "{err:?}");
            let now = load_versioned(db).await.unwrap();
            assert_eq!(now.version, first.version);
            assert!(now.config.field(&FieldKey::parse("first").unwrap()).is_some());
            assert!(now.config.field(&FieldKey::parse("second").unwrap()).is_none());
            // The refused change left no audit entry; the saved one left exactly one.
            assert_eq!(audit_log::Entity::find().count(db).await.unwrap(), 1);
            // An import from an older revision is refused too; from the current one it lands.
            let err = import(db, ValidConfig::defaults(), admin(), Some(seen.version)).await.unwrap_err();
            assert!(matches!(err, QuestionsError::Profiling(ProfilingError::ConfigChanged)));
            let imported = import(db, ValidConfig::defaults(), admin(), Some(now.version)).await.unwrap();
            assert_eq!(imported.version, now.version + 1);
            assert_eq!(load_versioned(db).await.unwrap().config, ProfilingConfig::defaults());
        });

        services::db_test!(racing_editors_without_a_version_all_keep_their_change, |db| {
            seed_defaults_if_empty(db).await.unwrap();
            let before = load_versioned(db).await.unwrap();
            let edits: Vec<_> = (0..8)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        edit(&db, Edit::SaveField { original: None, field: text_field(&format!("racer_{i}")) }, admin(), None).await
                    })
                })
                .collect();
            for racer in edits {
                racer.await.unwrap().unwrap();
            }
            let after = load_versioned(db).await.unwrap();
            for i in 0..8 {
                assert!(after.config.field(&FieldKey::parse(&format!("racer_{i}")).unwrap()).is_some(), "racer_{i} lost");
            }
            assert_eq!(after.version, before.version + 8);
            assert_eq!(audit_log::Entity::find().count(db).await.unwrap(), 8);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::profiling::ProfilingConfig;

    #[test]
    fn row_actions_become_edits_and_unknown_ones_are_refused() {
        let key = FieldKey::parse("company").unwrap();
        assert_eq!(edit_from_action("field", "company", "up"), Ok(Edit::MoveField(key.clone(), Direction::Up)));
        assert_eq!(edit_from_action("stage", "company", "disable"), Ok(Edit::SetStageEnabled(key, false)));
        assert_eq!(edit_from_action("field", "company", "enable"), Err("Unknown action.".into()));
        assert!(edit_from_action("field", "Not A Key", "up").is_err());
    }

    #[test]
    fn the_field_form_round_trips_and_reports_per_input() {
        for field in &ProfilingConfig::defaults().fields {
            assert_eq!(&FieldForm::from_field(field).to_field().unwrap(), field);
        }
        let bad = FieldForm {
            key: "Bad Key".into(),
            kind: "text".into(),
            target: "app_metadata.plan".into(),
            max_length: "ten".into(),
            ..Default::default()
        };
        let errors = bad.to_field().unwrap_err();
        assert!(errors.contains_key("key") && errors.contains_key("target") && errors.contains_key("max_length"), "{errors:?}");
        let choices = FieldForm {
            key: "size".into(),
            label: "Size".into(),
            kind: "dropdown".into(),
            target: "user_metadata.size".into(),
            options: "s = Small\nm\n".into(),
            ..Default::default()
        };
        let field = choices.to_field().unwrap();
        assert_eq!(field.validation.options[1].label, "m");
    }

    #[test]
    fn conditions_round_trip_through_the_rule_editor_and_nested_ones_stay_json() {
        let rules = |json: serde_json::Value| -> Condition { serde_json::from_value(json).unwrap() };
        let shown_as_rules = [
            rules(serde_json::json!({"op": "missing", "target": "user_metadata.company"})),
            rules(serde_json::json!({"op": "any", "conditions": [
                {"op": "equals", "target": "user_metadata.seats", "value": 10},
                {"op": "not", "condition": {"op": "in", "target": "user_metadata.plan", "values": ["free", "trial"]}}]})),
        ];
        for condition in shown_as_rules {
            let mut stage = ProfilingConfig::defaults().stages[1].clone();
            stage.when = Some(condition.clone());
            let form = StageForm::from_stage(&stage);
            assert!(form.condition.is_empty() && !form.rules.is_empty(), "{form:?}");
            assert_eq!(form.to_stage().unwrap().when, Some(condition));
        }
        let nested = rules(serde_json::json!({"op": "all", "conditions": [
            {"op": "exists", "target": "given_name"},
            {"op": "any", "conditions": [{"op": "missing", "target": "locale"}, {"op": "equals", "target": "locale", "value": "fr"}]}]}));
        let mut stage = ProfilingConfig::defaults().stages[1].clone();
        stage.when = Some(nested.clone());
        let form = StageForm::from_stage(&stage);
        assert!(form.rules.is_empty() && !form.condition.is_empty(), "nested: JSON");
        assert_eq!(form.to_stage().unwrap().when, Some(nested));
        let wrong = [RuleForm { target: "user_metadata.plan".into(), test: "equals".into(), value: " ".into() }];
        assert_eq!(rules_condition("all", &wrong), Err("rule 1: give a value to compare with".into()));
        let blank = [RuleForm::default(), RuleForm::default()];
        assert_eq!(rules_condition("any", &blank), Ok(None), "blank rows are no rule");
    }

    #[test]
    fn the_stage_form_round_trips_and_reports_per_input() {
        for stage in &ProfilingConfig::defaults().stages {
            assert_eq!(&StageForm::from_stage(stage).to_stage().unwrap(), stage);
        }
        let bad = StageForm { key: "s".into(), trigger: "sometimes".into(), condition: "{".into(), ..Default::default() };
        let errors = bad.to_stage().unwrap_err();
        assert!(errors.contains_key("trigger") && errors.contains_key("condition"), "{errors:?}");
    }

    #[test]
    fn problems_land_next_to_their_inputs() {
        let problems = vec![
            ConfigProblem { location: "fields.a.validation.pattern".into(), message: "invalid regular expression".into() },
            ConfigProblem { location: "fields.a".into(), message: "duplicate field key".into() },
            ConfigProblem { location: "fields.ab.label".into(), message: "other field".into() },
            ConfigProblem { location: "stages.s.fields".into(), message: "a stage needs at least one field".into() },
        ];
        let by_input = problems_by_input(&problems, "fields.a");
        assert_eq!(by_input["pattern"], "invalid regular expression");
        assert_eq!(by_input["key"], "duplicate field key");
        assert!(by_input[""].contains("stages.s.fields") && by_input[""].contains("fields.ab.label"));
    }
}
