//! The token endpoint's work (RFC 6749 §3.2, §4.1.3): who the client is, and what its grant
//! is worth. Every refusal is an [`OAuthError`] whose code the client is told; the reason in
//! detail is logged.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{
    clients::{self, Client},
    codes::{self, CodeRefused},
    error::OAuthError,
    tokens::{self, TokenResponse},
    ErrorCode, Provider,
};

/// How the client presented itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`.
    Secret { client_id: String, secret: String },
    /// `none`: a public client names itself only.
    None { client_id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// What the client is told.
    #[error("{0}")]
    Refused(OAuthError),
    /// Ours: logged, answered `server_error`.
    #[error("{0}")]
    Internal(String),
}

fn refuse(code: ErrorCode, description: &str) -> ExchangeError {
    ExchangeError::Refused(OAuthError::new(code, description))
}

impl From<sea_orm::DbErr> for ExchangeError {
    fn from(err: sea_orm::DbErr) -> Self {
        ExchangeError::Internal(err.to_string())
    }
}

impl From<tokens::IssueError> for ExchangeError {
    fn from(err: tokens::IssueError) -> Self {
        ExchangeError::Internal(err.to_string())
    }
}

/// The client that `auth` proves, or `invalid_client`.
pub async fn authenticate(db: &DatabaseConnection, auth: &ClientAuth, now: DateTime<Utc>) -> Result<Client, ExchangeError> {
    let client_id = match auth {
        ClientAuth::Secret { client_id, .. } | ClientAuth::None { client_id } => client_id,
    };
    let unknown = || refuse(ErrorCode::InvalidClient, "client authentication failed");
    let Some(client) = clients::find(db, client_id).await? else {
        return Err(unknown());
    };
    match auth {
        ClientAuth::Secret { secret, .. } if !client.app_type.is_public() && client.secret_matches(secret, now) => Ok(client),
        ClientAuth::None { .. } if client.app_type.is_public() => Ok(client),
        _ => Err(unknown()),
    }
}

/// `grant_type=authorization_code`: the code, for the client it was issued to, at the
/// address it was issued for, with the PKCE verifier its challenge asks.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn authorization_code(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, ExchangeError> {
    if !client.may_use_grant("authorization_code") {
        return Err(refuse(ErrorCode::UnauthorizedClient, "this client may not use the authorization_code grant"));
    }
    let invalid = |why: &str| {
        tracing::info!(why, "authorization code refused");
        refuse(ErrorCode::InvalidGrant, "the authorization code is invalid, expired or already used")
    };
    let redeemed = match codes::redeem(db, code, &client.client_id, now).await {
        Ok(r) => r,
        Err(CodeRefused::Db(e)) => return Err(e.into()),
        Err(other) => return Err(invalid(&other.to_string())),
    };
    if redeemed.client_id != client.client_id {
        return Err(invalid("issued to another client"));
    }
    if redirect_uri != Some(redeemed.grant.redirect_uri.as_str()) {
        return Err(invalid("redirect_uri differs from the authorization request's"));
    }
    if !codes::pkce_satisfied(redeemed.grant.code_challenge.as_deref(), code_verifier) {
        return Err(invalid("PKCE verifier missing, unexpected or wrong"));
    }
    let Some(user) = super::load_user(db, &redeemed.user_id).await? else {
        return Err(invalid("the account no longer exists"));
    };
    if user.blocked {
        return Err(invalid("the account is blocked"));
    }
    let issued = tokens::issue_for_code(db, provider, client, &user, &redeemed, now).await?;
    // The code presented again while these were being made: they go with everything else.
    if codes::replayed(db, &redeemed.code_hash).await? {
        codes::revoke_issued(db, &redeemed.code_hash, now).await?;
        return Err(invalid("used twice"));
    }
    Ok(issued)
}

/// `grant_type=client_credentials` (RFC 6749 §4.4): a machine application, authenticated
/// with its secret, gets an access token for the management API with the scopes it asks
/// for (all it is allowed, unless it names some). `audience`, Auth0's parameter, may name
/// the API and nothing else.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn client_credentials(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    scope: Option<&str>,
    audience: Option<&str>,
    now: DateTime<Utc>,
) -> Result<tokens::MachineTokenResponse, ExchangeError> {
    if !client.may_use_grant("client_credentials") {
        return Err(refuse(ErrorCode::UnauthorizedClient, "this client may not use the client_credentials grant"));
    }
    if audience.is_some_and(|a| a != tokens::api_audience(provider)) {
        return Err(refuse(ErrorCode::InvalidRequest, "audience: the only API here is the management API"));
    }
    let allowed = super::Scopes::parse(&client.scopes.join(" "));
    let asked = match scope {
        Some(scope) => super::Scopes::parse(scope),
        None => allowed.clone(),
    };
    if asked.iter().next().is_none() || asked.iter().any(|s| !allowed.contains(s)) {
        return Err(refuse(ErrorCode::InvalidScope, "the scope asks for more than this client is allowed"));
    }
    Ok(tokens::issue_for_machine(db, provider, client, &asked, now).await?)
}

/// What a token exchange request carries (RFC 8693 §2.1), as the form named it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExchangeRequest<'a> {
    pub subject_token: Option<&'a str>,
    pub subject_token_type: Option<&'a str>,
    pub requested_token_type: Option<&'a str>,
    pub audience: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub actor_token: Option<&'a str>,
}

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): an application
/// allowed the `prompt` scope exchanges the access token it holds for one person (issued to
/// it, live) for a prompt token: the prompt API's audience, scope `prompt`, at most
/// [`tokens::PROMPT_TOKEN_SECS`], no refresh. Nothing else is exchanged.
#[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
pub async fn token_exchange(
    db: &DatabaseConnection,
    provider: &Provider,
    client: &Client,
    request: ExchangeRequest<'_>,
    now: DateTime<Utc>,
) -> Result<tokens::ExchangedToken, ExchangeError> {
    use super::scope::{ACCESS_TOKEN_TYPE, PROMPT, TOKEN_EXCHANGE};
    if !client.may_use_grant(TOKEN_EXCHANGE) || !client.skip_consent {
        return Err(refuse(ErrorCode::UnauthorizedClient, "this client may not exchange tokens: allow it the prompt scope"));
    }
    if request.actor_token.is_some() {
        return Err(refuse(ErrorCode::InvalidRequest, "delegation (actor_token) is not supported"));
    }
    let Some(subject_token) = request.subject_token else {
        return Err(refuse(ErrorCode::InvalidRequest, "subject_token is missing"));
    };
    match request.subject_token_type {
        Some(ACCESS_TOKEN_TYPE) => {}
        None => return Err(refuse(ErrorCode::InvalidRequest, "subject_token_type is missing")),
        Some(_) => return Err(refuse(ErrorCode::InvalidRequest, "subject_token_type: only an access token is exchanged")),
    }
    if request.requested_token_type.is_some_and(|t| t != ACCESS_TOKEN_TYPE) {
        return Err(refuse(ErrorCode::InvalidRequest, "requested_token_type: only an access token is issued"));
    }
    let api = tokens::prompt_audience(provider);
    if [request.audience, request.resource].into_iter().flatten().any(|target| target != api) {
        return Err(refuse(ErrorCode::InvalidTarget, "audience and resource may name the prompt API only"));
    }
    if request.scope.is_some_and(|s| super::Scopes::parse(s) != super::Scopes::parse(PROMPT)) {
        return Err(refuse(ErrorCode::InvalidScope, "the only scope given by token exchange is prompt"));
    }
    // §2.2.2: an invalid or unacceptable subject token is `invalid_request`; why is logged.
    let unacceptable = |why: &str| {
        tracing::info!(why, "subject token refused");
        refuse(ErrorCode::InvalidRequest, "the subject_token is invalid, expired, revoked or not this client's")
    };
    let subject = match tokens::verify_access(db, provider, subject_token, now).await {
        Ok(subject) => subject,
        Err(tokens::TokenRefused::Db(err)) => return Err(err.into()),
        Err(tokens::TokenRefused::Keys(err)) => return Err(ExchangeError::Internal(err.to_string())),
        Err(refused) => return Err(unacceptable(&refused.to_string())),
    };
    if subject.client_id != client.client_id {
        return Err(unacceptable("issued to another client"));
    }
    match super::load_user(db, &subject.user_id).await? {
        Some(user) if !user.blocked => {}
        _ => return Err(unacceptable("the account is blocked or gone")),
    }
    Ok(tokens::issue_for_prompt(db, provider, client, &subject, now).await?)
}
