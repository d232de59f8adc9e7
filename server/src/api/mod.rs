//! The management API (`/api/v2/...`): users, fields, stages, the whole profiling
//! configuration, hooks, applications and asking in context (`prompts`), for machines holding a bearer token (`askonce
//! token create`, the console's API tokens page, or a machine application's
//! `client_credentials` access token). Thin handlers over the same services the console uses.
//! `/api/openapi.json` is generated from these handlers; `/api/docs` renders it.

pub mod auth;
pub mod clients;
pub mod docs;
pub mod hooks;
pub mod prompts;
pub mod questions;
pub mod revision;
pub mod users;

use app::state::AppState;
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    routing::{get, post},
    Router,
};
use serde::de::DeserializeOwned;

pub use crate::error::{ErrorBody, HttpError};

/// The `/api/v2`, `/api/openapi.json` and `/api/docs` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users", get(users::list).post(users::create))
        .route("/api/v2/users/{id}", get(users::get).patch(users::patch).delete(users::delete))
        .route("/api/v2/users/{id}/identities", get(users::identities).post(users::link))
        .route("/api/v2/users/{id}/identities/{provider}/{user_id}", axum::routing::delete(users::unlink))
        .route("/api/v2/users/{id}/consents", get(users::consents))
        .route("/api/v2/users/{id}/logs", get(users::logs))
        .route("/api/v2/users/{id}/prompt", get(prompts::due))
        .route("/api/v2/users/{id}/prompt/shown", post(prompts::shown))
        .route("/api/v2/users/{id}/prompt/answers", post(prompts::answers))
        .route("/api/v2/users/{id}/prompt/skip", post(prompts::skip))
        .route("/api/v2/fields", get(questions::list_fields).post(questions::create_field))
        .route("/api/v2/fields/{key}", get(questions::get_field).put(questions::put_field).delete(questions::delete_field))
        .route("/api/v2/stages", get(questions::list_stages).post(questions::create_stage))
        .route("/api/v2/stages/{key}", get(questions::get_stage).put(questions::put_stage).delete(questions::delete_stage))
        .route("/api/v2/stages/{key}/form-secret", post(questions::make_form_secret))
        .route("/api/v2/stages/{key}/change-report", get(questions::change_report))
        .route("/api/v2/profiling-config", get(questions::export_config).put(questions::import_config))
        .route("/api/v2/hooks", get(hooks::list).post(hooks::create))
        .route("/api/v2/hooks/{id}", get(hooks::get).put(hooks::put).delete(hooks::delete))
        .route("/api/v2/clients", get(clients::list).post(clients::create))
        .route("/api/v2/clients/{id}", get(clients::get).patch(clients::patch).delete(clients::delete))
        .route("/api/v2/clients/{id}/rotate-secret", post(clients::rotate_secret))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
}

/// A JSON body whose rejections (bad JSON, wrong shape, wrong content type) are API errors
/// in the documented shape, not axum's plain-text ones.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => {
                return Err(match rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        HttpError::bad_request("Send the body as JSON (Content-Type: application/json)")
                    }
                    other => HttpError::bad_request(format!("Invalid body: {}", other.body_text())),
                })
            }
        };
        // PostgreSQL stores no NUL character in text (SQLite does): refused here, for every
        // body, rather than failing later as a server error on one database only.
        if crate::middleware::nul_input::contains_nul(&value) {
            return Err(HttpError::bad_request("Invalid body: text must not contain the NUL character (\\u0000)"));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| HttpError::bad_request(format!("Invalid body: {e}")))
    }
}
