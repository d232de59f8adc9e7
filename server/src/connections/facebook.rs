//! Facebook Login: OAuth2 only (no ID token). The code flow with PKCE and state, then the
//! Graph API: `GET /me?fields=id,name,first_name,last_name,email,picture` — the app-scoped
//! `id` is the subject, `email` is there only when the person granted it. Graph calls carry
//! `appsecret_proof` (HMAC-SHA256 of the token with the app secret), as Facebook recommends:
//! a leaked token alone cannot be replayed from elsewhere.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use super::{
    code_flow::CodeFlow, error::LoginFailure, oidc::error_chain, settings::FacebookSettings, transaction::Transaction, ProviderLogin,
};

/// The fields asked of `/me`.
pub const ME_FIELDS: &str = "id,name,first_name,last_name,email,picture.type(large)";

pub struct FacebookConnection {
    name: String,
    settings: FacebookSettings,
    flow: CodeFlow,
}

impl FacebookConnection {
    pub fn new(name: &str, settings: FacebookSettings, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        let flow = CodeFlow::new(
            name,
            &settings.client.client_id,
            &settings.client_secret,
            &settings.authorize_url,
            &settings.token_url,
            public_url,
            http,
        )?;
        Ok(Self { name: name.to_string(), settings, flow })
    }

    pub fn settings(&self) -> &FacebookSettings {
        &self.settings
    }

    /// Where signing in sends the browser (the CSP's `form-action` must allow it).
    pub fn authorize_url(&self) -> &Url {
        self.flow.authorize_url()
    }

    pub fn start(&self, return_to: String, link_user: Option<String>) -> (Url, String, Transaction) {
        self.flow.start(self.settings.scopes(), return_to, link_user)
    }

    #[tracing::instrument(skip_all, fields(connection = %self.name))]
    pub async fn finish(&self, tx: &Transaction, code: String) -> Result<ProviderLogin, LoginFailure> {
        let access = self.flow.access_token(tx, code).await?;
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
        let res = self.flow.http().get(url).bearer_auth(token).send().await.map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))?;
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
