//! GitHub: OAuth2 only (no ID token). The code flow with PKCE and state, then the REST API:
//! `GET /user` (the account; its numeric `id` is the subject) and `GET /user/emails` (which
//! address is primary and verified).

use serde_json::Value;
use url::Url;

use super::{
    code_flow::CodeFlow, error::LoginFailure, oidc::error_chain, settings::GithubSettings, transaction::Transaction, ProviderLogin,
};

pub struct GithubConnection {
    name: String,
    settings: GithubSettings,
    flow: CodeFlow,
    api_url: Url,
}

impl GithubConnection {
    pub fn new(name: &str, settings: GithubSettings, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        let flow = CodeFlow::new(
            name,
            &settings.client.client_id,
            &settings.client_secret,
            &settings.authorize_url,
            &settings.token_url,
            public_url,
            http,
        )?;
        Ok(Self { name: name.to_string(), api_url: settings.api_url.clone(), settings, flow })
    }

    pub fn settings(&self) -> &GithubSettings {
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
        let mut user = self.api_get(&access, "user").await?;
        let id = match user.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(LoginFailure::InvalidUserinfo("GitHub /user has no id".into())),
        };
        // Without the user:email scope this answers 403/404: the profile simply has no
        // verified email then.
        match self.api_get(&access, "user/emails").await {
            Ok(emails @ Value::Array(_)) => {
                if let Value::Object(map) = &mut user {
                    map.insert("emails".into(), emails);
                }
            }
            Ok(_) | Err(_) => tracing::info!("GitHub /user/emails unavailable; continuing without it"),
        }
        Ok(ProviderLogin { subject: id, profile_data: user, id_token: None })
    }

    async fn api_get(&self, token: &str, path: &str) -> Result<Value, LoginFailure> {
        let url = self.api_url.join(path).map_err(|e| LoginFailure::Internal(e.to_string()))?;
        let res = self
            .flow
            .http()
            .get(url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(LoginFailure::InvalidUserinfo(format!("GitHub {path}: status {}", res.status())));
        }
        res.json().await.map_err(|e| LoginFailure::InvalidUserinfo(error_chain(&e)))
    }
}
