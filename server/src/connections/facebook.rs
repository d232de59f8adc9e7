//! Facebook Login: OAuth2 only (no ID token). The code flow with PKCE and state, then the
//! Graph API: `GET /me?fields=id,name,first_name,last_name,email,picture` — the app-scoped
//! `id` is the subject, `email` is there only when the person granted it. Graph calls carry
//! `appsecret_proof` (HMAC-SHA256 of the token with the app secret), as Facebook recommends:
//! a leaked token alone cannot be replayed from elsewhere.

use hmac::{Hmac, Mac};
use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use super::{error::LoginFailure, oidc::error_chain, settings::FacebookSettings, transaction::Transaction, ProviderLogin};

/// The fields asked of `/me`.
pub const ME_FIELDS: &str = "id,name,first_name,last_name,email,picture.type(large)";

pub struct FacebookConnection {
    name: String,
    settings: FacebookSettings,
    authorize_url: AuthUrl,
    token_url: TokenUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
}

impl FacebookConnection {
    pub fn new(name: &str, settings: FacebookSettings, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            authorize_url: AuthUrl::from_url(settings.authorize_url.clone()),
            token_url: TokenUrl::from_url(settings.token_url.clone()),
            redirect: RedirectUrl::new(super::callback_url(public_url, name)).map_err(|e| e.to_string())?,
            settings,
            http,
        })
    }

    pub fn settings(&self) -> &FacebookSettings {
        &self.settings
    }

    /// Where signing in sends the browser (the CSP's `form-action` must allow it).
    pub fn authorize_url(&self) -> &Url {
        self.authorize_url.url()
    }

    fn client(
        &self,
    ) -> BasicClient<oauth2::EndpointSet, oauth2::EndpointNotSet, oauth2::EndpointNotSet, oauth2::EndpointNotSet, oauth2::EndpointSet> {
        BasicClient::new(ClientId::new(self.settings.client.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.settings.client_secret.expose_secret().to_string()))
            .set_auth_uri(self.authorize_url.clone())
            .set_token_uri(self.token_url.clone())
            .set_redirect_uri(self.redirect.clone())
    }

    pub fn start(&self, return_to: String, link_user: Option<String>) -> (Url, String, Transaction) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
        for scope in self.settings.scopes() {
            request = request.add_scope(Scope::new(scope));
        }
        let (url, state) = request.url();
        let tx = Transaction {
            connection: self.name.clone(),
            nonce: None,
            pkce_verifier: verifier.secret().clone(),
            return_to,
            link_user,
            created_at: chrono::Utc::now().timestamp(),
        };
        (url, state.secret().clone(), tx)
    }

    #[tracing::instrument(skip_all, fields(connection = %self.name))]
    pub async fn finish(&self, tx: &Transaction, code: String) -> Result<ProviderLogin, LoginFailure> {
        let token = self
            .client()
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(tx.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginFailure::Exchange(error_chain(&e)))?;
        let access = token.access_token().secret().clone();
        let me = self.me(&access).await?;
        let id = match me.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(LoginFailure::InvalidUserinfo("Facebook /me has no id".into())),
        };
        Ok(ProviderLogin { subject: id, profile_data: me, id_token: None })
    }

    async fn me(&self, token: &str) -> Result<Value, LoginFailure> {
        let mut url = self.settings.graph_url.join("me").map_err(|e| LoginFailure::Internal(e.to_string()))?;
        let proof = appsecret_proof(token, &self.settings).map_err(|e| LoginFailure::Internal(e.to_string()))?;
        url.query_pairs_mut().append_pair("fields", ME_FIELDS).append_pair("appsecret_proof", &proof);
        let res = self.http.get(url).bearer_auth(token).send().await.map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(LoginFailure::InvalidUserinfo(format!("Facebook /me: status {}", res.status())));
        }
        res.json().await.map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))
    }
}

/// `appsecret_proof`: hex HMAC-SHA256 of the access token, keyed with the app secret.
pub fn appsecret_proof(token: &str, settings: &FacebookSettings) -> Result<String, hmac::digest::InvalidLength> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(settings.client_secret.expose_secret().as_bytes())?;
    mac.update(token.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}
