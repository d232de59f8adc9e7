//! `/authorize` and `/authorize/continue`: the authorization code flow's front channel.
//!
//! `/authorize` checks the request (`domain::openid_provider::authorization::check`). With a
//! person signed in recently enough and `prompt=none`, it answers at once: a code, or
//! `login_required` / `interaction_required` when something must be shown first (never a
//! silent skip of a question). Signed in already with nothing to ask or allow (single
//! sign-on, the common case), it answers with a code at once too. Otherwise it stores the
//! request, bound to this browser session, and sends the browser through the usual sign-in
//! (`/login`, which ends at `/welcome` and the questions due) or, when already signed in,
//! straight to `/welcome` — so the same engine, stages, hooks and external forms run as on
//! AskOnce's own pages — and on to `/authorize/continue`, which issues the code and returns
//! to the application.

use app::auth::ssr::user_of_session;
use axum::{
    body::Bytes,
    extract::{Query, RawQuery, State},
    http::{HeaderMap, StatusCode},
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
    profiling::{login_moment, next_prompt, would_ask},
};
use tower_sessions::Session;

use super::{binding, params, params::Params, respond, ProviderRoutes};

use services::openid_provider::discovery::CONTINUE_PATH;

const EXPIRED: &str = "This sign-in request has expired or was already completed. Go back to the application and sign in again.";

pub(super) async fn authorize_get(
    State(s): State<ProviderRoutes>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // (A form post arrives here too, re-sent by `authorize_post`.)
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let https = s.provider.issuer.starts_with("https://");
    let browser = binding::read(&headers, https).unwrap_or_else(authorizations::new_binding);
    let mut response = authorize(&s, &session, &browser, params).await;
    // Given (or renewed) only when an authorization was stored for this browser.
    if response.extensions().get::<Stored>().is_some() {
        if let Some(cookie) = binding::set(&browser, https) {
            response.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Marks a response after which an authorization waits for this browser.
#[derive(Clone, Copy)]
struct Stored;

/// Core §3.1.2.1: the same request as a form post, answered with the same request as a GET.
/// An application's page posting here is a cross-site POST, which does not carry AskOnce's
/// `SameSite=Lax` session cookie: handling it here would start a new session and replace the
/// person's (signing them out). The GET that follows is a top-level navigation that carries
/// it; this handler touches nothing.
pub(super) async fn authorize_post(body: Bytes) -> Response {
    params::resend_as_get(services::openid_provider::discovery::AUTHORIZE_PATH, &body)
}

#[tracing::instrument(skip_all)]
async fn authorize(s: &ProviderRoutes, session: &Session, browser: &str, params: Params) -> Response {
    let db = &s.app.db;
    let now = Utc::now();
    let client: Option<Client> = match params.get("client_id") {
        Some(id) => match clients::find(db, id).await {
            Ok(client) => client,
            Err(err) => return unavailable("loading the application", &err),
        },
        None => None,
    };
    let request = match check(params.pairs(), |id| client.as_ref().filter(|c| c.client_id == id).map(Client::policy)) {
        Ok(request) => request,
        Err(Refusal::ShowPage(message)) => {
            tracing::info!(message, "authorization request refused on AskOnce's page");
            return crate::error::HttpError::new(StatusCode::BAD_REQUEST, message).into_response();
        }
        Err(Refusal::ToClient { redirect_uri, state, error }) => {
            tracing::info!(error = %error, "authorization request refused");
            return respond::error_to_client(&redirect_uri, &error, state.as_deref(), &s.provider.issuer);
        }
    };
    // `create` (Initiating User Registration 1.0) shows the login page, which signs up too,
    // even to someone signed in: they asked for a new account, not this one.
    let authenticate_after = if request.prompt.login || request.prompt.create {
        Some(now)
    } else {
        // An age beyond what a date can hold asks nothing of the sign-in.
        request.max_age.and_then(|age| i64::try_from(age).ok()).and_then(Duration::try_seconds).and_then(|age| now.checked_sub_signed(age))
    };
    let signed_in = match signed_in_since(s, session, authenticate_after).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if request.prompt.none {
        return without_interaction(s, client.as_ref(), &request, signed_in).await;
    }
    // Signed in already (single sign-on) with nothing to ask and nothing to allow: the code
    // at once. `/welcome` and `/authorize/continue` would decide the same after two more
    // round trips and a page render; the engine has run here as it would have there.
    if let (Some(signed_in), Some(client)) = (&signed_in, &client) {
        match nothing_to_show(s, client, &request, &signed_in.user).await {
            Ok(true) => return issue_at_once(s, &authorizations::immediate(&request), signed_in, now).await,
            Ok(false) => {}
            Err(response) => return response,
        }
    }
    let id = match authorizations::begin(db, browser, &request, authenticate_after, now).await {
        Ok(id) => id,
        Err(err) => return unavailable("storing the authorization", &err),
    };
    let continue_to = format!("{CONTINUE_PATH}?id={id}");
    let mut response = match signed_in {
        None => to_login(&continue_to),
        // Signed in already (single sign-on): this authorization still runs the questions due.
        Some(_) => match ReturnTo::parse(&continue_to) {
            Ok(next) => Redirect::to(&next.via_welcome()).into_response(),
            Err(_) => crate::error::HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, EXPIRED).into_response(),
        },
    };
    response.extensions_mut().insert(Stored);
    response
}

/// Whether `user` can have `request`'s code without a page: the address verified, no
/// question due at this sign-in (the engine decides as `/welcome` does, recording what it
/// records there: claims copied in, stages abandoned) and nothing to allow.
async fn nothing_to_show(
    s: &ProviderRoutes,
    client: &Client,
    request: &AuthorizationRequest,
    user: &app::auth::SessionUser,
) -> Result<bool, Response> {
    if user.must_verify_email {
        return Ok(false);
    }
    // A required stage due is a stage due: `next_prompt` names it as `/welcome` would.
    match next_prompt(&s.app.db, &user.user_id, &login_moment(user.logins_count)).await {
        Ok(None) => {}
        Ok(Some(_)) => return Ok(false),
        Err(err) => return Err(unavailable("checking for questions due", &err)),
    }
    match consent_needed(s, client, request, &user.user_id).await {
        Ok(needed) => Ok(!needed),
        Err(err) => Err(unavailable("checking the application's grant", &err)),
    }
}

/// The code for `pending`, back to the application.
async fn issue_at_once(
    s: &ProviderRoutes,
    pending: &authorizations::Pending,
    signed_in: &SignedIn,
    now: chrono::DateTime<Utc>,
) -> Response {
    let request = &pending.request;
    match authorizations::issue_code(&s.app.db, pending, &signed_in.user.user_id, signed_in_as(&signed_in.authentication), now).await {
        Ok(code) => respond::to_client(&request.redirect_uri, &[("code", &code)], request.state.as_deref(), &s.provider.issuer),
        Err(err) => unavailable("issuing a code", &err),
    }
}

/// `prompt=none`: a code now, or the reason one cannot be given without showing a page.
async fn without_interaction(
    s: &ProviderRoutes,
    client: Option<&Client>,
    request: &AuthorizationRequest,
    signed_in: Option<SignedIn>,
) -> Response {
    let db = &s.app.db;
    let refuse = |code: ErrorCode, description: &str| {
        respond::error_to_client(&request.redirect_uri, &OAuthError::new(code, description), request.state.as_deref(), &s.provider.issuer)
    };
    let Some(SignedIn { user, authentication }) = signed_in else {
        return refuse(ErrorCode::LoginRequired, "the person must sign in");
    };
    // A required stage due is a stage due: `would_ask` names it (read-only: nothing is shown).
    let due = if user.must_verify_email { Ok(true) } else { would_ask(db, &user.user_id, &login_moment(user.logins_count)).await };
    match due {
        Ok(true) => {
            return refuse(ErrorCode::InteractionRequired, "the person must answer questions before signing in to this application")
        }
        Ok(false) => {}
        Err(err) => return unavailable("checking for questions due", &err),
    }
    // Loaded by `authorize` to check the request, which needs it: always there.
    let Some(client) = client else {
        return refuse(ErrorCode::InvalidRequest, "the application is no longer registered");
    };
    match consent_needed(s, client, request, &user.user_id).await {
        Ok(true) => return refuse(ErrorCode::ConsentRequired, "the person must allow this application first"),
        Ok(false) => {}
        Err(err) => return unavailable("checking the application's grant", &err),
    }
    issue_at_once(s, &authorizations::immediate(request), &SignedIn { user, authentication }, Utc::now()).await
}

#[derive(Deserialize)]
pub(super) struct ContinueQuery {
    id: String,
}

/// Where a sign-in (and its questions) ends for an application: the code, back to it.
#[tracing::instrument(skip_all)]
pub(super) async fn resume_after_sign_in(
    State(s): State<ProviderRoutes>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<ContinueQuery>,
) -> Response {
    let db = &s.app.db;
    let now = Utc::now();
    let browser = binding::read(&headers, s.provider.issuer.starts_with("https://"));
    let pending = match authorizations::find(db, browser.as_deref(), &q.id, now).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return crate::error::HttpError::new(StatusCode::BAD_REQUEST, EXPIRED).into_response(),
        Err(err) => return unavailable("loading the authorization", &err),
    };
    let continue_to = format!("{CONTINUE_PATH}?id={}", q.id);
    // Refused on the consent screen, or by a site owner's hook at sign-in (nobody is signed
    // in then): the application hears it.
    if pending.consent == Some(false) {
        let request = &pending.request;
        let _ = authorizations::complete(db, &pending.id, now).await;
        let denied = OAuthError::new(ErrorCode::AccessDenied, "the sign-in was refused");
        return respond::error_to_client(&request.redirect_uri, &denied, request.state.as_deref(), &s.provider.issuer);
    }
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
    let request = &pending.request;
    let client = match clients::find(db, &request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return crate::error::HttpError::new(StatusCode::BAD_REQUEST, EXPIRED).into_response(),
        Err(err) => return unavailable("loading the application", &err),
    };
    if pending.consent.is_none() {
        match consent_needed(&s, &client, request, &user.user_id).await {
            Ok(false) => {}
            Ok(true) => return Redirect::to(&format!("{CONSENT_PAGE}?id={}", q.id)).into_response(),
            Err(err) => return unavailable("checking the application's grant", &err),
        }
    }
    match authorizations::complete(db, &pending.id, now).await {
        Ok(true) => {}
        Ok(false) => return crate::error::HttpError::new(StatusCode::BAD_REQUEST, EXPIRED).into_response(),
        Err(err) => return unavailable("completing the authorization", &err),
    }
    issue_at_once(&s, &pending, &SignedIn { user, authentication }, now).await
}

/// The consent screen (`app::authorize`).
const CONSENT_PAGE: &str = "/consent";

/// Whether the person must be asked before `client` gets `request`'s scopes: a partner's
/// app asking for more than was granted, or any app with `prompt=consent`.
async fn consent_needed(
    s: &ProviderRoutes,
    client: &Client,
    request: &AuthorizationRequest,
    user_id: &domain::user_id::UserId,
) -> Result<bool, sea_orm::DbErr> {
    if request.prompt.consent {
        return Ok(true);
    }
    if client.skip_consent {
        return Ok(false);
    }
    Ok(!services::openid_provider::grants::covers(&s.app.db, user_id, &client.client_id, &request.scope).await?)
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
    crate::error::HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "AskOnce could not continue the sign-in just now. Please try again.")
        .into_response()
}

/// The session's sign-in, as the provider records it in a code.
fn signed_in_as(authentication: &session::Authentication) -> services::openid_provider::SignedIn<'_> {
    services::openid_provider::SignedIn { at: authentication.at, handle: &authentication.handle, method: authentication.method.as_deref() }
}
