//! `GET/POST /oidc/logout` (RP-Initiated Logout 1.0) and `POST /oidc/logout/confirm`.
//!
//! With an `id_token_hint` naming the person signed in here, the AskOnce session ends at once
//! and the browser goes to the checked `post_logout_redirect_uri` (with `state`). Without
//! one, or with a hint for someone else, nobody is signed out by a link: AskOnce asks first
//! (a page whose form posts, same-origin only, to `/oidc/logout/confirm`).

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use domain::user_id::UserId;
use services::{
    auth::{devices, session},
    openid_provider::logout::{self, LogoutRefused, LogoutRequest},
};
use tower_sessions::Session;

use super::{params, params::Params, ProviderRoutes};

use services::openid_provider::discovery::LOGOUT_CONFIRM_PATH as CONFIRM_PATH;

/// The page's words, in one place.
mod text {
    pub const CONFIRM_TITLE: &str = "Sign out of AskOnce?";
    pub const CONFIRM_BODY: &str =
        "An application asked to sign you out of AskOnce. You will be signed out of every application that uses your AskOnce sign-in.";
    pub const CONFIRM_BUTTON: &str = "Sign out";
    pub const STAY: &str = "Stay signed in";
    pub const DONE_TITLE: &str = "You are signed out";
    pub const DONE_BODY: &str = "You are signed out of AskOnce.";
    pub const RETURN_TO: &str = "Return to";
}

pub(super) async fn logout_get(State(s): State<ProviderRoutes>, session: Session, RawQuery(query): RawQuery) -> Response {
    logout(&s, &session, &Params::parse(query.unwrap_or_default().as_bytes()), false).await
}

/// The same request as a GET: an application's page posting here is another site, whose POST
/// carries no `SameSite=Lax` session cookie (nobody would be signed out, and the application
/// told it went well). The GET that follows is a top-level navigation that carries it.
pub(super) async fn logout_post(body: Bytes) -> Response {
    params::resend_as_get(services::openid_provider::discovery::END_SESSION_PATH, &body)
}

/// The confirmation's form: same-origin only (the cross-site check is not lifted here).
pub(super) async fn confirm(State(s): State<ProviderRoutes>, session: Session, body: Bytes) -> Response {
    logout(&s, &session, &Params::parse(&body), true).await
}

#[tracing::instrument(skip_all, fields(confirmed))]
async fn logout(s: &ProviderRoutes, session: &Session, params: &Params, confirmed: bool) -> Response {
    let one = |name: &str| params.get(name);
    let request =
        match logout::check(&s.app.db, &s.provider, one("id_token_hint"), one("client_id"), one("post_logout_redirect_uri"), one("state"))
            .await
        {
            Ok(request) => request,
            Err(LogoutRefused::Unavailable) => {
                return crate::error::HttpError::new(StatusCode::SERVICE_UNAVAILABLE, LogoutRefused::Unavailable.to_string())
                    .into_response()
            }
            Err(refused) => {
                tracing::info!(reason = %refused, "logout request refused");
                return crate::error::HttpError::new(StatusCode::BAD_REQUEST, refused.to_string()).into_response();
            }
        };
    let signed_in = match session::user_id(session).await {
        Ok(user) => user,
        Err(err) => {
            tracing::error!(error = %err, "reading the session at RP-initiated logout");
            return crate::error::HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "AskOnce could not read your session just now. Please try again.",
            )
            .into_response();
        }
    };
    match signed_in {
        // Nothing to end here.
        None => finished(&request, false),
        Some(user) if confirmed || hint_names_this_session(session, &request, &user).await => {
            if let Err(err) = end_session(s, session, &user).await {
                tracing::error!(error = %err, "ending a session at RP-initiated logout");
                return crate::error::HttpError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "AskOnce could not sign you out just now. Please try again.",
                )
                .into_response();
            }
            finished(&request, confirmed)
        }
        Some(_) => confirmation(params.pairs(), &request),
    }
}

/// Whether the hint was issued for this very sign-in (its `sub` and `sid`): only then does a
/// link sign the person out without asking. Any older ID token of theirs, which apps keep and
/// logout URLs leave in histories, gets the question.
async fn hint_names_this_session(session: &Session, request: &LogoutRequest, user: &str) -> bool {
    if request.subject.as_deref() != Some(user) {
        return false;
    }
    let Ok(Some(handle)) = session::handle(session).await else {
        return false;
    };
    request.sid.as_deref() == Some(services::openid_provider::authorizations::sid_of(&handle).as_str())
}

async fn end_session(s: &ProviderRoutes, session: &Session, user: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let event = services::activity::Event::new(domain::activity::EventKind::SignOut, domain::activity::Actor::User);
    if let Err(err) = services::activity::record(&s.app.db, &UserId::from_stored(user.to_string()), event).await {
        tracing::warn!(error = %err, "recording a sign-out failed");
    }
    if let Some(handle) = session::handle(session).await? {
        devices::forget(&s.app.db, &handle).await?;
        let user_id = UserId::from_stored(user.to_string());
        services::openid_provider::backchannel::notify(&s.app.db, &s.provider, &s.app.outbound, &user_id, &handle).await;
    }
    session::sign_out(session).await?;
    Ok(())
}

/// After signing out: back to the application, or a page saying so. After the confirmation
/// form, a redirect to another site would be blocked by the page's `form-action`, so the page
/// links there instead.
fn finished(request: &LogoutRequest, from_form: bool) -> Response {
    match (&request.redirect, from_form) {
        (Some(to), false) => Redirect::to(to).into_response(),
        (to, _) => {
            let back = match (to, &request.client) {
                (Some(to), Some(client)) => {
                    format!(r#"<p><a href="{}">{} {}</a></p>"#, escape(to), text::RETURN_TO, escape(&client.name))
                }
                _ => r#"<p><a href="/">AskOnce</a></p>"#.to_string(),
            };
            page(text::DONE_TITLE, &format!("<h1>{}</h1><p role=\"status\">{}</p>{back}", text::DONE_TITLE, text::DONE_BODY))
        }
    }
}

/// "Sign out of AskOnce?", with the request's parameters carried in the form.
fn confirmation(params: &[(String, String)], request: &LogoutRequest) -> Response {
    let hidden: String = params
        .iter()
        .filter(|(k, _)| ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"].contains(&k.as_str()))
        .map(|(k, v)| format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(k), escape(v)))
        .collect();
    let app = request.client.as_ref().map(|c| format!("<p>{}</p>", escape(&c.name))).unwrap_or_default();
    page(
        text::CONFIRM_TITLE,
        &format!(
            r#"<h1>{title}</h1>{app}<p>{body}</p><form method="post" action="{CONFIRM_PATH}">{hidden}<button type="submit">{button}</button></form><p><a href="/">{stay}</a></p>"#,
            title = text::CONFIRM_TITLE,
            body = text::CONFIRM_BODY,
            button = text::CONFIRM_BUTTON,
            stay = text::STAY,
        ),
    )
}

fn escape(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// A small page of its own (no scripts): its policy allows only the stylesheet and a form
/// posting here.
fn page(title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · AskOnce</title><link rel="stylesheet" href="/pkg/askonce.css"></head><body><main id="main" class="container">{body}</main></body></html>"#,
        escape(title)
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
