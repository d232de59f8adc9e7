//! The schema-change report: after a stage or field is added or changed, what the engine
//! would now do with everyone who has an account — how many it would ask the stage, at which
//! moment, how many a provider's claims already answer, how many have nothing left to ask.
//!
//! It runs the engine itself ([`decide`]) over each person, so the numbers are the engine's
//! own and never drift from it; nothing is recorded. Pure: the server streams people in
//! batches (`ssr::change_report`) and adds each one here ([`Tally::add`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    engine::{decide, Moment, PastEvent, ProfileFacts, ProfilingConfig},
    field::{is_present, FieldKey},
    stage::{Stage, StageKey, Trigger},
};

/// What the engine would do with one stage, over everyone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub stage: StageKey,
    /// When the stage would be shown, in words.
    pub moment: String,
    /// Everyone with an account.
    pub people: u64,
    /// The engine would show the stage at that moment (with at least one field to ask).
    pub asked: u64,
    /// Of `asked`: another stage comes first at that moment, so they see this one later.
    pub after_another_stage: u64,
    /// At least one of the stage's fields is answered by a linked provider's claims (copied
    /// in at their next visit, never asked).
    pub answered_by_claims: u64,
    /// Every field known (from the profile or claims): the stage completes without a word.
    pub nothing_to_ask: u64,
    /// Not asked for another reason: the stage's condition, a skip's cooldown, fields they
    /// declined, or the stage is disabled.
    pub held_back: u64,
    pub fields: Vec<FieldReach>,
    /// How long the report took, in milliseconds.
    pub elapsed_ms: u64,
}

/// One field of the stage, over everyone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReach {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub field: FieldKey,
    pub label: String,
    /// Would be asked it with the stage.
    pub asked: u64,
    /// Already have a value on their profile.
    pub on_profile: u64,
    /// Have no value but a linked provider's claim supplies one.
    pub from_claims: u64,
}

/// The moment the stage would next meet a person who has logged in `logins` times.
fn moment_for(stage: &Stage, logins: u32) -> (Moment, u32) {
    let next = logins.saturating_add(1);
    match &stage.trigger {
        Trigger::Signup => (Moment::Signup, next),
        Trigger::Login { min_logins, .. } => (Moment::Login { number: next.max(*min_logins) }, next.max(*min_logins)),
        Trigger::Context { name, tags } => (Moment::Context { name: name.clone(), tags: tags.clone() }, logins),
    }
}

/// The moment, in the site owner's words.
pub(crate) fn moment_words(stage: &Stage) -> String {
    match &stage.trigger {
        // Existing people signed up already: their numbers say how the people you have
        // would fare, i.e. what new sign-ups of the same kind will see.
        Trigger::Signup => "at sign-up (counted as if each person signed up now)".into(),
        Trigger::Login { min_logins, max_logins: Some(max) } if max == min_logins => {
            format!("at each person's sign-in number {min_logins} only (those past it are not asked)")
        }
        Trigger::Login { min_logins, max_logins: Some(max) } => {
            format!("at each person's next sign-in, from their sign-in number {min_logins} to number {max}")
        }
        Trigger::Login { min_logins, .. } if *min_logins <= 1 => "at each person's next sign-in".into(),
        Trigger::Login { min_logins, .. } => format!("at each person's next sign-in, from their sign-in number {min_logins}"),
        Trigger::Context { name, tags } if tags.is_empty() => format!("on their next visit to a page of context “{name}”"),
        Trigger::Context { name, tags } => format!("on their next visit to a page of context “{name}” tagged {}", tags.join(", ")),
    }
}

/// The report being added up, one person at a time.
pub struct Tally<'c> {
    config: &'c ProfilingConfig,
    /// The configuration with only this stage: what the stage alone would do.
    alone: ProfilingConfig,
    stage: &'c Stage,
    report: ChangeReport,
}

impl<'c> Tally<'c> {
    /// `None` when the configuration has no such stage.
    pub fn new(config: &'c ProfilingConfig, stage: &StageKey) -> Option<Tally<'c>> {
        let stage = config.stage(stage)?;
        let alone = ProfilingConfig { fields: config.fields.clone(), stages: vec![stage.clone()] };
        let fields = stage
            .fields
            .iter()
            .filter_map(|k| config.field(k))
            .map(|f| FieldReach { field: f.key.clone(), label: f.label.clone(), asked: 0, on_profile: 0, from_claims: 0 })
            .collect();
        let report = ChangeReport {
            stage: stage.key.clone(),
            moment: moment_words(stage),
            people: 0,
            asked: 0,
            after_another_stage: 0,
            answered_by_claims: 0,
            nothing_to_ask: 0,
            held_back: 0,
            fields,
            elapsed_ms: 0,
        };
        Some(Tally { config, alone, stage, report })
    }

    /// Adds one person: their facts and prompt history as the engine reads them.
    pub fn add(&mut self, mut facts: ProfileFacts, history: &[PastEvent], now: DateTime<Utc>) {
        let (moment, login_number) = moment_for(self.stage, facts.logins_count);
        let report = &mut self.report;
        report.people += 1;
        for reach in &mut report.fields {
            if self.config.field(&reach.field).is_some_and(|f| is_present(facts.value(&f.target))) {
                reach.on_profile += 1;
            }
        }
        // At the moment considered, their login count is that login's number (no stage was
        // shown at it yet).
        facts.logins_count = login_number;

        let alone = decide(&self.alone, &facts, history, &moment, now);
        for reach in &mut report.fields {
            if alone.from_claims.iter().any(|f| f.field == reach.field) {
                reach.from_claims += 1;
            }
        }
        if alone.from_claims.iter().any(|f| self.stage.fields.contains(&f.field)) {
            report.answered_by_claims += 1;
        }
        match &alone.prompt {
            Some(prompt) => {
                report.asked += 1;
                for reach in &mut report.fields {
                    if prompt.fields.iter().any(|f| f.key == reach.field) {
                        reach.asked += 1;
                    }
                }
                let first = decide(self.config, &facts, history, &moment, now);
                if first.prompt.as_ref().is_some_and(|p| p.stage != self.stage.key) {
                    report.after_another_stage += 1;
                }
            }
            None if alone.completed_silently.contains(&self.stage.key) => report.nothing_to_ask += 1,
            None => report.held_back += 1,
        }
    }

    pub fn finish(mut self, elapsed_ms: u64) -> ChangeReport {
        self.report.elapsed_ms = elapsed_ms;
        self.report
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::{profile::RootAttribute, profiling::engine::EventKind};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
    }

    fn key(s: &str) -> FieldKey {
        FieldKey::parse(s).unwrap()
    }

    /// Someone who told their name (so the name stage has nothing to ask them).
    fn person(logins: u32, metadata: serde_json::Value, claims: serde_json::Value) -> ProfileFacts {
        let root = [(RootAttribute::GivenName, json!("Ada")), (RootAttribute::FamilyName, json!("King"))].into_iter().collect();
        ProfileFacts {
            root,
            logins_count: logins,
            user_metadata: metadata.as_object().cloned().unwrap_or_default(),
            identity_claims: claims.as_object().map(|c| vec![("google".to_string(), c.clone())]).unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn counts_what_the_engine_would_do_with_each_person() {
        let config = ProfilingConfig::defaults();
        let mut tally = Tally::new(&config, &key("work")).unwrap();
        // Knows both work fields: nothing to ask.
        tally.add(person(3, json!({"company": "Acme", "job_title": "CTO"}), json!({})), &[], now());
        // A claim answers the job title: asked only the company.
        tally.add(person(3, json!({}), json!({"job_title": "Analyst"})), &[], now());
        // Knows nothing; skipped the stage yesterday (cooldown 7 days): held back.
        let skipped = PastEvent {
            stage: key("work"),
            kind: EventKind::Skipped,
            at: now() - chrono::Duration::days(1),
            login_number: 3,
            declined: vec![],
        };
        tally.add(person(3, json!({}), json!({})), &[skipped], now());
        // One login so far, no name: the name stage comes first at their next sign-in.
        tally.add(ProfileFacts { logins_count: 1, ..Default::default() }, &[], now());
        let report = tally.finish(5);

        assert_eq!(report.people, 4);
        assert_eq!(report.asked, 2);
        assert_eq!(report.after_another_stage, 1, "the name stage goes first for the newcomer");
        assert_eq!(report.nothing_to_ask, 1);
        assert_eq!(report.held_back, 1);
        assert_eq!(report.answered_by_claims, 1);
        let company = report.fields.iter().find(|f| f.field.as_str() == "company").unwrap();
        let job = report.fields.iter().find(|f| f.field.as_str() == "job_title").unwrap();
        assert_eq!((company.asked, company.on_profile, company.from_claims), (2, 1, 0));
        assert_eq!((job.asked, job.on_profile, job.from_claims), (1, 1, 1));
        assert!(report.moment.contains("sign-in number 2"), "{}", report.moment);
    }

    #[test]
    fn an_unknown_stage_has_no_report() {
        assert!(Tally::new(&ProfilingConfig::defaults(), &key("nope")).is_none());
    }
}
