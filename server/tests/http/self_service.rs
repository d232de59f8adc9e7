//! People and their own data over HTTP: download it, forget an answer, delete the account.

use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::harness::{idp::FakeIdp, spawn_app, spawn_app_on, Backend, TestApp, PASSWORD};

async fn delete(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url(app::account::page::DeleteMyAccount::PATH)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn my_data_downloads_as_a_json_file() {
    let app = spawn_app().await;
    app.sign_up(&app.client, "ada@example.com").await;
    let res = app.client.get(app.url("/api/me/export")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("askonce-my-data.json"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["profile"]["email"], "ada@example.com");
    assert!(doc["prompt_history"].is_array());
    let anonymous = reqwest::get(app.url("/api/me/export")).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deleting_needs_confirmation_and_the_password_then_removes_everything() {
    let app = spawn_app().await;
    app.sign_up(&app.client, "ada@example.com").await;
    let unconfirmed = delete(&app, &[("password", "a long passphrase")]).await;
    assert_eq!(unconfirmed.status(), StatusCode::BAD_REQUEST);
    let wrong = delete(&app, &[("confirm", "yes"), ("password", "not my password")]).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.client.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK);

    let done = delete(&app, &[("confirm", "yes"), ("password", "a long passphrase")]).await;
    assert!(done.status().is_success() || done.status().is_redirection(), "{}", done.status());
    assert_eq!(app.client.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let old = app.try_sign_in(&app.client, "ada@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST, "the account is gone");
    // Signing up again creates a new, empty account.
    app.sign_up(&app.client, "ada@example.com").await;
    let me = app.me(&app.client).await;
    assert_eq!(me["logins_count"], 1);
}

#[tokio::test]
async fn details_are_edited_with_the_stage_rules_and_provider_synced_values_are_read_only() {
    let idp = FakeIdp::start(serde_json::json!({"sub": "g-1", "given_name": "Grace", "family_name": "Hopper"})).await;
    let app = spawn_app_on(Backend::Sqlite, &idp.oidc_connection("test")).await;
    app.sign_in_with_provider(&app.client, "test").await;

    let fields: Vec<app::account::details::EditableField> =
        app.client.post(app.url(app::account::details::MyEditableFields::PATH)).send().await.unwrap().json().await.unwrap();
    let given = fields.iter().find(|f| f.field.key.as_str() == "given_name").unwrap();
    assert!(given.locked.as_deref().unwrap().contains("test"), "synced at each login: read-only");
    let company = fields.iter().find(|f| f.field.key.as_str() == "company").unwrap();
    assert!(company.locked.is_none());

    let save =
        |pairs: Vec<(&'static str, String)>| app.client.post(app.url(app::account::details::UpdateMyDetails::PATH)).form(&pairs).send();
    let too_long = save(vec![("answers[company]", "x".repeat(200))]).await.unwrap();
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    let err: app::error::AppError = too_long.json().await.unwrap();
    assert!(matches!(err, app::error::AppError::Invalid(ref m) if m.contains_key("company")));
    // A locked value is not changed, whatever the form says.
    let ok = save(vec![("answers[company]", "Navy".into()), ("answers[given_name]", "Mallory".into())]).await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    let me = app.me(&app.client).await;
    assert_eq!(me["user_metadata"]["company"], "Navy");
    assert_eq!(me["provenance"]["user_metadata.company"]["source"], "user");
    assert_eq!(me["given_name"], "Grace");
}

#[tokio::test]
async fn editing_a_first_or_last_name_updates_the_displayed_name() {
    let app = spawn_app().await;
    app.sign_up(&app.client, "ada@example.com").await;
    let save = |pairs: Vec<(&'static str, &'static str)>| {
        app.client.post(app.url(app::account::details::UpdateMyDetails::PATH)).form(&pairs).send()
    };
    let saved = save(vec![("answers[given_name]", "Ada"), ("answers[family_name]", "Lovelace")]).await.unwrap();
    assert!(saved.status().is_success(), "{}", saved.status());
    assert_eq!(app.me(&app.client).await["name"], "Ada Lovelace");
    let saved = save(vec![("answers[given_name]", "Augusta")]).await.unwrap();
    assert!(saved.status().is_success(), "{}", saved.status());
    let me = app.me(&app.client).await;
    assert_eq!((&me["given_name"], &me["name"]), (&serde_json::json!("Augusta"), &serde_json::json!("Augusta Lovelace")));
    assert_eq!(me["provenance"]["name"]["source"], "user");
}
