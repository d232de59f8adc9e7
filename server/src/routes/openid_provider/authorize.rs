//! `/authorize` and `/authorize/continue`: the authorization code flow's front channel.
//!
//! `/authorize` checks the request (`domain::openid_provider::authorization::check`). With a
//! person signed in recently enough and `prompt=none`, it answers at once: a code, or
//! `login_required` / `interaction_required` when something must be shown first (never a
//! silent skip of a question). Otherwise it stores the request, bound to this browser
//! session, and sends the browser through the usual sign-in (`/login`, which ends at
//! `/welcome` and the questions due) or, when already signed in, straight to `/welcome` — so
//! the same engine, stages, hooks and external forms run as on AskOnce's own pages — and
//! on to `/authorize/continue`, which issues the code and returns to the application.

use app::auth::ssr::user_of_session;
use axum::{
    body::Bytes,
    extract::{Query, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, Utc};
use domain::return_to::{percent_encode, ReturnTo};
use serde::Deserialize;
use services::{
    auth::session,
    openid_provider::{
        authorization::{check, Refusal},
        authorizations::{self, fresh_enough},
        clients::{self, Client},
        error::OAuthError,
        AuthorizationRequest, ErrorCode,
    },
    profiling::{login_moment, required_stage_due, would_ask},
};
use tower_sessions::Session;

use super::{respond, ProviderRoutes};

pub(crate) const CONTINUE_PATH: &str = "/authorize/continue";

const EXPIRED: &str = "This sign-in request has expired or was already completed. Go back to the application and sign in again.";

pub(super) async fn authorize_get(State(s): State<ProviderRoutes>, session: Session, RawQuery(query): RawQuery) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    authorize(&s, &session, params).await
}

/// Core §3.1.2.1: the same request as a form post.
pub(super) async fn authorize_post(State(s): State<ProviderRoutes>, session: Session, body: Bytes) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    authorize(&s, &session, params).await
}

#[tracing::instrument(skip_all)]
async fn authorize(s: &ProviderRoutes, session: &Session, params: Vec<(String, String)>) -> Response {
    let db = &s.app.db;
    let now = Utc::now();
    let client_id = params.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v.clone());
    let client: Option<Client> = match client_id {
        Some(id) => match clients::find(db, &id).await {
            Ok(client) => client,
            Err(err) => return unavailable("loading the application", &err),
        },
        None => None,
    };
    let request = match check(&params, |id| client.as_ref().filter(|c| c.client_id == id).map(Client::policy)) {
        Ok(request) => request,
        Err(Refusal::ShowPage(message)) => {
            tracing::info!(message, "authorization request refused on AskOnce's page");
            return respond::page(StatusCode::BAD_REQUEST, message);
        }
        Err(Refusal::ToClient { redirect_uri, state, error }) => {
            tracing::info!(error = %error, "authorization request refused");
            return respond::error_to_client(&redirect_uri, &error, state.as_deref(), &s.provider.issuer);
        }
    };
    let authenticate_after = if request.prompt.login {
        Some(now)
    } else {
        request.max_age.map(|age| now - Duration::seconds(i64::try_from(age).unwrap_or(i64::MAX / 1000)))
    };
    let signed_in = match signed_in_since(s, session, authenticate_after).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if request.prompt.none {
        return without_interaction(s, &request, signed_in).await;
    }
    let id = match authorizations::begin(db, session, &request, authenticate_after, now).await {
        Ok(id) => id,
        Err(err) => return unavailable("storing the authorization", &err),
    };
    let continue_to = format!("{CONTINUE_PATH}?id={id}");
    match signed_in {
        None => to_login(&continue_to),
        // Signed in already (single sign-on): this authorization still runs the questions due.
        Some(_) => match ReturnTo::parse(&continue_to) {
            Ok(next) => Redirect::to(&next.via_welcome()).into_response(),
            Err(_) => respond::page(StatusCode::INTERNAL_SERVER_ERROR, EXPIRED),
        },
    }
}

/// `prompt=none`: a code now, or the reason one cannot be given without showing a page.
async fn without_interaction(s: &ProviderRoutes, request: &AuthorizationRequest, signed_in: Option<SignedIn>) -> Response {
    let db = &s.app.db;
    let refuse = |code: ErrorCode, description: &str| {
        respond::error_to_client(&request.redirect_uri, &OAuthError::new(code, description), request.state.as_deref(), &s.provider.issuer)
    };
    let Some(SignedIn { user, authentication }) = signed_in else {
        return refuse(ErrorCode::LoginRequired, "the person must sign in");
    };
    let due = async {
        if user.must_verify_email || required_stage_due(db, &user.user_id).await?.is_some() {
            return Ok::<bool, services::profiling::ProfilingError>(true);
        }
        would_ask(db, &user.user_id, &login_moment(user.logins_count)).await
    };
    match due.await {
        Ok(true) => {
            return refuse(ErrorCode::InteractionRequired, "the person must answer questions before signing in to this application")
        }
        Ok(false) => {}
        Err(err) => return unavailable("checking for questions due", &err),
    }
    match authorizations::issue_code(db, request, &user.user_id, &authentication, Utc::now()).await {
        Ok(code) => respond::to_client(&request.redirect_uri, &[("code", &code)], request.state.as_deref(), &s.provider.issuer),
        Err(err) => unavailable("issuing a code", &err),
    }
}

#[derive(Deserialize)]
pub(super) struct ContinueQuery {
    id: String,
}

/// Where a sign-in (and its questions) ends for an application: the code, back to it.
#[tracing::instrument(skip_all)]
pub(super) async fn continue_authorization(State(s): State<ProviderRoutes>, session: Session, Query(q): Query<ContinueQuery>) -> Response {
    let db = &s.app.db;
    let now = Utc::now();
    let pending = match authorizations::find(db, &session, &q.id, now).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return respond::page(StatusCode::BAD_REQUEST, EXPIRED),
        Err(err) => return unavailable("loading the authorization", &err),
    };
    let continue_to = format!("{CONTINUE_PATH}?id={}", q.id);
    let signed_in = match signed_in_since(&s, &session, pending.authenticate_after).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let Some(SignedIn { user, authentication }) = signed_in else {
        return to_login(&continue_to);
    };
    if user.must_verify_email {
        return Redirect::to(&format!("/verify-email?return_to={}", percent_encode(&continue_to))).into_response();
    }
    // A required stage due was answered before this: the gate in front of every route
    // (`middleware::required_stage`) sends a held person to it and back here.
    match authorizations::complete(db, &pending.id, now).await {
        Ok(true) => {}
        Ok(false) => return respond::page(StatusCode::BAD_REQUEST, EXPIRED),
        Err(err) => return unavailable("completing the authorization", &err),
    }
    let request = &pending.request;
    match authorizations::issue_code(db, request, &user.user_id, &authentication, now).await {
        Ok(code) => respond::to_client(&request.redirect_uri, &[("code", &code)], request.state.as_deref(), &s.provider.issuer),
        Err(err) => unavailable("issuing a code", &err),
    }
}

struct SignedIn {
    user: app::auth::SessionUser,
    authentication: session::Authentication,
}

/// The person signed in on `session` at or after `after`, if any.
async fn signed_in_since(
    s: &ProviderRoutes,
    session: &Session,
    after: Option<chrono::DateTime<Utc>>,
) -> Result<Option<SignedIn>, Response> {
    let user = user_of_session(&s.app, session).await.map_err(|err| unavailable("loading the session's account", &err))?;
    let authentication = session::authentication(session).await.map_err(|err| unavailable("reading the session", &err))?;
    Ok(user
        .zip(authentication)
        .filter(|(_, a)| fresh_enough(a.at_ms, after))
        .map(|(user, authentication)| SignedIn { user, authentication }))
}

fn to_login(continue_to: &str) -> Response {
    Redirect::to(&format!("/login?return_to={}", percent_encode(continue_to))).into_response()
}

fn unavailable(what: &str, err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "{what}");
    respond::page(StatusCode::SERVICE_UNAVAILABLE, "AskOnce could not continue the sign-in just now. Please try again.")
}
