//! An authorization in flight: the checked request, kept in the database (at most
//! [`LIFETIME`]) while the person signs in, verifies their address, answers what is due or
//! fills an external form, and bound to the browser session that started it, so a link to
//! `/authorize/continue` that leaks is worthless in another browser.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use tower_sessions::Session;

use super::{secret, AuthorizationRequest};
use crate::entities::oauth_authorizations;

pub const LIFETIME: Duration = Duration::minutes(10);
/// The session remembers this many of its authorizations (several tabs, several apps).
const KEPT_PER_SESSION: usize = 8;
const SESSION_KEY: &str = "openid.authorizations";

/// A stored authorization in flight.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    /// The person must have signed in at or after this (prompt=login, max_age).
    pub authenticate_after: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
}

impl From<PendingError> for crate::error::ServiceError {
    fn from(err: PendingError) -> Self {
        crate::error::internal("authorization in flight", err)
    }
}

/// Stores `request` and binds it to `session`; returns its id.
pub async fn begin(
    db: &impl ConnectionTrait,
    session: &Session,
    request: &AuthorizationRequest,
    authenticate_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, PendingError> {
    let id = secret::random();
    oauth_authorizations::ActiveModel {
        id: Set(secret::hash(&id)),
        client_id: Set(request.client_id.clone()),
        request: Set(serde_json::to_value(request).unwrap_or_default()),
        authenticate_after: Set(authenticate_after),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        completed_at: Set(None),
    }
    .insert(db)
    .await?;
    let mut bound: Vec<String> = session.get(SESSION_KEY).await?.unwrap_or_default();
    bound.push(secret::hash(&id));
    let excess = bound.len().saturating_sub(KEPT_PER_SESSION);
    bound.drain(..excess);
    session.insert(SESSION_KEY, bound).await?;
    // Expired ones are of no use to anyone.
    oauth_authorizations::Entity::delete_many().filter(oauth_authorizations::Column::ExpiresAt.lt(now)).exec(db).await?;
    Ok(id)
}

/// The authorization `id`, when it is this session's, unexpired and not yet completed.
pub async fn find(db: &impl ConnectionTrait, session: &Session, id: &str, now: DateTime<Utc>) -> Result<Option<Pending>, PendingError> {
    let hash = secret::hash(id);
    let bound: Vec<String> = session.get(SESSION_KEY).await?.unwrap_or_default();
    if !bound.iter().any(|b| secret::equal(b, &hash)) {
        return Ok(None);
    }
    let Some(row) = oauth_authorizations::Entity::find_by_id(hash).one(db).await? else {
        return Ok(None);
    };
    if row.expires_at <= now || row.completed_at.is_some() {
        return Ok(None);
    }
    let Ok(request) = serde_json::from_value::<AuthorizationRequest>(row.request) else {
        return Ok(None);
    };
    Ok(Some(Pending { id: id.to_string(), request, authenticate_after: row.authenticate_after }))
}

/// Marks the authorization done; false when it already was (a second tab, a replay).
pub async fn complete(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = oauth_authorizations::Entity::update_many()
        .col_expr(oauth_authorizations::Column::CompletedAt, Expr::value(now))
        .filter(oauth_authorizations::Column::Id.eq(secret::hash(id)))
        .filter(oauth_authorizations::Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The `sid` of a signed-in session: derived from its handle, so the handle itself (which
/// names the session in "Where you are signed in") never leaves AskOnce.
pub fn sid_of(handle: &str) -> String {
    secret::hash(&format!("sid:{handle}"))[..32].to_string()
}

/// The `amr` of a sign-in by `method` (the connection): `pwd` for a password (RFC 8176);
/// `fed` for a sign-in vouched for by another provider (as Microsoft's tokens say it).
pub fn amr_of(method: &str) -> Vec<String> {
    vec![if method == domain::identity::local::PASSWORD_CONNECTION { "pwd" } else { "fed" }.to_string()]
}

/// Issues the code that ends `request` for `user_id`, signed in as `authentication` says.
pub async fn issue_code(
    db: &impl ConnectionTrait,
    request: &AuthorizationRequest,
    user_id: &domain::user_id::UserId,
    authentication: &crate::auth::session::Authentication,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let grant = super::codes::Grant {
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: authentication.at,
        sid: sid_of(&authentication.handle),
        amr: amr_of(&authentication.method),
    };
    super::codes::issue(db, &request.client_id, user_id, &grant, now).await
}

/// Whether a sign-in at `authenticated_at_ms` (Unix milliseconds) satisfies
/// `authenticate_after`.
pub fn fresh_enough(authenticated_at_ms: i64, authenticate_after: Option<DateTime<Utc>>) -> bool {
    authenticate_after.is_none_or(|after| authenticated_at_ms >= after.timestamp_millis())
}

/// The origin of the address the authorization `id` returns to, whoever asks: the
/// Content-Security-Policy of the pages it passes through lets their forms lead there.
pub async fn redirect_origin(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<Option<String>, DbErr> {
    let Some(row) = oauth_authorizations::Entity::find_by_id(secret::hash(id)).one(db).await? else {
        return Ok(None);
    };
    if row.expires_at <= now {
        return Ok(None);
    }
    let request: Option<AuthorizationRequest> = serde_json::from_value(row.request).ok();
    Ok(request.and_then(|r| url::Url::parse(&r.redirect_uri).ok()).map(|u| u.origin().ascii_serialization()).filter(|o| o != "null"))
}
