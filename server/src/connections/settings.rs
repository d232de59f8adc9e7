//! `[connections.<name>]` blocks of askonce.toml: one per identity provider a site owner
//! enables. Secrets come from the environment: `ASKONCE_CONNECTIONS__GOOGLE__CLIENT_SECRET`.

use app::identity::{ProviderKind, SyncPolicy};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    pub kind: ProviderKind,
    /// The button text ("Continue with …"); defaults to the provider's name.
    pub display_name: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// OIDC issuer. Required for `oidc`; preset for google, gitlab (override for self-hosted)
    /// and linkedin; derived from `tenant` for microsoft.
    pub issuer: Option<Url>,
    /// Microsoft Entra tenant id (or domain).
    pub tenant: Option<String>,
    /// Scopes to request; `openid` is always added for OIDC kinds.
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub sync_root_attributes: SyncPolicy,
    /// On sign-out, also end the session at the provider (OIDC RP-initiated logout) when it
    /// offers an `end_session_endpoint`.
    #[serde(default)]
    pub rp_initiated_logout: bool,
    /// How the client secret is sent to the token endpoint.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// The shortest time a fetched JWKS is trusted before it is fetched again, whatever the
    /// provider's `Cache-Control` says (at most a day): a `no-cache` or tiny `max-age` must
    /// not turn every sign-in into a JWKS request.
    #[serde(default = "default_jwks_min_lifetime_secs")]
    pub jwks_min_lifetime_secs: u64,
    /// GitHub (OAuth2) endpoints, for GitHub Enterprise Server.
    pub authorize_url: Option<Url>,
    pub token_url: Option<Url>,
    pub api_url: Option<Url>,
}

fn enabled_by_default() -> bool {
    true
}

fn default_jwks_min_lifetime_secs() -> u64 {
    60
}

/// The longest a JWKS is trusted without refetching, whatever its `Cache-Control` says.
pub const JWKS_MAX_LIFETIME_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

impl ConnectionSettings {
    pub fn display_name(&self) -> String {
        self.display_name.clone().unwrap_or_else(|| {
            match self.kind {
                ProviderKind::Google => "Google",
                ProviderKind::Microsoft => "Microsoft",
                ProviderKind::Github => "GitHub",
                ProviderKind::Gitlab => "GitLab",
                ProviderKind::Linkedin => "LinkedIn",
                ProviderKind::Oidc => "Single sign-on",
                ProviderKind::Password => "Email and password",
            }
            .to_string()
        })
    }

    /// The issuer this connection must see in discovery and in every ID token.
    pub fn issuer(&self) -> Result<Option<Url>, String> {
        let preset = |s: &str| Url::parse(s).map(Some).map_err(|e| e.to_string());
        match (self.kind, &self.issuer) {
            (_, Some(url)) => Ok(Some(url.clone())),
            (ProviderKind::Google, None) => preset("https://accounts.google.com"),
            (ProviderKind::Gitlab, None) => preset("https://gitlab.com"),
            (ProviderKind::Linkedin, None) => preset("https://www.linkedin.com/oauth"),
            (ProviderKind::Microsoft, None) => match &self.tenant {
                Some(tenant) => preset(&format!("https://login.microsoftonline.com/{tenant}/v2.0")),
                None => Err("needs `tenant` (your Entra tenant id) or `issuer`".into()),
            },
            (ProviderKind::Oidc, None) => Err("needs `issuer`".into()),
            (ProviderKind::Github | ProviderKind::Password, None) => Ok(None),
        }
    }

    pub fn scopes(&self) -> Vec<String> {
        if let Some(scopes) = &self.scopes {
            return scopes.clone();
        }
        match self.kind {
            ProviderKind::Github => vec!["read:user".into(), "user:email".into()],
            ProviderKind::Password => vec![],
            _ => vec!["openid".into(), "email".into(), "profile".into()],
        }
    }

    /// Checks the block; `name` is its key in the config.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let slug_ok =
            !name.is_empty() && name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            return Err("the name must be 1–32 characters of a-z, 0-9 and -".into());
        }
        if self.kind == ProviderKind::Password {
            return Ok(());
        }
        if self.client_id.as_deref().is_none_or(str::is_empty) {
            return Err("needs `client_id`".into());
        }
        if self.kind == ProviderKind::Github && self.client_secret.is_none() {
            return Err("needs `client_secret` (set ASKONCE_CONNECTIONS__<NAME>__CLIENT_SECRET)".into());
        }
        if self.jwks_min_lifetime_secs > JWKS_MAX_LIFETIME_SECS {
            return Err(format!("`jwks_min_lifetime_secs` must be at most {JWKS_MAX_LIFETIME_SECS} (a day)"));
        }
        self.issuer()?;
        Ok(())
    }
}
