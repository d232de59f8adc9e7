//! `/api/v2/fields`, `/api/v2/stages`, `/api/v2/profiling-config`: the staged questions,
//! changed with the same checks as the console and the import command. Reads carry the
//! configuration's revision as `ETag`; writes may send it back as `If-Match`
//! ([`super::revision`]) and are then refused with 409 if someone changed the questions since.

use app::admin::questions::ssr as questions;
use app::state::AppState;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::IntoResponse,
    Json,
};
use domain::{
    external_form::{FormSecret, FormSecretRequest},
    profiling::change_report::ChangeReport,
    profiling::edit::Edit,
    profiling::edit::EditError,
    profiling::Field,
    profiling::FieldKey,
    profiling::ProfilingConfig,
    profiling::Stage,
    profiling::ValidConfig,
    profiling::VersionedConfig,
};
use sea_orm::DatabaseConnection;
use services::profiling::load_versioned;

use super::{
    auth::{needs, Caller},
    revision::{etag, IfMatch},
    ApiJson, ErrorBody, HttpError,
};

async fn config(db: &DatabaseConnection) -> Result<VersionedConfig, HttpError> {
    load_versioned(db).await.map_err(|e| HttpError::internal("loading the profiling configuration", e))
}

fn key(text: &str) -> Result<FieldKey, HttpError> {
    // A key that cannot exist names nothing.
    FieldKey::parse(text).map_err(|_| HttpError::not_found("No such key"))
}

/// Applies one edit as the caller, from the revision in `If-Match` when there is one.
async fn edit(
    db: &DatabaseConnection,
    caller: &Caller<needs::UpdateStages>,
    edit: Edit,
    if_match: IfMatch,
) -> Result<VersionedConfig, HttpError> {
    Ok(questions::edit(db, edit, caller.actor(), if_match.0).await?)
}

/// Every field, in order.
#[utoipa::path(get, path = "/api/v2/fields", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The fields", body = [Field], headers(("ETag" = String, description = "The configuration's revision, for If-Match"))),
    ))]
pub(crate) async fn list_fields(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
) -> Result<impl IntoResponse, HttpError> {
    let current = config(&db).await?;
    Ok((etag(current.version), Json(current.config.fields)))
}

/// One field.
#[utoipa::path(get, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company")), security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The field", body = Field, headers(("ETag" = String, description = "The configuration's revision, for If-Match"))),
        (status = 404, description = "No such field", body = ErrorBody),
    ))]
pub(crate) async fn get_field(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    let k = key(&k)?;
    let current = config(&db).await?;
    let field = current.config.field(&k).cloned().ok_or_else(|| HttpError::not_found("Field"))?;
    Ok((etag(current.version), Json(field)))
}

/// Add a field (at the end).
#[utoipa::path(post, path = "/api/v2/fields", tag = "questions", request_body = Field, params(("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 201, description = "Created", body = Field, headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn create_field(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    if_match: Result<IfMatch, HttpError>,
    body: Result<ApiJson<Field>, HttpError>,
) -> Result<impl IntoResponse, HttpError> {
    let (if_match, ApiJson(field)) = (if_match?, body?);
    let saved = edit(&db, &caller, Edit::SaveField { original: None, field: field.clone() }, if_match).await?;
    Ok((StatusCode::CREATED, etag(saved.version), Json(field)))
}

/// Replace a field; a different `key` in the body renames it (stages follow).
#[utoipa::path(put, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company"), ("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), request_body = Field, security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Saved", body = Field, headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 404, description = "No such field", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn put_field(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    if_match: Result<IfMatch, HttpError>,
    body: Result<ApiJson<Field>, HttpError>,
) -> Result<impl IntoResponse, HttpError> {
    let (if_match, ApiJson(field)) = (if_match?, body?);
    let saved = edit(&db, &caller, Edit::SaveField { original: Some(key(&k)?), field: field.clone() }, if_match).await?;
    Ok((etag(saved.version), Json(field)))
}

/// Delete a field (stages stop asking it; refused if a stage would be left empty).
#[utoipa::path(delete, path = "/api/v2/fields/{key}", tag = "questions", params(("key" = String, Path, description = "Field key", example = "company"), ("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 404, description = "No such field", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn delete_field(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    if_match: Result<IfMatch, HttpError>,
) -> Result<StatusCode, HttpError> {
    edit(&db, &caller, Edit::DeleteField(key(&k)?), if_match?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every stage, in the order they are considered.
#[utoipa::path(get, path = "/api/v2/stages", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The stages", body = [Stage], headers(("ETag" = String, description = "The configuration's revision, for If-Match"))),
    ))]
pub(crate) async fn list_stages(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
) -> Result<impl IntoResponse, HttpError> {
    let current = config(&db).await?;
    Ok((etag(current.version), Json(current.config.stages)))
}

/// One stage.
#[utoipa::path(get, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")), security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The stage", body = Stage, headers(("ETag" = String, description = "The configuration's revision, for If-Match"))),
        (status = 404, description = "No such stage", body = ErrorBody),
    ))]
pub(crate) async fn get_stage(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
) -> Result<impl IntoResponse, HttpError> {
    let k = key(&k)?;
    let current = config(&db).await?;
    let stage = current.config.stage(&k).cloned().ok_or_else(|| HttpError::not_found("Stage"))?;
    Ok((etag(current.version), Json(stage)))
}

/// The schema-change report of a stage: what the engine would now do with everyone who has
/// an account — how many it would ask the stage and at which moment, how many providers'
/// claims already answer, how many have nothing left to ask. Counted by the engine itself;
/// nothing is recorded.
#[utoipa::path(get, path = "/api/v2/stages/{key}/change-report", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")), security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "The report", body = ChangeReport),
        (status = 404, description = "No such stage", body = ErrorBody),
    ))]
pub async fn change_report(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
) -> Result<Json<ChangeReport>, HttpError> {
    let k = key(&k)?;
    match services::profiling::change_report(&db, &k).await {
        Ok(Some(report)) => Ok(Json(report)),
        Ok(None) => Err(HttpError::not_found("Stage")),
        Err(e) => Err(HttpError::internal("the change report", e)),
    }
}

/// Add a stage (considered last).
#[utoipa::path(post, path = "/api/v2/stages", tag = "questions", request_body = Stage, params(("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 201, description = "Created", body = Stage, headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn create_stage(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    if_match: Result<IfMatch, HttpError>,
    body: Result<ApiJson<Stage>, HttpError>,
) -> Result<impl IntoResponse, HttpError> {
    let (if_match, ApiJson(stage)) = (if_match?, body?);
    let saved = edit(&db, &caller, Edit::SaveStage { original: None, stage: stage.clone() }, if_match).await?;
    Ok((StatusCode::CREATED, etag(saved.version), Json(stage)))
}

/// Replace a stage (keeps its place in the order).
#[utoipa::path(put, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work"), ("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), request_body = Stage, security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Saved", body = Stage, headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn put_stage(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    if_match: Result<IfMatch, HttpError>,
    body: Result<ApiJson<Stage>, HttpError>,
) -> Result<impl IntoResponse, HttpError> {
    let (if_match, ApiJson(stage)) = (if_match?, body?);
    let saved = edit(&db, &caller, Edit::SaveStage { original: Some(key(&k)?), stage: stage.clone() }, if_match).await?;
    Ok((etag(saved.version), Json(stage)))
}

/// Delete a stage.
#[utoipa::path(delete, path = "/api/v2/stages/{key}", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work"), ("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "If-Match is not an ETag of this API", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn delete_stage(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    Path(k): Path<String>,
    if_match: Result<IfMatch, HttpError>,
) -> Result<StatusCode, HttpError> {
    edit(&db, &caller, Edit::DeleteStage(key(&k)?), if_match?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole configuration (what `askonce profiling export` prints).
#[utoipa::path(get, path = "/api/v2/profiling-config", tag = "questions", security(("bearer" = ["read:stages"])),
    responses(
        (status = 200, description = "Fields and stages", body = ProfilingConfig, headers(("ETag" = String, description = "The configuration's revision, for If-Match"))),
    ))]
pub(crate) async fn export_config(
    _caller: Caller<needs::ReadStages>,
    State(db): State<DatabaseConnection>,
) -> Result<impl IntoResponse, HttpError> {
    let current = config(&db).await?;
    Ok((etag(current.version), Json(current.config)))
}

/// Replace the whole configuration, after checking it; a configuration with any problem
/// changes nothing.
#[utoipa::path(put, path = "/api/v2/profiling-config", tag = "questions", request_body = ProfilingConfig, params(("If-Match" = Option<String>, Header, description = "The ETag of your last read (\"12\"): refused with 409 if the questions changed since; without it the change applies to what is current")), security(("bearer" = ["update:stages"])),
    responses(
        (status = 200, description = "Imported", body = ProfilingConfig, headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "Refused, with every problem", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the revision in If-Match", body = ErrorBody),
    ))]
pub(crate) async fn import_config(
    caller: Caller<needs::UpdateStages>,
    State(db): State<DatabaseConnection>,
    if_match: Result<IfMatch, HttpError>,
    body: Result<ApiJson<ProfilingConfig>, HttpError>,
) -> Result<impl IntoResponse, HttpError> {
    let (if_match, ApiJson(next)) = (if_match?, body?);
    let next = ValidConfig::check(next).map_err(|problems| questions::QuestionsError::from(EditError::Problems(problems)))?;
    let saved = questions::import(&db, next, caller.actor(), if_match.0).await?;
    Ok((etag(saved.version), Json(saved.config)))
}

/// Set the signing secret of an external form stage — a new one AskOnce makes (an empty
/// body), or the site's own (`secret`, e.g. Arengu's `SESSION_TOKEN_SECRET`) — and the issuer
/// its returned tokens name. The secret is shown this once; the old one stops working at once.
/// The form signs its answer token with it and checks AskOnce's session token with it
/// (HS256); see docs/MANUAL.md, "External forms".
#[utoipa::path(post, path = "/api/v2/stages/{key}/form-secret", tag = "questions", params(("key" = String, Path, description = "Stage key", example = "work")),
    request_body(content = Option<FormSecretRequest>, description = "Optional; an empty body makes a new secret and keeps the issuer"),
    security(("bearer" = ["update:stages"])),
    responses(
        (status = 201, description = "The secret and issuer", body = FormSecret),
        (status = 400, description = "The stage is asked here, not by an external form; or a secret or issuer that cannot be used", body = ErrorBody),
        (status = 404, description = "No such stage", body = ErrorBody),
        (status = 409, description = "The stage's secret is set in askonce.toml", body = ErrorBody),
    ))]
pub(crate) async fn make_form_secret(
    caller: Caller<needs::UpdateStages>,
    State(app): State<AppState>,
    Path(k): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, HttpError> {
    use services::external_form::{set_form_secret, FormError, FormSecretChoice};
    let stage = key(&k)?;
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        FormSecretRequest::default()
    } else {
        serde_json::from_slice::<FormSecretRequest>(&body).map_err(|e| HttpError::bad_request(format!("Invalid body: {e}")))?
    };
    let choice = FormSecretChoice { secret: request.secret, issuer: request.issuer };
    match set_form_secret(&app.db, &app.external_forms, stage.as_str(), choice, caller.actor()).await {
        Ok(set) => Ok((StatusCode::CREATED, Json(FormSecret { stage: stage.to_string(), secret: set.secret, issuer: set.issuer }))),
        Err(FormError::NoSuchStage(_)) => Err(HttpError::not_found("Stage")),
        Err(e @ (FormError::NotExternal(_) | FormError::InvalidSetting(_))) => Err(HttpError::bad_request(e.to_string())),
        Err(e @ FormError::Configured) => Err(HttpError::conflict(e.to_string())),
        Err(e) => Err(HttpError::internal("setting a form secret", e)),
    }
}
