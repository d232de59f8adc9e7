//! Input that one database takes and the other cannot: what schemathesis found against
//! PostgreSQL. Each is refused with a 4xx on both databases, and what was stored before still
//! reads back.

use app::admin::api_tokens::Scope;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{spawn_app_on, Backend};

async fn nul_characters_and_numbers_that_would_not_read_back_are_refused(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    app.sign_up(&app.client, "ada@example.com").await;
    let id = app.me(&app.client).await["user_id"].as_str().unwrap().to_string();
    let token = app.api_token(&[Scope::ReadUsers, Scope::UpdateUsers, Scope::ReadStages, Scope::UpdateStages]).await;

    // PostgreSQL stores no NUL in text: refused before any handler, in bodies and in the URI.
    let field = json!({"key": "nickname2", "label": "A\u{0}B", "kind": "text", "target": "user_metadata.nick"});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("NUL"), "{body}");
    let (status, _) = app.api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(json!({"user_metadata": {"k\u{0}": 1}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.api("GET", "/api/v2/users?q=a%00b", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.api("GET", "/api/v2/users/a%00b", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A number PostgreSQL would keep as a 309-digit decimal that no JSON reader takes back.
    let (status, body) = app
        .api("PATCH", &format!("/api/v2/users/{id}"), Some(&token), Some(json!({"user_metadata": {"n": -1.7976931348623157e308}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let field = json!({"key": "age", "label": "Age", "kind": "number", "target": "user_metadata.age", "validation": {"max": -1.7976931348623157e308}});
    let (status, body) = app.api("POST", "/api/v2/fields", Some(&token), Some(field)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Nothing was stored; everything reads back.
    let (status, user) = app.api("GET", &format!("/api/v2/users/{id}"), Some(&token), None).await;
    assert_eq!((status, user["user_metadata"].clone()), (StatusCode::OK, json!({})));
    let (status, _) = app.api("GET", "/api/v2/fields", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
}
crate::on_both_databases!(nul_characters_and_numbers_that_would_not_read_back_are_refused);
