//! `GET /api/me`: the signed-in person's whole profile as JSON, in Auth0's shape.

use app::error::AppError;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use domain::profile::UserProfile;
use sea_orm::DatabaseConnection;
use services::{account::self_service::export_my_data, profile::read::load_user_profile};

use crate::{error::HttpError, middleware::session_user::RequireUser};

/// The profile of the person signed in (a deleted or blocked account's session has ended).
pub(crate) async fn my_profile(State(db): State<DatabaseConnection>, RequireUser(me): RequireUser) -> Result<Json<UserProfile>, HttpError> {
    let profile = load_user_profile(&db, &me.user_id).await.map_err(|e| HttpError::internal("loading the profile", e))?;
    profile.map(Json).ok_or_else(|| AppError::Unauthorized.into())
}

/// `GET /api/me/export`: the "download my data" file.
pub async fn export(State(db): State<DatabaseConnection>, RequireUser(me): RequireUser) -> Result<Response, HttpError> {
    let doc =
        export_my_data(&db, &me.user_id).await.map_err(|e| HttpError::internal("exporting data", e))?.ok_or(AppError::Unauthorized)?;
    Ok(([(axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"askonce-my-data.json\"")], Json(doc)).into_response())
}
