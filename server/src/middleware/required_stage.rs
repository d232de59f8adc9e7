//! Middleware: a signed-in person with a required question stage due (see
//! `domain::profiling::required`) reaches only that stage, sign-out and the static assets. Page
//! views and plain form posts go to `/welcome` (a page view comes back after); scripts and
//! API calls get 403. In front of every route, so no page, server function or handler can
//! forget the check.
//!
//! Cost: once a sign-in is found to have nothing required, the session remembers it and later
//! requests pass on a session read. Site owners (admins) are never held: they must be able to
//! reach the console to mend a stage nobody can answer.

use app::{auth::ssr::user_of_session, state::AppState};
use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use domain::{
    profiling::required::held_answer, profiling::required::passes_while_held, profiling::required::HeldAnswer,
    profiling::required::HELD_MESSAGE,
};
use services::{auth::session, profiling::required_stage_due};
use tower_sessions::Session;

use crate::error::{accepts_html, HttpError};

pub(crate) async fn hold_at_required_stage(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    if passes_while_held(request.uri().path()) {
        return next.run(request).await;
    }
    match held_for(&state, &session).await {
        Ok(None) => next.run(request).await,
        Ok(Some(stage)) => {
            tracing::debug!(%stage, path = request.uri().path(), "held at a required stage");
            let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
            match held_answer(is_get, path_and_query, accepts_html(request.headers())) {
                HeldAnswer::Welcome { location } => Redirect::to(&location).into_response(),
                HeldAnswer::Forbidden => HttpError::forbidden(HELD_MESSAGE).into_response(),
            }
        }
        Err(err) => {
            tracing::error!(error = %err, "could not tell whether a required stage is due");
            HttpError::unavailable("AskOnce could not load your account just now. Please try again.").into_response()
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Session(#[from] session::SessionError),
    #[error("{0}")]
    App(#[from] app::error::AppError),
    #[error(transparent)]
    Profiling(#[from] services::profiling::ProfilingError),
}

/// The required stage the session's person must answer now, if any.
async fn held_for(state: &AppState, session: &Session) -> Result<Option<domain::profiling::StageKey>, CheckError> {
    if session::user_id(session).await?.is_none() || session::nothing_required(session).await? {
        return Ok(None);
    }
    let Some(me) = user_of_session(state, session).await? else {
        return Ok(None);
    };
    // Held back for email verification first (that has its own pages); checked again after.
    if me.must_verify_email {
        return Ok(None);
    }
    if me.is_admin {
        session::remember_nothing_required(session).await?;
        return Ok(None);
    }
    let due = required_stage_due(&state.db, &me.user_id).await?;
    if due.is_none() {
        session::remember_nothing_required(session).await?;
    }
    Ok(due)
}
