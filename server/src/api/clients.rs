//! `/api/v2/clients`: the applications that sign people in through AskOnce, and machines
//! calling this API (`services::openid_provider::applications`). A confidential
//! application's secret is in the answer to its creation or rotation only.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use chrono::Utc;
use domain::openid_provider::application::{Application, ApplicationChanges, ApplicationSettings, ApplicationWithSecret, RotateSecret};
use sea_orm::DatabaseConnection;
use services::openid_provider::applications::{self, ApplicationError, Grantor};

use super::{
    auth::{needs, Caller},
    ApiJson, ErrorBody, HttpError,
};

impl From<ApplicationError> for HttpError {
    fn from(err: ApplicationError) -> Self {
        match err {
            ApplicationError::NotFound => HttpError::not_found("Application"),
            ApplicationError::Forbidden(why) => HttpError::forbidden(why),
            ApplicationError::Configured(_) => HttpError::conflict(err.to_string()),
            ApplicationError::Invalid(problem) => HttpError::bad_request(problem),
            ApplicationError::Db(e) => HttpError::internal("storing an application", e),
        }
    }
}

/// Every application, the most recently registered first.
#[utoipa::path(get, path = "/api/v2/clients", tag = "clients", security(("bearer" = ["read:clients"])),
    responses(
        (status = 200, description = "The applications", body = [Application]),
    ))]
pub async fn list(_caller: Caller<needs::ReadClients>, State(db): State<DatabaseConnection>) -> Result<Json<Vec<Application>>, HttpError> {
    Ok(Json(applications::list(&db, Utc::now()).await.map_err(|e| HttpError::internal("listing applications", e))?))
}

/// One application (its secrets' dates, never the secrets).
#[utoipa::path(get, path = "/api/v2/clients/{id}", tag = "clients", params(("id" = String, Path, description = "client_id")), security(("bearer" = ["read:clients"])),
    responses(
        (status = 200, description = "The application", body = Application),
        (status = 404, description = "No such application", body = ErrorBody),
    ))]
pub async fn get(
    _caller: Caller<needs::ReadClients>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<Json<Application>, HttpError> {
    Ok(Json(applications::get(&db, &id, Utc::now()).await?))
}

/// Register an application. AskOnce makes its `client_id` and, for a confidential one
/// (`regular_web`, `non_interactive`), its `client_secret`: in this answer only. A machine's
/// API scopes must all be the caller's own (403 otherwise).
#[utoipa::path(post, path = "/api/v2/clients", tag = "clients", request_body = ApplicationSettings, security(("bearer" = ["create:clients"])),
    responses(
        (status = 201, description = "Registered; keep the secret", body = ApplicationWithSecret),
        (status = 400, description = "Refused, with the reason", body = ErrorBody),
        (status = 403, description = "A machine's scopes the caller does not hold", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller<needs::CreateClients>,
    State(db): State<DatabaseConnection>,
    body: Result<ApiJson<ApplicationSettings>, HttpError>,
) -> Result<(StatusCode, Json<ApplicationWithSecret>), HttpError> {
    let ApiJson(settings) = body?;
    let grantor = Grantor::Holding(caller.0.scopes());
    Ok((StatusCode::CREATED, Json(applications::create(&db, settings, grantor, caller.actor(), Utc::now()).await?)))
}

/// Change an application: send the fields to change (those of the creation body; `""`
/// removes `logo_uri` or `backchannel_logout_uri`). Its `app_type` cannot change.
/// Applications from `askonce.toml` are changed there (409). A machine's scopes, before and
/// after, must all be the caller's own (403 otherwise).
#[utoipa::path(patch, path = "/api/v2/clients/{id}", tag = "clients", params(("id" = String, Path, description = "client_id")), request_body = ApplicationChanges, security(("bearer" = ["update:clients"])),
    responses(
        (status = 200, description = "Saved", body = Application),
        (status = 400, description = "Refused, with the reason", body = ErrorBody),
        (status = 403, description = "A machine's scopes the caller does not hold", body = ErrorBody),
        (status = 404, description = "No such application", body = ErrorBody),
        (status = 409, description = "Configured in askonce.toml", body = ErrorBody),
    ))]
pub async fn patch(
    caller: Caller<needs::UpdateClients>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
    body: Result<ApiJson<ApplicationChanges>, HttpError>,
) -> Result<Json<Application>, HttpError> {
    let ApiJson(changes) = body?;
    let grantor = Grantor::Holding(caller.0.scopes());
    Ok(Json(applications::update(&db, &id, changes, grantor, caller.actor(), Utc::now()).await?))
}

/// Delete an application: every code, token and grant it holds stops working at once.
#[utoipa::path(delete, path = "/api/v2/clients/{id}", tag = "clients", params(("id" = String, Path, description = "client_id")), security(("bearer" = ["delete:clients"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such application", body = ErrorBody),
        (status = 409, description = "Configured in askonce.toml", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller<needs::DeleteClients>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
) -> Result<StatusCode, HttpError> {
    applications::delete(&db, &id, caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a new secret. The current one keeps working for `previous_secret_expires_in_secs`
/// (24 hours unless set; 0 ends it now), so it can be replaced without a failed sign-in.
#[utoipa::path(post, path = "/api/v2/clients/{id}/rotate-secret", tag = "clients", params(("id" = String, Path, description = "client_id")), request_body(content = Option<RotateSecret>, description = "Optional; an empty body keeps the old secret for 24 hours"), security(("bearer" = ["update:clients"])),
    responses(
        (status = 200, description = "The new secret, shown only now", body = ApplicationWithSecret),
        (status = 400, description = "A public application, or an overlap too long", body = ErrorBody),
        (status = 403, description = "A machine's scopes the caller does not hold", body = ErrorBody),
        (status = 404, description = "No such application", body = ErrorBody),
        (status = 409, description = "Configured in askonce.toml", body = ErrorBody),
    ))]
pub async fn rotate_secret(
    caller: Caller<needs::UpdateClients>,
    State(db): State<DatabaseConnection>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ApplicationWithSecret>, HttpError> {
    // The body is optional (Auth0's rotation takes none): empty means the defaults.
    let rotation = if body.iter().all(u8::is_ascii_whitespace) {
        RotateSecret::default()
    } else {
        serde_json::from_slice::<RotateSecret>(&body).map_err(|e| HttpError::bad_request(format!("Invalid body: {e}")))?
    };
    let grantor = Grantor::Holding(caller.0.scopes());
    Ok(Json(applications::rotate_secret(&db, &id, rotation, grantor, caller.actor(), Utc::now()).await?))
}
