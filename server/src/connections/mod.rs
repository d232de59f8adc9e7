//! The identity providers a site owner configured (`[connections.<name>]`), built into
//! relying-party clients at start-up. A provider that is down or misconfigured does not stop
//! the app: its button says so and the others keep working.

pub mod apple;
pub mod code_flow;
pub mod error;
pub mod facebook;
pub mod github;
pub mod oidc;
pub mod settings;
pub mod transaction;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use domain::identity::{ConnectionDirectory, ConnectionSummary, ProviderKind, SyncPolicy};
use serde_json::Value;
use url::Url;

pub use error::LoginFailure;
pub use settings::{ConnectionName, ConnectionSettings};
pub use transaction::Transaction;

/// Who signed in at a provider: the subject (`sub`, or GitHub's numeric id) and the raw
/// claims / REST payload, kept on the identity as `profile_data`.
#[derive(Debug)]
pub struct ProviderLogin {
    pub subject: String,
    pub profile_data: Value,
    /// The verified ID token (OIDC), kept for `id_token_hint` at logout.
    pub id_token: Option<String>,
}

/// `{public_url}/auth/{name}/callback`: the redirect URI to register at the provider.
pub(crate) fn callback_url(public_url: &Url, name: &str) -> String {
    format!("{}/auth/{name}/callback", public_url.as_str().trim_end_matches('/'))
}

// A handful of these live for the whole process: their size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Provider {
    Oidc(oidc::OidcConnection),
    Github(github::GithubConnection),
    Facebook(facebook::FacebookConnection),
}

pub struct Connection {
    pub name: String,
    pub provider: Provider,
}

impl Connection {
    fn client(&self) -> &settings::ClientSettings {
        match &self.provider {
            Provider::Oidc(c) => &c.settings().client,
            Provider::Github(c) => &c.settings().client,
            Provider::Facebook(c) => &c.settings().client,
        }
    }

    pub fn kind(&self) -> ProviderKind {
        match &self.provider {
            Provider::Oidc(c) => c.settings().kind.provider_kind(),
            Provider::Github(_) => ProviderKind::Github,
            Provider::Facebook(_) => ProviderKind::Facebook,
        }
    }

    pub fn display_name(&self) -> String {
        self.client().display_name(self.kind())
    }

    pub(crate) fn sync_policy(&self) -> SyncPolicy {
        self.client().sync_root_attributes
    }

    pub(crate) fn connection_ref(&self) -> services::identity::ConnectionRef {
        services::identity::ConnectionRef { name: self.name.clone(), kind: self.kind(), sync: self.sync_policy() }
    }

    /// Where to send the browser, the state, and the transaction to remember.
    pub async fn start(&self, return_to: String, link_user: Option<String>) -> Result<(Url, String, Transaction), LoginFailure> {
        match &self.provider {
            Provider::Oidc(c) => c.start(return_to, link_user).await,
            Provider::Github(c) => Ok(c.start(return_to, link_user)),
            Provider::Facebook(c) => Ok(c.start(return_to, link_user)),
        }
    }

    pub async fn finish(&self, tx: &Transaction, code: String, iss: Option<&str>) -> Result<ProviderLogin, LoginFailure> {
        match &self.provider {
            Provider::Oidc(c) => c.finish(tx, code, iss).await,
            Provider::Github(c) => c.finish(tx, code).await,
            Provider::Facebook(c) => c.finish(tx, code).await,
        }
    }
}

/// All configured connections, by name.
pub struct ConnectionRegistry {
    connections: BTreeMap<String, Arc<Connection>>,
    password_enabled: bool,
    /// Where the provider sends people after RP-initiated logout: our home page.
    post_logout_redirect: String,
}

/// The HTTP client for talking to providers: redirects off (a redirect could point us at an
/// internal address — SSRF), and timeouts so a hung provider cannot hang a login.
pub(crate) fn provider_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        // Drop idle connections before the provider does. A server closes a keep-alive
        // connection after its own idle timeout (Node's default: 5 s); a request sent on it at
        // that moment fails with "connection reset" — under load it failed 5 of 200 token
        // exchanges (BENCHMARKS.md, "Load, side by side"). 4 s stays below the shortest
        // common server timeout and still reuses connections across a burst of sign-ins.
        .pool_idle_timeout(Duration::from_secs(4))
        .user_agent(concat!("AskOnce/", env!("CARGO_PKG_VERSION")))
        .build()
}

impl ConnectionRegistry {
    /// Builds the registry from the parsed settings: a client per enabled provider.
    pub fn new(configured: &BTreeMap<ConnectionName, ConnectionSettings>, public_url: &Url, http: reqwest::Client) -> Result<Self, String> {
        let mut connections = BTreeMap::new();
        let mut password_enabled = true;
        for (name, settings) in configured {
            let name = name.as_str();
            let provider = match settings {
                ConnectionSettings::Password(password) => {
                    password_enabled = password.enabled;
                    continue;
                }
                _ if !settings.enabled() => continue,
                ConnectionSettings::Facebook(settings) => Provider::Facebook(
                    facebook::FacebookConnection::new(name, settings.clone(), public_url, http.clone())
                        .map_err(|e| format!("connections.{name}: {e}"))?,
                ),
                ConnectionSettings::Github(settings) => Provider::Github(
                    github::GithubConnection::new(name, settings.clone(), public_url, http.clone())
                        .map_err(|e| format!("connections.{name}: {e}"))?,
                ),
                ConnectionSettings::Oidc(settings) => Provider::Oidc(
                    oidc::OidcConnection::new(name, settings.clone(), public_url, http.clone())
                        .map_err(|e| format!("connections.{name}: {e}"))?,
                ),
            };
            connections.insert(name.to_string(), Arc::new(Connection { name: name.to_string(), provider }));
        }
        Ok(Self { connections, password_enabled, post_logout_redirect: format!("{}/", public_url.as_str().trim_end_matches('/')) })
    }

    pub fn get(&self, name: &str) -> Option<Arc<Connection>> {
        self.connections.get(name).cloned()
    }

    /// The origins a form post to AskOnce may redirect the browser to: each provider's
    /// authorization (and end-session) endpoint. Browsers apply the CSP's `form-action` to
    /// the redirects after a form post, so the forms that start a sign-in or a link (and a
    /// sign-out without JavaScript) need these listed.
    pub(crate) fn form_action_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .connections
            .values()
            .flat_map(|c| match &c.provider {
                Provider::Oidc(o) => o.browser_endpoints(),
                Provider::Github(g) => vec![g.authorize_url().clone()],
                Provider::Facebook(f) => vec![f.authorize_url().clone()],
            })
            .map(|url| url.origin())
            .filter(url::Origin::is_tuple)
            .map(|origin| origin.ascii_serialization())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// Discovers every OIDC provider in the background, so the first sign-in is fast and the
    /// login page can show which ones are down.
    pub(crate) fn discover_all_in_background(self: &Arc<Self>) {
        for connection in self.connections.values() {
            if let Provider::Oidc(_) = &connection.provider {
                let connection = connection.clone();
                tokio::spawn(async move {
                    if let Provider::Oidc(c) = &connection.provider {
                        let _ = c.metadata().await;
                    }
                });
            }
        }
    }
}

impl ConnectionDirectory for ConnectionRegistry {
    fn summaries(&self) -> Vec<ConnectionSummary> {
        self.connections
            .values()
            .map(|c| ConnectionSummary {
                name: c.name.clone(),
                display_name: c.display_name(),
                kind: c.kind(),
                unavailable: match &c.provider {
                    Provider::Oidc(o) => o.unavailable_reason(),
                    Provider::Github(_) | Provider::Facebook(_) => None,
                },
            })
            .collect()
    }

    fn password_enabled(&self) -> bool {
        self.password_enabled
    }

    fn sync_policy(&self, connection: &str) -> Option<SyncPolicy> {
        self.connections.get(connection).map(|c| c.sync_policy())
    }

    fn end_session_url(&self, connection: &str, id_token: &str) -> Option<String> {
        match &self.connections.get(connection)?.provider {
            Provider::Oidc(o) if o.settings().rp_initiated_logout => {
                o.end_session_url(id_token, &self.post_logout_redirect).map(|u| u.to_string())
            }
            Provider::Oidc(_) | Provider::Github(_) | Provider::Facebook(_) => None,
        }
    }
}
