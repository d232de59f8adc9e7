//! The OAuth2 authorization-code flow with PKCE and state that the providers without an ID
//! token share (GitHub, Facebook): the browser is sent to the provider, and the code it comes
//! back with is exchanged for an access token. What each provider's API is then asked differs
//! (`github`, `facebook`).

use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{error::LoginFailure, oidc::error_chain, transaction::Transaction};

pub struct CodeFlow {
    name: String,
    client_id: String,
    client_secret: SecretString,
    authorize_url: AuthUrl,
    token_url: TokenUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
}

impl CodeFlow {
    pub fn new(
        name: &str,
        client_id: &str,
        client_secret: &SecretString,
        authorize_url: &Url,
        token_url: &Url,
        public_url: &Url,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        Ok(Self {
            name: name.to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.clone(),
            authorize_url: AuthUrl::from_url(authorize_url.clone()),
            token_url: TokenUrl::from_url(token_url.clone()),
            redirect: RedirectUrl::new(super::callback_url(public_url, name)).map_err(|e| e.to_string())?,
            http,
        })
    }

    /// Where signing in sends the browser (the CSP's `form-action` must allow it).
    pub fn authorize_url(&self) -> &Url {
        self.authorize_url.url()
    }

    /// The client for the provider's API calls after the exchange.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn client(
        &self,
    ) -> BasicClient<oauth2::EndpointSet, oauth2::EndpointNotSet, oauth2::EndpointNotSet, oauth2::EndpointNotSet, oauth2::EndpointSet> {
        BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose_secret().to_string()))
            .set_auth_uri(self.authorize_url.clone())
            .set_token_uri(self.token_url.clone())
            .set_redirect_uri(self.redirect.clone())
    }

    /// Where to send the browser, its `state`, and the transaction to keep.
    pub fn start(&self, scopes: Vec<String>, return_to: String, link_user: Option<String>) -> (Url, String, Transaction) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
        for scope in scopes {
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

    /// The access token the code (with this attempt's PKCE verifier) is exchanged for.
    pub async fn access_token(&self, tx: &Transaction, code: String) -> Result<String, LoginFailure> {
        let token = self
            .client()
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(tx.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginFailure::Exchange(error_chain(&e)))?;
        Ok(token.access_token().secret().clone())
    }
}
