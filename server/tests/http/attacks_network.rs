//! Attacks on the network-facing limits, over HTTP against the real app:
//! - forging `X-Forwarded-For` / `Forwarded` to escape the sign-in rate limit, or to plant a
//!   false `last_ip` / session address;
//! - rotating IPv6 addresses inside one /64;
//! - guessing one account's password (at sign-in and at the re-authentication before
//!   deleting an account), and locking its owner out;
//! - injecting a script into a page (Content-Security-Policy).
//!
//! Different client networks are real peer addresses: the client binds 127.0.0.x (all of
//! 127/8 is loopback on Linux), or a trusted proxy at 127.0.0.1 forwards for them.

use leptos::server_fn::ServerFn;
use reqwest::{header, StatusCode};

use crate::harness::{browser::browser_from, expect, spawn_app_on, Backend, TestApp, PASSWORD};

/// A sign-in attempt with forwarding `headers`, as a proxy (or someone forging them) sends it.
async fn sign_in(app: &TestApp, client: &reqwest::Client, headers: &[(&str, &str)], email: &str, password: &str) -> reqwest::Response {
    let request = with_headers(app.password_form(client, app::sign_in::PasswordSignIn::PATH, email, password), headers);
    expect::send(request, "a sign-in").await
}

/// Signs `client` up as `email` with forwarding `headers`.
async fn sign_up(app: &TestApp, client: &reqwest::Client, headers: &[(&str, &str)], email: &str) -> reqwest::Response {
    let request = with_headers(app.password_form(client, app::sign_in::PasswordSignUp::PATH, email, PASSWORD), headers);
    let what = format!("signing up {email}");
    expect::accepted(expect::send(request, &what).await, &what).await
}

/// The app on SQLite with `server_toml` (its trusted proxies) in `[server]`, and `extra_toml`.
async fn spawn_behind_proxy(server_toml: &str, extra_toml: &str) -> TestApp {
    TestApp::on(Backend::Sqlite).server_config(server_toml).config(extra_toml).start().await
}

fn with_headers(mut request: reqwest::RequestBuilder, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers().get(header::RETRY_AFTER).expect("Retry-After").to_str().unwrap().parse().unwrap()
}

const TIGHT_LIMIT: &str = "[rate_limit]\nauth_per_minute = 1\nauth_burst = 3\n";

// ---- A. Trusted proxies ------------------------------------------------------------------

#[tokio::test]
async fn without_trusted_proxies_a_rotating_forged_x_forwarded_for_is_still_rate_limited() {
    let app = spawn_app_on(Backend::Sqlite, TIGHT_LIMIT).await;
    let statuses = {
        let mut statuses = Vec::new();
        for i in 0..4 {
            let forged = format!("203.0.113.{i}");
            let res = sign_in(
                &app,
                &app.client,
                &[("x-forwarded-for", &forged), ("forwarded", &format!("for={forged}"))],
                "ada@example.com",
                "guess",
            )
            .await;
            statuses.push(res.status());
        }
        statuses
    };
    assert_eq!(statuses[..3], [StatusCode::BAD_REQUEST; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "a forged header is not a new client");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota_and_cannot_forge_one() {
    let app = spawn_behind_proxy("trusted_proxies = [\"127.0.0.1/32\"]", TIGHT_LIMIT).await;
    // The proxy (our client at 127.0.0.1) appends the address it saw to what the client sent.
    for _ in 0..3 {
        let res = sign_in(&app, &app.client, &[("x-forwarded-for", "203.0.113.1")], "ada@example.com", "guess").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let limited = sign_in(&app, &app.client, &[("x-forwarded-for", "203.0.113.1")], "ada@example.com", "guess").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&limited) >= 1);
    // The same client prepending forged addresses is still the rightmost untrusted hop.
    let forged = sign_in(&app, &app.client, &[("x-forwarded-for", "198.51.100.77, 203.0.113.1")], "ada@example.com", "guess").await;
    assert_eq!(forged.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own quota.
    let other = sign_in(&app, &app.client, &[("x-forwarded-for", "203.0.113.2")], "ada@example.com", "guess").await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST, "a different forwarded client is not limited");
}

#[tokio::test]
async fn a_forwarding_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored() {
    let app = spawn_behind_proxy("trusted_proxies = [\"127.0.0.1\"]", TIGHT_LIMIT).await;
    // 127.0.0.2 is not the proxy: whatever it claims, it is 127.0.0.2.
    let outsider = browser_from("127.0.0.2");
    let mut statuses = Vec::new();
    for i in 0..4 {
        let forged = format!("203.0.113.{i}");
        statuses.push(sign_in(&app, &outsider, &[("x-forwarded-for", &forged)], "ada@example.com", "guess").await.status());
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Nor can it borrow the quota of a client the proxy forwards.
    let via_proxy = sign_in(&app, &app.client, &[("x-forwarded-for", "203.0.113.0")], "ada@example.com", "guess").await;
    assert_eq!(via_proxy.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_recorded_last_ip_and_session_address_are_the_resolved_client() {
    use crate::harness::idp::FakeIdp;
    let idp = FakeIdp::start(serde_json::json!({"sub": "g-1", "email": "grace@example.com", "email_verified": true})).await;
    let app = spawn_behind_proxy("trusted_proxies = [\"127.0.0.1\"]", &idp.oidc_connection("test")).await;

    // Password sign-up through the proxy.
    let res = sign_up(&app, &app.client, &[("x-forwarded-for", "203.0.113.50")], "ada@example.com").await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    let me: serde_json::Value = app.client.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["last_ip"], "203.0.113.50");
    let sessions: Vec<app::account::sessions::SignedInSession> =
        app.client.post(app.url(app::account::sessions::MySessions::PATH)).send().await.unwrap().json().await.unwrap();
    assert_eq!(sessions[0].ip.as_deref(), Some("203.0.113.50"));

    // A provider sign-in: the callback request carries the header.
    let browser = browser_from("127.0.0.1");
    let start = browser.get(app.url("/auth/test/start")).send().await.unwrap();
    let provider = browser.get(start.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let back =
        browser.get(provider.headers()["location"].to_str().unwrap()).header("x-forwarded-for", "2001:db8::77").send().await.unwrap();
    assert!(back.status().is_redirection(), "{}", back.status());
    let me: serde_json::Value = browser.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["email"], "grace@example.com");
    assert_eq!(me["last_ip"], "2001:db8::77");

    // Directly, without the proxy, the header is somebody's claim and is not recorded.
    let direct = browser_from("127.0.0.2");
    sign_up(&app, &direct, &[("x-forwarded-for", "198.51.100.1")], "bob@example.com").await;
    let me: serde_json::Value = direct.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["last_ip"], "127.0.0.2");
}

// ---- B. IPv6 per /64 -----------------------------------------------------------------------

#[tokio::test]
async fn rotating_ipv6_addresses_inside_one_slash_64_does_not_escape_the_limit() {
    let proxy = "trusted_proxies = [\"127.0.0.1\"]\nforwarded_header = \"forwarded\"";
    let app = spawn_behind_proxy(proxy, TIGHT_LIMIT).await;
    let mut statuses = Vec::new();
    for i in 1..=4 {
        let hop = format!("for=\"[2001:db8:1:2::{i:x}]:4711\";proto=https");
        statuses.push(sign_in(&app, &app.client, &[("forwarded", &hop)], "ada@example.com", "guess").await.status());
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let next_net = sign_in(&app, &app.client, &[("forwarded", "for=\"[2001:db8:1:3::1]\"")], "ada@example.com", "guess").await;
    assert_eq!(next_net.status(), StatusCode::BAD_REQUEST, "another /64 is another client");
}

// ---- C. Per-account limit on wrong passwords ------------------------------------------------

#[tokio::test]
async fn six_wrong_passwords_lock_that_network_out_of_that_account_but_not_the_owner_elsewhere() {
    let app = spawn_app_on(Backend::Sqlite, "").await;
    sign_up(&app, &app.client, &[], "ada@example.com").await;
    let attacker = browser_from("127.0.0.3");
    for i in 0..5 {
        let res = sign_in(&app, &attacker, &[], "ada@example.com", &format!("guess {i}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "failure {i} is an ordinary wrong password");
    }
    // The sixth is refused before the password is even checked: the right one does not help.
    let locked = sign_in(&app, &attacker, &[], "ada@example.com", "a long passphrase").await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&locked);
    assert!((840..=900).contains(&wait), "Retry-After {wait}: the rest of the 15-minute window");
    let err: app::error::AppError = locked.json().await.unwrap();
    let app::error::AppError::TooManyAttempts { message, retry_after_secs } = err else { panic!("{err:?}") };
    assert_eq!(retry_after_secs, wait);
    assert!(message.contains("Too many wrong passwords") && message.contains("15 minutes"), "{message}");
    assert_eq!(app.client.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK, "the owner's session is untouched");

    // The owner, from another network, signs in with the right password.
    let owner = browser_from("127.0.0.4");
    let ok = sign_in(&app, &owner, &[], "ada@example.com", "a long passphrase").await;
    assert!(ok.status().is_redirection() || ok.status().is_success(), "{}", ok.status());
    assert_eq!(owner.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_email_is_limited_exactly_like_a_known_one() {
    let app = spawn_app_on(Backend::Sqlite, "").await;
    sign_up(&app, &app.client, &[], "ada@example.com").await;
    let attacker = browser_from("127.0.0.5");
    let mut answers = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(sign_in(&app, &attacker, &[], email, "wrong guess").await.status());
        }
        let sixth = sign_in(&app, &attacker, &[], email, "wrong guess").await;
        statuses.push(sixth.status());
        let retry = sixth.headers().contains_key(header::RETRY_AFTER);
        let body: app::error::AppError = sixth.json().await.unwrap();
        let message = match body {
            app::error::AppError::TooManyAttempts { message, .. } => message,
            other => panic!("{other:?}"),
        };
        answers.push((statuses, retry, message));
    }
    assert_eq!(answers[0], answers[1], "no account-existence oracle");
    assert_eq!(answers[0].0[5], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn wrong_passwords_at_account_deletion_are_limited_too() {
    let app = spawn_app_on(Backend::Sqlite, "").await;
    // A stolen session: signed in, guessing the password to delete the account.
    sign_up(&app, &app.client, &[], "ada@example.com").await;
    let delete = |password: &'static str| {
        app.client.post(app.url(app::account::page::DeleteMyAccount::PATH)).form(&[("confirm", "yes"), ("password", password)]).send()
    };
    for _ in 0..5 {
        assert_eq!(delete("not my password").await.unwrap().status(), StatusCode::BAD_REQUEST);
    }
    let locked = delete("a long passphrase").await.unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&locked) > 0);
    assert!(matches!(locked.json::<app::error::AppError>().await.unwrap(), app::error::AppError::TooManyAttempts { .. }));
    assert_eq!(app.client.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK, "not deleted");
    // The count is the account's: the same network cannot go on guessing at sign-in either.
    let sign_in_now = sign_in(&app, &browser_from("127.0.0.1"), &[], "ada@example.com", "a long passphrase").await;
    assert_eq!(sign_in_now.status(), StatusCode::TOO_MANY_REQUESTS);
}

// ---- D. Content-Security-Policy ---------------------------------------------------------------

/// Every `nonce="…"` attribute in `html`.
fn nonces_in(html: &str) -> Vec<String> {
    html.split("nonce=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_string).collect()
}

#[tokio::test]
async fn pages_carry_a_csp_that_allows_only_their_own_nonced_scripts() {
    use crate::harness::idp::FakeIdp;
    let idp = FakeIdp::start(serde_json::json!({"sub": "g-1"})).await;
    let github = FakeIdp::start(serde_json::json!({})).await;
    let config = format!("{}{}", idp.oidc_connection("test"), github.github_connection("gh"));
    let app = spawn_app_on(Backend::Sqlite, &config).await;
    let mut seen = Vec::new();
    for path in ["/", "/login", "/no-such-page"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        let csp =
            res.headers().get(header::CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("no CSP on {path}")).to_str().unwrap().to_string();
        let html = res.text().await.unwrap();
        let nonce =
            csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap_or_else(|| panic!("no nonce in {csp}")).to_string();
        assert!(nonce.len() >= 22, "128 bits or more: {nonce}");
        let in_page = nonces_in(&html);
        assert!(
            html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
            "{path}: the hydration script carries the header's nonce"
        );
        assert!(in_page.iter().all(|n| *n == nonce), "{path}: {in_page:?} vs {nonce}");
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script type=\"module\" nonce=").count() + html.matches("<script nonce=").count(),
            "{path}: every script has a nonce"
        );
        assert!(csp.contains(&format!("script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'")), "{csp}");
        for directive in
            ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "img-src 'self' data: https:"]
        {
            assert!(csp.contains(directive), "{directive} missing: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // The sign-in buttons post to /auth/…/start, which redirects to the provider: browsers
        // check that redirect against form-action too.
        let form_action = csp.split("form-action").nth(1).unwrap_or_default();
        assert!(form_action.contains("'self'"), "{csp}");
        assert!(form_action.contains(&idp.issuer), "OIDC provider origin missing: {csp}");
        assert!(form_action.contains(&github.issuer), "GitHub authorize origin missing: {csp}");
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "a fresh nonce for every response");
    // JSON answers are not documents and carry no policy.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
}
