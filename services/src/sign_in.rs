//! The sign-in flow: what every way of signing in does once the person has
//! proved who they are — a provider's callback (`server::routes::auth`), a password
//! (`app::sign_in::password`, the sign-up's first sign-in, the one a reset ends with),
//! and next the OpenID Provider's authorization. Each caller authenticates its own way, then
//! calls [`finish`]; only what happens after differs (a redirect to `return_to`, an
//! authorization code).
//!
//! The order is the point: the login is counted, the site owner's hooks may add to the
//! profile or refuse it (then no session starts and the refusal is in the account's
//! activity), the session's row and the sign-in's activity (with the new-device notice) are
//! recorded, the session starts with a fresh id, and the required-stage gate learns whether
//! this person must answer first.

use domain::user_id::UserId;

use std::error::Error;

use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use crate::{
    activity::{Client, EventKind},
    auth::{devices, session, sign_ins},
    email::{templates::Site, EmailPolicy},
    entities::users,
    hooks::{run_sign_in_hooks, SignIn, Verdict},
    outbound::Outbound,
    profile::store,
    profiling::required_stage_due,
};

/// What the flow needs of the server, borrowed from `AppState` or the auth routes' state.
pub struct Services<'a> {
    pub db: &'a DatabaseConnection,
    pub outbound: &'a Outbound,
    pub site: &'a Site,
    pub email_policy: EmailPolicy,
}

/// A person who has proved who they are, about to be signed in.
pub struct Authenticated<'a> {
    /// The profile that signs in.
    pub user_id: &'a UserId,
    /// The connection that vouched (`password` for a password).
    pub connection: &'a str,
    /// The account's id at that connection (`sub`; the user id for a password), as hooks see it.
    pub identity_user_id: &'a str,
    /// This sign-in created the account (`post-signup` hooks run, and the activity says so).
    pub new_account: bool,
    pub client: Client,
}

/// How the flow ended.
#[derive(Debug)]
pub enum Finished {
    /// Signed in on this session: the profile after the login was counted.
    SignedIn(Box<users::Model>),
    /// A site owner's hook refused the sign-in with this message for the person; no session.
    Denied(String),
}

/// A step of the flow that failed: what it was doing, and why. Nothing after it ran.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct SignInError {
    pub doing: &'static str,
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

fn failed<E: Error + Send + Sync + 'static>(doing: &'static str) -> impl FnOnce(E) -> SignInError {
    move |source| SignInError { doing, source: Box::new(source) }
}

/// Signs `who` in on `session`: see the module's documentation for the order.
#[tracing::instrument(skip_all, fields(user_id = %who.user_id, connection = who.connection, new_account = who.new_account))]
pub async fn finish(services: &Services<'_>, session: &Session, who: Authenticated<'_>) -> Result<Finished, SignInError> {
    let Services { db, outbound, site, email_policy } = *services;
    let user = store::record_login(db, who.user_id, who.client.ip.clone()).await.map_err(failed("recording a login"))?;
    let hooks_sign_in = SignIn {
        connection: who.connection,
        identity_user_id: who.identity_user_id,
        new_account: who.new_account,
        ip: who.client.ip.as_deref(),
        user_agent: who.client.user_agent.as_deref(),
    };
    let verdict = run_sign_in_hooks(db, outbound, who.user_id, &hooks_sign_in).await.map_err(failed("running sign-in hooks"))?;
    if let Verdict::Deny(message) = verdict {
        sign_ins::refused(db, who.user_id, who.connection, "denied_by_hook", who.client)
            .await
            .map_err(failed("recording a refused sign-in"))?;
        return Ok(Finished::Denied(message));
    }
    let handle = devices::register(db, who.user_id, who.client.user_agent.clone(), who.client.ip.clone())
        .await
        .map_err(failed("recording a session"))?;
    let kind = if who.new_account { EventKind::SignUp } else { EventKind::SignIn };
    sign_ins::signed_in(db, site, email_policy, &user, kind, who.connection, who.client).await.map_err(failed("recording a sign-in"))?;
    session::sign_in(session, who.user_id, &handle, who.connection).await.map_err(failed("starting the session"))?;
    // No required stage due: the session remembers it, so the check in front of every route
    // (`server::middleware::required_stage`) costs its requests nothing and never writes the
    // session on a page view. When one is due the session is left as it is, and the check
    // decides per request until the stage is answered.
    if required_stage_due(db, who.user_id).await.map_err(failed("checking for required questions"))?.is_none() {
        session::remember_nothing_required(session).await.map_err(failed("checking for required questions"))?;
    }
    Ok(Finished::SignedIn(Box::new(user)))
}
