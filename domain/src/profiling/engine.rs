//! The decision: given the profile, what was asked before, and the moment, which stage to
//! show now and which of its fields — only the unknown ones. Pure and deterministic (the
//! clock is an input), shared by the server and the browser.
//!
//! Rules, in the order they apply:
//! 1. A field is *known* when its target has a value, or a linked identity's claim listed in
//!    the field's `claims` has one — then the value is copied in (see
//!    [`Decision::from_claims`]) and never asked. A field left blank when its stage was
//!    answered is *declined* and not asked again either. Except a consent agreed to an older
//!    version of its purpose, when the field asks again on a new version
//!    ([`super::consent::needs_asking_again`]): that one is unknown again.
//! 2. Candidate stages: enabled, trigger matching the moment, `when` condition true, not in
//!    a skip cooldown. In configuration order — except that at a login the required
//!    (unskippable) stages come before the others.
//! 3. A candidate whose fields are all known or declined completes silently; the next one
//!    is tried.
//! 4. At login time at most one stage per login: if one was already shown at this login it
//!    is shown again until answered or skipped, and no other is started.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    field::{is_present, Field, FieldKey, Target},
    stage::{Condition, Stage, StageKey, Trigger},
};
use crate::profile::RootAttribute;

/// Fields and stages, stages in the order they are considered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfilingConfig {
    pub fields: Vec<Field>,
    pub stages: Vec<Stage>,
}

/// The configuration with the revision it was read at: what an editor starts from, and
/// says again when saving, so that a change based on an older revision is refused
/// (`services::profiling::replace_config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionedConfig {
    pub version: i64,
    pub config: ProfilingConfig,
}

impl ProfilingConfig {
    pub fn field(&self, key: &FieldKey) -> Option<&Field> {
        self.fields.iter().find(|f| &f.key == key)
    }

    pub fn stage(&self, key: &StageKey) -> Option<&Stage> {
        self.stages.iter().find(|s| &s.key == key)
    }
}

/// A linked identity's raw claims: `(connection, claims)`.
pub type IdentityClaims = (String, Map<String, Value>);

/// What the engine needs to know about a person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileFacts {
    pub root: BTreeMap<RootAttribute, Value>,
    pub user_metadata: Map<String, Value>,
    /// Raw claims of each linked identity, in link order.
    pub identity_claims: Vec<IdentityClaims>,
    pub logins_count: u32,
    /// The latest recorded word on each consent field (`consent_records`).
    pub consents: BTreeMap<FieldKey, super::consent::GivenConsent>,
}

impl ProfileFacts {
    pub fn value(&self, target: &Target) -> Option<&Value> {
        match target {
            Target::Root(attr) => self.root.get(attr),
            Target::UserMetadata(key) => self.user_metadata.get(key),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Shown,
    Answered,
    Skipped,
    /// Shown, then left without answering or skipping.
    Abandoned,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Shown => "shown",
            EventKind::Answered => "answered",
            EventKind::Skipped => "skipped",
            EventKind::Abandoned => "abandoned",
        }
    }

    /// The stored form back (`None` for a kind this version does not know).
    pub fn parse(text: &str) -> Option<EventKind> {
        [EventKind::Shown, EventKind::Answered, EventKind::Skipped, EventKind::Abandoned].into_iter().find(|k| k.as_str() == text)
    }
}

/// Something that happened with a stage before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastEvent {
    pub stage: StageKey,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// `logins_count` when it happened.
    pub login_number: u32,
    /// For `Answered`: the fields left blank (declined).
    #[serde(default)]
    pub declined: Vec<FieldKey>,
}

/// The moment a decision is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "moment", rename_all = "snake_case")]
pub enum Moment {
    /// The first login of a new account.
    Signup,
    /// A later login; `number` is the login count including this one.
    Login { number: u32 },
    /// A place in the app.
    Context { name: String, tags: Vec<String> },
}

impl Moment {
    fn is_login_time(&self) -> bool {
        matches!(self, Moment::Signup | Moment::Login { .. })
    }
}

/// A stage to show and the fields of it to ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    pub stage: StageKey,
    pub title: String,
    pub intro: Option<String>,
    pub skippable: bool,
    pub fields: Vec<Field>,
    /// Asked by a form on another site (`/forms/{stage}/start` sends the person there).
    #[serde(default)]
    pub external: bool,
    /// A multi-step stage: the keys of `fields` by step, steps with nothing to ask left out.
    /// Empty or one step: one page.
    #[serde(default)]
    pub steps: Vec<Vec<FieldKey>>,
    /// Where the person is in a multi-step stage (0-based) and what they typed in earlier
    /// steps (form values by field key), from their session (`ssr::steps`); set by the server,
    /// not the engine.
    #[serde(default)]
    pub step: usize,
    #[serde(default)]
    pub typed: std::collections::BTreeMap<String, Vec<String>>,
}

impl Prompt {
    /// The number of pages the form has.
    pub fn step_count(&self) -> usize {
        self.steps.len().max(1)
    }

    /// The fields of step `i` (all of them for a one-page stage).
    pub fn fields_of_step(&self, i: usize) -> Vec<Field> {
        match self.steps.get(i) {
            Some(keys) if self.steps.len() > 1 => self.fields.iter().filter(|f| keys.contains(&f.key)).cloned().collect(),
            _ => self.fields.clone(),
        }
    }
}

/// A value a linked identity's claim supplies for a field whose target is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimFill {
    pub field: FieldKey,
    pub target: Target,
    pub value: Value,
    pub connection: String,
    pub claim: String,
}

/// Why a stage or field was not asked, for the site owner's simulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotAsked {
    StageDisabled {
        stage: StageKey,
    },
    StageNotForThisMoment {
        stage: StageKey,
    },
    ConditionNotMet {
        stage: StageKey,
        /// The tests that failed, in words (`condition_failures`).
        #[serde(default)]
        failed: Vec<String>,
    },
    StageInCooldown {
        stage: StageKey,
        until: Option<DateTime<Utc>>,
        until_login: Option<u32>,
    },
    StageSkippedForGood {
        stage: StageKey,
    },
    /// At most one login-time stage per login.
    LoginStageAlreadyShown {
        stage: StageKey,
    },
    /// Another stage comes first.
    LaterStage {
        stage: StageKey,
    },
    Known {
        field: FieldKey,
        source: KnownFrom,
    },
    Declined {
        field: FieldKey,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum KnownFrom {
    Profile,
    Claim { connection: String, claim: String },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub prompt: Option<Prompt>,
    /// Copy these into the profile (with `claim:` provenance) whatever is shown.
    pub from_claims: Vec<ClaimFill>,
    /// Stages whose fields turned out all known: completed without asking.
    pub completed_silently: Vec<StageKey>,
    pub not_asked: Vec<NotAsked>,
}

/// The engine's one entry point.
pub fn decide(config: &ProfilingConfig, facts: &ProfileFacts, history: &[PastEvent], moment: &Moment, now: DateTime<Utc>) -> Decision {
    let mut decision = Decision::default();
    let (known, fills) = known_fields(config, facts);
    decision.from_claims = fills;
    let declined = declined_fields(history);

    // Rule 4: a login-time stage already shown at this login.
    if moment.is_login_time() {
        let login_number = facts.logins_count;
        let this_login: Vec<&PastEvent> =
            history.iter().filter(|e| e.login_number == login_number && config.stage(&e.stage).is_some_and(is_login_stage)).collect();
        if let Some(shown) = this_login.iter().find(|e| e.kind == EventKind::Shown) {
            let settled = this_login.iter().any(|e| e.stage == shown.stage && e.kind != EventKind::Shown);
            let stage = config.stage(&shown.stage);
            match stage {
                Some(stage) if !settled && stage.enabled && cooldown(stage, history, login_number, now).is_none() => {
                    let fields = unknown_fields(config, stage, &known, &declined, &mut Vec::new());
                    if !fields.is_empty() {
                        decision.prompt = Some(prompt(stage, fields));
                        return decision;
                    }
                }
                _ => {}
            }
            decision.not_asked.push(NotAsked::LoginStageAlreadyShown { stage: shown.stage.clone() });
            return decision;
        }
    }

    // Required stages first at a login: a person is held until they answer one
    // (`super::required`), so an optional stage before it must not keep it from being asked.
    let required_first: Vec<&Stage> = if moment.is_login_time() {
        let (required, optional): (Vec<&Stage>, Vec<&Stage>) = config.stages.iter().partition(|s| super::required::holds(s));
        required.into_iter().chain(optional).collect()
    } else {
        config.stages.iter().collect()
    };
    for stage in required_first {
        if decision.prompt.is_some() {
            if stage_applies(stage, moment) && stage.enabled {
                decision.not_asked.push(NotAsked::LaterStage { stage: stage.key.clone() });
            }
            continue;
        }
        if !stage.enabled {
            decision.not_asked.push(NotAsked::StageDisabled { stage: stage.key.clone() });
            continue;
        }
        if !stage_applies(stage, moment) {
            decision.not_asked.push(NotAsked::StageNotForThisMoment { stage: stage.key.clone() });
            continue;
        }
        if let Some(condition) = &stage.when {
            if !condition_holds(condition, facts) {
                decision
                    .not_asked
                    .push(NotAsked::ConditionNotMet { stage: stage.key.clone(), failed: condition_failures(condition, facts) });
                continue;
            }
        }
        if let Some(blocked) = cooldown(stage, history, facts.logins_count, now) {
            decision.not_asked.push(blocked);
            continue;
        }
        let mut reasons = Vec::new();
        let fields = unknown_fields(config, stage, &known, &declined, &mut reasons);
        decision.not_asked.extend(reasons);
        if fields.is_empty() {
            decision.completed_silently.push(stage.key.clone());
            continue;
        }
        decision.prompt = Some(prompt(stage, fields));
    }
    decision
}

/// Login-time stages shown at an earlier login and then neither answered, skipped nor
/// already marked abandoned: the person left them. Recorded as `abandoned` for the site
/// owner's analytics; the decision itself treats them as never settled.
pub fn newly_abandoned(config: &ProfilingConfig, history: &[PastEvent], logins_count: u32) -> Vec<StageKey> {
    let mut out: Vec<StageKey> = Vec::new();
    for (i, shown) in history.iter().enumerate() {
        let earlier_login = shown.login_number < logins_count;
        let login_stage = config.stage(&shown.stage).is_some_and(is_login_stage);
        if shown.kind != EventKind::Shown || !earlier_login || !login_stage || out.contains(&shown.stage) {
            continue;
        }
        let settled = history[i + 1..].iter().any(|later| later.stage == shown.stage && later.kind != EventKind::Shown);
        if !settled {
            out.push(shown.stage.clone());
        }
    }
    out
}

fn is_login_stage(stage: &Stage) -> bool {
    matches!(stage.trigger, Trigger::Signup | Trigger::Login { .. })
}

fn prompt(stage: &Stage, fields: Vec<Field>) -> Prompt {
    // The steps with something left to ask, in order.
    let steps: Vec<Vec<FieldKey>> = stage
        .steps
        .iter()
        .map(|step| step.iter().filter(|k| fields.iter().any(|f| &f.key == *k)).cloned().collect::<Vec<_>>())
        .filter(|step: &Vec<FieldKey>| !step.is_empty())
        .collect();
    Prompt {
        steps: if steps.len() > 1 { steps } else { Vec::new() },
        step: 0,
        typed: Default::default(),
        stage: stage.key.clone(),
        title: stage.title.clone(),
        intro: stage.intro.clone(),
        skippable: stage.skippable,
        fields,
        external: stage.external.is_some(),
    }
}

fn stage_applies(stage: &Stage, moment: &Moment) -> bool {
    match (&stage.trigger, moment) {
        (Trigger::Signup, Moment::Signup) => true,
        // The signup is login number one.
        (trigger @ Trigger::Login { .. }, Moment::Signup) => trigger.covers_login(1),
        (trigger @ Trigger::Login { .. }, Moment::Login { number }) => trigger.covers_login(*number),
        (Trigger::Context { name, tags }, Moment::Context { name: here, tags: here_tags }) => {
            name == here && (tags.is_empty() || tags.iter().any(|t| here_tags.contains(t)))
        }
        _ => false,
    }
}

/// Known field keys (with where from), and the claim values to copy in.
fn known_fields(config: &ProfilingConfig, facts: &ProfileFacts) -> (BTreeMap<FieldKey, KnownFrom>, Vec<ClaimFill>) {
    let mut known = BTreeMap::new();
    let mut fills = Vec::new();
    for field in &config.fields {
        if super::consent::needs_asking_again(field, facts.consents.get(&field.key)) {
            continue;
        }
        if is_present(facts.value(&field.target)) {
            known.insert(field.key.clone(), KnownFrom::Profile);
            continue;
        }
        let from_claim = field.claims.iter().find_map(|claim| {
            facts.identity_claims.iter().find_map(|(connection, claims)| {
                claims.get(claim).filter(|v| is_present(Some(v))).map(|v| (connection.clone(), claim.clone(), v.clone()))
            })
        });
        if let Some((connection, claim, value)) = from_claim {
            known.insert(field.key.clone(), KnownFrom::Claim { connection: connection.clone(), claim: claim.clone() });
            fills.push(ClaimFill { field: field.key.clone(), target: field.target.clone(), value, connection, claim });
        }
    }
    (known, fills)
}

/// Fields left blank when their stage was answered, with when.
fn declined_fields(history: &[PastEvent]) -> BTreeMap<FieldKey, DateTime<Utc>> {
    let mut declined = BTreeMap::new();
    for event in history.iter().filter(|e| e.kind == EventKind::Answered) {
        for field in &event.declined {
            declined.insert(field.clone(), event.at);
        }
    }
    declined
}

fn unknown_fields(
    config: &ProfilingConfig,
    stage: &Stage,
    known: &BTreeMap<FieldKey, KnownFrom>,
    declined: &BTreeMap<FieldKey, DateTime<Utc>>,
    reasons: &mut Vec<NotAsked>,
) -> Vec<Field> {
    let mut seen = BTreeSet::new();
    let mut fields = Vec::new();
    for key in &stage.fields {
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(field) = config.field(key) else { continue };
        // Never asked: taken from the context when the stage is answered.
        if field.kind == super::FieldKind::Hidden {
            continue;
        }
        if let Some(source) = known.get(key) {
            reasons.push(NotAsked::Known { field: key.clone(), source: source.clone() });
        } else if let Some(at) = declined.get(key) {
            reasons.push(NotAsked::Declined { field: key.clone(), at: *at });
        } else {
            fields.push(field.clone());
        }
    }
    fields
}

pub(crate) fn condition_holds(condition: &Condition, facts: &ProfileFacts) -> bool {
    match condition {
        Condition::Exists { target } => is_present(facts.value(target)),
        Condition::Missing { target } => !is_present(facts.value(target)),
        Condition::Equals { target, value } => facts.value(target) == Some(value),
        Condition::In { target, values } => facts.value(target).is_some_and(|v| values.contains(v)),
        Condition::All { conditions } => conditions.iter().all(|c| condition_holds(c, facts)),
        Condition::Any { conditions } => conditions.iter().any(|c| condition_holds(c, facts)),
        Condition::Not { condition } => !condition_holds(condition, facts),
    }
}

/// Why `condition` does not hold for this profile, in the site owner's words: the tests that
/// failed, each with the value the profile has ("user_metadata.plan is “pro” — it is “free”").
pub(crate) fn condition_failures(condition: &Condition, facts: &ProfileFacts) -> Vec<String> {
    if condition_holds(condition, facts) {
        return Vec::new();
    }
    let actual = |target: &super::Target| match facts.value(target) {
        Some(v) if is_present(Some(v)) => format!("it is {v}"),
        _ => "it is missing".to_string(),
    };
    match condition {
        Condition::Exists { target } | Condition::Missing { target } | Condition::Equals { target, .. } | Condition::In { target, .. } => {
            vec![format!("{} — {}", condition.describe(), actual(target))]
        }
        // Every failing part of an `all`; for an `any`, all of them failed.
        Condition::All { conditions } | Condition::Any { conditions } => {
            conditions.iter().flat_map(|c| condition_failures(c, facts)).collect()
        }
        Condition::Not { condition: inner } => vec![format!("{} — it does, and the stage asks for it not to", inner.describe())],
    }
}

/// Whether a stage asked in context was already counted as shown to this person in its
/// current window: since it was last answered or skipped, within the stage's cooldown in days
/// (one day when it has none). "Shown" counts people who saw a question, not page views: a
/// reader who opens ten articles in an afternoon was shown the question once.
pub fn shown_in_window(stage: &Stage, history: &[PastEvent], now: DateTime<Utc>) -> bool {
    let window = Duration::days(i64::from(stage.cooldown.days.unwrap_or(1).max(1)));
    let last_decided =
        history.iter().filter(|e| e.stage == stage.key && matches!(e.kind, EventKind::Skipped | EventKind::Answered)).map(|e| e.at).max();
    history
        .iter()
        .any(|e| e.stage == stage.key && e.kind == EventKind::Shown && now - e.at < window && last_decided.is_none_or(|d| e.at >= d))
}

/// `Some(reason)` when the stage's last skip still holds.
fn cooldown(stage: &Stage, history: &[PastEvent], logins_count: u32, now: DateTime<Utc>) -> Option<NotAsked> {
    // The most recent decisive event: an answer lifts an earlier skip.
    let last = history
        .iter()
        .filter(|e| e.stage == stage.key && matches!(e.kind, EventKind::Skipped | EventKind::Answered))
        .max_by_key(|e| (e.at, e.login_number))?;
    if last.kind != EventKind::Skipped {
        return None;
    }
    let c = stage.cooldown;
    if c.days.is_none() && c.logins.is_none() {
        return Some(NotAsked::StageSkippedForGood { stage: stage.key.clone() });
    }
    let until = c.days.map(|d| last.at + Duration::days(i64::from(d)));
    let until_login = c.logins.map(|n| last.login_number.saturating_add(n));
    let waiting_days = until.is_some_and(|u| now < u);
    let waiting_logins = until_login.is_some_and(|n| logins_count < n);
    (waiting_days || waiting_logins).then(|| NotAsked::StageInCooldown { stage: stage.key.clone(), until, until_login })
}
