//! `decide()` timings: the shipped seed configuration, and a large one (50 fields × 20
//! stages) with a realistic history. `cargo bench -p domain --bench decide`; results in
//! BENCHMARKS.md.
// Tests and benches may fail loudly: an unwrap here is an assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use domain::profiling::{
    decide,
    engine::{EventKind, Moment, PastEvent, ProfileFacts, ProfilingConfig},
    field::{Field, FieldKey, FieldKind, Validation},
    stage::{Cooldown, Stage, Trigger},
};
use serde_json::json;

fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).expect("valid key")
}

fn large_config() -> ProfilingConfig {
    let fields = (0..50)
        .map(|i| Field {
            key: key(&format!("f{i}")),
            label: format!("Field {i}"),
            help: None,
            kind: FieldKind::Text,
            target: format!("user_metadata.f{i}").parse().expect("target"),
            validation: Validation::default(),
            claims: vec![format!("claim_{i}"), format!("alt_{i}")],
            user_editable: true,
            consent: None,
            from: None,
        })
        .collect();
    let stages = (0..20)
        .map(|s| Stage {
            key: key(&format!("s{s}")),
            title: format!("Stage {s}"),
            intro: None,
            trigger: match s % 3 {
                0 => Trigger::from_login((s / 3 + 1) as u32),
                1 => Trigger::Context { name: "article".into(), tags: vec![format!("t{s}")] },
                _ => Trigger::Signup,
            },
            when: None,
            fields: (0..5).map(|j| key(&format!("f{}", (s * 5 + j) % 50))).collect(),
            steps: vec![],
            skippable: true,
            cooldown: Cooldown { days: Some(7), logins: Some(2) },
            enabled: true,
            external: None,
        })
        .collect();
    ProfilingConfig { fields, stages }
}

fn large_facts() -> (ProfileFacts, Vec<PastEvent>) {
    let mut facts = ProfileFacts { logins_count: 12, ..Default::default() };
    // Half the fields answered, a provider that answers a few more.
    for i in (0..50).step_by(2) {
        facts.user_metadata.insert(format!("f{i}"), json!("answer"));
    }
    let claims = (1..50).step_by(7).map(|i| (format!("claim_{i}"), json!("from claim"))).collect();
    facts.identity_claims.push(("google".into(), claims));
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("date");
    let history = (0..40)
        .map(|i| PastEvent {
            stage: key(&format!("s{}", i % 20)),
            kind: if i % 3 == 0 { EventKind::Skipped } else { EventKind::Shown },
            at: now - Duration::days(40 - i),
            login_number: (i % 12) as u32,
            declined: vec![],
        })
        .collect();
    (facts, history)
}

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("date");
    let seed = ProfilingConfig::defaults();
    let seed_facts = ProfileFacts { logins_count: 2, ..Default::default() };
    c.bench_function("decide/seed config, second login", |b| {
        b.iter(|| decide(black_box(&seed), black_box(&seed_facts), &[], &Moment::Login { number: 2 }, now))
    });
    let config = large_config();
    let (facts, history) = large_facts();
    c.bench_function("decide/50 fields x 20 stages, login 12, 40 past events", |b| {
        b.iter(|| decide(black_box(&config), black_box(&facts), black_box(&history), &Moment::Login { number: 12 }, now))
    });
    let article = Moment::Context { name: "article".into(), tags: vec!["t19".into()] };
    c.bench_function("decide/50 fields x 20 stages, article context", |b| {
        b.iter(|| decide(black_box(&config), black_box(&facts), black_box(&history), &article, now))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
