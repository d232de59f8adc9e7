//! Refresh tokens (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): each use answers a new
//! refresh token and spends the old one; a spent token used again means it leaked, and the
//! whole family (every token rotated from the same code, access tokens included) is revoked.
//! Also revocation (RFC 7009) and introspection (RFC 7662), which work on both kinds.

use chrono::{DateTime, Utc};
use domain::user_id::UserId;
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::{
    clients::Client,
    error::OAuthError,
    exchange::ExchangeError,
    secret,
    tokens::{self, Family, Issue, Session, TokenRefused, TokenResponse},
    ErrorCode, Provider, Scopes,
};
use crate::entities::oauth_tokens;

fn invalid_grant(why: &str) -> ExchangeError {
    tracing::info!(why, "refresh token refused");
    ExchangeError::Refused(OAuthError::new(ErrorCode::InvalidGrant, "the refresh token is invalid, expired or revoked"))
}

/// Revokes every token of `family_id`.
async fn revoke_family(db: &impl ConnectionTrait, family_id: &str, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(oauth_tokens::Entity::update_many()
        .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
        .filter(oauth_tokens::Column::FamilyId.eq(family_id))
        .filter(oauth_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// `grant_type=refresh_token`: a new access token, ID token and refresh token for the
/// family; `scope`, when given, may only narrow the original.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn rotate(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    refresh_token: &str,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, ExchangeError> {
    if !client.may_use_grant("refresh_token") {
        return Err(ExchangeError::Refused(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use refresh tokens")));
    }
    let hash = secret::hash(refresh_token);
    let Some(row) = oauth_tokens::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Err(invalid_grant("unknown"));
    };
    if row.kind != "refresh" || row.client_id != client.client_id {
        return Err(invalid_grant("not a refresh token of this client"));
    }
    let Some(family_id) = row.family_id.clone() else {
        return Err(invalid_grant("no family"));
    };
    if row.revoked_at.is_some() {
        return Err(invalid_grant("revoked"));
    }
    // One statement decides which use is the first; any other is a reuse.
    let spent = oauth_tokens::Entity::update_many()
        .col_expr(oauth_tokens::Column::RotatedAt, Expr::value(now))
        .filter(oauth_tokens::Column::Id.eq(hash))
        .filter(oauth_tokens::Column::RotatedAt.is_null())
        .filter(oauth_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        let revoked = revoke_family(db, &family_id, now).await?;
        tracing::warn!(client_id = %client.client_id, revoked, "a rotated refresh token was used again: its family is revoked");
        return Err(invalid_grant("reused after rotation"));
    }
    if row.expires_at <= now {
        return Err(invalid_grant("expired"));
    }
    let granted = Scopes::parse(&row.scope);
    let scope = match scope {
        Some(asked) => {
            let asked = Scopes::parse(asked);
            if !asked.is_subset(&granted) {
                return Err(ExchangeError::Refused(OAuthError::new(ErrorCode::InvalidScope, "a refresh may only narrow the scope")));
            }
            asked
        }
        None => granted.clone(),
    };
    let user_id = UserId::from_stored(row.user_id.clone().unwrap_or_default());
    let Some(user) = super::load_user(db, &user_id).await?.filter(|u| !u.blocked) else {
        revoke_family(db, &family_id, now).await?;
        return Err(invalid_grant("the account is gone or blocked"));
    };
    let session: Session = row.grant.clone().and_then(|g| serde_json::from_value(g).ok()).ok_or_else(|| invalid_grant("no session"))?;
    let what = Issue {
        scope: &scope,
        granted: &granted,
        session: &session,
        nonce: None,
        code_hash: row.code_hash.as_deref().unwrap_or(""),
        family: Some(Family { id: family_id, expires_at: row.expires_at }),
    };
    let family = what.family.as_ref().map(|f| f.id.clone()).unwrap_or_default();
    let issued = tokens::issue(db, provider, client, &user, what, now).await?;
    // A revocation that ran while these were being made (a reuse, `/oauth/revoke`, a new
    // password) could not reach rows that did not exist yet. It marked the family's earlier
    // rows, so look again now that ours exist: either it saw them, or we see it.
    if family_revoked(db, &family).await? {
        revoke_family(db, &family, now).await?;
        return Err(invalid_grant("revoked while rotating"));
    }
    Ok(issued)
}

/// Whether a refresh token of `family_id` has been revoked (what revoking the family does
/// first). An access or prompt token of the family revoked on its own (`/oauth/revoke`) ends
/// only itself.
async fn family_revoked(db: &impl ConnectionTrait, family_id: &str) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(oauth_tokens::Entity::find()
        .filter(oauth_tokens::Column::FamilyId.eq(family_id))
        .filter(oauth_tokens::Column::Kind.eq("refresh"))
        .filter(oauth_tokens::Column::RevokedAt.is_not_null())
        .count(db)
        .await?
        > 0)
}

/// The stored row of `token` (a refresh token, or an access token's `jti`) if `client` holds it.
async fn find_held(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    token: &str,
) -> Result<Option<oauth_tokens::Model>, DbErr> {
    let row = match oauth_tokens::Entity::find_by_id(secret::hash(token)).one(db).await? {
        Some(row) => Some(row),
        // An access token is a JWT: its `jti` names the row (an expired one is still found).
        None => match tokens::access_jti(provider, token).await {
            Some(jti) => oauth_tokens::Entity::find_by_id(jti).one(db).await?,
            None => None,
        },
    };
    Ok(row.filter(|r| r.client_id == client.client_id))
}

/// RFC 7009: revokes `token` if `client` holds it — a refresh token with its whole family, an
/// access token alone. Anything else is quietly ignored (§2.2: the answer is the same).
pub async fn revoke(db: &DatabaseConnection, provider: &Provider, client: &Client, token: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    let Some(row) = find_held(db, provider, client, token).await? else {
        return Ok(());
    };
    match (row.kind.as_str(), &row.family_id) {
        ("refresh", Some(family)) => {
            revoke_family(db, family, now).await?;
        }
        _ => {
            oauth_tokens::Entity::update_many()
                .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
                .filter(oauth_tokens::Column::Id.eq(row.id))
                .filter(oauth_tokens::Column::RevokedAt.is_null())
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// RFC 7662's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl Introspection {
    fn inactive() -> Introspection {
        Introspection {
            active: false,
            scope: None,
            client_id: None,
            sub: None,
            token_type: None,
            exp: None,
            iat: None,
            iss: None,
            sid: None,
        }
    }
}

/// RFC 7662: whether `token` is active, for the client it was issued to (another client,
/// even a resource server of ours, learns nothing: `active: false`).
pub async fn introspect(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Introspection, TokenRefused> {
    let Some(row) = find_held(db, provider, client, token).await? else {
        return Ok(Introspection::inactive());
    };
    let live = row.revoked_at.is_none()
        && row.expires_at > now
        && (row.kind != "refresh" || row.rotated_at.is_none())
        && (row.kind != tokens::PROMPT_KIND || tokens::prompt_subject_live(db, &row, now).await?);
    let user_ok = match &row.user_id {
        Some(id) => super::load_user(db, &UserId::from_stored(id.clone())).await?.is_some_and(|u| !u.blocked),
        None => true,
    };
    if !live || !user_ok {
        return Ok(Introspection::inactive());
    }
    // RFC 9068 §2.2: a machine's token has the client as its subject.
    let sub = row.user_id.clone().or_else(|| (row.kind == "access").then(|| row.client_id.clone()));
    Ok(Introspection {
        active: true,
        scope: Some(row.scope),
        client_id: Some(row.client_id),
        sub,
        token_type: Some(if row.kind == "refresh" { "refresh_token" } else { "Bearer" }.to_string()),
        exp: Some(row.expires_at.timestamp()),
        iat: Some(row.created_at.timestamp()),
        iss: Some(provider.issuer.clone()),
        sid: row.sid,
    })
}

/// Revokes every token `user_id` holds at every application: blocked, password changed,
/// identity unlinked. Returns how many were live.
pub async fn revoke_all_for_user(db: &impl ConnectionTrait, user_id: &UserId, now: DateTime<Utc>) -> Result<u64, DbErr> {
    // Codes not yet exchanged are spent too: one issued a moment before must not mint tokens.
    crate::entities::oauth_codes::Entity::update_many()
        .col_expr(crate::entities::oauth_codes::Column::UsedAt, Expr::value(now))
        .filter(crate::entities::oauth_codes::Column::UserId.eq(user_id.as_str()))
        .filter(crate::entities::oauth_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(oauth_tokens::Entity::update_many()
        .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
        .filter(oauth_tokens::Column::UserId.eq(user_id.as_str()))
        .filter(oauth_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes tokens that expired more than a day ago (they can only be refused).
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(oauth_tokens::Entity::delete_many().filter(oauth_tokens::Column::ExpiresAt.lt(before)).exec(db).await?.rows_affected)
}
