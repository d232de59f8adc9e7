//! An authorization in flight: the checked request, kept in the database (at most
//! [`LIFETIME`]) while the person signs in, verifies their address, answers what is due or
//! fills an external form, and bound to the browser that started it, so a link to
//! `/authorize/continue` that leaks is worthless in another browser.
//!
//! The binding is a random value in a cookie of its own (`server::routes::openid_provider`),
//! not the session: writing the session of someone not signed in yet would start an anonymous
//! session per request, and its cookie, replaced at sign-in, raced the page's other requests
//! (one still carrying the old id came back with a "remove this cookie" that removed the new
//! session's).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::{secret, AuthorizationRequest};
use crate::entities::oauth_authorizations;

pub const LIFETIME: Duration = Duration::minutes(10);
/// A browser's binding: 32 random bytes (the cookie's value).
pub fn new_binding() -> String {
    secret::random()
}

/// A stored authorization in flight (its request as kept: the PKCE challenge hashed).
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    /// The person must have signed in at or after this (prompt=login, max_age).
    pub authenticate_after: Option<DateTime<Utc>>,
    /// The answer on the consent screen, once given: granted (true) or denied.
    pub consent: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum PendingError {
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<PendingError> for crate::error::ServiceError {
    fn from(err: PendingError) -> Self {
        crate::error::internal("authorization in flight", err)
    }
}

/// Stores `request`, bound to the browser holding `binding`; returns its id.
pub async fn begin(
    db: &impl ConnectionTrait,
    binding: &str,
    request: &AuthorizationRequest,
    authenticate_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, PendingError> {
    let id = secret::random();
    oauth_authorizations::ActiveModel {
        id: Set(secret::hash(&id)),
        client_id: Set(request.client_id.clone()),
        browser_hash: Set(secret::hash(binding)),
        request: Set(serde_json::to_value(kept(request)).unwrap_or_default()),
        authenticate_after: Set(authenticate_after),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        completed_at: Set(None),
        consent: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// The authorization `id`, when the browser holds its `binding`, unexpired and not yet
/// completed.
pub async fn find(db: &impl ConnectionTrait, binding: Option<&str>, id: &str, now: DateTime<Utc>) -> Result<Option<Pending>, PendingError> {
    let Some(binding) = binding else {
        return Ok(None);
    };
    let Some(row) = oauth_authorizations::Entity::find_by_id(secret::hash(id)).one(db).await? else {
        return Ok(None);
    };
    if !secret::equal(&row.browser_hash, &secret::hash(binding)) || row.expires_at <= now || row.completed_at.is_some() {
        return Ok(None);
    }
    let Ok(request) = serde_json::from_value::<AuthorizationRequest>(row.request) else {
        return Ok(None);
    };
    let consent = row.consent.as_deref().map(|c| c == "granted");
    Ok(Some(Pending { id: id.to_string(), request, authenticate_after: row.authenticate_after, consent }))
}

/// The request as stored: its PKCE challenge as a hash ([`super::codes::challenge_hash`]),
/// which is what the code keeps too.
fn kept(request: &AuthorizationRequest) -> AuthorizationRequest {
    AuthorizationRequest { code_challenge: request.code_challenge.as_deref().map(super::codes::challenge_hash), ..request.clone() }
}

/// An authorization answered at once (`prompt=none`): never stored, kept the same way.
pub fn immediate(request: &AuthorizationRequest) -> Pending {
    Pending { id: String::new(), request: kept(request), authenticate_after: None, consent: None }
}

/// What the consent screen shows of an authorization in flight, unexpired and not yet
/// completed: the application and what it asks. (The browser's binding is checked where the
/// authorization completes; showing or answering the screen issues nothing.)
pub async fn for_consent(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<Option<AuthorizationRequest>, DbErr> {
    let Some(row) = oauth_authorizations::Entity::find_by_id(secret::hash(id)).one(db).await? else {
        return Ok(None);
    };
    if row.expires_at <= now || row.completed_at.is_some() {
        return Ok(None);
    }
    Ok(serde_json::from_value(row.request).ok())
}

/// Records the person's answer on the consent screen. False when the authorization is gone.
pub async fn answer_consent(db: &impl ConnectionTrait, id: &str, granted: bool, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = oauth_authorizations::Entity::update_many()
        .col_expr(oauth_authorizations::Column::Consent, Expr::value(if granted { "granted" } else { "denied" }))
        .filter(oauth_authorizations::Column::Id.eq(secret::hash(id)))
        .filter(oauth_authorizations::Column::CompletedAt.is_null())
        .filter(oauth_authorizations::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The authorization a sign-in's `return_to` continues (`/authorize/continue?id=…`), if any.
pub fn continued_by(return_to: &str) -> Option<String> {
    let query = return_to.strip_prefix(super::discovery::CONTINUE_PATH)?.strip_prefix('?')?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "id").map(|(_, v)| v.into_owned()).filter(|id| !id.is_empty())
}

/// A site owner's hook refused the sign-in this authorization waits for: the application is
/// told `access_denied` when the browser comes to `/authorize/continue`.
pub async fn refused_by_hook(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    answer_consent(db, id, false, now).await
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

/// Deletes authorizations that expired before `before` (the hourly housekeeping).
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(oauth_authorizations::Entity::delete_many().filter(oauth_authorizations::Column::ExpiresAt.lt(before)).exec(db).await?.rows_affected)
}

/// The `sid` of a signed-in session: derived from its handle, so the handle itself (which
/// names the session in "Where you are signed in") never leaves AskOnce.
pub fn sid_of(handle: &str) -> String {
    secret::hash(&format!("sid:{handle}"))[..32].to_string()
}

/// The `amr` of a sign-in by `method` (the connection): `pwd` for a password (RFC 8176);
/// `fed` for a sign-in vouched for by another provider (as Microsoft's tokens say it); none
/// when the session does not say (the claim is then left out rather than guessed).
pub fn amr_of(method: Option<&str>) -> Vec<String> {
    match method {
        Some(domain::identity::local::PASSWORD_CONNECTION) => vec!["pwd".to_string()],
        Some(_) => vec!["fed".to_string()],
        None => Vec::new(),
    }
}

/// Issues the code that ends `pending` for `user_id`, signed in as `signed_in` says.
pub async fn issue_code(
    db: &impl ConnectionTrait,
    pending: &Pending,
    user_id: &domain::user_id::UserId,
    signed_in: super::SignedIn<'_>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let request = &pending.request;
    let grant = super::codes::Grant {
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: signed_in.at,
        sid: sid_of(signed_in.handle),
        amr: amr_of(signed_in.method),
    };
    let code = super::codes::issue(db, &request.client_id, user_id, &grant, now).await?;
    // "Apps you signed in to": this app, these scopes, now.
    super::grants::record(db, user_id, &request.client_id, &request.scope, now).await?;
    Ok(code)
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
