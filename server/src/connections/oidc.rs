//! OpenID Connect relying party for one connection: discovery (retried while the provider is
//! down), the authorization-code flow with PKCE S256, state and nonce, and every check on the
//! way back: RFC 9207's `iss` parameter (required when the provider advertises it), ID-token
//! signature with keys from a JWKS trusted only for its `Cache-Control` lifetime, `iss`,
//! `aud`, `azp` (when present, our client id), `exp` and `iat` (60 s leeway each way),
//! `nonce`, `at_hash`, and a userinfo `sub` equal to the ID token's.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use base64::Engine;
use openidconnect::{
    core::{
        CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
        CoreIdToken, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType,
    },
    http::{header, HeaderMap},
    AccessTokenHash, AdditionalProviderMetadata, AsyncHttpClient, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, HttpClientError, HttpRequest, HttpResponse, IssuerUrl, JsonWebKeySet, LogoutProviderMetadata, LogoutRequest,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use super::{
    error::LoginFailure,
    settings::{ClientAuth, OidcSettings, JWKS_MAX_LIFETIME_SECS},
    transaction::Transaction,
    ProviderLogin,
};

/// Discovery metadata, keeping `end_session_endpoint` for RP-initiated logout and RFC 9207's
/// `authorization_response_iss_parameter_supported`.
type CoreProviderMetadata = ProviderMetadata<
    LogoutProviderMetadata<IssParameterMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// RFC 9207 (OAuth 2.0 Authorization Server Issuer Identification) in discovery.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IssParameterMetadata {
    /// Kept as JSON: a provider writing `"true"` as a string must not fail discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authorization_response_iss_parameter_supported: Option<Value>,
}

impl AdditionalProviderMetadata for IssParameterMetadata {}

impl IssParameterMetadata {
    /// The provider promises `iss` on every authorization response.
    fn iss_parameter_supported(&self) -> bool {
        match &self.authorization_response_iss_parameter_supported {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

/// Clock skew tolerated on `exp` and on an `iat` in the future: providers' and our clocks
/// drift by seconds, not minutes.
pub const CLOCK_LEEWAY_SECS: i64 = 60;
/// A failed discovery is retried at the next sign-in attempt, but not more often than this.
const DISCOVERY_RETRY: Duration = Duration::from_secs(10);
/// An unknown `kid` refetches the JWKS at most this often, so forged tokens cannot make us
/// hammer the provider.
const JWKS_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(60);
/// How long a JWKS is trusted when its response says nothing about caching.
const JWKS_DEFAULT_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Claims about the token itself rather than the person; not kept in `profile_data`.
const PROTOCOL_CLAIMS: [&str; 14] =
    ["iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "auth_time", "acr", "amr", "sid", "jti"];

#[derive(Clone)]
enum Discovery {
    Pending { error: Option<String>, attempted: Option<Instant> },
    Ready(Discovered),
}

#[derive(Clone)]
struct Discovered {
    /// The discovery document and the JWKS fetched with it (or since).
    metadata: Arc<CoreProviderMetadata>,
    /// When that JWKS stops being trusted: a key the provider has removed from it must stop
    /// verifying tokens without a restart.
    keys_expire_at: Instant,
}

pub struct OidcConnection {
    name: String,
    settings: OidcSettings,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovery: RwLock<Discovery>,
    jwks_refreshed_at: Mutex<Option<Instant>>,
    /// Apple only: the client secret, minted from the site's key and renewed before expiry.
    apple: Option<super::apple::AppleSecret>,
}

impl OidcConnection {
    pub fn new(name: &str, settings: OidcSettings, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        // IssuerUrl keeps the issuer exactly as configured: discovery and ID tokens must
        // match it byte for byte.
        let issuer = IssuerUrl::new(settings.issuer.as_str().trim_end_matches('/').to_string()).map_err(|e| e.to_string())?;
        let redirect = RedirectUrl::new(super::callback_url(public_url, name)).map_err(|e| e.to_string())?;
        let apple = match &settings.apple {
            Some(signing) => Some(super::apple::AppleSecret::new(signing.clone(), &settings.client.client_id, settings.issuer.as_str())?),
            None => None,
        };
        Ok(Self {
            apple,
            name: name.to_string(),
            settings,
            issuer,
            redirect,
            http,
            discovery: RwLock::new(Discovery::Pending { error: None, attempted: None }),
            jwks_refreshed_at: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// Why this connection cannot be used now, for the login page.
    pub(crate) fn unavailable_reason(&self) -> Option<String> {
        match self.discovery.read().map(|d| d.clone()) {
            Ok(Discovery::Pending { error: Some(e), .. }) => Some(e),
            _ => None,
        }
    }

    /// The provider's metadata, discovering it when needed. A failure is remembered and
    /// retried after [`DISCOVERY_RETRY`].
    pub async fn metadata(&self) -> Result<Arc<CoreProviderMetadata>, LoginFailure> {
        Ok(self.discovered().await?.metadata)
    }

    #[tracing::instrument(skip(self), fields(connection = %self.name))]
    async fn discovered(&self) -> Result<Discovered, LoginFailure> {
        let current = self.discovery.read().map(|d| d.clone()).unwrap_or(Discovery::Pending { error: None, attempted: None });
        match current {
            Discovery::Ready(d) => return Ok(d),
            Discovery::Pending { error: Some(e), attempted: Some(at) } if at.elapsed() < DISCOVERY_RETRY => {
                return Err(LoginFailure::Unavailable(e));
            }
            Discovery::Pending { .. } => {}
        }
        // Discovery also fetches the JWKS; the recorder keeps that response's lifetime.
        let recorder = LifetimeRecorder::new(&self.http, self.jwks_min_lifetime());
        match CoreProviderMetadata::discover_async(self.issuer.clone(), &recorder).await {
            Ok(md) => {
                let keys_expire_at = Instant::now() + recorder.lifetime_of(md.jwks_uri().url());
                let discovered = Discovered { metadata: Arc::new(md), keys_expire_at };
                if let Ok(mut d) = self.discovery.write() {
                    *d = Discovery::Ready(discovered.clone());
                }
                tracing::info!("provider discovered");
                Ok(discovered)
            }
            Err(err) => {
                // Includes a discovery document whose `issuer` differs from ours: refused
                // before anyone is sent to that provider.
                let message = self.unreachable_message();
                tracing::warn!(error = %error_chain(&err), "provider discovery failed");
                if let Ok(mut d) = self.discovery.write() {
                    *d = Discovery::Pending { error: Some(message.clone()), attempted: Some(Instant::now()) };
                }
                Err(LoginFailure::Unavailable(message))
            }
        }
    }

    fn unreachable_message(&self) -> String {
        format!("{} is not reachable or misconfigured", self.settings.display_name())
    }

    fn jwks_min_lifetime(&self) -> Duration {
        self.settings.jwks_min_lifetime
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
        let secret = match &self.apple {
            Some(apple) => match apple.current(chrono::Utc::now().timestamp()) {
                Ok(jwt) => Some(ClientSecret::new(jwt)),
                // The key signed at start-up: this cannot happen short of memory corruption;
                // the token request then fails with Apple's invalid_client, logged.
                Err(e) => {
                    tracing::error!(error = %e, "minting Apple's client secret failed");
                    None
                }
            },
            None => self.settings.client_secret.as_ref().map(|s| ClientSecret::new(s.expose_secret().to_string())),
        };
        let client = CoreClient::from_provider_metadata(md.clone(), ClientId::new(self.settings.client.client_id.clone()), secret)
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
        if self.apple.is_some() {
            // Apple posts its answer to the callback (required with the name and email scopes).
            request = request.add_extra_param("response_mode", "form_post");
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
        let discovered = self.discovered().await?;
        // RFC 9207 2.4: when the provider promises `iss` on every authorization response, one
        // without it did not come from that provider (mix-up). Refused before the code is
        // redeemed anywhere.
        if iss.is_none() && discovered.metadata.additional_metadata().additional_metadata.iss_parameter_supported() {
            return Err(LoginFailure::BadCallback("the provider advertises the iss parameter (RFC 9207) but the response has none".into()));
        }
        // A JWKS past its lifetime is fetched again before any token is verified with it.
        let (md, keys_just_fetched) = if Instant::now() >= discovered.keys_expire_at {
            let fresh = self.fetch_jwks(&discovered.metadata).await.map_err(|e| {
                tracing::warn!(error = %e, "JWKS refetch after its lifetime failed");
                LoginFailure::Unavailable(self.unreachable_message())
            })?;
            tracing::info!("JWKS refetched: its lifetime was over");
            (fresh, true)
        } else {
            (discovered.metadata, false)
        };
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

        let client_id = self.settings.client.client_id.as_str();
        let mut md = md;
        // An unknown kid may mean a rotation since the JWKS was fetched, unless it was just
        // fetched.
        let mut may_refetch = !keys_just_fetched;
        let subject = loop {
            let client = self.client(&md);
            let verifier = client
                .id_token_verifier()
                .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(CLOCK_LEEWAY_SECS))
                // openidconnect accepts any iat; one beyond the leeway in the future is a
                // token minted ahead of time (or by a provider with a broken clock).
                .set_issue_time_verifier_fn(|iat| {
                    let latest = chrono::Utc::now() + chrono::Duration::seconds(CLOCK_LEEWAY_SECS);
                    if iat > latest {
                        Err(format!("issued in the future ({iat}), beyond the {CLOCK_LEEWAY_SECS} s leeway"))
                    } else {
                        Ok(())
                    }
                });
            match id_token.claims(&verifier, &nonce) {
                Ok(claims) => {
                    // openidconnect 4.1 compares only aud (its azp check is commented out): an
                    // azp names the client the token was issued to, and that must be us even
                    // when aud lists us alone (OIDC Core 3.1.3.7, step 5).
                    if let Some(azp) = claims.authorized_party() {
                        if azp.as_str() != client_id {
                            return Err(LoginFailure::InvalidIdToken(format!("azp {} is not this connection's client id", azp.as_str())));
                        }
                    }
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
                Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) if may_refetch => {
                    // The provider may have rotated its keys since we fetched them.
                    may_refetch = false;
                    md = self
                        .refresh_jwks(&md)
                        .await
                        .map_err(|e| LoginFailure::InvalidIdToken(format!("no key matches the ID token ({e})")))?;
                    let client = self.client(&md);
                    let verifier = client.id_token_verifier();
                    if matches!(id_token.signing_key(&verifier), Err(SignatureVerificationError::NoMatchingKey)) {
                        return Err(LoginFailure::InvalidIdToken("no key in the provider's JWKS matches the ID token".into()));
                    }
                }
                Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                    return Err(LoginFailure::InvalidIdToken("no key in the provider's JWKS matches the ID token".into()));
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
    pub(crate) fn browser_endpoints(&self) -> Vec<Url> {
        let mut urls = vec![self.issuer.url().clone()];
        if let Ok(Discovery::Ready(d)) = self.discovery.read().map(|d| d.clone()) {
            let md = d.metadata;
            urls.push(md.authorization_endpoint().url().clone());
            if let Some(end) = &md.additional_metadata().end_session_endpoint {
                urls.push(end.url().clone());
            }
        }
        urls
    }

    /// Where to send the browser to end its session at the provider, if it offers that.
    pub(crate) fn end_session_url(&self, id_token: &str, post_logout_redirect: &str) -> Option<Url> {
        let md = match self.discovery.read().map(|d| d.clone()) {
            Ok(Discovery::Ready(d)) => d.metadata,
            _ => return None,
        };
        let endpoint = md.additional_metadata().end_session_endpoint.clone()?;
        let id_token: CoreIdToken = id_token.parse().ok()?;
        let redirect = PostLogoutRedirectUrl::new(post_logout_redirect.to_string()).ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(&id_token)
                .set_client_id(ClientId::new(self.settings.client.client_id.clone()))
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
        let fresh = self.fetch_jwks(md).await?;
        tracing::info!("JWKS refreshed after an unknown key id");
        Ok(fresh)
    }

    /// Fetches the JWKS again and keeps it, with its lifetime, for the next sign-ins.
    async fn fetch_jwks(&self, md: &CoreProviderMetadata) -> Result<Arc<CoreProviderMetadata>, String> {
        let recorder = LifetimeRecorder::new(&self.http, self.jwks_min_lifetime());
        let jwks = JsonWebKeySet::fetch_async(md.jwks_uri(), &recorder).await.map_err(|e| error_chain(&e))?;
        let keys_expire_at = Instant::now() + recorder.lifetime_of(md.jwks_uri().url());
        let fresh = Arc::new(md.clone().set_jwks(jwks));
        if let Ok(mut d) = self.discovery.write() {
            *d = Discovery::Ready(Discovered { metadata: fresh.clone(), keys_expire_at });
        }
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

/// Our provider HTTP client as openidconnect's fetchers see it, also remembering how long each
/// response may be cached: the library hands back only parsed bodies, and a JWKS's lifetime
/// is in its headers.
struct LifetimeRecorder<'a> {
    http: &'a reqwest::Client,
    floor: Duration,
    /// (URL, lifetime) of each response, in order.
    seen: Mutex<Vec<(String, Duration)>>,
}

impl<'a> LifetimeRecorder<'a> {
    fn new(http: &'a reqwest::Client, floor: Duration) -> Self {
        Self { http, floor, seen: Mutex::new(Vec::new()) }
    }

    /// The lifetime of the response from `url`; the default one if none was seen.
    fn lifetime_of(&self, url: &Url) -> Duration {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        seen.into_iter()
            .rev()
            .find(|(seen_url, _)| Url::parse(seen_url).is_ok_and(|u| u == *url))
            .map_or_else(|| jwks_lifetime(&HeaderMap::new(), self.floor), |(_, lifetime)| lifetime)
    }
}

impl<'c> AsyncHttpClient<'c> for LifetimeRecorder<'_> {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let url = request.uri().to_string();
        Box::pin(async move {
            let response = self.http.call(request).await?;
            let lifetime = jwks_lifetime(response.headers(), self.floor);
            if let Ok(mut seen) = self.seen.lock() {
                seen.push((url, lifetime));
            }
            Ok(response)
        })
    }
}

/// How long a JWKS response may be trusted (RFC 9111, as a private cache): its
/// `Cache-Control: max-age` less the `Age` it already spent in caches; `no-store` or
/// `no-cache` count as zero; without `max-age`, [`JWKS_DEFAULT_LIFETIME`]. Always at least
/// `floor` (so a provider cannot make us refetch at every sign-in) and at most a day (so a
/// removed key does not stay trusted for long).
fn jwks_lifetime(headers: &HeaderMap, floor: Duration) -> Duration {
    let mut max_age: Option<u64> = None;
    let mut uncacheable = false;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                uncacheable = true;
            } else if name.eq_ignore_ascii_case("max-age") {
                if let Some(secs) = argument.and_then(|a| a.parse::<u64>().ok()) {
                    // Conflicting directives: the most conservative one wins.
                    max_age = Some(max_age.map_or(secs, |m| m.min(secs)));
                }
            }
        }
    }
    let age = headers.get(header::AGE).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
    let secs = match (uncacheable, max_age) {
        (true, _) => 0,
        (false, Some(max_age)) => max_age.saturating_sub(age),
        (false, None) => JWKS_DEFAULT_LIFETIME.as_secs(),
    };
    Duration::from_secs(secs.max(floor.as_secs()).min(JWKS_MAX_LIFETIME_SECS))
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
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
