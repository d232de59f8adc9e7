//! Tokens: ID tokens (OpenID Connect Core §2, signed RS256 by `openidconnect`, which computes
//! `at_hash`) and access tokens as signed JWTs (RFC 9068: `typ` `at+jwt`), so resource
//! servers can check them offline. Each access token's `jti` is recorded, so that a revoked
//! one (a code used twice, later a sign-out or a block) stops working at `/userinfo` and at
//! introspection even before it expires.

use chrono::{DateTime, Duration, Utc};
use domain::user_id::UserId;
use openidconnect::{
    core::{CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreTokenType},
    AccessToken, Audience, AuthenticationMethodReference, EmptyExtraTokenFields, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse,
    StandardTokenResponse,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use super::{
    claims::{self, AskOnceClaims},
    clients::Client,
    codes::Redeemed,
    keys::KeyError,
    secret, Provider, Scopes,
};
use crate::entities::{oauth_tokens, users};

pub type IdToken = openidconnect::IdToken<AskOnceClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
pub type IdTokenClaims = openidconnect::IdTokenClaims<AskOnceClaims, CoreGenderClaim>;
pub type TokenResponse = StandardTokenResponse<
    IdTokenFields<AskOnceClaims, EmptyExtraTokenFields, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>,
    CoreTokenType,
>;

/// The `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// An access token's claims (RFC 9068 §2.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("signing a token failed: {0}")]
    Signing(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<IssueError> for crate::error::ServiceError {
    fn from(err: IssueError) -> Self {
        crate::error::internal("issuing tokens", err)
    }
}

/// The audience of access tokens AskOnce issues for its own `/userinfo`.
pub fn userinfo_audience(provider: &Provider) -> String {
    provider.endpoint("/userinfo")
}

/// Issues the tokens a redeemed code grants `client` for `user`.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id, user_id = %user.id))]
pub async fn issue_for_code(
    db: &impl ConnectionTrait,
    provider: &Provider,
    client: &Client,
    user: &users::Model,
    redeemed: &Redeemed,
    now: DateTime<Utc>,
) -> Result<TokenResponse, IssueError> {
    let ring = provider.keys.current().await?;
    let grant = &redeemed.grant;
    let access_expires = now + Duration::seconds(client.access_token_secs);
    let jti = secret::random();
    let access = AccessClaims {
        iss: provider.issuer.clone(),
        sub: user.id.clone(),
        aud: userinfo_audience(provider),
        client_id: client.client_id.clone(),
        iat: now.timestamp(),
        exp: access_expires.timestamp(),
        jti: jti.clone(),
        scope: grant.scope.to_string(),
        auth_time: Some(grant.auth_time),
        sid: Some(grant.sid.clone()),
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(ring.signing.kid.clone());
    header.typ = Some(ACCESS_TOKEN_TYPE.to_string());
    let access_token = jsonwebtoken::encode(&header, &access, &ring.signing.jwt).map_err(|e| IssueError::Signing(e.to_string()))?;
    oauth_tokens::ActiveModel {
        id: Set(jti),
        kind: Set("access".to_string()),
        client_id: Set(client.client_id.clone()),
        user_id: Set(Some(user.id.clone())),
        scope: Set(grant.scope.to_string()),
        code_hash: Set(Some(redeemed.code_hash.clone())),
        family_id: Set(None),
        sid: Set(Some(grant.sid.clone())),
        grant: Set(None),
        created_at: Set(now),
        expires_at: Set(access_expires),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;

    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| IssueError::Signing(e.to_string()))?;
    let additional = claims::additional(user, client, &provider.user_metadata_claim(), Some(&grant.sid));
    let id_claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(client.client_id.clone())],
        now + Duration::seconds(client.id_token_secs),
        now,
        claims::standard(user, &grant.scope),
        additional,
    )
    .set_nonce(grant.nonce.clone().map(Nonce::new))
    .set_auth_time(DateTime::from_timestamp(grant.auth_time, 0))
    .set_auth_method_refs(Some(grant.amr.iter().cloned().map(AuthenticationMethodReference::new).collect()));
    let access_token = AccessToken::new(access_token);
    let id_token = IdToken::new(id_claims, &ring.signing.oidc, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, Some(&access_token), None)
        .map_err(|e| IssueError::Signing(e.to_string()))?;
    let mut response =
        TokenResponse::new(access_token, CoreTokenType::Bearer, IdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}));
    response.set_expires_in(Some(&std::time::Duration::from_secs(u64::try_from(client.access_token_secs).unwrap_or(600))));
    response.set_scopes(Some(grant.scope.iter().map(|s| openidconnect::Scope::new(s.to_string())).collect()));
    debug_assert!(response.access_token().secret().len() > 40);
    Ok(response)
}

/// A valid access token: whose it is and what it allows.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub user_id: UserId,
    pub client_id: String,
    pub scope: Scopes,
    pub sid: Option<String>,
}

/// Why a bearer token was refused (`invalid_token`); the reason is logged, not sent.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    #[error("not an access token of this issuer: {0}")]
    Invalid(String),
    #[error("the access token was revoked")]
    Revoked,
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Checks an access token: signed by one of our published keys with RS256 and `typ`
/// `at+jwt` (an ID token, or a token signed any other way, is refused), issued by us for our
/// `/userinfo`, unexpired, and not revoked.
pub async fn verify_access(
    db: &impl ConnectionTrait,
    provider: &Provider,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessGrant, TokenRefused> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| TokenRefused::Invalid(e.to_string()))?;
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return Err(TokenRefused::Invalid(format!("alg {:?}", header.alg)));
    }
    let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
    if typ != ACCESS_TOKEN_TYPE && typ != "application/at+jwt" {
        return Err(TokenRefused::Invalid("typ is not at+jwt".into()));
    }
    let ring = provider.keys.current().await?;
    let Some(key) = header.kid.as_deref().and_then(|kid| ring.verifying.get(kid)) else {
        return Err(TokenRefused::Invalid("unknown kid".into()));
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[&provider.issuer]);
    validation.set_audience(&[userinfo_audience(provider)]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation).map_err(|e| TokenRefused::Invalid(e.to_string()))?;
    let claims = data.claims;
    if claims.exp <= now.timestamp() {
        return Err(TokenRefused::Invalid("expired".into()));
    }
    let Some(row) = oauth_tokens::Entity::find_by_id(claims.jti.clone()).one(db).await? else {
        return Err(TokenRefused::Revoked);
    };
    if row.kind != "access" || row.revoked_at.is_some() || row.user_id.as_deref() != Some(claims.sub.as_str()) {
        return Err(TokenRefused::Revoked);
    }
    Ok(AccessGrant {
        user_id: UserId::from_stored(claims.sub),
        client_id: claims.client_id,
        scope: Scopes::parse(&claims.scope),
        sid: claims.sid,
    })
}
