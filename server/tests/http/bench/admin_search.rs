//! Benchmark (ignored by default): the console's and the API's user search on PostgreSQL
//! with a million users — blank list, exact-ish email, a whole address, an address's first
//! digits, name word, metadata value, a term that matches nothing, one that matches everyone,
//! and deep keyset paging.
//!
//! `scripts/bench-admin-search.sh` runs it against a database it fills once
//! (`askonce_bench`, kept between runs); results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use app::admin::users::{ssr::search, Cursor};
use sea_orm::ConnectionTrait;

use super::percentile;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench-admin-search.sh"]
async fn admin_search_latency_at_a_million_users() {
    let n: i64 = std::env::var("BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let db = super::bench_database("askonce_bench").await;

    let count = super::user_count(&db).await;
    if count < n {
        let started = Instant::now();
        db.execute_unprepared("TRUNCATE users CASCADE").await.unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO users (id, email, email_normalized, email_verified, name, given_name, family_name, user_metadata, app_metadata, provenance, logins_count, blocked, is_admin, version, created_at, updated_at) \
             SELECT 'bench-' || g, 'user' || g || '@example' || (g % 100) || '.com', 'user' || g || '@example' || (g % 100) || '.com', true, \
                    'Person' || g || ' ' || (ARRAY['Lovelace','Hopper','Turing','Johnson','Noether'])[1 + g % 5], 'Person' || g, \
                    (ARRAY['Lovelace','Hopper','Turing','Johnson','Noether'])[1 + g % 5], \
                    jsonb_build_object('company', 'company-' || (g % 20000), 'job_title', (ARRAY['Engineer','Analyst','Designer','Manager'])[1 + g % 4]), \
                    jsonb_build_object('plan', (ARRAY['free','pro'])[1 + g % 2]), '{{}}'::jsonb, g % 40, false, false, 0, \
                    timestamptz '2026-01-01' + (g || ' seconds')::interval, now() \
             FROM generate_series(1, {n}) AS g"
        ))
        .await
        .unwrap();
        db.execute_unprepared("ANALYZE users").await.unwrap();
        println!("BENCH setup: generated {n} users in {:.1} s", started.elapsed().as_secs_f64());
    }

    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let mut all = Vec::new();
    type Query = (&'static str, Box<dyn Fn(usize) -> String>);
    let queries: Vec<Query> = vec![
        ("blank (newest first)", Box::new(|_| String::new())),
        ("email", Box::new(|i| format!("user{}@example", 123_457 + i * 7919))),
        (
            "exact email",
            Box::new(|i| {
                let g = 123_457 + i * 15_485;
                format!("user{g}@example{}.com", g % 100)
            }),
        ),
        // `user20000`: that user and user200000…user200009 (11 matches).
        ("email prefix", Box::new(|i| format!("user{}", (200_000 + i * 15_331) / 10))),
        ("name word", Box::new(|i| format!("person{} ", 1 + (400_000 + i * 104_729) % 900_000))),
        ("metadata value", Box::new(|i| format!("company-{}\"", 1 + i * 37))),
        ("no match", Box::new(|i| format!("zz-nobody-{i}"))),
        ("matches everyone", Box::new(|_| "example".to_string())),
    ];
    for (name, q) in &queries {
        let mut samples = Vec::new();
        for i in 0..rounds {
            let term = q(i);
            let t = Instant::now();
            let page = search(&db, &term, None, 25).await.unwrap();
            samples.push(t.elapsed());
            assert!(name.starts_with("no match") || !page.users.is_empty(), "{name}: {term}");
        }
        samples.sort();
        println!(
            "BENCH {name}: n={} p50={:.2} ms p99={:.2} ms",
            samples.len(),
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.99))
        );
        all.extend(samples);
    }
    // Keyset paging: 200 consecutive pages of a search that matches a fifth of everyone.
    let mut samples = Vec::new();
    let mut from: Option<Cursor> = None;
    for _ in 0..200 {
        let t = Instant::now();
        let page = search(&db, "hopper", from.as_ref(), 25).await.unwrap();
        samples.push(t.elapsed());
        from = page.next.as_deref().and_then(Cursor::decode);
    }
    samples.sort();
    println!(
        "BENCH next pages (200 deep, 'hopper'): p50={:.2} ms p99={:.2} ms",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99))
    );
    all.extend(samples);
    all.sort();
    println!("BENCH all searches: n={} p50={:.2} ms p99={:.2} ms", all.len(), ms(percentile(&all, 0.5)), ms(percentile(&all, 0.99)));
}
