//! `GET /api/me`: the signed-in person's whole profile as JSON, in Auth0's shape.

use app::{
    auth::session,
    profile::{self_service::export_my_data, view::ssr::load_user_profile},
};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_sessions::Session;

pub async fn my_profile(State(db): State<DatabaseConnection>, session: Session) -> Response {
    let unauthorized =
        || (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized", "message": "Please sign in to continue."}))).into_response();
    let user_id = match session::user_id(&session).await {
        Ok(Some(id)) => id,
        Ok(None) => return unauthorized(),
        Err(err) => {
            tracing::error!(error = %err, "session store failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match load_user_profile(&db, &user_id).await {
        Ok(Some(profile)) if !profile.blocked => Json(profile).into_response(),
        Ok(_) => unauthorized(),
        Err(err) => {
            tracing::error!(error = %err, "loading the profile failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "internal"}))).into_response()
        }
    }
}

/// `GET /api/me/export`: the "download my data" file.
pub async fn export(State(db): State<DatabaseConnection>, session: Session) -> Response {
    let Ok(Some(user_id)) = session::user_id(&session).await else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized", "message": "Please sign in to continue."})))
            .into_response();
    };
    match export_my_data(&db, &user_id).await {
        Ok(Some(doc)) => {
            ([(axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"askonce-my-data.json\"")], Json(doc)).into_response()
        }
        Ok(None) => StatusCode::UNAUTHORIZED.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "exporting data failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
