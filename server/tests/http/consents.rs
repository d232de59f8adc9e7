//! Consent records over HTTP: an answer to a consent field is recorded with its purpose and
//! version, a reworded purpose (through the API) is a new version and the engine asks again
//! those who agreed to the old one, a withdrawal is a record of its own, and the API and the
//! person's export carry the history; the schema-change report counts whom a new wording
//! would ask again.

use app::{account::consents::WithdrawMyConsent, admin::api_tokens::Scope, prompt::AnswerPrompt};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{browser::browser, spawn_app_on, Backend, TestApp};

async fn consents_of(app: &TestApp, user_id: &str) -> Vec<Value> {
    let token = app.api_token(&[Scope::ReadUsers]).await;
    let (status, body) = app.api("GET", &format!("/api/v2/users/{user_id}/consents"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().expect("a list").clone()
}

async fn subscribe(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    let answer = [("stage", "subscription"), ("context", "article"), ("answers[subscribed]", "yes")];
    app.call(client, AnswerPrompt::PATH, &answer).await.status()
}

async fn a_reworded_purpose_asks_again_and_a_withdrawal_is_recorded(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let client = browser();
    app.sign_up(&client, "ada@example.com").await;
    let id = app.me(&client).await["user_id"].as_str().expect("an id").to_string();

    assert_eq!(subscribe(&app, &client).await, StatusCode::OK);
    let records = consents_of(&app, &id).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["field"], "subscribed");
    assert_eq!(records[0]["granted"], true);
    assert_eq!(records[0]["version"], 1);
    assert_eq!(records[0]["source"], "user");
    assert!(records[0]["purpose"].as_str().unwrap().starts_with("We email you"), "the wording the person saw");
    assert_eq!(subscribe(&app, &client).await, StatusCode::CONFLICT, "agreed to the wording in force: not asked again");

    // The site owner rewords the purpose through the API; the version it sends is ignored.
    let token = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let (_, mut field) = app.api("GET", "/api/v2/fields/subscribed", Some(&token), None).await;
    field["consent"]["purpose"] = json!("We email you new articles, and offers from our partners.");
    let (status, saved) = app.api("PUT", "/api/v2/fields/subscribed", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, field) = app.api("GET", "/api/v2/fields/subscribed", Some(&token), None).await;
    assert_eq!(field["consent"]["version"], 2, "{field}");

    // Agreed to version 1 of a purpose now at version 2: asked again, and the new answer
    // is recorded against version 2.
    assert_eq!(subscribe(&app, &client).await, StatusCode::OK, "asked again after the new wording");
    let records = consents_of(&app, &id).await;
    assert_eq!(
        records.iter().map(|r| (r["version"].as_i64(), r["granted"].as_bool())).collect::<Vec<_>>(),
        [(Some(1), Some(true)), (Some(2), Some(true))]
    );

    let withdrawn = app.call(&client, WithdrawMyConsent::PATH, &[("field", "subscribed")]).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    assert_eq!(app.me(&client).await["user_metadata"]["subscribed"], false);
    let again = app.call(&client, WithdrawMyConsent::PATH, &[("field", "subscribed")]).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "nothing left to withdraw");
    let unknown = app.call(&client, WithdrawMyConsent::PATH, &[("field", "company")]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let records = consents_of(&app, &id).await;
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["granted"], false, "the withdrawal is a record of its own");
    let export: Value = client.get(app.url("/api/me/export")).send().await.unwrap().json().await.unwrap();
    assert_eq!(export["consents"].as_array().map(Vec::len), Some(3), "the export carries the history");

    let token = app.api_token(&[Scope::ReadUsers]).await;
    let (status, _) = app.api("GET", "/api/v2/users/nobody/consents", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
crate::on_both_databases!(a_reworded_purpose_asks_again_and_a_withdrawal_is_recorded);

async fn change_report(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.api("GET", "/api/v2/stages/subscription/change-report", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The schema-change report over the API: the engine's own count of whom a stage would now
/// ask, before and after a consent purpose is reworded, recording nothing.
async fn the_change_report_counts_whom_a_reworded_consent_would_ask_again(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let (agreed, other) = (browser(), browser());
    app.sign_up(&agreed, "ada@example.com").await;
    app.sign_up(&other, "grace@example.com").await;
    assert_eq!(subscribe(&app, &agreed).await, StatusCode::OK);

    let reader = app.api_token(&[Scope::ReadStages]).await;
    let before = change_report(&app, &reader).await;
    assert_eq!(before["people"], 2);
    assert_eq!(before["asked"], 1, "only the one who never answered: {before}");
    assert_eq!(before["nothing_to_ask"], 1);
    assert!(before["moment"].as_str().unwrap().contains("article"), "{before}");

    let writer = app.api_token(&[Scope::ReadStages, Scope::UpdateStages]).await;
    let (_, mut field) = app.api("GET", "/api/v2/fields/subscribed", Some(&writer), None).await;
    field["consent"]["purpose"] = json!("New articles, and a monthly digest.");
    let (status, _) = app.api("PUT", "/api/v2/fields/subscribed", Some(&writer), Some(field)).await;
    assert_eq!(status, StatusCode::OK);
    let after = change_report(&app, &reader).await;
    assert_eq!(after["asked"], 2, "the agreement to the old wording is asked again: {after}");
    let ada = app.me(&agreed).await["user_id"].as_str().expect("an id").to_string();
    assert_eq!(consents_of(&app, &ada).await.len(), 1, "the report recorded nothing");

    let (status, _) = app.api("GET", "/api/v2/stages/nope/change-report", Some(&reader), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let users_only = app.api_token(&[Scope::ReadUsers]).await;
    let (status, _) = app.api("GET", "/api/v2/stages/subscription/change-report", Some(&users_only), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
crate::on_both_databases!(the_change_report_counts_whom_a_reworded_consent_would_ask_again);
