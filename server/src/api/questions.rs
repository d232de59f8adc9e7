//! `/api/v2/fields`, `/api/v2/stages`, `/api/v2/profiling-config`: the staged questions,
//! changed with the same checks as the console and the import command.

use app::{
    admin::{api_tokens::Scope, questions::ssr as questions},
    profiling::{
        edit::{Edit, EditError},
        ssr::load_config,
        Field, FieldKey, ProfilingConfig, Stage, ValidConfig,
    },
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use sea_orm::DatabaseConnection;

use super::{
    auth::Caller,
    error::{ApiError, ErrorBody},
    ApiJson,
};

async fn config(db: &DatabaseConnection) -> Result<ProfilingConfig, ApiError> {
    load_config(db).await.map_err(|e| ApiError::internal("loading the profiling configuration", e))
}

fn key(text: &str) -> Result<FieldKey, ApiError> {
    // A key that cannot exist names nothing.
    FieldKey::parse(text).map_err(|_| ApiError::not_found("No such key"))
}

/// Every field, in order.
#[utoipa::path(get, path = "/api/v2/fields", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The fields", body = [Field]),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope read:stages", body = ErrorBody),
    ))]
pub async fn list_fields(caller: Caller, State(db): State<DatabaseConnection>) -> Result<Json<Vec<Field>>, ApiError> {
    caller.require(Scope::ReadStages)?;
    Ok(Json(config(&db).await?.fields))
}

/// One field.
#[utoipa::path(get, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company")), security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The field", body = Field),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope read:stages", body = ErrorBody),
        (status = 404, description = "No such field", body = ErrorBody),
    ))]
pub async fn get_field(caller: Caller, State(db): State<DatabaseConnection>, Path(k): Path<String>) -> Result<Json<Field>, ApiError> {
    caller.require(Scope::ReadStages)?;
    let k = key(&k)?;
    config(&db).await?.field(&k).cloned().map(Json).ok_or_else(|| ApiError::not_found("Field"))
}

/// Add a field (at the end).
#[utoipa::path(post, path = "/api/v2/fields", tag = "questions", request_body = Field, security(("bearer" = ["update:stages"])),
    responses(
        (status = 201, description = "Created", body = Field),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
    ))]
pub async fn create_field(
    caller: Caller,
    State(db): State<DatabaseConnection>,
    body: Result<ApiJson<Field>, ApiError>,
) -> Result<(StatusCode, Json<Field>), ApiError> {
    caller.require(Scope::UpdateStages)?;
    let ApiJson(field) = body?;
    questions::edit(&db, Edit::SaveField { original: None, field: field.clone() }, caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(field)))
}

/// Replace a field; a different `key` in the body renames it (stages follow).
#[utoipa::path(put, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company")), request_body = Field, security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Saved", body = Field),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
        (status = 404, description = "No such field", body = ErrorBody),
    ))]
pub async fn put_field(
    caller: Caller,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    body: Result<ApiJson<Field>, ApiError>,
) -> Result<Json<Field>, ApiError> {
    caller.require(Scope::UpdateStages)?;
    let ApiJson(field) = body?;
    questions::edit(&db, Edit::SaveField { original: Some(key(&k)?), field: field.clone() }, caller.actor()).await?;
    Ok(Json(field))
}

/// Delete a field (stages stop asking it; refused if a stage would be left empty).
#[utoipa::path(delete, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
        (status = 404, description = "No such field", body = ErrorBody),
    ))]
pub async fn delete_field(caller: Caller, State(db): State<DatabaseConnection>, Path(k): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require(Scope::UpdateStages)?;
    questions::edit(&db, Edit::DeleteField(key(&k)?), caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every stage, in the order they are considered.
#[utoipa::path(get, path = "/api/v2/stages", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The stages", body = [Stage]),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope read:stages", body = ErrorBody),
    ))]
pub async fn list_stages(caller: Caller, State(db): State<DatabaseConnection>) -> Result<Json<Vec<Stage>>, ApiError> {
    caller.require(Scope::ReadStages)?;
    Ok(Json(config(&db).await?.stages))
}

/// One stage.
#[utoipa::path(get, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")), security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The stage", body = Stage),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope read:stages", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
    ))]
pub async fn get_stage(caller: Caller, State(db): State<DatabaseConnection>, Path(k): Path<String>) -> Result<Json<Stage>, ApiError> {
    caller.require(Scope::ReadStages)?;
    let k = key(&k)?;
    config(&db).await?.stage(&k).cloned().map(Json).ok_or_else(|| ApiError::not_found("Stage"))
}

/// Add a stage (considered last).
#[utoipa::path(post, path = "/api/v2/stages", tag = "questions", request_body = Stage, security(("bearer" = ["update:stages"])),
    responses(
        (status = 201, description = "Created", body = Stage),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
    ))]
pub async fn create_stage(
    caller: Caller,
    State(db): State<DatabaseConnection>,
    body: Result<ApiJson<Stage>, ApiError>,
) -> Result<(StatusCode, Json<Stage>), ApiError> {
    caller.require(Scope::UpdateStages)?;
    let ApiJson(stage) = body?;
    questions::edit(&db, Edit::SaveStage { original: None, stage: stage.clone() }, caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(stage)))
}

/// Replace a stage (keeps its place in the order).
#[utoipa::path(put, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")), request_body = Stage, security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Saved", body = Stage),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
    ))]
pub async fn put_stage(
    caller: Caller,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    body: Result<ApiJson<Stage>, ApiError>,
) -> Result<Json<Stage>, ApiError> {
    caller.require(Scope::UpdateStages)?;
    let ApiJson(stage) = body?;
    questions::edit(&db, Edit::SaveStage { original: Some(key(&k)?), stage: stage.clone() }, caller.actor()).await?;
    Ok(Json(stage))
}

/// Delete a stage.
#[utoipa::path(delete, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
    ))]
pub async fn delete_stage(caller: Caller, State(db): State<DatabaseConnection>, Path(k): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require(Scope::UpdateStages)?;
    questions::edit(&db, Edit::DeleteStage(key(&k)?), caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole configuration (what `askonce profiling export` prints).
#[utoipa::path(get, path = "/api/v2/profiling-config", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "Fields and stages", body = ProfilingConfig),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope read:stages", body = ErrorBody),
    ))]
pub async fn export_config(caller: Caller, State(db): State<DatabaseConnection>) -> Result<Json<ProfilingConfig>, ApiError> {
    caller.require(Scope::ReadStages)?;
    Ok(Json(config(&db).await?))
}

/// Replace the whole configuration, after checking it; a configuration with any problem
/// changes nothing.
#[utoipa::path(put, path = "/api/v2/profiling-config", tag = "questions", request_body = ProfilingConfig, security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Imported", body = ProfilingConfig),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Missing scope update:stages", body = ErrorBody),
    ))]
pub async fn import_config(
    caller: Caller,
    State(db): State<DatabaseConnection>,
    body: Result<ApiJson<ProfilingConfig>, ApiError>,
) -> Result<Json<ProfilingConfig>, ApiError> {
    caller.require(Scope::UpdateStages)?;
    let ApiJson(next) = body?;
    let next = ValidConfig::check(next).map_err(|problems| questions::QuestionsError::from(EditError::Problems(problems)))?;
    Ok(Json(questions::import(&db, next, caller.actor()).await?.into_inner()))
}
