//! Consent records over HTTP: an answer to a consent field is recorded with its purpose and
//! version, a reworded purpose (through the API) is a new version and the engine asks again
//! those who agreed to the old one, a withdrawal is a record of its own, and the API and the
//! person's export carry the history.

use app::{account::consents::WithdrawMyConsent, admin::api_tokens::Scope, profiling::prompt_ui::AnswerPrompt};
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
