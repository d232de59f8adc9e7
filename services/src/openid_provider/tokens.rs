//! Tokens: ID tokens (OpenID Connect Core §2, signed by `openidconnect`, which computes
//! `at_hash`: RS256, or EdDSA for an application that registered
//! `id_token_signed_response_alg = "EdDSA"`) and access tokens as signed JWTs (RFC 9068: `typ`
//! `at+jwt`, always RS256), so resource servers can check them offline. Each access token's
//! `jti` is recorded, so that a revoked one (a code used twice, later a sign-out or a block)
//! stops working at `/userinfo` and at introspection even before it expires.

use chrono::{DateTime, Duration, Utc};
use domain::user_id::UserId;
use openidconnect::{
    core::{CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreTokenType},
    AccessToken, Audience, AuthenticationMethodReference, EmptyExtraTokenFields, IdTokenFields, IssuerUrl, Nonce, StandardTokenResponse,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use super::{
    claims::{self, AskOnceClaims},
    clients::Client,
    codes::Redeemed,
    keys::{KeyError, KeyRing, SigningAlg},
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
    /// A prompt token's application (the party it was issued to, beside `client_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
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

/// The audience of a machine's access tokens: the management API (Auth0's
/// `https://<tenant>/api/v2/`).
pub fn api_audience(provider: &Provider) -> String {
    provider.endpoint("/api/v2/")
}

/// The audience of prompt tokens: AskOnce's prompt API.
pub fn prompt_audience(provider: &Provider) -> String {
    provider.endpoint("/api/prompt")
}

/// The longest a prompt token lives: enough to read a page and answer, short enough that a
/// leaked one is soon worthless (it cannot be refreshed; the application exchanges again).
pub const PROMPT_TOKEN_SECS: i64 = 15 * 60;

/// What a token exchange answers (RFC 8693 §2.2.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangedToken {
    pub access_token: String,
    pub issued_token_type: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Issues `client` a prompt token for the person of `subject` (the access token it presented),
/// and records it with the subject's code and family, so whatever revokes the subject (a
/// code used twice, a sign-out, the app removed from `/profile`, a block) revokes it too.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn issue_for_prompt(
    db: &impl ConnectionTrait,
    provider: &Provider,
    client: &Client,
    subject: &AccessGrant,
    now: DateTime<Utc>,
) -> Result<ExchangedToken, IssueError> {
    let ring = provider.keys.current().await?;
    // Never beyond the token it comes from: the application exchanges again after a refresh.
    let lifetime = PROMPT_TOKEN_SECS.min(client.access_token_secs).min((subject.expires_at - now).num_seconds()).max(1);
    let expires_at = now + Duration::seconds(lifetime);
    let jti = secret::random();
    let scope = super::scope::PROMPT.to_string();
    let claims = AccessClaims {
        iss: provider.issuer.clone(),
        sub: subject.user_id.to_string(),
        aud: prompt_audience(provider),
        client_id: client.client_id.clone(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        jti: jti.clone(),
        scope: scope.clone(),
        auth_time: None,
        sid: subject.sid.clone(),
        azp: Some(client.client_id.clone()),
    };
    let access_token = sign_access(&ring, &claims)?;
    oauth_tokens::ActiveModel {
        id: Set(jti),
        kind: Set(PROMPT_KIND.to_string()),
        client_id: Set(client.client_id.clone()),
        user_id: Set(Some(subject.user_id.to_string())),
        scope: Set(scope.clone()),
        code_hash: Set(subject.code_hash.clone()),
        family_id: Set(subject.family_id.clone()),
        sid: Set(subject.sid.clone()),
        grant: Set(Some(serde_json::json!({ PROMPT_SUBJECT: subject.jti }))),
        created_at: Set(now),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(ExchangedToken {
        access_token,
        issued_token_type: super::scope::ACCESS_TOKEN_TYPE.to_string(),
        token_type: "Bearer".into(),
        expires_in: lifetime,
        scope,
    })
}

/// The `kind` of a prompt token's row.
pub const PROMPT_KIND: &str = "prompt";
/// Where a prompt token's row names the access token it was exchanged for (`grant`).
const PROMPT_SUBJECT: &str = "subject";

/// Whether the access token a prompt token's `row` was exchanged for is still live: revoking
/// it on its own (`/oauth/revoke`), or anything that revoked it while the exchange ran, ends
/// the prompt token too.
pub async fn prompt_subject_live(db: &impl ConnectionTrait, row: &oauth_tokens::Model, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let Some(subject) = row.grant.as_ref().and_then(|g| g.get(PROMPT_SUBJECT)).and_then(|s| s.as_str()) else {
        return Ok(false);
    };
    Ok(oauth_tokens::Entity::find_by_id(subject.to_string())
        .one(db)
        .await?
        .is_some_and(|s| s.kind == "access" && s.revoked_at.is_none() && s.expires_at > now))
}

/// What a machine's `client_credentials` token answers (RFC 6749 §4.4.3: no refresh token).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MachineTokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Issues `client` (a machine) an access token for the management API carrying `scope`,
/// and records it (so revoking or deleting the client stops it).
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn issue_for_machine(
    db: &impl ConnectionTrait,
    provider: &Provider,
    client: &Client,
    scope: &Scopes,
    now: DateTime<Utc>,
) -> Result<MachineTokenResponse, IssueError> {
    let ring = provider.keys.current().await?;
    let expires_at = now + Duration::seconds(client.access_token_secs);
    let jti = secret::random();
    let claims = AccessClaims {
        iss: provider.issuer.clone(),
        // RFC 9068 §2.2: with no person, the subject is the client itself.
        sub: client.client_id.clone(),
        aud: api_audience(provider),
        client_id: client.client_id.clone(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        jti: jti.clone(),
        scope: scope.to_string(),
        auth_time: None,
        sid: None,
        azp: None,
    };
    let access_token = sign_access(&ring, &claims)?;
    oauth_tokens::ActiveModel {
        id: Set(jti),
        kind: Set("access".to_string()),
        client_id: Set(client.client_id.clone()),
        user_id: Set(None),
        scope: Set(scope.to_string()),
        code_hash: Set(None),
        family_id: Set(None),
        sid: Set(None),
        grant: Set(None),
        created_at: Set(now),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(MachineTokenResponse { access_token, token_type: "Bearer".into(), expires_in: client.access_token_secs, scope: scope.to_string() })
}

fn sign_access(ring: &KeyRing, claims: &AccessClaims) -> Result<String, IssueError> {
    ring.signing.sign_jwt(ACCESS_TOKEN_TYPE, claims).map_err(|e| IssueError::Signing(e.to_string()))
}

/// What a set of tokens is issued for: a redeemed code, or a refresh token's rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// When the person last authenticated (Unix seconds).
    pub auth_time: i64,
    pub sid: String,
    pub amr: Vec<String>,
}

/// A refresh token family: every token rotated from one code exchange.
#[derive(Debug, Clone)]
pub struct Family {
    pub id: String,
    /// The family's absolute end: rotation never extends it.
    pub expires_at: DateTime<Utc>,
}

/// What to issue.
pub struct Issue<'a> {
    /// What the access and ID tokens carry (a refresh may narrow it).
    pub scope: &'a Scopes,
    /// What was granted: the refresh token keeps it whole (RFC 6749 §6), and whether there
    /// is one at all (`offline_access`) follows it.
    pub granted: &'a Scopes,
    pub session: &'a Session,
    /// Only on a code exchange (Core §12.2: a refreshed ID token carries none).
    pub nonce: Option<&'a str>,
    /// The code the tokens come from: its reuse revokes them all, rotated ones included.
    pub code_hash: &'a str,
    /// The family to continue (a rotation); None starts one when a refresh token is due.
    pub family: Option<Family>,
}

/// Issues the tokens a redeemed code grants `client` for `user`.
pub async fn issue_for_code(
    db: &impl ConnectionTrait,
    provider: &Provider,
    client: &Client,
    user: &users::Model,
    redeemed: &Redeemed,
    now: DateTime<Utc>,
) -> Result<TokenResponse, IssueError> {
    let grant = &redeemed.grant;
    let session = Session { auth_time: grant.auth_time, sid: grant.sid.clone(), amr: grant.amr.clone() };
    let what = Issue {
        scope: &grant.scope,
        granted: &grant.scope,
        session: &session,
        nonce: grant.nonce.as_deref(),
        code_hash: &redeemed.code_hash,
        family: None,
    };
    issue(db, provider, client, user, what, now).await
}

/// Issues an access token, an ID token (with `openid`), and a refresh token (with
/// `offline_access`, for a client allowed the refresh_token grant), and records them.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id, user_id = %user.id))]
pub async fn issue(
    db: &impl ConnectionTrait,
    provider: &Provider,
    client: &Client,
    user: &users::Model,
    what: Issue<'_>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, IssueError> {
    let id_token_alg = what.scope.contains(super::scope::OPENID).then_some(client.id_token_signed_response_alg);
    // The Ed25519 key is made the first time an application asks for EdDSA, before any
    // token is recorded.
    let ring = match id_token_alg {
        Some(SigningAlg::EdDsa) => provider.keys.current_with_eddsa().await?,
        _ => provider.keys.current().await?,
    };
    let session = what.session;
    let refresh = (what.granted.contains(super::scope::OFFLINE_ACCESS) && client.may_use_grant("refresh_token")).then(|| {
        what.family
            .clone()
            .unwrap_or_else(|| Family { id: secret::random(), expires_at: now + Duration::seconds(client.refresh_token_secs) })
    });
    // Every token of a rotation belongs to its family, whatever its scope: revoking the
    // family must reach it.
    let family_id = what.family.as_ref().or(refresh.as_ref()).map(|f| f.id.clone());
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
        scope: what.scope.to_string(),
        auth_time: Some(session.auth_time),
        sid: Some(session.sid.clone()),
        azp: None,
    };
    let access_token = sign_access(&ring, &access)?;
    let row = |id: String, kind: &str, scope: &Scopes, expires_at: DateTime<Utc>| oauth_tokens::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_string()),
        client_id: Set(client.client_id.clone()),
        user_id: Set(Some(user.id.clone())),
        scope: Set(scope.to_string()),
        code_hash: Set(Some(what.code_hash.to_string())),
        family_id: Set(family_id.clone()),
        sid: Set(Some(session.sid.clone())),
        grant: Set(Some(serde_json::to_value(session).unwrap_or_default())),
        created_at: Set(now),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
    };
    row(jti, "access", what.scope, access_expires).insert(db).await?;
    let refresh_token = match &refresh {
        Some(family) => {
            let token = secret::random();
            row(secret::hash(&token), "refresh", what.granted, family.expires_at).insert(db).await?;
            Some(token)
        }
        None => None,
    };

    let access_token = AccessToken::new(access_token);
    let id_token = if let Some(alg) = id_token_alg {
        let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| IssueError::Signing(e.to_string()))?;
        let additional = claims::additional(user, client, &provider.user_metadata_claim(), Some(&session.sid));
        let id_claims = IdTokenClaims::new(
            issuer,
            vec![Audience::new(client.client_id.clone())],
            now + Duration::seconds(client.id_token_secs),
            now,
            claims::standard(user, what.scope),
            additional,
        )
        .set_nonce(what.nonce.map(|n| Nonce::new(n.to_string())))
        .set_auth_time(DateTime::from_timestamp(session.auth_time, 0))
        .set_auth_method_refs(
            (!session.amr.is_empty()).then(|| session.amr.iter().cloned().map(AuthenticationMethodReference::new).collect()),
        );
        Some(sign_id_token(&ring, alg, id_claims, &access_token)?)
    } else {
        None
    };
    let mut response = TokenResponse::new(access_token, CoreTokenType::Bearer, IdTokenFields::new(id_token, EmptyExtraTokenFields {}));
    response.set_expires_in(Some(&std::time::Duration::from_secs(u64::try_from(client.access_token_secs).unwrap_or(600))));
    response.set_scopes(Some(what.scope.iter().map(|s| openidconnect::Scope::new(s.to_string())).collect()));
    response.set_refresh_token(refresh_token.map(openidconnect::RefreshToken::new));
    Ok(response)
}

/// Signs an ID token with the algorithm the application registered
/// (`id_token_signed_response_alg`): RS256 with the RSA key, or EdDSA with the Ed25519 key.
///
/// openidconnect computes `at_hash` from the algorithm and the key (Core §3.1.3.6: the left
/// half of the access token's hash): SHA-256 for RS256; for EdDSA on Ed25519, SHA-512 (the
/// hash Ed25519 uses, as OpenID Connect libraries agree). Kept as openidconnect does it.
fn sign_id_token(ring: &KeyRing, alg: SigningAlg, claims: IdTokenClaims, access_token: &AccessToken) -> Result<IdToken, IssueError> {
    let signed = match alg {
        SigningAlg::Rs256 => {
            IdToken::new(claims, &ring.signing.oidc, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, Some(access_token), None)
        }
        SigningAlg::EdDsa => {
            let Some(key) = &ring.eddsa else {
                return Err(IssueError::Signing("no Ed25519 key to sign with".into()));
            };
            IdToken::new(claims, &key.oidc, CoreJwsSigningAlgorithm::EdDsa, Some(access_token), None)
        }
    };
    signed.map_err(|e| IssueError::Signing(e.to_string()))
}

/// A valid access token: whose it is and what it allows.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub user_id: UserId,
    pub client_id: String,
    pub scope: Scopes,
    pub sid: Option<String>,
    /// The code it came from and its refresh family: what revokes it.
    pub code_hash: Option<String>,
    pub family_id: Option<String>,
    /// Its own id, and when it expires.
    pub jti: String,
    pub expires_at: DateTime<Utc>,
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
    let claims = verify_signed(provider, token, &userinfo_audience(provider), now).await?;
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
        code_hash: row.code_hash,
        family_id: row.family_id,
        jti: row.id,
        expires_at: row.expires_at,
    })
}

/// A valid prompt token: whose it is, and the application it lets ask.
#[derive(Debug, Clone)]
pub struct PromptGrant {
    pub user_id: UserId,
    /// The person, as read to check they are not blocked (the prompt API asks about them).
    pub person: crate::entities::users::Model,
    pub client_id: String,
    /// The application's registered web origins (read with it: the prompt API's CORS check).
    pub web_origins: Vec<String>,
}

/// Checks a prompt token: as [`verify_access`], for the prompt API's audience, recorded as a
/// prompt token of its person, held by an application that still exists and may still
/// exchange for prompt tokens. Any other token — the application's own access token, an ID
/// token, a machine's — is refused.
pub async fn verify_prompt(
    db: &impl ConnectionTrait,
    provider: &Provider,
    token: &str,
    now: DateTime<Utc>,
) -> Result<PromptGrant, TokenRefused> {
    let claims = verify_signed(provider, token, &prompt_audience(provider), now).await?;
    if !Scopes::parse(&claims.scope).contains(super::scope::PROMPT) || claims.azp.as_deref() != Some(claims.client_id.as_str()) {
        return Err(TokenRefused::Invalid("not a prompt token".into()));
    }
    let Some(row) = oauth_tokens::Entity::find_by_id(claims.jti.clone()).one(db).await? else {
        return Err(TokenRefused::Revoked);
    };
    if row.kind != PROMPT_KIND
        || row.revoked_at.is_some()
        || row.user_id.as_deref() != Some(claims.sub.as_str())
        || row.client_id != claims.client_id
        || !prompt_subject_live(db, &row, now).await?
    {
        return Err(TokenRefused::Revoked);
    }
    let Some(client) = super::clients::find(db, &claims.client_id).await? else {
        return Err(TokenRefused::Revoked);
    };
    // Taking `prompt` from the application's scopes ends the tokens it holds, as narrowing a
    // machine's scopes does.
    if !client.may_use_grant(super::scope::TOKEN_EXCHANGE) || !client.scopes.iter().any(|s| s == super::scope::PROMPT) {
        return Err(TokenRefused::Revoked);
    }
    let user_id = UserId::from_stored(claims.sub);
    let person = match super::load_user(db, &user_id).await? {
        Some(person) if !person.blocked => person,
        _ => return Err(TokenRefused::Revoked),
    };
    Ok(PromptGrant { user_id, person, client_id: claims.client_id, web_origins: client.web_origins })
}

/// A machine's valid access token for the management API.
#[derive(Debug, Clone)]
pub struct MachineGrant {
    pub client_id: String,
    /// What it was granted and the client is still allowed (narrowing a machine's scopes
    /// takes effect on the tokens it already holds).
    pub scopes: Vec<String>,
}

/// Checks a machine's access token for the management API: as [`verify_access`], for the
/// API's audience, held by a client that still exists and is still a machine.
pub async fn verify_machine(
    db: &impl ConnectionTrait,
    provider: &Provider,
    token: &str,
    now: DateTime<Utc>,
) -> Result<MachineGrant, TokenRefused> {
    let claims = verify_signed(provider, token, &api_audience(provider), now).await?;
    let Some(row) = oauth_tokens::Entity::find_by_id(claims.jti.clone()).one(db).await? else {
        return Err(TokenRefused::Revoked);
    };
    if row.kind != "access" || row.revoked_at.is_some() || row.user_id.is_some() || row.client_id != claims.client_id {
        return Err(TokenRefused::Revoked);
    }
    let Some(client) = super::clients::find(db, &claims.client_id).await? else {
        return Err(TokenRefused::Revoked);
    };
    if !client.may_use_grant("client_credentials") {
        return Err(TokenRefused::Revoked);
    }
    let scopes = Scopes::parse(&row.scope).iter().filter(|s| client.scopes.iter().any(|c| c == s)).map(str::to_string).collect();
    Ok(MachineGrant { client_id: claims.client_id, scopes })
}

/// The claims of a token we signed for `audience` with `typ` `at+jwt`, unexpired. RS256 only:
/// the Ed25519 key (published, and among `ring.verifying`) signs ID tokens, never access
/// tokens, and jsonwebtoken refuses a key of another family than the algorithm checked.
async fn verify_signed(provider: &Provider, token: &str, audience: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenRefused> {
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
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation).map_err(|e| TokenRefused::Invalid(e.to_string()))?;
    if data.claims.exp <= now.timestamp() {
        return Err(TokenRefused::Invalid("expired".into()));
    }
    Ok(data.claims)
}

/// The `jti` of an access token signed by one of our keys, whether or not it has expired
/// (revocation and introspection look tokens up by it).
pub async fn access_jti(provider: &Provider, token: &str) -> Option<String> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return None;
    }
    let ring = provider.keys.current().await.ok()?;
    let key = ring.verifying.get(header.kid.as_deref()?)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_issuer(&[&provider.issuer]);
    validation.set_audience(&[userinfo_audience(provider), api_audience(provider), prompt_audience(provider)]);
    jsonwebtoken::decode::<AccessClaims>(token, key, &validation).ok().map(|d| d.claims.jti)
}
