//! Authorization codes: 32 random bytes, kept as a hash, valid once for 60 seconds, for the
//! client and redirect address they were issued to, with the PKCE challenge they must meet.
//!
//! A second use of a code is an attack or a leak (RFC 6749 §4.1.2): it is refused and every
//! token the first use issued is revoked.

use chrono::{DateTime, Duration, Utc};
use domain::user_id::UserId;
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::{secret, Scopes};
use crate::entities::{oauth_codes, oauth_tokens};

pub const LIFETIME: Duration = Duration::seconds(60);

/// What a code stands for: everything the token endpoint needs to issue tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub redirect_uri: String,
    pub scope: Scopes,
    pub nonce: Option<String>,
    /// The SHA-256 of the S256 challenge ([`challenge_hash`]).
    pub code_challenge: Option<String>,
    /// When the person last authenticated (Unix seconds).
    pub auth_time: i64,
    /// The AskOnce session the authorization came from.
    pub sid: String,
    pub amr: Vec<String>,
}

/// A code redeemed: whom it was for and what it grants.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: UserId,
    pub grant: Grant,
}

/// Why a code was refused; the token endpoint answers `invalid_grant` to each.
#[derive(Debug, thiserror::Error)]
pub enum CodeRefused {
    #[error("the code is not known")]
    Unknown,
    #[error("the code has expired")]
    Expired,
    #[error("the code was already used; the tokens it issued are revoked")]
    Reused,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Issues a code for `grant`; the client receives the returned value.
pub async fn issue(
    db: &impl ConnectionTrait,
    client_id: &str,
    user_id: &UserId,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let code = secret::random();
    oauth_codes::ActiveModel {
        code_hash: Set(secret::hash(&code)),
        client_id: Set(client_id.to_string()),
        user_id: Set(user_id.to_string()),
        grant: Set(serde_json::to_value(grant).unwrap_or_default()),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(code)
}

/// Deletes codes that expired before `before` (the hourly housekeeping keeps a day of them,
/// to tell a reuse from a made-up code).
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(oauth_codes::Entity::delete_many().filter(oauth_codes::Column::ExpiresAt.lt(before)).exec(db).await?.rows_affected)
}

/// Uses `code` up for `client_id`, the authenticated client. A code of another client is
/// "unknown" and left alone (another client must not spend it, nor set off the revocation a
/// reuse means). The caller then checks the redirect address and PKCE: a code presented with
/// either wrong is spent all the same (whoever holds it should not).
pub async fn redeem(db: &impl ConnectionTrait, code: &str, client_id: &str, now: DateTime<Utc>) -> Result<Redeemed, CodeRefused> {
    let hash = secret::hash(code);
    // One statement decides who used it first, and reads what it grants.
    let first_use = oauth_codes::Entity::update_many()
        .col_expr(oauth_codes::Column::UsedAt, Expr::value(now))
        .filter(oauth_codes::Column::CodeHash.eq(hash.clone()))
        .filter(oauth_codes::Column::ClientId.eq(client_id))
        .filter(oauth_codes::Column::UsedAt.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    let row = match first_use {
        Some(row) => row,
        None => {
            let Some(row) = oauth_codes::Entity::find_by_id(hash.clone()).one(db).await?.filter(|row| row.client_id == client_id) else {
                return Err(CodeRefused::Unknown);
            };
            return Err(reused(db, row, hash, now).await);
        }
    };
    if row.expires_at <= now {
        return Err(CodeRefused::Expired);
    }
    let grant: Grant = serde_json::from_value(row.grant).map_err(|_| CodeRefused::Unknown)?;
    Ok(Redeemed { code_hash: hash, client_id: row.client_id, user_id: UserId::from_stored(row.user_id), grant })
}

/// A code of this client presented again: whoever holds it should hold nothing it issued.
async fn reused(db: &impl ConnectionTrait, row: oauth_codes::Model, hash: String, now: DateTime<Utc>) -> CodeRefused {
    let revoke = async {
        // Marked first, so the first exchange, still making its tokens, sees it (`replayed`).
        oauth_codes::Entity::update_many()
            .col_expr(oauth_codes::Column::ExpiresAt, Expr::value(replayed_marker()))
            .filter(oauth_codes::Column::CodeHash.eq(hash.clone()))
            .exec(db)
            .await?;
        oauth_tokens::Entity::update_many()
            .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
            .filter(oauth_tokens::Column::CodeHash.eq(hash))
            .filter(oauth_tokens::Column::RevokedAt.is_null())
            .exec(db)
            .await
    };
    match revoke.await {
        Ok(revoked) => {
            tracing::warn!(client_id = %row.client_id, revoked = revoked.rows_affected, "an authorization code was used twice");
            CodeRefused::Reused
        }
        Err(err) => CodeRefused::Db(err),
    }
}

/// What a replayed code's `expires_at` is set to: a moment before any code was issued.
fn replayed_marker() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// Whether the code `code_hash` was presented again since it was redeemed. The first
/// exchange asks once its tokens exist: a replay in between could not revoke rows that did
/// not exist yet, but it marked the code first.
pub async fn replayed(db: &impl ConnectionTrait, code_hash: &str) -> Result<bool, DbErr> {
    Ok(oauth_codes::Entity::find_by_id(code_hash.to_string()).one(db).await?.is_some_and(|row| row.expires_at == replayed_marker()))
}

/// Revokes every token issued from the code `code_hash` (and rotated since).
pub async fn revoke_issued(db: &impl ConnectionTrait, code_hash: &str, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(oauth_tokens::Entity::update_many()
        .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
        .filter(oauth_tokens::Column::CodeHash.eq(code_hash))
        .filter(oauth_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Whether `verifier` meets the code's PKCE challenge (kept as its SHA-256, see
/// [`Grant::code_challenge`]). A code issued without a challenge takes no verifier (one sent
/// anyway is refused: RFC 9700 §2.1.1, PKCE downgrade).
pub fn pkce_satisfied(challenge_hash: Option<&str>, verifier: Option<&str>) -> bool {
    match (challenge_hash, verifier) {
        (None, None) => true,
        (Some(challenge_hash), Some(verifier)) => {
            super::authorization::is_code_verifier(verifier) && secret::equal(&secret::hash(&secret::pkce_s256(verifier)), challenge_hash)
        }
        _ => false,
    }
}

/// What the database keeps of a PKCE challenge: its hash, like codes and tokens (the challenge
/// is no secret on the wire, but nothing a client sent need sit readable in the database or
/// in its statement logs).
pub fn challenge_hash(challenge: &str) -> String {
    secret::hash(challenge)
}

#[cfg(test)]
mod tests {
    use super::pkce_satisfied;

    #[test]
    fn pkce_is_all_or_nothing() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let kept = super::challenge_hash(challenge);
        assert!(pkce_satisfied(Some(&kept), Some(verifier)));
        assert!(pkce_satisfied(None, None));
        assert!(!pkce_satisfied(Some(&kept), None));
        assert!(!pkce_satisfied(None, Some(verifier)));
        assert!(!pkce_satisfied(Some(&kept), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK")));
        assert!(!pkce_satisfied(Some(challenge), Some(verifier)), "the challenge itself is not what is kept");
    }
}
