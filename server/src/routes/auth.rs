//! `/auth/{connection}/start` and `/auth/{connection}/callback`: sending people to their
//! identity provider and taking them back.

use std::sync::Arc;

use app::auth::ReturnTo;
use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Extension, Form, Router,
};
use domain::{activity::Actor, activity::EventKind};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use services::{
    activity::record, activity::Client, activity::Event, auth::session, identity::upsert_login, identity::IdentityError, net::ClientIp,
};
use tower_sessions::Session;

use crate::connections::{ConnectionRegistry, LoginFailure, Transaction};
use domain::identity::ProviderKind;

#[derive(Clone)]
pub struct AuthRoutes {
    pub db: DatabaseConnection,
    pub registry: Arc<ConnectionRegistry>,
    /// For the new-device notice a sign-in may send.
    pub site: services::email::templates::Site,
    pub email_policy: services::email::EmailPolicy,
    /// For the sign-in's hooks.
    pub outbound: services::outbound::Outbound,
}

pub fn router<S: Clone + Send + Sync + 'static>(state: AuthRoutes) -> Router<S> {
    Router::new()
        .route("/auth/{connection}/start", get(start_login).post(start_from_form))
        .route("/auth/{connection}/callback", get(callback).post(callback_form_post))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    return_to: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    return_to: Option<String>,
    /// "1" to link the provider account to the signed-in user.
    link: Option<String>,
}

/// GET: a sign-in button. Never links: linking changes an account, so it is a POST.
async fn start_login(State(s): State<AuthRoutes>, Path(name): Path<String>, Query(q): Query<StartQuery>, session: Session) -> Response {
    start(&s, &name, q.return_to, false, &session).await
}

/// POST: sign in, or link (`link=1`) from the profile page; the cross-site check already ran.
async fn start_from_form(State(s): State<AuthRoutes>, Path(name): Path<String>, session: Session, Form(f): Form<StartForm>) -> Response {
    start(&s, &name, f.return_to, f.link.as_deref() == Some("1"), &session).await
}

#[tracing::instrument(skip(s, session, return_to))]
async fn start(s: &AuthRoutes, name: &str, return_to: Option<String>, link: bool, session: &Session) -> Response {
    let return_to = ReturnTo::or_home(return_to.as_deref()).to_string();
    let result = async {
        let connection = s.registry.get(name).ok_or(LoginFailure::UnknownConnection)?;
        let link_user = if link {
            Some(session::user_id(session).await.map_err(|e| LoginFailure::Internal(e.to_string()))?.ok_or(LoginFailure::NoTransaction)?)
        } else {
            None
        };
        let (url, state, tx) = connection.start(return_to.clone(), link_user).await?;
        session.insert(&Transaction::session_key(&state), tx).await.map_err(|e| LoginFailure::Internal(e.to_string()))?;
        Ok::<_, LoginFailure>(url)
    }
    .await;
    match result {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(failure) => fail(failure, &return_to),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
    /// Apple only: the name it sends on the first sign-in (a JSON string).
    user: Option<String>,
}

/// Apple's answer, posted by the browser from appleid.apple.com (`response_mode=form_post`).
/// A cross-site POST carries no `SameSite=Lax` session cookie, so nothing is done here: the
/// answer is handed to the GET callback by a 303, a top-level navigation that carries the
/// session, where the state, the code and everything else are checked as for any provider.
/// This route is the one cross-site POST let through (`csrf`), and it changes nothing.
async fn callback_form_post(
    State(s): State<AuthRoutes>,
    Path(name): Path<String>,
    axum::Form(answer): axum::Form<CallbackQuery>,
) -> Response {
    let Some(connection) = s.registry.get(&name) else {
        return fail(LoginFailure::UnknownConnection, "/");
    };
    if connection.kind() != ProviderKind::Apple {
        return crate::error::HttpError::method_not_allowed("This sign-in answers by redirect, not by a posted form.").into_response();
    }
    // Of Apple's `user`, only the name goes on (bounded): its email is in the ID token, and
    // this address ends up in logs and the browser's history.
    let user =
        answer.user.as_deref().map(crate::connections::apple::first_sign_in_name).filter(|names| !names.is_empty()).map(|names| {
            serde_json::json!({"name": {"firstName": names.get("given_name"), "lastName": names.get("family_name")}}).to_string()
        });
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("code", &answer.code),
        ("state", &answer.state),
        ("error", &answer.error),
        ("error_description", &answer.error_description),
        ("iss", &answer.iss),
        ("user", &user),
    ] {
        if let Some(value) = value {
            query.append_pair(key, value);
        }
    }
    Redirect::to(&format!("/auth/{name}/callback?{}", query.finish())).into_response()
}

// `skip_all`: the request's headers carry the session cookie and the query the code; a span
// records only what is safe to read in a log.
#[tracing::instrument(skip_all, fields(connection = %name, has_code = q.code.is_some()))]
async fn callback(
    State(s): State<AuthRoutes>,
    Path(name): Path<String>,
    Query(q): Query<CallbackQuery>,
    // Resolved once per request by `client_ip` (trusted proxies honoured).
    Extension(client): Extension<ClientIp>,
    headers: axum::http::HeaderMap,
    session: Session,
) -> Response {
    // Read and delete the transaction first: whatever happens next, this state is spent.
    let tx = match &q.state {
        Some(state) => session.remove::<Transaction>(&Transaction::session_key(state)).await.ok().flatten(),
        None => None,
    };
    let Some(tx) = tx.filter(|t| !t.is_expired()) else {
        return fail(LoginFailure::NoTransaction, "/");
    };
    let return_to = tx.return_to.clone();
    let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string);
    match finish(&s, &name, &tx, q, client, user_agent, &session).await {
        // A link returns to the profile; a sign-in continues through this sign-in's questions.
        Ok(()) if tx.link_user.is_some() => Redirect::to(&return_to).into_response(),
        Ok(()) => Redirect::to(&ReturnTo::or_home(Some(&return_to)).via_welcome()).into_response(),
        // A failed link goes back to where it started (the profile page), with the reason.
        Err(failure) if tx.link_user.is_some() => {
            tracing::warn!(error = %failure, code = failure.code(), "linking failed");
            let sep = if return_to.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{return_to}{sep}error={}", failure.code())).into_response()
        }
        // A hook refused an application's sign-in: the application hears `access_denied`.
        Err(LoginFailure::Denied(message)) => match services::openid_provider::authorizations::continued_by(&return_to) {
            Some(id) => match services::openid_provider::authorizations::refused_by_hook(&s.db, &id, chrono::Utc::now()).await {
                Ok(_) => Redirect::to(&return_to).into_response(),
                Err(err) => fail(LoginFailure::Internal(err.to_string()), &return_to),
            },
            None => fail(LoginFailure::Denied(message), &return_to),
        },
        Err(failure) => fail(failure, &return_to),
    }
}

async fn finish(
    s: &AuthRoutes,
    name: &str,
    tx: &Transaction,
    q: CallbackQuery,
    client: ClientIp,
    user_agent: Option<String>,
    session: &Session,
) -> Result<(), LoginFailure> {
    // The transaction belongs to one connection: a callback arriving at another one is a
    // mix-up (or an attack) and is refused.
    if tx.connection != name {
        return Err(LoginFailure::BadCallback(format!("transaction for {} arrived at {name}", tx.connection)));
    }
    // A link started by one person finishes only for that person: if someone else signed in
    // on this browser since (or the person signed out), linking would attach their provider
    // account to the wrong profile.
    if let Some(link_user) = &tx.link_user {
        let current = session::user_id(session).await.map_err(|e| LoginFailure::Internal(e.to_string()))?;
        if current.as_deref() != Some(link_user.as_str()) {
            return Err(LoginFailure::NoTransaction);
        }
    }
    let connection = s.registry.get(name).ok_or(LoginFailure::UnknownConnection)?;
    if let Some(error) = q.error {
        return Err(LoginFailure::ProviderError(format!("{error}: {}", q.error_description.unwrap_or_default())));
    }
    let code = q.code.ok_or_else(|| LoginFailure::BadCallback("no code".into()))?;
    let mut login = connection.finish(tx, code, q.iss.as_deref()).await?;
    // Apple names the person only in its first answer, never in the token: kept as the
    // claims it stands for, unless the token has them.
    if let (ProviderKind::Apple, Some(user), Some(claims)) = (connection.kind(), &q.user, login.profile_data.as_object_mut()) {
        for (claim, value) in crate::connections::apple::first_sign_in_name(user) {
            claims.entry(claim).or_insert(value);
        }
    }
    let result = upsert_login(&s.db, &connection.connection_ref(), &login.subject, login.profile_data.clone(), tx.link_user.as_deref())
        .await
        .map_err(|e| match e {
            IdentityError::LinkedElsewhere(_) => LoginFailure::LinkedElsewhere,
            IdentityError::Blocked => LoginFailure::Blocked,
            other => LoginFailure::Internal(other.to_string()),
        })?;
    let activity = Client { ip: Some(client.to_string()), user_agent: user_agent.clone() };
    if result.created_identity && !result.created_user {
        let linked = Event::new(EventKind::IdentityLinked, Actor::User).connection(name).client(activity.clone());
        record(&s.db, &result.user.user_id(), linked).await.map_err(|e| LoginFailure::Internal(e.to_string()))?;
    }
    if tx.link_user.is_some() {
        // Linking keeps the current session: the person was already signed in.
        return Ok(());
    }
    let services = services::sign_in::Services { db: &s.db, outbound: &s.outbound, site: &s.site, email_policy: s.email_policy };
    let who = services::sign_in::Authenticated {
        user_id: &result.user.user_id(),
        connection: name,
        identity_user_id: &login.subject,
        new_account: result.created_user,
        client: activity,
    };
    match services::sign_in::finish(&services, session, who).await.map_err(|e| LoginFailure::Internal(e.to_string()))? {
        services::sign_in::Finished::SignedIn(_) => {}
        services::sign_in::Finished::Denied(message) => {
            session::remember_denial(session, &message).await.map_err(|e| LoginFailure::Internal(e.to_string()))?;
            return Err(LoginFailure::Denied(message));
        }
    }
    if let Some(id_token) = &login.id_token {
        session::remember_provider(session, name, id_token).await.map_err(|e| LoginFailure::Internal(e.to_string()))?;
    }
    tracing::info!(user = %result.user.id, new_user = result.created_user, "provider sign-in");
    Ok(())
}

/// Logs the detail and sends the person to the login page with a short reason.
fn fail(failure: LoginFailure, return_to: &str) -> Response {
    tracing::warn!(error = %failure, code = failure.code(), "provider sign-in failed");
    let target = format!(
        "/login?error={}&return_to={}",
        failure.code(),
        url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
    );
    Redirect::to(&target).into_response()
}
