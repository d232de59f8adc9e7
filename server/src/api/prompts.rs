//! `/api/v2/users/{id}/prompt`: the prompt API for servers. A site's backend holding a token
//! with `prompt:users` (a machine application's access token, or an API token) asks in
//! context for a person it names — the same operations, engine and validation as the
//! browser-facing `/api/prompt` (`routes::prompt_api::Asking`), without the person's prompt
//! token. Answers are stored with provenance `app:<client_id>` (an API token: `app:token:<id>`).

use app::state::AppState;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use domain::{
    profiling::headless::{AnswersBody, DueAnswer, Place, StageBody},
    user_id::UserId,
};
use services::entities::users;
use utoipa::IntoParams;

use super::{
    auth::{needs, Caller, Needs, Principal},
    ApiJson, ErrorBody, HttpError,
};
use crate::prompting::{Asking, Refused};

/// Where the question would be asked.
#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceParams {
    /// The place: letters, digits, `-` and `_` (`article`).
    #[param(example = "article")]
    pub moment: Option<String>,
    /// The page's tags, comma-separated.
    #[param(example = "rust,web")]
    pub tags: Option<String>,
    /// The page: a path, or an http(s) address (at most 512 characters).
    #[param(example = "/articles/rust")]
    pub page: Option<String>,
}

/// Who asks, as analytics and provenance name it.
fn asker<N: Needs>(caller: &Caller<N>) -> String {
    match &caller.0 {
        Principal::Machine { client_id, .. } => client_id.clone(),
        Principal::Token(token) => format!("token:{}", token.id),
    }
}

/// The person `id` names, who must exist.
async fn person(app: &AppState, id: &str) -> Result<users::Model, HttpError> {
    let user_id = UserId::parse(id).ok_or_else(|| HttpError::not_found("User"))?;
    match services::profile::store::load(&app.db, &user_id).await {
        Ok(Some(person)) => Ok(person),
        Ok(None) => Err(HttpError::not_found("User")),
        Err(e) => Err(HttpError::internal("loading a user", e)),
    }
}

fn refused(err: HttpError) -> Refused {
    err.into()
}

fn place(result: Result<Place, domain::profiling::headless::PlaceProblem>) -> Result<Place, Refused> {
    result.map_err(|p| refused(HttpError::bad_request(p.to_string())))
}

/// The question due for a user at a place, or `{"prompt": null}`. Records nothing.
#[utoipa::path(get, path = "/api/v2/users/{id}/prompt", tag = "users",
    params(("id" = String, Path, description = "User id"), PlaceParams),
    security(("bearer" = ["prompt:users"])),
    responses(
        (status = 200, description = "The stage due (its fields, rules, steps and introduction), or null", body = DueAnswer),
        (status = 400, description = "An invalid place", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn due(
    caller: Caller<needs::PromptUsers>,
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PlaceParams>,
) -> Result<Response, Refused> {
    let person = person(&app, &id).await.map_err(refused)?;
    let client_id = asker(&caller);
    let at = place(Place::parse(q.moment.as_deref().unwrap_or(""), q.tags.as_deref().unwrap_or(""), q.page.as_deref()))?;
    Asking { app: &app, person: &person, client_id: &client_id, place: at }.due().await
}

/// The page showed the user the stage (counted once per window).
#[utoipa::path(post, path = "/api/v2/users/{id}/prompt/shown", tag = "users", request_body = StageBody,
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = ["prompt:users"])),
    responses(
        (status = 200, description = "`{\"recorded\": true|false}`"),
        (status = 400, description = "An invalid place", body = ErrorBody),
        (status = 403, description = "The user must verify their address first", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "That stage is not the one due there", body = ErrorBody),
    ))]
pub async fn shown(
    caller: Caller<needs::PromptUsers>,
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StageBody>,
) -> Result<Response, Refused> {
    let person = person(&app, &id).await.map_err(refused)?;
    let client_id = asker(&caller);
    Asking { app: &app, person: &person, client_id: &client_id, place: place(body.place())? }.shown(&body.stage).await
}

/// The user's answers to the stage due, checked exactly as on AskOnce's own pages.
#[utoipa::path(post, path = "/api/v2/users/{id}/prompt/answers", tag = "users", request_body = AnswersBody,
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = ["prompt:users"])),
    responses(
        (status = 200, description = "`{\"outcome\": \"saved\"}`, or `{\"outcome\": \"moved\", \"step\": n}` for a step checked"),
        (status = 400, description = "An invalid place or body", body = ErrorBody),
        (status = 403, description = "The user must verify their address first", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "That stage is not the one due there", body = ErrorBody),
        (status = 422, description = "Some answers need attention: `fields` names each with the reason"),
    ))]
pub async fn answers(
    caller: Caller<needs::PromptUsers>,
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AnswersBody>,
) -> Result<Response, Refused> {
    let person = person(&app, &id).await.map_err(refused)?;
    let client_id = asker(&caller);
    Asking { app: &app, person: &person, client_id: &client_id, place: place(body.place())? }.answer(&body).await
}

/// The user skipped the stage: it waits out its cooldown.
#[utoipa::path(post, path = "/api/v2/users/{id}/prompt/skip", tag = "users", request_body = StageBody,
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = ["prompt:users"])),
    responses(
        (status = 200, description = "`{\"outcome\": \"skipped\"}`"),
        (status = 400, description = "An invalid place, or a stage that cannot be skipped", body = ErrorBody),
        (status = 403, description = "The user must verify their address first", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "That stage is not the one due there", body = ErrorBody),
    ))]
pub async fn skip(
    caller: Caller<needs::PromptUsers>,
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StageBody>,
) -> Result<Response, Refused> {
    let person = person(&app, &id).await.map_err(refused)?;
    let client_id = asker(&caller);
    Asking { app: &app, person: &person, client_id: &client_id, place: place(body.place())? }.skip(&body.stage).await
}
