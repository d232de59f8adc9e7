//! OpenID Connect Back-Channel Logout 1.0: when a person's AskOnce session ends (they sign
//! out here, or an application sends them to `/oidc/logout`), every application that
//! received tokens in that session and registered a `backchannel_logout_uri` is sent a
//! logout token, server to server, so it can end its own session even though the browser
//! never visits it.
//!
//! The logout token (§2.4) is a JWT signed like the ID tokens, `typ` `logout+jwt`, with
//! `iss`, `aud` (the client), `iat`, `exp` (two minutes), `jti`, `sub`, `sid` and the
//! back-channel logout event; it never carries a `nonce`. It is POSTed as
//! `logout_token=<jwt>` (§2.5) through [`Outbound`], the client that keeps calls to
//! addresses a site owner chose away from AskOnce's own network (`hooks.allow_private`).
//! Delivery happens after the sign-out has answered: a slow application does not hold the
//! person up, and a failure is logged (the specification asks no retry).
//!
//! The session's tokens that were not issued for `offline_access` are revoked (§2.7: they
//! belonged to the session; offline ones outlive it by design).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::user_id::UserId;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::{
    authorizations::sid_of,
    clients,
    keys::{KeyError, SigningAlg},
    scope::OFFLINE_ACCESS,
    secret, Provider,
};
use crate::{entities::oauth_tokens, outbound::Outbound};

/// The event a logout token carries (§2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` of a logout token (§2.4, recommended).
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// How long a logout token is good for.
const LIFETIME_SECS: i64 = 120;
/// How long an application has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: serde_json::Value,
}

/// One logout token to deliver.
#[derive(Debug, Clone)]
pub struct Notice {
    pub client_id: String,
    pub uri: String,
    pub logout_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackchannelError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("signing a logout token failed: {0}")]
    Signing(String),
}

/// The session with `handle` of `user_id` has ended: revokes its tokens not meant to outlive
/// it and returns the logout tokens due to the applications that hold some.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn session_ended(
    db: &impl ConnectionTrait,
    provider: &Provider,
    user_id: &UserId,
    handle: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, BackchannelError> {
    let sid = sid_of(handle);
    let held = oauth_tokens::Entity::find()
        .filter(oauth_tokens::Column::Sid.eq(sid.as_str()))
        .filter(oauth_tokens::Column::UserId.eq(user_id.as_str()))
        .all(db)
        .await?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let online: Vec<String> = held
        .iter()
        .filter(|t| t.revoked_at.is_none() && !super::Scopes::parse(&t.scope).contains(OFFLINE_ACCESS))
        .map(|t| t.id.clone())
        .collect();
    if !online.is_empty() {
        oauth_tokens::Entity::update_many()
            .col_expr(oauth_tokens::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
            .filter(oauth_tokens::Column::Id.is_in(online))
            .exec(db)
            .await?;
    }
    let mut client_ids: Vec<&str> = held.iter().map(|t| t.client_id.as_str()).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let mut notices = Vec::new();
    for client_id in client_ids {
        let Some(client) = clients::find(db, client_id).await? else { continue };
        let Some(uri) = client.backchannel_logout_uri else { continue };
        let alg = client.id_token_signed_response_alg;
        let logout_token = sign(provider, client_id, alg, user_id.as_str(), &sid, now).await?;
        notices.push(Notice { client_id: client_id.to_string(), uri, logout_token });
    }
    Ok(notices)
}

/// Signed like the application's ID tokens (§2.4): RS256, or EdDSA for one that asked.
async fn sign(
    provider: &Provider,
    client_id: &str,
    alg: SigningAlg,
    sub: &str,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<String, BackchannelError> {
    let claims = LogoutClaims {
        iss: &provider.issuer,
        aud: client_id,
        iat: now.timestamp(),
        exp: now.timestamp() + LIFETIME_SECS,
        jti: secret::random(),
        sub,
        sid,
        events: serde_json::json!({ EVENT: {} }),
    };
    let ring = match alg {
        SigningAlg::Rs256 => provider.keys.current().await?,
        SigningAlg::EdDsa => provider.keys.current_with_eddsa().await?,
    };
    match (alg, &ring.eddsa) {
        (SigningAlg::EdDsa, Some(ed)) => {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            header.kid = Some(ed.kid.clone());
            header.typ = Some(LOGOUT_TOKEN_TYPE.to_string());
            jsonwebtoken::encode(&header, &claims, &ed.jwt).map_err(|e| BackchannelError::Signing(e.to_string()))
        }
        (SigningAlg::EdDsa, None) => Err(BackchannelError::Signing("no Ed25519 key".into())),
        (SigningAlg::Rs256, _) => ring.signing.sign_jwt(LOGOUT_TOKEN_TYPE, &claims).map_err(|e| BackchannelError::Signing(e.to_string())),
    }
}

/// Delivers `notices`, each on its own, after the caller has answered. An application
/// answering anything but 200 (or 204) is logged; nothing is retried.
pub fn deliver(outbound: &Outbound, notices: Vec<Notice>) {
    for notice in notices {
        let outbound = outbound.clone();
        tokio::spawn(async move {
            let form = [("logout_token", notice.logout_token.as_str())];
            match outbound.post_form(&notice.uri, &form, TIMEOUT, 4096).await {
                Ok(reply) if reply.status == 200 || reply.status == 204 => {
                    tracing::info!(client_id = %notice.client_id, "back-channel logout delivered");
                }
                Ok(reply) => tracing::warn!(client_id = %notice.client_id, status = reply.status, "back-channel logout refused"),
                Err(err) => tracing::warn!(client_id = %notice.client_id, error = %err, "back-channel logout not delivered"),
            }
        });
    }
}

/// Everything of a session's end in one call: revoke, sign, deliver. Failures are logged:
/// the person is signed out of AskOnce whatever the applications do.
pub async fn notify(db: &impl ConnectionTrait, provider: &Provider, outbound: &Outbound, user_id: &UserId, handle: &str) {
    match session_ended(db, provider, user_id, handle, Utc::now()).await {
        Ok(notices) => deliver(outbound, notices),
        Err(err) => tracing::error!(error = %err, "preparing back-channel logout failed"),
    }
}
