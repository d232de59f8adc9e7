//! `/api/v2/hooks`: the post-login hooks (see `domain::hooks`), with the console's checks. A
//! hook's signing secret is in the answer to its creation only.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use domain::{hooks::Hook, hooks::HookSettings, hooks::NewHook};
use sea_orm::DatabaseConnection;
use services::{hooks::store, outbound::Outbound};

use super::{
    auth::{needs, Caller},
    ApiJson, ErrorBody, HttpError,
};

impl From<services::hooks::HookError> for HttpError {
    fn from(err: services::hooks::HookError) -> Self {
        match err {
            services::hooks::HookError::NotFound => HttpError::not_found("Hook"),
            other => app::error::AppError::from(other).into(),
        }
    }
}

/// Every hook, in the order they run, with its recent calls.
#[utoipa::path(get, path = "/api/v2/hooks", tag = "hooks", security(("bearer" = ["read:hooks"])),
    responses(
        (status = 200, description = "The hooks", body = [Hook]),
    ))]
pub async fn list(_caller: Caller<needs::ReadHooks>, State(db): State<DatabaseConnection>) -> Result<Json<Vec<Hook>>, HttpError> {
    Ok(Json(store::list(&db).await.map_err(|e| HttpError::internal("listing hooks", e))?))
}

/// One hook, with its recent calls (status, time, why it failed).
#[utoipa::path(get, path = "/api/v2/hooks/{id}", tag = "hooks", params(("id" = String, Path, description = "Hook id")), security(("bearer" = ["read:hooks"])),
    responses(
        (status = 200, description = "The hook", body = Hook),
        (status = 404, description = "No such hook", body = ErrorBody),
    ))]
pub async fn get(
    _caller: Caller<needs::ReadHooks>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<Json<Hook>, HttpError> {
    Ok(Json(store::get(&db, &id).await?))
}

/// Make a hook. The answer carries its signing secret: the only time it is shown.
#[utoipa::path(post, path = "/api/v2/hooks", tag = "hooks", request_body = HookSettings, security(("bearer" = ["update:hooks"])),
    responses(
        (status = 201, description = "Created; keep the secret", body = NewHook),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller<needs::UpdateHooks>,
    State(db): State<DatabaseConnection>,
    State(outbound): State<Outbound>,
    body: Result<ApiJson<HookSettings>, HttpError>,
) -> Result<(StatusCode, Json<NewHook>), HttpError> {
    let ApiJson(settings) = body?;
    Ok((StatusCode::CREATED, Json(store::create(&db, outbound.policy(), settings, caller.actor()).await?)))
}

/// Replace a hook's settings (its secret and recent calls stay).
#[utoipa::path(put, path = "/api/v2/hooks/{id}", tag = "hooks", params(("id" = String, Path, description = "Hook id")), request_body = HookSettings, security(("bearer" = ["update:hooks"])),
    responses(
        (status = 200, description = "Saved", body = Hook),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 404, description = "No such hook", body = ErrorBody),
    ))]
pub async fn put(
    caller: Caller<needs::UpdateHooks>,
    State(db): State<DatabaseConnection>,
    State(outbound): State<Outbound>,
    Path(id): Path<String>,
    body: Result<ApiJson<HookSettings>, HttpError>,
) -> Result<Json<Hook>, HttpError> {
    let ApiJson(settings) = body?;
    Ok(Json(store::update(&db, outbound.policy(), &id, settings, caller.actor()).await?))
}

/// Delete a hook and its recorded calls.
#[utoipa::path(delete, path = "/api/v2/hooks/{id}", tag = "hooks", params(("id" = String, Path, description = "Hook id")), security(("bearer" = ["update:hooks"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such hook", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller<needs::UpdateHooks>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    store::delete(&db, &id, caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
