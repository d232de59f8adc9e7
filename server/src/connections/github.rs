//! GitHub: OAuth2 only (no ID token). The code flow with PKCE and state, then the REST API:
//! `GET /user` (the account; its numeric `id` is the subject) and `GET /user/emails` (which
//! address is primary and verified).

use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use super::{error::LoginFailure, oidc::error_chain, settings::GithubSettings, transaction::Transaction, ProviderLogin};

pub struct GithubConnection {
    name: String,
    settings: GithubSettings,
    authorize_url: AuthUrl,
    token_url: TokenUrl,
    api_url: Url,
    redirect: RedirectUrl,
    http: reqwest::Client,
}

impl GithubConnection {
    pub fn new(name: &str, settings: GithubSettings, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            authorize_url: AuthUrl::from_url(settings.authorize_url.clone()),
            token_url: TokenUrl::from_url(settings.token_url.clone()),
            api_url: settings.api_url.clone(),
            redirect: RedirectUrl::new(super::callback_url(public_url, name)).map_err(|e| e.to_string())?,
            settings,
            http,
        })
    }

    pub fn settings(&self) -> &GithubSettings {
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
            .http
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
