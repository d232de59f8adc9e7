//! Post-login hooks against a real endpoint ([`HookEndpoint`]): signed events, the profile
//! enriched so the engine never asks what a hook told it, a sign-in denied with the hook's
//! message, slow / failing / redirecting hooks recorded and handled by their `on_failure`,
//! and the secret shown once.

use app::{
    admin::api_tokens::Scope,
    profiling::prompt_ui::{AnswerPrompt, LoginPrompt},
};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

use crate::harness::{
    browser::browser,
    hook_endpoint::{Answer, HookEndpoint},
    idp::FakeIdp,
    spawn_app_on, Backend, TestApp,
};

/// Makes a hook through the API and hands its secret to the endpoint; the hook's id.
async fn add_hook(app: &TestApp, endpoint: &HookEndpoint, settings: Value) -> String {
    let token = app.api_token(&[Scope::UpdateHooks]).await;
    let mut settings = settings;
    settings["url"] = json!(endpoint.url);
    let (status, created) = app.api("POST", "/api/v2/hooks", Some(&token), Some(settings)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    endpoint.set_secret(created["secret"].as_str().expect("the secret, once"));
    created["id"].as_str().expect("an id").to_string()
}

async fn hook_calls(app: &TestApp, id: &str) -> Vec<Value> {
    let token = app.api_token(&[Scope::ReadHooks]).await;
    let (status, hook) = app.api("GET", &format!("/api/v2/hooks/{id}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{hook}");
    hook["recent_calls"].as_array().expect("recent calls").clone()
}

async fn login_prompt(app: &TestApp, client: &reqwest::Client) -> Value {
    let res = app.call(client, LoginPrompt::PATH, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("the prompt as JSON")
}

async fn a_hook_enriches_the_profile_so_its_questions_are_never_asked(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"user_metadata": {"company": "Acme", "job_title": "Engineer"}}))).await;
    let id = add_hook(&app, &endpoint, json!({"name": "crm", "trigger": "post-login"})).await;
    let signup_hook = HookEndpoint::start(Answer::Json(json!({"app_metadata": {"plan": "trial"}}))).await;
    add_hook(&app, &signup_hook, json!({"name": "plans", "trigger": "post-signup"})).await;

    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    // The signup stage asks the names (no hook knows them) …
    assert_eq!(login_prompt(&app, &client).await["stage"], "name");
    let answer = [("stage", "name"), ("answers[given_name]", "Ada"), ("answers[family_name]", "Lovelace")];
    assert_eq!(app.call(&client, AnswerPrompt::PATH, &answer).await.status(), StatusCode::OK);
    app.sign_out(&client).await;
    // … and at the second sign-in the work stage, whose fields the hook answered, is not shown.
    app.sign_in(&client, "ada@example.com").await;
    assert_eq!(login_prompt(&app, &client).await, Value::Null, "nothing left to ask");

    let me = app.me(&client).await;
    assert_eq!(me["user_metadata"]["company"], "Acme");
    assert_eq!(me["provenance"]["user_metadata.company"]["source"], "hook:crm");
    assert_eq!(me["app_metadata"]["plan"], "trial", "the post-signup hook ran");

    let calls = endpoint.received();
    assert_eq!(calls.len(), 2, "post-login runs at every sign-in");
    assert!(calls.iter().all(|c| c.signature_ok), "every call is signed with the hook's secret");
    let first = &calls[0].body;
    assert_eq!(first["trigger"], "post-login");
    assert_eq!(first["user"]["email"], "ada@example.com");
    assert_eq!(first["identity"]["connection"], app::identity::PASSWORD_CONNECTION);
    assert_eq!(calls[1].body["user"]["logins_count"], 2);
    for call in &calls {
        assert!(
            !call.raw.contains("a long passphrase") && !call.raw.contains("argon2") && !call.raw.contains("whsec_"),
            "no secrets: {}",
            call.raw
        );
    }
    assert_eq!(signup_hook.received().len(), 1, "post-signup runs once");
    let recorded = hook_calls(&app, &id).await;
    assert_eq!(recorded.len(), 2);
    assert_eq!((recorded[0]["outcome"].as_str(), recorded[0]["http_status"].as_u64()), (Some("ok"), Some(200)));
}
crate::on_both_databases!(a_hook_enriches_the_profile_so_its_questions_are_never_asked);

async fn a_hook_denies_a_sign_in_with_its_message(backend: Backend) {
    let idp = FakeIdp::start(json!({"sub": "g-1", "email": "bo@example.com", "email_verified": true})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    let client = browser();
    app.sign_up(&client, "cy@example.com").await;
    app.sign_out(&client).await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"deny": "Your trial has ended. Write to sales@example.com."}))).await;
    let id = add_hook(&app, &endpoint, json!({"name": "trial", "trigger": "post-login"})).await;

    let refused = app.try_sign_in(&client, "cy@example.com", crate::harness::PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Your trial has ended."));
    assert_eq!(app.whoami(&client).await, None, "no session");

    // Through a provider: back at the login page, which shows the message once.
    let to = app.provider_flow(&client, "/auth/test/start").await;
    assert!(to.starts_with("/login?error=denied"), "{to}");
    let page = client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Your trial has ended."), "the hook's message is shown");
    assert_eq!(app.whoami(&client).await, None);
    let calls = hook_calls(&app, &id).await;
    assert!(calls.iter().all(|c| c["outcome"] == "denied"), "{calls:?}");
}
crate::on_both_databases!(a_hook_denies_a_sign_in_with_its_message);

async fn failing_hooks_are_recorded_and_follow_their_on_failure(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let client = browser();
    app.sign_up(&client, "di@example.com").await;
    app.sign_out(&client).await;
    let endpoint = HookEndpoint::start(Answer::Slow(Duration::from_secs(3))).await;
    let id = add_hook(&app, &endpoint, json!({"name": "slow", "trigger": "post-login", "timeout_ms": 300})).await;

    // Too slow, `continue`: the sign-in goes on, within about the timeout.
    let started = std::time::Instant::now();
    app.sign_in(&client, "di@example.com").await;
    assert!(started.elapsed() < Duration::from_secs(3), "the sign-in did not wait for the slow hook");
    app.sign_out(&client).await;
    // A redirect is not followed; an error status is a failure.
    endpoint.answer(Answer::Redirect);
    app.sign_in(&client, "di@example.com").await;
    app.sign_out(&client).await;
    assert_eq!(endpoint.elsewhere_visits(), 0, "AskOnce never followed the hook's redirect");
    endpoint.answer(Answer::Status(500));
    app.sign_in(&client, "di@example.com").await;
    app.sign_out(&client).await;
    endpoint.answer(Answer::Json(json!({"user_metadata": {"a.b": 1}})));
    app.sign_in(&client, "di@example.com").await;
    app.sign_out(&client).await;

    let calls = hook_calls(&app, &id).await;
    let outcomes: Vec<(&str, Option<u64>)> = calls.iter().map(|c| (c["outcome"].as_str().unwrap(), c["http_status"].as_u64())).collect();
    assert_eq!(outcomes, [("failed", Some(200)), ("failed", Some(500)), ("failed", Some(302)), ("timeout", None)], "newest first");
    assert!(calls[2]["detail"].as_str().unwrap().contains("redirects are not followed"));
    assert!(calls[0]["detail"].as_str().unwrap().contains("user_metadata"), "an invalid key is named");

    // `deny`: a failed call refuses the sign-in, with a reason that blames nobody.
    let token = app.api_token(&[Scope::UpdateHooks]).await;
    let settings = json!({"name": "slow", "trigger": "post-login", "url": endpoint.url, "timeout_ms": 300, "on_failure": "deny"});
    let (status, _) = app.api("PUT", &format!("/api/v2/hooks/{id}"), Some(&token), Some(settings)).await;
    assert_eq!(status, StatusCode::OK);
    endpoint.answer(Answer::Status(503));
    let refused = app.try_sign_in(&client, "di@example.com", crate::harness::PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("could not complete your sign-in"));
    assert_eq!(app.whoami(&client).await, None);

    // Switched off: not called at all.
    let settings = json!({"name": "slow", "trigger": "post-login", "url": endpoint.url, "enabled": false});
    app.api("PUT", &format!("/api/v2/hooks/{id}"), Some(&token), Some(settings)).await;
    let before = endpoint.received().len();
    app.sign_in(&client, "di@example.com").await;
    assert_eq!(endpoint.received().len(), before);
}
crate::on_both_databases!(failing_hooks_are_recorded_and_follow_their_on_failure);

async fn the_secret_is_shown_once_and_hooks_need_their_scopes(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let reader = app.api_token(&[Scope::ReadHooks]).await;
    let writer = app.api_token(&[Scope::UpdateHooks]).await;
    let body = json!({"name": "crm", "trigger": "post-signup", "url": "https://crm.example/hook"});
    assert_eq!(app.api("POST", "/api/v2/hooks", Some(&reader), Some(body.clone())).await.0, StatusCode::FORBIDDEN);
    let (status, created) = app.api("POST", "/api/v2/hooks", Some(&writer), Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 64);
    let (_, list) = app.api("GET", "/api/v2/hooks", Some(&reader), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret) && list[0].get("secret").is_none(), "never served again");
    assert_eq!(app.api("GET", "/api/v2/hooks", Some(&writer), None).await.0, StatusCode::FORBIDDEN);
    let (status, refused) = app.api("POST", "/api/v2/hooks", Some(&writer), Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a name is unique: {refused}");
    let bad = json!({"name": "Bad Name", "trigger": "post-login", "url": "ftp://x", "timeout_ms": 60000});
    let (status, refused) = app.api("POST", "/api/v2/hooks", Some(&writer), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for key in ["name", "url", "timeout_ms"] {
        assert!(refused["message"].as_str().unwrap().contains(key), "{refused}");
    }
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.api("DELETE", &format!("/api/v2/hooks/{id}"), Some(&writer), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.api("GET", &format!("/api/v2/hooks/{id}"), Some(&reader), None).await.0, StatusCode::NOT_FOUND);
}
crate::on_both_databases!(the_secret_is_shown_once_and_hooks_need_their_scopes);
