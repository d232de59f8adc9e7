//! The browser's two hops of an external form (see `domain::external_form`): `/forms/{stage}/start`
//! sends the person to the form with a signed session token; `/continue` takes the form's
//! answers back. Plain redirects, so they work without JavaScript; a problem goes back to
//! `/welcome`, which says what went wrong (nothing was saved).

use app::{auth::return_to::percent_encode, auth::ssr::user_of_session, auth::ReturnTo, auth::SessionUser, state::AppState};
use axum::{
    extract::{Path, Query, State},
    http::Uri,
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use domain::external_form::FormProblem;
use serde::Deserialize;
use services::{external_form::finish, external_form::return_to_after_problem, external_form::start, external_form::FormError};
use tower_sessions::Session;

use crate::error::HttpError;

pub fn router() -> Router<AppState> {
    Router::new().route("/forms/{stage}/start", get(start_form)).route(domain::external_form::CONTINUE_PATH, get(continue_from_form))
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    return_to: Option<String>,
}

/// `token` (AskOnce's name) or `session_token` (Arengu's flow and Auth0's redirect rules, seed
/// 002): the same token either way.
#[derive(Debug, Deserialize)]
struct ContinueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    session_token: Option<String>,
}

impl ContinueQuery {
    /// The returned token; two different ones are no token.
    fn token(&self) -> &str {
        match (self.token.as_deref(), self.session_token.as_deref()) {
            (Some(a), Some(b)) if a != b => "",
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => "",
        }
    }
}

#[tracing::instrument(skip_all, fields(stage = %stage))]
async fn start_form(
    State(app): State<AppState>,
    session: Session,
    uri: Uri,
    Path(stage): Path<String>,
    Query(query): Query<StartQuery>,
) -> Response {
    let return_to = ReturnTo::or_home(query.return_to.as_deref());
    let me = match signed_in(&app, &session, &uri).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    match start(&app.db, &app.external_forms, &session, &app.site.public_url, &me.user_id, &stage, return_to.clone()).await {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(e) => problem(e, &return_to),
    }
}

#[tracing::instrument(skip_all)]
async fn continue_from_form(State(app): State<AppState>, session: Session, uri: Uri, Query(query): Query<ContinueQuery>) -> Response {
    let me = match signed_in(&app, &session, &uri).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    match finish(&app.db, &app.external_forms, &session, &app.site.public_url, &me.user_id, &query.state, query.token()).await {
        Ok(next) => Redirect::to(&next.via_welcome()).into_response(),
        Err(e) => problem(e, &return_to_after_problem(&session).await),
    }
}

/// The signed-in person, or the response that sends them to sign in first (and back here).
async fn signed_in(app: &AppState, session: &Session, uri: &Uri) -> Result<SessionUser, Response> {
    match user_of_session(app, session).await {
        Ok(Some(me)) => Ok(me),
        Ok(None) => {
            let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Err(Redirect::to(&format!("/login?return_to={}", percent_encode(here))).into_response())
        }
        Err(e) => Err(HttpError::from(e).into_response()),
    }
}

/// A problem the person is told about on `/welcome`; anything else is an error page.
fn problem(error: FormError, return_to: &ReturnTo) -> Response {
    match error {
        FormError::Problem(p) => {
            tracing::info!(problem = p.code(), "external form refused");
            Redirect::to(&format!("{}&form_problem={}", return_to.via_welcome(), p.code())).into_response()
        }
        FormError::NoSuchStage(_) | FormError::NotExternal(_) => {
            Redirect::to(&format!("{}&form_problem={}", return_to.via_welcome(), FormProblem::NotOpen.code())).into_response()
        }
        other => {
            tracing::error!(error = %other, "external form failed");
            HttpError::unavailable("AskOnce could not take the form's answers just now; nothing was saved. Please try again.")
                .into_response()
        }
    }
}
