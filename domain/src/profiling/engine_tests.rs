//! Tests of the decision rules: examples first, then properties over generated
//! configurations and histories.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Map, Value};

use super::{
    engine::*,
    field::{Field, FieldKey, FieldKind, Target, Validation},
    stage::{Condition, Cooldown, Stage, Trigger},
};
use crate::profile::RootAttribute;

fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).unwrap()
}

fn text_field(k: &str, target: &str, claims: &[&str]) -> Field {
    Field {
        key: key(k),
        label: k.to_string(),
        help: None,
        kind: FieldKind::Text,
        target: target.parse().unwrap(),
        validation: Validation::default(),
        claims: claims.iter().map(|c| c.to_string()).collect(),
        user_editable: true,
        consent: None,
        from: None,
    }
}

fn stage(k: &str, trigger: Trigger, fields: &[&str]) -> Stage {
    Stage {
        key: key(k),
        title: k.to_string(),
        intro: None,
        trigger,
        when: None,
        fields: fields.iter().map(|f| key(f)).collect(),
        steps: vec![],
        skippable: true,
        cooldown: Cooldown { days: Some(7), logins: None },
        enabled: true,
        external: None,
    }
}

/// The seed scenario's configuration.
fn seed() -> ProfilingConfig {
    ProfilingConfig {
        fields: vec![
            text_field("given_name", "given_name", &["given_name"]),
            text_field("family_name", "family_name", &["family_name"]),
            text_field("job_title", "user_metadata.job_title", &["job_title", "title"]),
            text_field("company", "user_metadata.company", &["company"]),
            Field { kind: FieldKind::Consent, ..text_field("subscribed", "user_metadata.subscribed", &[]) },
        ],
        stages: vec![
            stage("name", Trigger::Signup, &["given_name", "family_name"]),
            stage("work", Trigger::from_login(2), &["job_title", "company"]),
            stage("subscription", Trigger::Context { name: "article".into(), tags: vec![] }, &["subscribed"]),
        ],
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn facts(logins: u32) -> ProfileFacts {
    ProfileFacts { logins_count: logins, ..Default::default() }
}

fn asked(d: &Decision) -> Vec<String> {
    d.prompt.as_ref().map(|p| p.fields.iter().map(|f| f.key.to_string()).collect()).unwrap_or_default()
}

#[test]
fn shown_counts_once_per_window_and_again_after_a_decision() {
    use super::engine::shown_in_window;
    let news = stage("newsletter", Trigger::Signup, &["subscribed"]);
    let at = |days_ago: i64, kind| PastEvent {
        stage: key("newsletter"),
        kind,
        at: now() - chrono::Duration::days(days_ago),
        login_number: 1,
        declined: vec![],
    };
    assert!(!shown_in_window(&news, &[], now()));
    // Cooldown 7 days: a showing 3 days ago still counts, one 8 days ago does not.
    assert!(shown_in_window(&news, &[at(3, EventKind::Shown)], now()));
    assert!(!shown_in_window(&news, &[at(8, EventKind::Shown)], now()));
    // A skip after the showing opens a new window.
    assert!(!shown_in_window(&news, &[at(3, EventKind::Shown), at(2, EventKind::Skipped)], now()));
    assert!(shown_in_window(&news, &[at(3, EventKind::Shown), at(2, EventKind::Skipped), at(1, EventKind::Shown)], now()));
    // Another stage's showing is not this one's.
    let other = PastEvent { stage: key("other"), ..at(1, EventKind::Shown) };
    assert!(!shown_in_window(&news, &[other], now()));
    // Without a cooldown in days, the window is a day.
    let daily = Stage { cooldown: Cooldown { days: None, logins: None }, ..news.clone() };
    assert!(!shown_in_window(&daily, &[at(2, EventKind::Shown)], now()));
}

#[test]
fn signup_asks_first_and_last_name() {
    let d = decide(&seed(), &facts(1), &[], &Moment::Signup, now());
    assert_eq!(d.prompt.as_ref().unwrap().stage.as_str(), "name");
    assert_eq!(asked(&d), ["given_name", "family_name"]);
}

#[test]
fn names_from_the_provider_are_not_asked_and_the_stage_completes_silently() {
    let mut f = facts(1);
    f.root.insert(RootAttribute::GivenName, json!("Grace"));
    f.root.insert(RootAttribute::FamilyName, json!("Hopper"));
    let d = decide(&seed(), &f, &[], &Moment::Signup, now());
    assert!(d.prompt.is_none());
    assert_eq!(d.completed_silently, vec![key("name")]);
}

#[test]
fn the_second_login_asks_only_what_claims_do_not_answer() {
    let mut f = facts(2);
    f.identity_claims.push(("demo".into(), json!({"job_title": "Rear Admiral"}).as_object().cloned().unwrap()));
    let d = decide(&seed(), &f, &[], &Moment::Login { number: 2 }, now());
    assert_eq!(asked(&d), ["company"]);
    assert_eq!(d.from_claims.len(), 1);
    assert_eq!(d.from_claims[0].target, Target::UserMetadata("job_title".into()));
    assert_eq!(d.from_claims[0].claim, "job_title");
}

#[test]
fn a_consent_given_to_an_older_purpose_is_asked_again_even_though_it_has_a_value() {
    use super::consent::{ConsentTerms, GivenConsent};
    let mut config = seed();
    config.fields[4].consent = Some(ConsentTerms { purpose: "Articles and offers".into(), version: 2, reask: true });
    let article = Moment::Context { name: "article".into(), tags: vec![] };
    let mut f = facts(3);
    f.user_metadata.insert("subscribed".into(), json!(true));
    f.consents.insert(key("subscribed"), GivenConsent { version: 1, granted: true });
    let d = decide(&config, &f, &[], &article, now());
    assert_eq!(asked(&d), ["subscribed"], "agreed to version 1 of a purpose now at version 2");
    f.consents.insert(key("subscribed"), GivenConsent { version: 2, granted: true });
    assert!(decide(&config, &f, &[], &article, now()).prompt.is_none(), "agreed to the wording in force");
    f.consents.insert(key("subscribed"), GivenConsent { version: 1, granted: false });
    assert!(decide(&config, &f, &[], &article, now()).prompt.is_none(), "a refusal is not asked again");
}

#[test]
fn a_required_stage_comes_before_optional_ones_at_a_login() {
    let mut config = seed();
    // Both at every login; the work stage, unskippable, after the (skippable) name stage.
    config.stages[0].trigger = Trigger::from_login(1);
    config.stages[1].skippable = false;
    config.stages[1].trigger = Trigger::from_login(1);
    let d = decide(&config, &facts(2), &[], &Moment::Login { number: 2 }, now());
    assert_eq!(d.prompt.unwrap().stage.as_str(), "work", "walking away from the name stage cannot keep it from being asked");
    config.stages[1].skippable = true;
    let d = decide(&config, &facts(2), &[], &Moment::Login { number: 2 }, now());
    assert_eq!(d.prompt.unwrap().stage.as_str(), "name", "otherwise the configured order");
}

#[test]
fn a_later_claim_name_answers_when_the_first_is_absent() {
    let mut f = facts(2);
    f.identity_claims.push(("okta".into(), json!({"title": "CTO"}).as_object().cloned().unwrap()));
    let d = decide(&seed(), &f, &[], &Moment::Login { number: 2 }, now());
    assert_eq!(d.from_claims[0].claim, "title");
}

#[test]
fn the_first_login_stage_is_not_a_login_stage_for_min_logins_two() {
    let d = decide(&seed(), &facts(1), &[], &Moment::Login { number: 1 }, now());
    assert!(d.prompt.is_none());
}

#[test]
fn a_stage_shown_at_this_login_is_shown_again_until_settled_and_no_other_starts() {
    let shown = PastEvent { stage: key("name"), kind: EventKind::Shown, at: now(), login_number: 2, declined: vec![] };
    let d = decide(&seed(), &facts(2), std::slice::from_ref(&shown), &Moment::Login { number: 2 }, now());
    assert_eq!(d.prompt.unwrap().stage.as_str(), "name");
    let skipped = PastEvent { kind: EventKind::Skipped, ..shown.clone() };
    let d = decide(&seed(), &facts(2), &[shown, skipped], &Moment::Login { number: 2 }, now());
    assert!(d.prompt.is_none(), "at most one login-time stage per login");
}

#[test]
fn a_skipped_stage_waits_out_its_cooldown() {
    let skipped = PastEvent { stage: key("work"), kind: EventKind::Skipped, at: now(), login_number: 2, declined: vec![] };
    let mut f = facts(3);
    f.root.insert(RootAttribute::GivenName, json!("A"));
    f.root.insert(RootAttribute::FamilyName, json!("B"));
    let d = decide(&seed(), &f, std::slice::from_ref(&skipped), &Moment::Login { number: 3 }, now() + Duration::days(1));
    assert!(d.prompt.is_none());
    assert!(d.not_asked.iter().any(|r| matches!(r, NotAsked::StageInCooldown { .. })));
    let d = decide(&seed(), &f, &[skipped], &Moment::Login { number: 3 }, now() + Duration::days(8));
    assert_eq!(d.prompt.unwrap().stage.as_str(), "work");
}

#[test]
fn cooldowns_in_logins_count_logins() {
    let mut config = seed();
    config.stages[1].cooldown = Cooldown { days: None, logins: Some(2) };
    let skipped = PastEvent { stage: key("work"), kind: EventKind::Skipped, at: now(), login_number: 2, declined: vec![] };
    let later = |n| decide(&config, &facts(n), std::slice::from_ref(&skipped), &Moment::Login { number: n }, now());
    assert!(later(3).prompt.is_none());
    assert!(later(4).prompt.is_some());
}

#[test]
fn a_skip_without_cooldown_is_final() {
    let mut config = seed();
    config.stages[1].cooldown = Cooldown::default();
    let skipped = PastEvent { stage: key("work"), kind: EventKind::Skipped, at: now(), login_number: 2, declined: vec![] };
    let d = decide(&config, &facts(30), &[skipped], &Moment::Login { number: 30 }, now() + Duration::days(999));
    assert!(d.not_asked.iter().any(|r| matches!(r, NotAsked::StageSkippedForGood { .. })));
}

#[test]
fn fields_left_blank_when_answering_are_not_asked_again() {
    let answered = PastEvent { stage: key("work"), kind: EventKind::Answered, at: now(), login_number: 2, declined: vec![key("company")] };
    let mut f = facts(3);
    f.user_metadata.insert("job_title".into(), json!("Engineer"));
    let d = decide(&seed(), &f, &[answered], &Moment::Login { number: 3 }, now());
    assert!(d.prompt.is_none());
}

#[test]
fn context_stages_match_their_name_and_tags() {
    let mut config = seed();
    config.stages[2].trigger = Trigger::Context { name: "article".into(), tags: vec!["rust".into()] };
    let here = |tags: &[&str]| Moment::Context { name: "article".into(), tags: tags.iter().map(|t| t.to_string()).collect() };
    assert!(decide(&config, &facts(1), &[], &here(&["rust", "web"]), now()).prompt.is_some());
    assert!(decide(&config, &facts(1), &[], &here(&["go"]), now()).prompt.is_none());
    let elsewhere = Moment::Context { name: "pricing".into(), tags: vec!["rust".into()] };
    assert!(decide(&config, &facts(1), &[], &elsewhere, now()).prompt.is_none());
}

#[test]
fn a_consent_no_counts_as_answered() {
    let mut f = facts(1);
    f.user_metadata.insert("subscribed".into(), json!(false));
    let d = decide(&seed(), &f, &[], &Moment::Context { name: "article".into(), tags: vec![] }, now());
    assert!(d.prompt.is_none());
}

#[test]
fn when_conditions_gate_stages() {
    let mut config = seed();
    config.stages[1].when = Some(Condition::Equals { target: "user_metadata.plan".parse().unwrap(), value: json!("pro") });
    assert!(decide(&config, &facts(2), &[], &Moment::Login { number: 2 }, now()).prompt.is_none());
    let mut f = facts(2);
    f.user_metadata.insert("plan".into(), json!("pro"));
    assert!(decide(&config, &f, &[], &Moment::Login { number: 2 }, now()).prompt.is_some());
    config.stages[1].when =
        Some(Condition::In { target: "user_metadata.plan".parse().unwrap(), values: vec![json!("team"), json!("pro")] });
    assert!(decide(&config, &f, &[], &Moment::Login { number: 2 }, now()).prompt.is_some());
    config.stages[1].when = Some(Condition::Missing { target: "user_metadata.plan".parse().unwrap() });
    assert!(decide(&config, &f, &[], &Moment::Login { number: 2 }, now()).prompt.is_none());
}

#[test]
fn combined_conditions_gate_stages_and_say_which_test_failed() {
    let mut config = seed();
    let plan: crate::profiling::Target = "user_metadata.plan".parse().unwrap();
    let company: crate::profiling::Target = "user_metadata.company".parse().unwrap();
    // Asked to people on a paid plan who have not said their company, or to anyone in France.
    config.stages[1].when = Some(Condition::Any {
        conditions: vec![
            Condition::All {
                conditions: vec![
                    Condition::Not {
                        condition: Box::new(Condition::In { target: plan.clone(), values: vec![json!("free"), json!("trial")] }),
                    },
                    Condition::Exists { target: plan.clone() },
                    Condition::Missing { target: company.clone() },
                ],
            },
            Condition::Equals { target: "locale".parse().unwrap(), value: json!("fr") },
        ],
    });
    let at = |f: &ProfileFacts| decide(&config, f, &[], &Moment::Login { number: 2 }, now());
    let mut f = facts(2);
    f.user_metadata.insert("plan".into(), json!("pro"));
    assert!(at(&f).prompt.is_some(), "paid, company unknown");
    f.user_metadata.insert("plan".into(), json!("free"));
    let d = at(&f);
    assert!(d.prompt.is_none(), "free plan");
    let failed = d
        .not_asked
        .iter()
        .find_map(|n| match n {
            crate::profiling::engine::NotAsked::ConditionNotMet { failed, .. } => Some(failed.clone()),
            _ => None,
        })
        .expect("the condition is the reason");
    assert_eq!(
        failed,
        vec![
            "user_metadata.plan is one of “free”, “trial” — it does, and the stage asks for it not to".to_string(),
            "locale is “fr” — it is missing".to_string(),
        ]
    );
    f.root.insert(crate::profile::RootAttribute::Locale, json!("fr"));
    assert!(at(&f).prompt.is_some(), "any: in France");
}

#[test]
fn disabled_stages_are_never_shown() {
    let mut config = seed();
    config.stages[0].enabled = false;
    assert!(decide(&config, &facts(1), &[], &Moment::Signup, now()).prompt.is_none());
}

#[test]
fn a_login_stage_left_unanswered_is_abandoned_once_the_next_login_comes() {
    let shown = PastEvent { stage: key("name"), kind: EventKind::Shown, at: now(), login_number: 1, declined: vec![] };
    assert!(newly_abandoned(&seed(), std::slice::from_ref(&shown), 1).is_empty(), "still this login");
    assert_eq!(newly_abandoned(&seed(), std::slice::from_ref(&shown), 2), vec![key("name")]);
    let marked = PastEvent { kind: EventKind::Abandoned, login_number: 2, ..shown.clone() };
    assert!(newly_abandoned(&seed(), &[shown.clone(), marked], 2).is_empty(), "recorded once");
    let answered = PastEvent { kind: EventKind::Answered, ..shown.clone() };
    assert!(newly_abandoned(&seed(), &[shown, answered], 2).is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const FIELD_KEYS: [&str; 6] = ["f0", "f1", "f2", "f3", "f4", "f5"];

    fn arb_config() -> impl Strategy<Value = ProfilingConfig> {
        let stage_strategy = (
            prop::sample::subsequence(FIELD_KEYS.to_vec(), 1..4),
            prop_oneof![
                Just(Trigger::Signup),
                (1u32..4).prop_map(Trigger::from_login),
                Just(Trigger::Context { name: "article".into(), tags: vec![] }),
            ],
            any::<bool>(),
            prop::option::of(0u32..5),
            prop::option::of(0u32..3),
        );
        prop::collection::vec(stage_strategy, 1..6).prop_map(|stages| ProfilingConfig {
            fields: FIELD_KEYS
                .iter()
                .enumerate()
                .map(|(i, k)| text_field(k, &format!("user_metadata.{k}"), if i % 2 == 0 { &["c0"] } else { &[] }))
                .collect(),
            stages: stages
                .into_iter()
                .enumerate()
                .map(|(i, (fields, trigger, enabled, days, logins))| Stage {
                    enabled,
                    cooldown: Cooldown { days, logins },
                    ..stage(&format!("s{i}"), trigger, &fields)
                })
                .collect(),
        })
    }

    fn arb_facts() -> impl Strategy<Value = ProfileFacts> {
        (prop::sample::subsequence(FIELD_KEYS.to_vec(), 0..6), any::<bool>(), 1u32..6).prop_map(|(known, claim, logins)| {
            let mut f = facts(logins);
            for k in known {
                f.user_metadata.insert(k.to_string(), json!("x"));
            }
            if claim {
                let mut claims = Map::new();
                claims.insert("c0".into(), json!("from claim"));
                f.identity_claims.push(("demo".into(), claims));
            }
            f
        })
    }

    fn arb_history() -> impl Strategy<Value = Vec<PastEvent>> {
        prop::collection::vec(
            (0usize..6, prop_oneof![Just(EventKind::Shown), Just(EventKind::Answered), Just(EventKind::Skipped)], 0i64..20, 1u32..6),
            0..6,
        )
        .prop_map(|events| {
            events
                .into_iter()
                .map(|(s, kind, days_ago, login)| PastEvent {
                    stage: key(&format!("s{s}")),
                    kind,
                    at: now() - Duration::days(days_ago),
                    login_number: login,
                    declined: vec![],
                })
                .collect()
        })
    }

    fn arb_moment() -> impl Strategy<Value = Moment> {
        prop_oneof![
            Just(Moment::Signup),
            (1u32..6).prop_map(|n| Moment::Login { number: n }),
            Just(Moment::Context { name: "article".into(), tags: vec![] }),
        ]
    }

    /// Applies an answer of every asked field, as the service does.
    fn answer(f: &ProfileFacts, d: &Decision) -> ProfileFacts {
        let mut f = f.clone();
        for fill in &d.from_claims {
            if let Target::UserMetadata(k) = &fill.target {
                f.user_metadata.insert(k.clone(), fill.value.clone());
            }
        }
        if let Some(p) = &d.prompt {
            for field in &p.fields {
                if let Target::UserMetadata(k) = &field.target {
                    f.user_metadata.insert(k.clone(), Value::from("answer"));
                }
            }
        }
        f
    }

    proptest! {
        #[test]
        fn never_asks_a_known_field(config in arb_config(), f in arb_facts(), h in arb_history(), m in arb_moment()) {
            let d = decide(&config, &f, &h, &m, now());
            if let Some(p) = &d.prompt {
                for field in &p.fields {
                    prop_assert!(!super::super::field::is_present(f.value(&field.target)), "asked known {}", field.key);
                    prop_assert!(!d.from_claims.iter().any(|c| c.field == field.key), "asked a field a claim answers");
                }
            }
        }

        #[test]
        fn never_shows_a_disabled_stage(config in arb_config(), f in arb_facts(), h in arb_history(), m in arb_moment()) {
            let d = decide(&config, &f, &h, &m, now());
            if let Some(p) = &d.prompt {
                prop_assert!(config.stage(&p.stage).unwrap().enabled);
            }
        }

        #[test]
        fn never_shows_a_stage_in_cooldown(config in arb_config(), f in arb_facts(), h in arb_history(), m in arb_moment()) {
            let d = decide(&config, &f, &h, &m, now());
            if let Some(p) = &d.prompt {
                let stage = config.stage(&p.stage).unwrap();
                let last = h.iter().filter(|e| e.stage == p.stage && matches!(e.kind, EventKind::Skipped | EventKind::Answered)).max_by_key(|e| (e.at, e.login_number));
                if let Some(last) = last.filter(|e| e.kind == EventKind::Skipped) {
                    let c = stage.cooldown;
                    prop_assert!(c.days.is_some() || c.logins.is_some(), "a final skip was shown again");
                    if let Some(days) = c.days { prop_assert!(now() >= last.at + Duration::days(i64::from(days))); }
                    if let Some(n) = c.logins { prop_assert!(f.logins_count >= last.login_number + n); }
                }
            }
        }

        #[test]
        fn asking_again_after_answering_asks_nothing_new(config in arb_config(), f in arb_facts(), m in arb_moment()) {
            let first = decide(&config, &f, &[], &m, now());
            let asked: Vec<FieldKey> = first.prompt.iter().flat_map(|p| p.fields.iter().map(|f| f.key.clone())).collect();
            let after = answer(&f, &first);
            let mut history = vec![];
            if let Some(p) = &first.prompt {
                history.push(PastEvent { stage: p.stage.clone(), kind: EventKind::Shown, at: now(), login_number: f.logins_count, declined: vec![] });
                history.push(PastEvent { stage: p.stage.clone(), kind: EventKind::Answered, at: now(), login_number: f.logins_count, declined: vec![] });
            }
            for moment in [m.clone(), Moment::Signup, Moment::Login { number: f.logins_count + 1 }, Moment::Context { name: "article".into(), tags: vec![] }] {
                let next = decide(&config, &after, &history, &moment, now());
                for field in next.prompt.iter().flat_map(|p| p.fields.iter()) {
                    prop_assert!(!asked.contains(&field.key), "asked {} twice", field.key);
                }
            }
        }
    }
}
