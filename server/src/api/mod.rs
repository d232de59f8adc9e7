//! The management API (`/api/v2/...`): users, fields, stages and the whole profiling
//! configuration, for machines holding a bearer token (`askonce token create`, or the
//! console's API tokens page). Thin handlers over the same services the console uses.
//! `/api/openapi.json` is generated from these handlers; `/api/docs` renders it.

pub mod auth;
pub mod docs;
pub mod error;
pub mod questions;
pub mod users;

use app::state::AppState;
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    routing::get,
    Router,
};
use serde::de::DeserializeOwned;

pub use error::ApiError;

/// The `/api/v2`, `/api/openapi.json` and `/api/docs` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users", get(users::list))
        .route("/api/v2/users/{id}", get(users::get).patch(users::patch).delete(users::delete))
        .route("/api/v2/users/{id}/identities", get(users::identities))
        .route("/api/v2/users/{id}/logs", get(users::logs))
        .route("/api/v2/fields", get(questions::list_fields).post(questions::create_field))
        .route("/api/v2/fields/{key}", get(questions::get_field).put(questions::put_field).delete(questions::delete_field))
        .route("/api/v2/stages", get(questions::list_stages).post(questions::create_stage))
        .route("/api/v2/stages/{key}", get(questions::get_stage).put(questions::put_stage).delete(questions::delete_stage))
        .route("/api/v2/profiling-config", get(questions::export_config).put(questions::import_config))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
}

/// A NUL character in a path or query parameter (`%00`) is refused with 400 before any handler
/// runs: PostgreSQL cannot store or compare it in text, so it would otherwise fail there as a
/// server error (SQLite would take it).
async fn refuse_nul_in_uri(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    let uri = request.uri();
    let has_nul = |part: &str| part.to_ascii_lowercase().contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        use axum::response::IntoResponse;
        return ApiError::bad_request("Parameters must not contain the NUL character (%00)").into_response();
    }
    next.run(request).await
}

/// A JSON body whose rejections (bad JSON, wrong shape, wrong content type) are API errors
/// in the documented shape, not axum's plain-text ones.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => {
                return Err(match rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        ApiError::bad_request("Send the body as JSON (Content-Type: application/json)")
                    }
                    other => ApiError::bad_request(format!("Invalid body: {}", other.body_text())),
                })
            }
        };
        // PostgreSQL stores no NUL character in text (SQLite does): refused here, for every
        // body, rather than failing later as a server error on one database only.
        if contains_nul(&value) {
            return Err(ApiError::bad_request("Invalid body: text must not contain the NUL character (\\u0000)"));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| ApiError::bad_request(format!("Invalid body: {e}")))
    }
}

/// Whether any string of `value` (keys included) holds a NUL character.
fn contains_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(contains_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nul_characters_are_found_in_keys_values_and_nested_strings() {
        assert!(super::contains_nul(&serde_json::json!({"a": ["x", {"b": "y\u{0}"}]})));
        assert!(super::contains_nul(&serde_json::json!({"k\u{0}": 1})));
        assert!(!super::contains_nul(&serde_json::json!({"a": ["\\u0000 as text", 1, null]})));
    }
}
