//! Benchmark (ignored by default): the schema-change report of a stage on PostgreSQL with a
//! million people — each with a linked identity, some with answers, claims and a skip.
//!
//! `scripts/bench-change-report.sh` runs it against a database it fills once
//! (`askonce_bench_report`, kept between runs); results go to BENCHMARKS.md.

use std::time::Instant;

use domain::profiling::StageKey;
use sea_orm::ConnectionTrait;
use services::profiling::change_report;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench-change-report.sh"]
async fn change_report_at_a_million_people() {
    let n: i64 = std::env::var("BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let db = super::bench_database("askonce_bench_report").await;
    services::profiling::seed_defaults_if_empty(&db).await.unwrap();

    let count = super::user_count(&db).await;
    if count != n {
        let started = Instant::now();
        db.execute_unprepared("TRUNCATE users CASCADE").await.unwrap();
        // Four in five have a name; half a company; a fifth a job title; logins 1–40.
        db.execute_unprepared(&format!(
            "INSERT INTO users (id, email, email_normalized, email_verified, name, given_name, family_name, user_metadata, app_metadata, provenance, logins_count, blocked, is_admin, version, created_at, updated_at) \
             SELECT 'bench-' || lpad(g::text, 8, '0'), 'user' || g || '@example.com', 'user' || g || '@example.com', true, \
                    CASE WHEN g % 5 <> 0 THEN 'Person' || g || ' Hopper' END, CASE WHEN g % 5 <> 0 THEN 'Person' || g END, \
                    CASE WHEN g % 5 <> 0 THEN 'Hopper' END, \
                    jsonb_strip_nulls(jsonb_build_object('company', CASE WHEN g % 2 = 0 THEN 'company-' || (g % 20000) END, \
                                                         'job_title', CASE WHEN g % 5 = 1 THEN 'Engineer' END)), \
                    '{{}}'::jsonb, '{{}}'::jsonb, 1 + g % 40, false, false, 0, timestamptz '2026-01-01' + (g || ' seconds')::interval, now() \
             FROM generate_series(1, {n}) AS g"
        ))
        .await
        .unwrap();
        // Each has a linked Google account; one in three says a job title there.
        db.execute_unprepared(
            "INSERT INTO identities (user_id, connection, provider, subject, is_social, profile_data, created_at, updated_at) \
             SELECT id, 'google', 'google', 'g-' || id, true, \
                    CASE WHEN right(id, 1)::int % 3 = 0 THEN jsonb_build_object('sub', 'g-' || id, 'job_title', 'Analyst') \
                         ELSE jsonb_build_object('sub', 'g-' || id) END, now(), now() \
             FROM users",
        )
        .await
        .unwrap();
        // One in ten skipped the work stage yesterday.
        db.execute_unprepared(
            "INSERT INTO prompt_events (user_id, stage_key, kind, trigger_kind, context_name, login_number, fields, created_at) \
             SELECT id, 'work', 'skipped', 'login', NULL, logins_count, '{\"asked\": [\"company\"]}'::jsonb, now() - interval '1 day' \
             FROM users WHERE right(id, 1) = '7'",
        )
        .await
        .unwrap();
        db.execute_unprepared("ANALYZE").await.unwrap();
        println!("BENCH setup: generated {n} people in {:.1} s", started.elapsed().as_secs_f64());
    }

    for stage in ["work", "name", "subscription"] {
        let key = StageKey::parse(stage).unwrap();
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            last = change_report(&db, &key).await.unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        let r = last.unwrap();
        println!(
            "BENCH change report `{stage}` over {} people: median {:.2} s (min {:.2} s, max {:.2} s); asked {}, of whom after another stage {}, claims {}, nothing to ask {}, held back {}",
            r.people,
            times[1].as_secs_f64(),
            times[0].as_secs_f64(),
            times[2].as_secs_f64(),
            r.asked,
            r.after_another_stage,
            r.answered_by_claims,
            r.nothing_to_ask,
            r.held_back
        );
    }
}
