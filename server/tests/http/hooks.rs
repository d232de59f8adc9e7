//! Post-login hooks against a real endpoint ([`HookEndpoint`]): signed events, the profile
//! enriched so the engine never asks what a hook told it, a sign-in denied with the hook's
//! message, slow / failing / redirecting hooks recorded and handled by their `on_failure`,
//! and the secret shown once.

use app::{admin::api_tokens::Scope, prompt::AnswerPrompt, prompt::LoginPrompt};
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

/// The hooks these tests start listen on 127.0.0.1: the server's own network, which a hook may
/// call only when the operator lists it.
const LOCAL_HOOKS: &str = "[hooks]\nallow_private = [\"127.0.0.0/8\"]\n";

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
    let app = spawn_app_on(backend, LOCAL_HOOKS).await;
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
    assert_eq!(first["identity"]["connection"], domain::identity::PASSWORD_CONNECTION);
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
    let app = spawn_app_on(backend, &format!("{}\n{LOCAL_HOOKS}", idp.oidc_connection("test"))).await;
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
    let app = spawn_app_on(backend, LOCAL_HOOKS).await;
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

/// Every spelling of an address inside the server's network, as the attack tried them: each is
/// refused when a hook is saved, through the API and the console, with a message that says
/// what to do. None of these is ever connected to.
const INSIDE: [&str; 24] = [
    "http://127.0.0.1:8080/hook",
    "http://localhost:8080/hook",
    "http://LocalHost./hook",
    "http://admin.localhost/hook",
    "http://[::1]:8080/hook",
    "http://127.1/hook",
    "http://0x7f.1/hook",
    "http://2130706433/hook",
    "http://0.0.0.0:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://198.18.0.1/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[fc00::1]/hook",
    "http://[fd00:ec2::254]/hook",
    "http://[fe80::1]/hook",
    "http://0.1.2.3/hook",
    "https://[::ffff:a9fe:a9fe]/hook",
];

async fn hooks_cannot_point_inside_the_servers_network(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let writer = app.api_token(&[Scope::UpdateHooks]).await;
    for url in INSIDE {
        let body = json!({"name": "probe", "trigger": "post-login", "url": url});
        let (status, refused) = app.api("POST", "/api/v2/hooks", Some(&writer), Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {refused}");
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains("url") && message.contains("hooks.allow_private"), "{url}: {message}");
    }
    // A saved hook cannot be moved inside either, nor switched on there; switched off it may
    // keep any address (it is never called).
    let body = json!({"name": "crm", "trigger": "post-login", "url": "https://crm.example/hook"});
    let (status, created) = app.api("POST", "/api/v2/hooks", Some(&writer), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let inside = json!({"name": "crm", "trigger": "post-login", "url": "http://127.0.0.1:22/"});
    assert_eq!(app.api("PUT", &format!("/api/v2/hooks/{id}"), Some(&writer), Some(inside)).await.0, StatusCode::BAD_REQUEST);
    let off = json!({"name": "crm", "trigger": "post-login", "url": "http://127.0.0.1:22/", "enabled": false});
    assert_eq!(app.api("PUT", &format!("/api/v2/hooks/{id}"), Some(&writer), Some(off)).await.0, StatusCode::OK);

    // The console refuses the same, with the message beside the field.
    let admin = browser();
    app.sign_up_admin(&admin, "owner@example.com").await;
    let form = [
        ("name", "probe"),
        ("trigger", "post-login"),
        ("url", "http://169.254.169.254/"),
        ("timeout_ms", "3000"),
        ("on_failure", "continue"),
    ];
    let res = app.call(&admin, app::admin::hooks_page::CreateHook::PATH, &form).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("hooks.allow_private"));
    let enable = [("id", id), ("enabled", "true")];
    assert_eq!(app.call(&admin, app::admin::hooks_page::SetHookEnabled::PATH, &enable).await.status(), StatusCode::BAD_REQUEST);
}
crate::on_both_databases!(hooks_cannot_point_inside_the_servers_network);

/// A hook stored as an earlier release (or another configuration) accepted it: `hook-<name>`.
async fn stored_hook(app: &TestApp, name: &str, url: &str) {
    use sea_orm::{ActiveModelTrait, Set};
    services::entities::hooks::ActiveModel {
        id: Set(format!("hook-{name}")),
        name: Set(name.into()),
        trigger: Set("post-login".into()),
        url: Set(url.into()),
        enabled: Set(true),
        timeout_ms: Set(3000),
        on_failure: Set("continue".into()),
        secret: Set("whsec_test".into()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A hook whose address was accepted once (another configuration, or a name that resolved
/// outside then) is checked again at the connection: nothing reaches the endpoint, and the
/// recorded reason is the one a closed port gets, so the recent calls scan no ports.
async fn an_inside_address_is_refused_at_the_connection_and_reads_as_unreachable(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"app_metadata": {"reached": true}}))).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // dropped: nobody listens
    for (name, url) in [("open", endpoint.url.clone()), ("closed", format!("http://{closed}/hook"))] {
        stored_hook(&app, name, &url).await;
    }
    let client = browser();
    app.sign_up(&client, "eve@example.com").await;
    assert!(endpoint.received().is_empty(), "the server never connected to its own network");
    assert_eq!(app.me(&client).await["app_metadata"], json!({}));
    let open = hook_calls(&app, "hook-open").await;
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["outcome"].as_str(), open[0]["http_status"].as_u64()), (Some("failed"), None));

    // The same app allowed to reach 127.0.0.0/8 finds the port closed: the same words.
    let allowed = spawn_app_on(backend, LOCAL_HOOKS).await;
    stored_hook(&allowed, "closed", &format!("http://{closed}/hook")).await;
    allowed.sign_up(&browser(), "eve@example.com").await;
    let closed_calls = hook_calls(&allowed, "hook-closed").await;
    assert_eq!(closed_calls.len(), 1);
    assert_eq!(open[0]["detail"], closed_calls[0]["detail"], "a refused address reads as a closed port");
    let detail = open[0]["detail"].as_str().unwrap();
    for socket_words in ["refused", "os error", "127.0.0.1", "tcp", "dns", "not allowed"] {
        assert!(!detail.to_lowercase().contains(socket_words), "{detail}");
    }
}
crate::on_both_databases!(an_inside_address_is_refused_at_the_connection_and_reads_as_unreachable);

/// A reply carrying NUL (which PostgreSQL stores in no text) is a failed call like any other
/// unacceptable reply: recorded, and the sign-in goes on (`continue`) — not a server error.
async fn a_reply_with_a_nul_character_is_a_failed_call(backend: Backend) {
    let app = spawn_app_on(backend, LOCAL_HOOKS).await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"user_metadata": {"company": "a\u{0}b"}}))).await;
    let id = add_hook(&app, &endpoint, json!({"name": "nul", "trigger": "post-login"})).await;
    let client = browser();
    app.sign_up(&client, "nul@example.com").await;
    assert!(app.whoami(&client).await.is_some(), "signed in");
    assert_eq!(app.me(&client).await["user_metadata"], json!({}));
    let calls = hook_calls(&app, &id).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], "failed");
    assert!(calls[0]["detail"].as_str().unwrap().contains("NUL"), "{calls:?}");
}
crate::on_both_databases!(a_reply_with_a_nul_character_is_a_failed_call);

/// A hook's refusal of an application's sign-in reaches the application as `access_denied`
/// (OpenID Connect), by a plain form post and by the hydrated page alike.
async fn a_hooks_refusal_reaches_the_application_as_access_denied(backend: Backend) {
    use crate::openid_provider::{authorize_url, clients_toml, params_of, CALLBACK};
    use app::sign_in::PasswordSignIn;
    let app = spawn_app_on(backend, &format!("{LOCAL_HOOKS}{}", clients_toml())).await;
    let client = browser();
    app.sign_up(&client, "app-denied@example.com").await;
    app.sign_out(&client).await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"deny": "Not today."}))).await;
    add_hook(&app, &endpoint, json!({"name": "no", "trigger": "post-login"})).await;
    for plain_form in [true, false] {
        let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st")]);
        let to_login = crate::harness::browser::location(&client.get(url).send().await.unwrap());
        let continue_to = crate::harness::openid::return_to_of(&to_login);
        let mut post = client.post(app.url(PasswordSignIn::PATH)).header("sec-fetch-site", "same-origin").form(&[
            ("email", "app-denied@example.com"),
            ("password", crate::harness::PASSWORD),
            ("return_to", continue_to.as_str()),
        ]);
        if plain_form {
            post = post.header("accept", "text/html");
        }
        let refused = post.send().await.unwrap();
        if plain_form {
            assert_eq!(crate::harness::browser::location(&refused), continue_to, "a plain form post goes on to the application");
        } else {
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "the hydrated page is told why, then goes on");
        }
        let back = crate::harness::browser::location(&client.get(app.url(&continue_to)).send().await.unwrap());
        assert!(back.starts_with(CALLBACK), "{back}");
        assert_eq!(params_of(&back)["error"], "access_denied");
        assert_eq!(params_of(&back)["state"], "st");
    }
    assert_eq!(app.whoami(&client).await, None, "no session");
}
crate::on_both_databases!(a_hooks_refusal_reaches_the_application_as_access_denied);

/// The same through a provider's sign-in: the callback sends the browser on to the
/// application, which hears `access_denied`.
async fn a_hooks_refusal_of_a_provider_sign_in_reaches_the_application(backend: Backend) {
    use crate::openid_provider::{authorize_url, clients_toml, params_of, CALLBACK};
    let idp = FakeIdp::start(json!({"sub": "p-1", "email": "prov-denied@example.com", "email_verified": true})).await;
    let app = spawn_app_on(backend, &format!("{}\n{LOCAL_HOOKS}{}", idp.oidc_connection("test"), clients_toml())).await;
    let endpoint = HookEndpoint::start(Answer::Json(json!({"deny": "Not today."}))).await;
    add_hook(&app, &endpoint, json!({"name": "no", "trigger": "post-login"})).await;
    let client = browser();
    let url = authorize_url(&app, "web", &[("response_type", "code"), ("scope", "openid"), ("state", "st")]);
    let to_login = crate::harness::browser::location(&client.get(url).send().await.unwrap());
    let continue_to = crate::harness::openid::return_to_of(&to_login);
    let start = format!("/auth/test/start?return_to={}", domain::return_to::percent_encode(&continue_to));
    let ended = app.provider_flow(&client, &start).await;
    assert_eq!(ended, continue_to, "the callback goes on to the application");
    let back = crate::harness::browser::location(&client.get(app.url(&continue_to)).send().await.unwrap());
    assert!(back.starts_with(CALLBACK), "{back}");
    assert_eq!(params_of(&back)["error"], "access_denied");
    assert_eq!(app.whoami(&client).await, None, "no session");
}
crate::on_both_databases!(a_hooks_refusal_of_a_provider_sign_in_reaches_the_application);
