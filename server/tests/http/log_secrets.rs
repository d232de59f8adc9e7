//! Logs never carry secrets. Each test captures every span and event at TRACE level —
//! AskOnce's and its libraries' (`log` records included) — while full flows run: password
//! sign-up, sign-in success and failure, provider sign-in success and each kind of failure,
//! linking, sign-out, management API calls with good and bad tokens, and AskOnce as the
//! OpenID Provider (codes, PKCE, refresh, userinfo, introspection, revocation, logout, wrong
//! secrets and verifiers). Then no cookie,
//! session id, authorization code, state, token, ID token, password or client secret the
//! flows used may appear in what was captured.
//!
//! Each test runs alone in a process of its own (`harness::own_process`): the subscriber is
//! process-wide and must be installed before the app, and must see no other test's logs.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use app::admin::api_tokens::{ssr::create, Scope};
use reqwest::{header, Client};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::harness::{
    browser::{browser, location},
    idp::{FakeIdp, Misbehaviour, CLIENT_SECRET},
    spawn_app_on, Backend, TestApp,
};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Everything a flow handled that must never be logged.
#[derive(Default)]
struct Secrets(Vec<(String, &'static str)>);

impl Secrets {
    fn add(&mut self, value: impl Into<String>, what: &'static str) {
        let value = value.into();
        if value.len() >= 6 {
            self.0.push((value, what));
        }
    }

    /// Session ids the response set, and the query parameters of its redirect.
    fn add_from_response(&mut self, res: &reqwest::Response) {
        for cookie in res.headers().get_all(header::SET_COOKIE) {
            if let Some(value) = cookie.to_str().ok().and_then(|c| c.split(';').next()).and_then(|p| p.split_once('=')) {
                self.add(value.1, "session cookie");
            }
        }
        if let Some(to) = res.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()) {
            if let Ok(url) = url::Url::parse(to) {
                for (k, v) in url.query_pairs() {
                    match k.as_ref() {
                        "code" => self.add(v.into_owned(), "authorization code"),
                        "state" => self.add(v.into_owned(), "state"),
                        "nonce" => self.add(v.into_owned(), "nonce"),
                        "code_challenge" => self.add(v.into_owned(), "PKCE challenge"),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// A password sign-in, recording its secrets; wrong passwords are part of the flows, so the
/// answer is not checked.
async fn password_sign_in(app: &TestApp, client: &Client, email: &str, pw: &str, secrets: &mut Secrets) {
    secrets.add(pw, "password");
    let res = app.try_sign_in(client, email, pw).await;
    secrets.add_from_response(&res);
}

/// start → provider → callback, recording every secret on the way; a `replay` sends the
/// callback a second time.
async fn provider(app: &TestApp, client: &Client, start_path: &str, link: bool, replay: bool, secrets: &mut Secrets) {
    let start = if link {
        client.post(app.url(start_path)).form(&[("link", "1"), ("return_to", "/profile")]).send().await.unwrap()
    } else {
        client.get(app.url(start_path)).send().await.unwrap()
    };
    secrets.add_from_response(&start);
    let at_provider = client.get(location(&start)).send().await.unwrap();
    secrets.add_from_response(&at_provider);
    let callback = location(&at_provider);
    let done = client.get(&callback).send().await.unwrap();
    secrets.add_from_response(&done);
    if replay {
        client.get(&callback).send().await.unwrap();
    }
}

async fn run_flows(backend: Backend, secrets: &mut Secrets) {
    let idp = FakeIdp::start(json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada"})).await;
    // Many sign-ins from one address: lift the per-client limit (its 429 is tested elsewhere).
    let limits = "[rate_limit]\nauth_per_minute = 1000\nauth_burst = 1000\n";
    let app = spawn_app_on(
        backend,
        &format!(
            "{limits}{}{}{}{}",
            idp.oidc_connection("test"),
            idp.github_connection("gh"),
            crate::openid_provider::clients_toml(),
            crate::harness::openid::client_toml(
                "shop",
                "regular_web",
                crate::openid_provider::CALLBACK,
                "scopes = [\"openid\", \"prompt\"]"
            )
        ),
    )
    .await;
    secrets.add(CLIENT_SECRET, "client secret");

    // Password: sign-up, wrong password, unknown email, right password, sign-out.
    let ada = browser();
    secrets.add("correct horse battery staple", "password");
    let signed_up = app.sign_up_with(&ada, "pw@example.com", "correct horse battery staple").await;
    secrets.add_from_response(&signed_up);
    let other = browser();
    password_sign_in(&app, &other, "pw@example.com", "wrong horse battery staple", secrets).await;
    password_sign_in(&app, &other, "nobody@example.com", "no such account password", secrets).await;
    password_sign_in(&app, &other, "pw@example.com", "correct horse battery staple", secrets).await;
    // Link both providers to the password account, then sign out.
    provider(&app, &ada, "/auth/test/start", true, false, secrets).await;
    provider(&app, &ada, "/auth/gh/start", true, false, secrets).await;
    app.sign_out(&ada).await;

    // Provider sign-ins: success, a replayed callback, then each kind of refusal.
    provider(&app, &browser(), "/auth/test/start", false, true, secrets).await;
    provider(&app, &browser(), "/auth/gh/start", false, true, secrets).await;
    let failures = [
        Misbehaviour { forge_signature: true, ..Default::default() },
        Misbehaviour { nonce: Some("not-the-nonce-we-sent".into()), ..Default::default() },
        Misbehaviour { id_token_issuer: Some("https://evil.example".into()), ..Default::default() },
        Misbehaviour { audience: Some(json!(["someone-else"])), ..Default::default() },
        Misbehaviour { exp_offset: Some(-3600), ..Default::default() },
        Misbehaviour { userinfo_sub: Some("other".into()), ..Default::default() },
        Misbehaviour { at_hash: Some("AAAAAAAAAAAAAAAAAAAAAA".into()), ..Default::default() },
        Misbehaviour { alg_none: true, ..Default::default() },
    ];
    for m in failures {
        idp.misbehave(m);
        provider(&app, &browser(), "/auth/test/start", false, false, secrets).await;
    }
    idp.misbehave(Misbehaviour::default());
    // A callback with a made-up state and code; then the real state with a code the provider
    // refuses at its token endpoint (the error path that logs the provider's answer).
    let stray = browser();
    let start = stray.get(app.url("/auth/test/start")).send().await.unwrap();
    secrets.add_from_response(&start);
    stray.get(app.url("/auth/test/callback?code=made-up-code-123456&state=made-up-state-123456")).send().await.unwrap();
    secrets.add("made-up-code-123456", "authorization code");
    let state = url::Url::parse(&location(&start)).unwrap().query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap();
    stray.get(app.url(&format!("/auth/test/callback?code=refused-code-654321&state={state}"))).send().await.unwrap();
    secrets.add("refused-code-654321", "authorization code");
    // A provider error answer (`?error=`) with the state.
    let start = stray.get(app.url("/auth/test/start")).send().await.unwrap();
    secrets.add_from_response(&start);
    let state = url::Url::parse(&location(&start)).unwrap().query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap();
    stray.get(app.url(&format!("/auth/test/callback?error=access_denied&error_description=denied&state={state}"))).send().await.unwrap();

    openid_provider_flows(&app, secrets).await;

    // The management API: a good token, a bad one.
    let (_, token) = create(&app.db, "ops", &[Scope::ReadUsers], services::audit::Actor::Cli, None).await.unwrap();
    secrets.add(token.clone(), "API token");
    Client::new().get(app.url("/api/v2/users")).bearer_auth(&token).send().await.unwrap();
    let forged = format!("{token}x");
    secrets.add(forged.clone(), "API token");
    Client::new().get(app.url("/api/v2/users")).bearer_auth(&forged).send().await.unwrap();
}

/// AskOnce as the OpenID Provider: an authorization with PKCE, the exchange, refresh,
/// userinfo, introspection, revocation, logout; a replayed code, a wrong verifier, a wrong
/// client secret. Every code, verifier, token and secret is recorded.
async fn openid_provider_flows(app: &TestApp, secrets: &mut Secrets) {
    use crate::harness::openid::SECRET;
    use crate::openid_provider::{code_for, exchange, logout_url, pkce, signed_in_person, CALLBACK};
    secrets.add(SECRET, "client secret");
    let person = signed_in_person(app, "op-logs@example.com").await;
    let (verifier, challenge) = pkce();
    secrets.add(verifier.clone(), "PKCE verifier");
    secrets.add(challenge.clone(), "PKCE challenge");
    let code = code_for(
        app,
        &person,
        "web",
        &[("scope", "openid offline_access"), ("code_challenge", &challenge), ("code_challenge_method", "S256")],
    )
    .await;
    secrets.add(code.clone(), "authorization code");
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", verifier.as_str())];
    let tokens: serde_json::Value = exchange(app, "web", Some(SECRET), &form).await.json().await.unwrap();
    exchange(app, "web", Some(SECRET), &form).await;
    let (access, refresh, id_token) = (
        tokens["access_token"].as_str().unwrap().to_string(),
        tokens["refresh_token"].as_str().unwrap().to_string(),
        tokens["id_token"].as_str().unwrap().to_string(),
    );
    for (token, what) in [(&access, "access token"), (&refresh, "refresh token"), (&id_token, "ID token")] {
        secrets.add(token.clone(), what);
        // The signature alone, too: a log line with a token cut short must not show its end.
        secrets.add(token.rsplit('.').next().unwrap_or_default().to_string(), what);
    }
    let code = code_for(app, &person, "web", &[("scope", "openid offline_access")]).await;
    secrets.add(code.clone(), "authorization code");
    let fresh: serde_json::Value =
        exchange(app, "web", Some(SECRET), &[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)])
            .await
            .json()
            .await
            .unwrap();
    let fresh_refresh = fresh["refresh_token"].as_str().unwrap().to_string();
    secrets.add(fresh_refresh.clone(), "refresh token");
    let rotated: serde_json::Value =
        exchange(app, "web", Some(SECRET), &[("grant_type", "refresh_token"), ("refresh_token", fresh_refresh.as_str())])
            .await
            .json()
            .await
            .unwrap();
    if let Some(r) = rotated["refresh_token"].as_str() {
        secrets.add(r.to_string(), "refresh token");
    }
    exchange(app, "web", Some(SECRET), &[("grant_type", "refresh_token"), ("refresh_token", fresh_refresh.as_str())]).await;
    Client::new().get(app.url("/userinfo")).bearer_auth(&access).send().await.unwrap();
    Client::new()
        .post(app.url("/oauth/introspect"))
        .basic_auth("web", Some(SECRET))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    let wrong = "wrong-client-secret-0123456789abcdefghij";
    secrets.add(wrong, "client secret");
    exchange(app, "web", Some(wrong), &[("grant_type", "authorization_code"), ("code", "x")]).await;
    let (wrong_verifier, wrong_challenge) = pkce();
    secrets.add(wrong_verifier.clone(), "PKCE verifier");
    let code = code_for(app, &person, "spa", &[("code_challenge", &wrong_challenge), ("code_challenge_method", "S256")]).await;
    secrets.add(code.clone(), "authorization code");
    let (other_verifier, _) = pkce();
    secrets.add(other_verifier.clone(), "PKCE verifier");
    exchange(
        app,
        "spa",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", other_verifier.as_str()),
        ],
    )
    .await;
    // Token exchange: a prompt token for `shop`'s person, and a refused one.
    let code = code_for(app, &person, "shop", &[("scope", "openid")]).await;
    secrets.add(code.clone(), "authorization code");
    let shop: serde_json::Value =
        exchange(app, "shop", Some(SECRET), &[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)])
            .await
            .json()
            .await
            .unwrap();
    let shop_access = shop["access_token"].as_str().unwrap().to_string();
    secrets.add(shop_access.clone(), "access token");
    let subject_type = "urn:ietf:params:oauth:token-type:access_token";
    let grant = "urn:ietf:params:oauth:grant-type:token-exchange";
    let exchanged: serde_json::Value = exchange(
        app,
        "shop",
        Some(SECRET),
        &[("grant_type", grant), ("subject_token", &shop_access), ("subject_token_type", subject_type)],
    )
    .await
    .json()
    .await
    .unwrap();
    let prompt_token = exchanged["access_token"].as_str().unwrap().to_string();
    secrets.add(prompt_token.clone(), "prompt token");
    secrets.add(prompt_token.rsplit('.').next().unwrap_or_default().to_string(), "prompt token");
    exchange(app, "shop", Some(SECRET), &[("grant_type", grant), ("subject_token", &access), ("subject_token_type", subject_type)]).await;
    Client::new().post(app.url("/oauth/revoke")).basic_auth("web", Some(SECRET)).form(&[("token", refresh.as_str())]).send().await.unwrap();
    person.get(logout_url(app, &[("id_token_hint", id_token.as_str())])).send().await.unwrap();

    // Applications over the API: secrets made, rotated, used by a machine.
    let owner = app.api_token(&app::admin::api_tokens::Scope::ALL).await;
    secrets.add(owner.clone(), "API token");
    let machine = serde_json::json!({ "name": "Logged machine", "app_type": "non_interactive", "scopes": ["read:users"] });
    let (_, made) = app.api("POST", "/api/v2/clients", Some(&owner), Some(machine)).await;
    let id = made["client_id"].as_str().unwrap().to_string();
    let first = made["client_secret"].as_str().unwrap().to_string();
    secrets.add(first.clone(), "client secret");
    let (_, rotated) = app.api("POST", &format!("/api/v2/clients/{id}/rotate-secret"), Some(&owner), None).await;
    let second = rotated["client_secret"].as_str().unwrap().to_string();
    secrets.add(second.clone(), "client secret");
    let machine_tokens: serde_json::Value =
        exchange(app, &id, Some(&second), &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let machine_token = machine_tokens["access_token"].as_str().unwrap().to_string();
    secrets.add(machine_token.clone(), "machine access token");
    secrets.add(machine_token.rsplit('.').next().unwrap_or_default().to_string(), "machine access token");
    app.api("GET", "/api/v2/users", Some(&machine_token), None).await;
    app.api("GET", "/api/v2/users", Some(&format!("{machine_token}x")), None).await;
    exchange(app, &id, Some(&format!("{second}x")), &[("grant_type", "client_credentials")]).await;
}

/// The process-wide capture, installed before the app starts.
fn capture() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            // The test browsers' own cookie jar (`cookie_store`) logs what it stores; the app has
            // no cookie jar, so that target is the test client's, not AskOnce's.
            .with_env_filter("trace,cookie_store=off")
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("this process's only subscriber");
        captured
    })
}

fn line_around(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

async fn no_secret_reaches_the_logs_at_any_level(backend: Backend) {
    let captured = capture();
    let mut secrets = Secrets::default();
    run_flows(backend, &mut secrets).await;

    let logs = captured.text();
    assert!(logs.contains("provider sign-in"), "the flows were logged at all");
    assert!(logs.contains("provider sign-in failed"), "the failure paths were logged too");
    let mut leaks = Vec::new();
    for (value, what) in &secrets.0 {
        if let Some(at) = logs.find(value.as_str()) {
            leaks.push(format!("{what}: {}", line_around(&logs, at)));
        }
    }
    // What the flows did not see themselves: headers by name, ID tokens (every JWT starts
    // with the base64 of `{"`), the providers' access tokens.
    let lower = logs.to_lowercase();
    for marker in ["cookie:", "\"cookie\"", "authorization:", "\"authorization\"", "set-cookie", "access_token=", "gho_test"] {
        if let Some(at) = lower.find(marker) {
            leaks.push(format!("`{marker}`: {}", line_around(&logs, at)));
        }
    }
    // The test provider's access tokens: `at-` and 32 hex digits.
    for (at, _) in logs.match_indices("at-") {
        let rest = &logs[at + 3..];
        if rest.len() >= 32 && rest[..32].bytes().all(|b| b.is_ascii_hexdigit()) {
            leaks.push(format!("an access token: {}", line_around(&logs, at)));
        }
    }
    if let Some(at) = find_jwt(&logs) {
        leaks.push(format!("a JWT: {}", line_around(&logs, at)));
    }
    assert!(leaks.is_empty(), "{} secret(s) in the logs:\n{}", leaks.len(), leaks.join("\n"));
}
crate::on_both_databases!(no_secret_reaches_the_logs_at_any_level, own_process);

/// Where a JWT starts in `text`: a header and a payload that are both JSON objects, so both
/// begin with the base64 of `{"` — `eyJ…​.eyJ`. `eyJ` alone turns up by chance in the random
/// base64 the logs do carry (a public key's modulus one run in thirty).
fn find_jwt(text: &str) -> Option<usize> {
    let is_b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    text.match_indices("eyJ").map(|(at, _)| at).find(|&at| {
        let rest = &text.as_bytes()[at..];
        let header = rest.iter().take_while(|&&b| is_b64url(b)).count();
        rest.get(header) == Some(&b'.') && rest[header + 1..].starts_with(b"eyJ")
    })
}

#[test]
fn a_jwt_is_found_and_random_base64_is_not() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
    assert_eq!(find_jwt(&format!("token={jwt} end")), Some(6));
    assert_eq!(find_jwt("n: zefM7owOeyJuvjSxB5U1uuMPH, sealed: QgAp7ViQeyJ/50dbQ"), None);
    assert_eq!(find_jwt("eyJ.abc eyJabc"), None);
}
