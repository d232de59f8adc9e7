//! OpenID Connect relying party for one connection: discovery (retried while the provider is
//! down), the authorization-code flow with PKCE S256, state and nonce, and every check on the
//! way back: ID-token signature, `iss`, `aud`/`azp`, `exp` (60 s leeway), `iat`, `nonce`,
//! `at_hash`, and a userinfo `sub` equal to the ID token's.

use std::{
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use base64::Engine;
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreIdToken},
    AccessTokenHash, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, JsonWebKeySet, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};

/// Discovery metadata, keeping `end_session_endpoint` for RP-initiated logout.
type CoreProviderMetadata = ProviderMetadataWithLogout;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use url::Url;

use super::{
    error::LoginFailure, settings::ClientAuth, transaction::Transaction, ConnectionSettings,
    ProviderLogin,
};

/// Clock skew tolerated on `exp`: providers' and our clocks drift by seconds, not minutes.
pub const CLOCK_LEEWAY_SECS: i64 = 60;
/// A failed discovery is retried at the next sign-in attempt, but not more often than this.
const DISCOVERY_RETRY: Duration = Duration::from_secs(10);
/// An unknown `kid` refetches the JWKS at most this often, so forged tokens cannot make us
/// hammer the provider.
const JWKS_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(60);

/// Claims about the token itself rather than the person; not kept in `profile_data`.
const PROTOCOL_CLAIMS: [&str; 14] =
    ["iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "auth_time", "acr", "amr", "sid", "jti"];

#[derive(Clone)]
enum Discovery {
    Pending { error: Option<String>, attempted: Option<Instant> },
    Ready(Arc<CoreProviderMetadata>),
}

pub struct OidcConnection {
    name: String,
    settings: ConnectionSettings,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovery: RwLock<Discovery>,
    jwks_refreshed_at: Mutex<Option<Instant>>,
}

impl OidcConnection {
    pub fn new(
        name: &str,
        settings: ConnectionSettings,
        issuer: Url,
        public_url: &Url,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        // IssuerUrl keeps the issuer exactly as configured: discovery and ID tokens must
        // match it byte for byte.
        let issuer = IssuerUrl::new(issuer.as_str().trim_end_matches('/').to_string())
            .map_err(|e| e.to_string())?;
        let redirect = RedirectUrl::new(super::callback_url(public_url, name)).map_err(|e| e.to_string())?;
        Ok(Self {
            name: name.to_string(),
            settings,
            issuer,
            redirect,
            http,
            discovery: RwLock::new(Discovery::Pending { error: None, attempted: None }),
            jwks_refreshed_at: Mutex::new(None),
        })
    }

    /// Why this connection cannot be used now, for the login page.
    pub fn unavailable_reason(&self) -> Option<String> {
        match self.discovery.read().map(|d| d.clone()) {
            Ok(Discovery::Pending { error: Some(e), .. }) => Some(e),
            _ => None,
        }
    }

    /// The provider's metadata, discovering it when needed. A failure is remembered and
    /// retried after [`DISCOVERY_RETRY`].
    #[tracing::instrument(skip(self), fields(connection = %self.name))]
    pub async fn metadata(&self) -> Result<Arc<CoreProviderMetadata>, LoginFailure> {
        let current = self.discovery.read().map(|d| d.clone()).unwrap_or(Discovery::Pending { error: None, attempted: None });
        match current {
            Discovery::Ready(md) => return Ok(md),
            Discovery::Pending { error: Some(e), attempted: Some(at) } if at.elapsed() < DISCOVERY_RETRY => {
                return Err(LoginFailure::Unavailable(e));
            }
            Discovery::Pending { .. } => {}
        }
        match CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await {
            Ok(md) => {
                let md = Arc::new(md);
                if let Ok(mut d) = self.discovery.write() {
                    *d = Discovery::Ready(md.clone());
                }
                tracing::info!("provider discovered");
                Ok(md)
            }
            Err(err) => {
                // Includes a discovery document whose `issuer` differs from ours: refused
                // before anyone is sent to that provider.
                let message = format!("{} is not reachable or misconfigured", self.settings.display_name());
                tracing::warn!(error = %error_chain(&err), "provider discovery failed");
                if let Ok(mut d) = self.discovery.write() {
                    *d = Discovery::Pending { error: Some(message.clone()), attempted: Some(Instant::now()) };
                }
                Err(LoginFailure::Unavailable(message))
            }
        }
    }

    fn client(
        &self,
        md: &CoreProviderMetadata,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        let secret = self.settings.client_secret.as_ref().map(|s| ClientSecret::new(s.expose_secret().to_string()));
        let client = CoreClient::from_provider_metadata(
            md.clone(),
            ClientId::new(self.settings.client_id.clone().unwrap_or_default()),
            secret,
        )
        .set_redirect_uri(self.redirect.clone());
        match self.settings.client_auth {
            ClientAuth::ClientSecretBasic => client.set_auth_type(AuthType::BasicAuth),
            ClientAuth::ClientSecretPost => client.set_auth_type(AuthType::RequestBody),
        }
    }

    /// The provider URL to send the browser to, its `state`, and the transaction to keep.
    pub async fn start(&self, return_to: String, link_user: Option<String>) -> Result<(Url, String, Transaction), LoginFailure> {
        let md = self.metadata().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(&md);
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in self.settings.scopes() {
            if scope != "openid" {
                request = request.add_scope(Scope::new(scope));
            }
        }
        let (url, state, nonce) = request.url();
        let tx = Transaction {
            connection: self.name.clone(),
            nonce: Some(nonce.secret().clone()),
            pkce_verifier: verifier.secret().clone(),
            return_to,
            link_user,
            created_at: chrono::Utc::now().timestamp(),
        };
        Ok((url, state.secret().clone(), tx))
    }

    /// Checks the provider's answer and returns who signed in.
    #[tracing::instrument(skip_all, fields(connection = %self.name))]
    pub async fn finish(&self, tx: &Transaction, code: String, iss: Option<&str>) -> Result<ProviderLogin, LoginFailure> {
        // RFC 9207 mix-up defense: when the provider names itself, it must be this one.
        if let Some(iss) = iss {
            if iss.trim_end_matches('/') != self.issuer.as_str().trim_end_matches('/') {
                return Err(LoginFailure::BadCallback(format!("iss parameter {iss} is not this connection's issuer")));
            }
        }
        let md = self.metadata().await?;
        let client = self.client(&md);
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| LoginFailure::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(tx.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginFailure::Exchange(error_chain(&e)))?;
        let id_token = token.id_token().ok_or_else(|| LoginFailure::InvalidIdToken("no id_token in the token response".into()))?;
        let nonce = Nonce::new(tx.nonce.clone().unwrap_or_default());

        let mut md = md;
        let subject = loop {
            let client = self.client(&md);
            let verifier = client
                .id_token_verifier()
                .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(CLOCK_LEEWAY_SECS));
            match id_token.claims(&verifier, &nonce) {
                Ok(claims) => {
                    if let Some(expected) = claims.access_token_hash() {
                        let alg = id_token.signing_alg().map_err(|e| LoginFailure::InvalidIdToken(e.to_string()))?;
                        let key = id_token.signing_key(&verifier).map_err(|e| LoginFailure::InvalidIdToken(e.to_string()))?;
                        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
                            .map_err(|e| LoginFailure::InvalidIdToken(e.to_string()))?;
                        if actual != *expected {
                            return Err(LoginFailure::InvalidIdToken("at_hash does not match the access token".into()));
                        }
                    }
                    break claims.subject().as_str().to_string();
                }
                Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                    // The provider may have rotated its keys since we fetched them.
                    md = self.refresh_jwks(&md).await.map_err(|e| {
                        LoginFailure::InvalidIdToken(format!("no key matches the ID token ({e})"))
                    })?;
                    let client = self.client(&md);
                    let verifier = client.id_token_verifier();
                    if matches!(id_token.signing_key(&verifier), Err(SignatureVerificationError::NoMatchingKey)) {
                        return Err(LoginFailure::InvalidIdToken("no key in the provider's JWKS matches the ID token".into()));
                    }
                }
                Err(e) => return Err(LoginFailure::InvalidIdToken(error_chain(&e))),
            }
        };

        let mut profile = id_token_payload(&id_token.to_string())?;
        for claim in PROTOCOL_CLAIMS {
            profile.remove(claim);
        }
        if let Some(userinfo_url) = md.userinfo_endpoint() {
            let userinfo = self.userinfo(userinfo_url.url(), token.access_token().secret()).await?;
            if userinfo.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                return Err(LoginFailure::InvalidUserinfo("userinfo sub differs from the ID token sub".into()));
            }
            profile.extend(userinfo);
        }
        Ok(ProviderLogin { subject, profile_data: Value::Object(profile), id_token: Some(id_token.to_string()) })
    }

    /// Where a form post to AskOnce may redirect the browser at this provider (the CSP's
    /// `form-action` must allow them): the issuer, and once discovered the authorization
    /// endpoint and the end-session endpoint. Reads what is known; never fetches.
    pub fn browser_endpoints(&self) -> Vec<Url> {
        let mut urls = vec![self.issuer.url().clone()];
        if let Ok(Discovery::Ready(md)) = self.discovery.read().map(|d| d.clone()) {
            urls.push(md.authorization_endpoint().url().clone());
            if let Some(end) = &md.additional_metadata().end_session_endpoint {
                urls.push(end.url().clone());
            }
        }
        urls
    }

    /// Where to send the browser to end its session at the provider, if it offers that.
    pub fn end_session_url(&self, id_token: &str, post_logout_redirect: &str) -> Option<Url> {
        let md = match self.discovery.read().map(|d| d.clone()) {
            Ok(Discovery::Ready(md)) => md,
            _ => return None,
        };
        let endpoint = md.additional_metadata().end_session_endpoint.clone()?;
        let id_token: CoreIdToken = id_token.parse().ok()?;
        let redirect = PostLogoutRedirectUrl::new(post_logout_redirect.to_string()).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(&id_token)
                .set_client_id(ClientId::new(self.settings.client_id.clone().unwrap_or_default()))
                .set_post_logout_redirect_uri(redirect)
                .http_get_url(),
        )
    }

    async fn refresh_jwks(&self, md: &CoreProviderMetadata) -> Result<Arc<CoreProviderMetadata>, String> {
        {
            let mut last = self.jwks_refreshed_at.lock().map_err(|_| "lock poisoned".to_string())?;
            if last.is_some_and(|at| at.elapsed() < JWKS_REFRESH_MIN_INTERVAL) {
                return Err("JWKS refreshed too recently".into());
            }
            *last = Some(Instant::now());
        }
        let jwks = JsonWebKeySet::fetch_async(md.jwks_uri(), &self.http).await.map_err(|e| error_chain(&e))?;
        let fresh = Arc::new(md.clone().set_jwks(jwks));
        if let Ok(mut d) = self.discovery.write() {
            *d = Discovery::Ready(fresh.clone());
        }
        tracing::info!("JWKS refreshed after an unknown key id");
        Ok(fresh)
    }

    async fn userinfo(&self, url: &Url, access_token: &str) -> Result<Map<String, Value>, LoginFailure> {
        let res = self
            .http
            .get(url.clone())
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(LoginFailure::InvalidUserinfo(format!("status {}", res.status())));
        }
        res.json::<Map<String, Value>>().await.map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))
    }
}

/// The JSON payload of a compact JWT whose signature was already verified.
fn id_token_payload(jwt: &str) -> Result<Map<String, Value>, LoginFailure> {
    let payload = jwt.split('.').nth(1).ok_or_else(|| LoginFailure::InvalidIdToken("malformed JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| LoginFailure::InvalidIdToken(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| LoginFailure::InvalidIdToken(e.to_string()))
}

/// An error with its sources, for the log.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
