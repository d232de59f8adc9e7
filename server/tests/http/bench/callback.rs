//! Benchmark (ignored by default): the time of one provider callback — token exchange,
//! ID-token verification, userinfo, identity upsert, session rotation — against the local
//! test provider, side by side with one password sign-in (argon2id) in the same run.
//!
//! `scripts/bench-callback.sh` runs it; results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;
use reqwest::header::LOCATION;
use serde_json::json;

use super::percentile;
use crate::harness::{idp::FakeIdp, spawn_app_on, Backend};

fn report(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let p50 = percentile(&samples, 0.5);
    println!(
        "BENCH {name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        percentile(&samples, 0.9).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3
    );
    p50
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench-callback.sh"]
async fn callback_latency() {
    let n: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let idp = FakeIdp::start(
        json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada", "family_name": "Lovelace"}),
    )
    .await;
    let config = format!("{}[rate_limit]\nauth_per_minute = 100000\nauth_burst = 100000\n", idp.oidc_connection("test"));
    let app = spawn_app_on(Backend::Sqlite, &config).await;

    let mut callbacks = Vec::with_capacity(n);
    for _ in 0..n {
        let start = app.client.get(app.url("/auth/test/start")).send().await.unwrap();
        let provider = app.client.get(start.headers()[LOCATION].to_str().unwrap()).send().await.unwrap();
        let callback = provider.headers()[LOCATION].to_str().unwrap().to_string();
        let t = Instant::now();
        let done = app.client.get(&callback).send().await.unwrap();
        callbacks.push(t.elapsed());
        assert_eq!(done.headers()[LOCATION], app::auth::ReturnTo::or_home(Some("/")).via_welcome().as_str());
    }
    let callback_p50 = report("oidc_callback", callbacks);

    app.sign_up(&app.client, "bench@example.com").await;
    let mut passwords = Vec::with_capacity(n / 4);
    for _ in 0..(n / 4).max(10) {
        let t = Instant::now();
        let res = app
            .client
            .post(app.url(app::sign_in::PasswordSignIn::PATH))
            .form(&[("email", "bench@example.com"), ("password", "a long passphrase")])
            .send()
            .await
            .unwrap();
        passwords.push(t.elapsed());
        assert!(res.status().is_success());
    }
    let password_p50 = report("password_sign_in", passwords);
    println!("BENCH ratio oidc_callback/password_sign_in p50 = {:.2}", callback_p50.as_secs_f64() / password_p50.as_secs_f64());
}
