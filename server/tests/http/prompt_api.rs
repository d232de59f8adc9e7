//! The prompt API (`/api/prompt`): an application's pages ask in context with a prompt token.
//! Written as attacks where it guards something: a prompt token reads nothing of the profile,
//! writes only the stage due, answers only for its person, from its application's origins
//! only; cookies count for nothing; answers are checked exactly as `/welcome` checks them.

use reqwest::{header, Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use services::entities::{consent_records, prompt_events, users};

use crate::{
    harness::{openid::client_toml, spawn_app_on, Backend, TestApp},
    openid_provider::{clients_toml, code_for, exchange, signed_in_person, CALLBACK},
};

const SECRET: &str = crate::harness::openid::SECRET;
const SHOP: &str = "https://shop.example";
const FORUM: &str = "https://forum.example";

/// `shop` and `forum` may ask on their pages (`shop.example`, `forum.example`); `web` (of
/// the provider tests) may not.
async fn app_with_pages(backend: Backend) -> TestApp {
    let prompt = "scopes = [\"openid\", \"profile\", \"email\", \"prompt\"]";
    let config = format!(
        "{}{}{}",
        clients_toml(),
        client_toml("shop", "regular_web", CALLBACK, &format!("{prompt}\nweb_origins = [\"{SHOP}\"]")),
        client_toml("forum", "regular_web", CALLBACK, &format!("{prompt}\nweb_origins = [\"{FORUM}\"]")),
    );
    spawn_app_on(backend, &config).await
}

/// `client_id`'s access token for `person`, and the prompt token it exchanges it for.
async fn tokens(app: &TestApp, person: &reqwest::Client, client_id: &str) -> (String, String) {
    let (verifier, challenge) = crate::openid_provider::pkce();
    let params = [("scope", "openid email"), ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    let code = code_for(app, person, client_id, &params).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK), ("code_verifier", &verifier)];
    let issued: Value = exchange(app, client_id, Some(SECRET), &form).await.json().await.unwrap();
    let access = issued["access_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
        ("subject_token", access.as_str()),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
    ];
    let res = exchange(app, client_id, Some(SECRET), &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let prompt: Value = res.json().await.unwrap();
    (access, prompt["access_token"].as_str().unwrap().to_string())
}

/// A browser-less caller: no cookies, no origin.
fn server() -> reqwest::Client {
    reqwest::Client::new()
}

async fn due(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    let res = server().get(app.url(&format!("/api/prompt?{query}"))).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let res = server().post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn user_of(app: &TestApp, email: &str) -> users::Model {
    users::Entity::find().filter(users::Column::Email.eq(email)).one(&app.db).await.unwrap().unwrap()
}

async fn events_of(app: &TestApp, user: &users::Model) -> Vec<prompt_events::Model> {
    prompt_events::Entity::find().filter(prompt_events::Column::UserId.eq(&user.id)).all(&app.db).await.unwrap()
}

async fn the_article_question_is_asked_answered_and_recorded_for_the_app(backend: Backend) {
    let app = app_with_pages(backend).await;
    let person = signed_in_person(&app, "reader@example.com").await;
    let (_, token) = tokens(&app, &person, "shop").await;
    let user = user_of(&app, "reader@example.com").await;

    let (status, body) = due(&app, &token, "moment=article&tags=rust,web&page=/articles/rust%3Fref%3Dnl").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let prompt = &body["prompt"];
    assert_eq!(prompt["stage"], "subscription", "{body}");
    assert_eq!(prompt["skippable"], true);
    let field = &prompt["fields"][0];
    assert_eq!(field["key"], "subscribed");
    assert_eq!(field["kind"], "consent");
    assert_eq!(field["consent"]["version"], 1);
    assert!(field["consent"]["purpose"].as_str().unwrap().starts_with("We email you"));
    // Nothing about where answers go, and nothing of the profile.
    assert!(field.get("target").is_none() && field.get("claims").is_none(), "{field}");
    assert!(!body.to_string().contains("reader@example.com"), "the profile stays in AskOnce: {body}");
    // Reading is not showing: nothing recorded by a GET.
    due(&app, &token, "moment=article&tags=rust").await;
    assert!(events_of(&app, &user).await.iter().all(|e| e.kind != "shown"), "a GET records nothing");

    // Shown: once per window, however many page views.
    let place = json!({"moment": "article", "tags": "rust,web", "page": "/articles/rust?ref=nl", "stage": "subscription"});
    assert_eq!(post(&app, &token, "/api/prompt/shown", place.clone()).await, (StatusCode::OK, json!({"recorded": true})));
    assert_eq!(post(&app, &token, "/api/prompt/shown", place.clone()).await, (StatusCode::OK, json!({"recorded": false})));

    // The same check as /welcome: an unanswered consent names the field, with its words.
    let (status, refused) =
        post(&app, &token, "/api/prompt/answers", json!({"moment": "article", "stage": "subscription", "answers": {}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let config = services::profiling::load_config(&app.db).await.unwrap();
    let field = config.fields.iter().find(|f| f.key.as_str() == "subscribed").unwrap().clone();
    let expected = domain::profiling::validate_answer(&field, &[]).unwrap_err().to_string();
    assert_eq!(refused["fields"]["subscribed"], expected.as_str(), "{refused}");

    // Fields outside the stage are not written: the answer is the stage's field only.
    let answers = json!({
        "moment": "article", "tags": ["rust", "web"], "page": "/articles/rust?ref=nl", "stage": "subscription",
        "answers": {"subscribed": "yes", "given_name": "Mallory", "email": "mallory@evil.example", "app_metadata": "x"}
    });
    assert_eq!(post(&app, &token, "/api/prompt/answers", answers).await, (StatusCode::OK, json!({"outcome": "saved"})));
    let saved = user_of(&app, "reader@example.com").await;
    assert_eq!(saved.user_metadata["subscribed"], true);
    assert_eq!(saved.provenance["user_metadata.subscribed"]["source"], "app:shop");
    assert_eq!(saved.given_name.as_deref(), Some("Test"), "a root attribute outside the stage is untouched");
    assert_eq!(saved.email.as_deref(), Some("reader@example.com"));
    assert!(saved.app_metadata.get("x").is_none() && !saved.user_metadata.as_object().unwrap().contains_key("given_name"));
    let consents = consent_records::Entity::find().filter(consent_records::Column::UserId.eq(&saved.id)).all(&app.db).await.unwrap();
    assert_eq!(consents.len(), 1, "the agreement is recorded with its purpose's version");
    let events = events_of(&app, &saved).await;
    let answered = events.iter().find(|e| e.kind == "answered" && e.stage_key == "subscription").expect("an answered event");
    assert_eq!(answered.client_id.as_deref(), Some("shop"));
    assert_eq!(answered.page.as_deref(), Some("/articles/rust"), "the page without its query (which may carry secrets)");
    assert!(events.iter().any(|e| e.kind == "shown" && e.client_id.as_deref() == Some("shop")));
    let name = events.iter().find(|e| e.kind == "answered" && e.stage_key == "name").unwrap();
    assert_eq!((name.client_id.as_deref(), name.page.as_deref()), (None, None), "AskOnce's own page names no application");

    // Asked once: nothing is due any more, and answering again is refused.
    assert_eq!(due(&app, &token, "moment=article&tags=rust").await, (StatusCode::OK, json!({"prompt": null})));
    let again = json!({"moment": "article", "stage": "subscription", "answers": {"subscribed": "no"}});
    assert_eq!(post(&app, &token, "/api/prompt/answers", again).await.0, StatusCode::CONFLICT);
}
crate::on_both_databases!(the_article_question_is_asked_answered_and_recorded_for_the_app);

async fn a_skip_waits_out_the_cooldown(backend: Backend) {
    let app = app_with_pages(backend).await;
    let person = signed_in_person(&app, "skipper@example.com").await;
    let (_, token) = tokens(&app, &person, "shop").await;
    let skip = json!({"moment": "article", "stage": "subscription", "page": format!("{SHOP}/articles/one")});
    assert_eq!(post(&app, &token, "/api/prompt/skip", skip).await, (StatusCode::OK, json!({"outcome": "skipped"})));
    assert_eq!(due(&app, &token, "moment=article").await, (StatusCode::OK, json!({"prompt": null})));
    let user = user_of(&app, "skipper@example.com").await;
    let skipped = events_of(&app, &user).await.into_iter().find(|e| e.kind == "skipped").unwrap();
    assert_eq!(skipped.page.as_deref(), Some("https://shop.example/articles/one"));
}
crate::on_both_databases!(a_skip_waits_out_the_cooldown);

/// Tokens other than a live prompt token, cookies, other people and other places: refused.
async fn only_a_live_prompt_token_of_its_own_person_asks(backend: Backend) {
    let app = app_with_pages(backend).await;
    let person = signed_in_person(&app, "victim@example.com").await;
    let (access, token) = tokens(&app, &person, "shop").await;

    // No token; the app's own access token; garbage; the person's session cookie alone.
    let res = server().get(app.url("/api/prompt?moment=article")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(due(&app, &access, "moment=article").await.0, StatusCode::UNAUTHORIZED, "the app's access token");
    assert_eq!(due(&app, "eyJhbGciOiJub25lIn0.e30.", "moment=article").await.0, StatusCode::UNAUTHORIZED);
    let by_cookie = person.get(app.url("/api/prompt?moment=article")).send().await.unwrap();
    assert_eq!(by_cookie.status(), StatusCode::UNAUTHORIZED, "cookies count for nothing");
    let by_cookie = person
        .post(app.url("/api/prompt/answers"))
        .json(&json!({"moment": "article", "stage": "subscription", "answers": {"subscribed": "yes"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::UNAUTHORIZED);

    // Another person's answers cannot be named: the body has no place for a user.
    let other = json!({"moment": "article", "stage": "subscription", "user_id": "someone-else", "answers": {"subscribed": "yes"}});
    assert_eq!(post(&app, &token, "/api/prompt/answers", other).await.0, StatusCode::BAD_REQUEST);
    // A stage that is not the one due here (the sign-up's names) cannot be written.
    let names = json!({"moment": "article", "stage": "name", "answers": {"given_name": "Mallory", "family_name": "M"}});
    assert_eq!(post(&app, &token, "/api/prompt/answers", names).await.0, StatusCode::CONFLICT);
    // Login moments are the sign-in's; a page elsewhere is refused.
    assert_eq!(due(&app, &token, "moment=").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(due(&app, &token, "moment=article&page=https://evil.example/x").await.0, StatusCode::BAD_REQUEST);
    let long = format!("moment=article&page=/{}", "a".repeat(600));
    assert_eq!(due(&app, &token, &long).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(user_of(&app, "victim@example.com").await.given_name.as_deref(), Some("Test"));

    // Revoked (the person signs out everywhere: every token of theirs goes): refused.
    let revoked =
        server().post(app.url("/oauth/revoke")).basic_auth("shop", Some(SECRET)).form(&[("token", token.as_str())]).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(due(&app, &token, "moment=article").await.0, StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(only_a_live_prompt_token_of_its_own_person_asks);

/// CORS: only the token's application's registered origins, never credentials.
async fn cors_answers_only_the_token_s_own_origins(backend: Backend) {
    let app = app_with_pages(backend).await;
    let person = signed_in_person(&app, "cors@example.com").await;
    let (_, token) = tokens(&app, &person, "shop").await;
    let preflight = |origin: &'static str| {
        server()
            .request(Method::OPTIONS, app.url("/api/prompt/answers"))
            .header(header::ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let ok = preflight(SHOP).await.unwrap();
    assert_eq!(ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert!(ok.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap().contains("authorization"));
    assert!(ok.headers().get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
    let evil = preflight("https://evil.example").await.unwrap();
    assert!(evil.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "an unregistered origin gets no CORS");

    let from = |origin: &'static str| {
        server().get(app.url("/api/prompt?moment=article")).bearer_auth(&token).header(header::ORIGIN, origin).send()
    };
    let mine = from(SHOP).await.unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    assert_eq!(mine.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert!(mine.headers().get_all(header::VARY).iter().any(|v| v.to_str().unwrap().contains("Origin")));
    // The forum is registered, but this is the shop's token: refused, and unreadable.
    let forum = from(FORUM).await.unwrap();
    assert_eq!(forum.status(), StatusCode::FORBIDDEN);
    assert!(forum.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let evil = from("https://evil.example").await.unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    assert!(evil.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    // A cross-site POST with a bearer is what the API is for: the cookie CSRF check lets it by.
    let answer = server()
        .post(app.url("/api/prompt/skip"))
        .bearer_auth(&token)
        .header(header::ORIGIN, SHOP)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"moment": "article", "stage": "subscription"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
}
crate::on_both_databases!(cors_answers_only_the_token_s_own_origins);

async fn one_token_is_rate_limited(backend: Backend) {
    let app = app_with_pages(backend).await;
    let person = signed_in_person(&app, "busy@example.com").await;
    let (_, token) = tokens(&app, &person, "shop").await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(due(&app, &token, "moment=article").await.0);
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // Another person's token (the same application) is not held back by it.
    let other = signed_in_person(&app, "calm@example.com").await;
    let (_, theirs) = tokens(&app, &other, "shop").await;
    assert_eq!(due(&app, &theirs, "moment=article").await.0, StatusCode::OK);
}
crate::on_both_databases!(one_token_is_rate_limited);

/// A stage that would write a root attribute (here the nickname) is asked on AskOnce's own
/// pages only: through the prompt API it is not offered, and cannot be answered or skipped.
async fn root_attributes_are_never_written_from_an_application_s_page(backend: Backend) {
    use domain::api_scope::Scope;
    let app = app_with_pages(backend).await;
    let admin = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let field = json!({"key": "nick", "label": "Nickname", "kind": "text", "target": "nickname"});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&admin), Some(field)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stage = json!({"key": "handle", "title": "Pick a handle", "trigger": {"on": "context", "name": "forum"}, "fields": ["nick"]});
    let (status, body) = app.api("POST", "/api/v2/stages", Some(&admin), Some(stage)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let person = signed_in_person(&app, "handle@example.com").await;
    let (_, token) = tokens(&app, &person, "forum").await;
    let before = user_of(&app, "handle@example.com").await;
    assert_eq!(due(&app, &token, "moment=forum").await, (StatusCode::OK, json!({"prompt": null})));
    let answer = json!({"moment": "forum", "stage": "handle", "answers": {"nick": "mallory"}});
    assert_eq!(post(&app, &token, "/api/prompt/answers", answer).await.0, StatusCode::CONFLICT);
    let skip = json!({"moment": "forum", "stage": "handle"});
    assert_eq!(post(&app, &token, "/api/prompt/skip", skip.clone()).await.0, StatusCode::CONFLICT);
    assert_eq!(post(&app, &token, "/api/prompt/shown", skip).await.0, StatusCode::CONFLICT);
    let after = user_of(&app, "handle@example.com").await;
    assert_eq!((after.nickname, after.version), (before.nickname, before.version), "nothing written");
}
crate::on_both_databases!(root_attributes_are_never_written_from_an_application_s_page);

/// A multi-step stage through the API: each step is checked on its own (nothing stored), the
/// last sends every answer; a list (multiselect) and a number travel as JSON.
async fn a_multi_step_stage_is_answered_step_by_step(backend: Backend) {
    use domain::api_scope::Scope;
    let app = app_with_pages(backend).await;
    let admin = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let topics = json!({"key": "topics", "label": "Topics you follow", "kind": "multiselect", "target": "user_metadata.topics",
        "validation": {"options": [{"value": "rust", "label": "Rust"}, {"value": "sql", "label": "SQL"}], "required": true, "min_choices": 1}});
    let years = json!({"key": "years", "label": "Years of experience", "kind": "number", "target": "user_metadata.years",
        "validation": {"required": true, "min": 0.0, "max": 80.0}});
    for field in [topics, years] {
        let (status, body) = app.api("POST", "/api/v2/fields", Some(&admin), Some(field)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let stage = json!({"key": "reader", "title": "About your reading", "trigger": {"on": "context", "name": "forum"},
        "fields": ["topics", "years"], "steps": [["topics"], ["years"]]});
    let (status, body) = app.api("POST", "/api/v2/stages", Some(&admin), Some(stage)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let person = signed_in_person(&app, "steps@example.com").await;
    let (_, token) = tokens(&app, &person, "forum").await;
    let (_, due_now) = due(&app, &token, "moment=forum").await;
    assert_eq!(due_now["prompt"]["steps"], json!([["topics"], ["years"]]), "{due_now}");
    assert_eq!(due_now["prompt"]["fields"][0]["options"][1]["value"], "sql");

    let send = |answers: Value, step: Option<usize>| {
        let mut body = json!({"moment": "forum", "stage": "reader", "answers": answers});
        if let Some(step) = step {
            body["step"] = json!(step);
        }
        body
    };
    let (status, refused) = post(&app, &token, "/api/prompt/answers", send(json!({"topics": []}), Some(0))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["fields"]["topics"].is_string() && refused["fields"].get("years").is_none(), "only this step: {refused}");
    let moved = post(&app, &token, "/api/prompt/answers", send(json!({"topics": ["rust", "sql"]}), Some(0))).await;
    assert_eq!(moved, (StatusCode::OK, json!({"outcome": "moved", "step": 1})));
    assert!(user_of(&app, "steps@example.com").await.user_metadata.get("topics").is_none(), "nothing stored before the last step");
    let (status, refused) = post(&app, &token, "/api/prompt/answers", send(json!({"topics": ["rust"], "years": 200}), Some(1))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let saved = post(&app, &token, "/api/prompt/answers", send(json!({"topics": ["rust"], "years": 12}), Some(1))).await;
    assert_eq!(saved, (StatusCode::OK, json!({"outcome": "saved"})));
    let user = user_of(&app, "steps@example.com").await;
    assert_eq!(user.user_metadata["topics"], json!(["rust"]));
    assert_eq!(user.user_metadata["years"], json!(12.0), "a number, as /welcome stores it");
}
crate::on_both_databases!(a_multi_step_stage_is_answered_step_by_step);

/// A site's server with `prompt:users` asks for a person it names: the same decision,
/// validation and records, with the token as who asked.
async fn a_server_asks_for_a_person_through_the_management_api(backend: Backend) {
    use domain::api_scope::Scope;
    let app = app_with_pages(backend).await;
    let _person = signed_in_person(&app, "server@example.com").await;
    let user = user_of(&app, "server@example.com").await;
    let token = app.api_token(&[Scope::PromptUsers]).await;
    let path = |tail: &str| format!("/api/v2/users/{}/prompt{tail}", user.id);

    let (status, due) = app.api("GET", &format!("{}?moment=article&tags=rust", path("")), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{due}");
    assert_eq!(due["prompt"]["stage"], "subscription");
    let (status, refused) =
        app.api("POST", &path("/answers"), Some(&token), Some(json!({"moment": "article", "stage": "subscription", "answers": {}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["fields"]["subscribed"].is_string(), "{refused}");
    let answer = json!({"moment": "article", "stage": "subscription", "page": "/articles/rust", "answers": {"subscribed": "no"}});
    assert_eq!(app.api("POST", &path("/answers"), Some(&token), Some(answer)).await, (StatusCode::OK, json!({"outcome": "saved"})));
    let saved = user_of(&app, "server@example.com").await;
    assert_eq!(saved.user_metadata["subscribed"], false);
    assert!(saved.provenance["user_metadata.subscribed"]["source"].as_str().unwrap().starts_with("app:token:"));
    // Nobody else: an unknown person is 404; without the scope, 403.
    let (status, _) = app.api("GET", "/api/v2/users/nobody/prompt?moment=article", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = app.api_token(&[Scope::ReadUsers]).await;
    assert_eq!(app.api("GET", &format!("{}?moment=article", path("")), Some(&reader), None).await.0, StatusCode::FORBIDDEN);
}
crate::on_both_databases!(a_server_asks_for_a_person_through_the_management_api);
