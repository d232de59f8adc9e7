//! An application as the console and `/api/v2/clients` show and take it: Auth0's client
//! shape where it fits (`client_id`, `name`, `app_type`, `callbacks`, `allowed_logout_urls`,
//! `web_origins`, `grant_types`, `is_first_party`, `logo_uri`), with AskOnce's own
//! `scopes` (what it may ask for, or, for a machine, which API scopes it may be granted),
//! `released_fields` and token lifetimes, and OpenID Connect Registration's
//! `id_token_signed_response_alg`. The checks are `services::openid_provider::clients`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppType;

/// What a site owner sends to register or change an application (`POST`; a `PATCH` sends
/// any of its fields). The client id and a confidential application's secret are made by
/// AskOnce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationSettings {
    /// Shown to people at sign-in and on their "Apps you signed in to" list.
    pub name: String,
    pub app_type: AppType,
    /// Where AskOnce may send people back after sign-in: exact addresses, no wildcards.
    #[serde(default)]
    pub callbacks: Vec<String>,
    /// Where AskOnce may send people after signing out (`post_logout_redirect_uri`).
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    /// Origins whose scripts may call the token, userinfo, revoke and keys endpoints.
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// For an application people sign in to: the scopes it may ask for (`openid profile
    /// email` unless set). For a machine (`non_interactive`): the management API scopes it
    /// may be granted (`read:users`…), which must be listed.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// `user_metadata` keys it receives under the namespaced claim; nothing else leaves.
    #[serde(default)]
    pub released_fields: Vec<String>,
    /// An `https://` address of the logo shown at sign-in.
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// The site's own application (the default): people are not asked to consent. A
    /// partner's application (`false`) shows the consent screen.
    #[serde(default = "yes", alias = "first_party")]
    pub is_first_party: bool,
    #[serde(default)]
    pub access_token_lifetime_secs: Option<u32>,
    #[serde(default)]
    pub id_token_lifetime_secs: Option<u32>,
    #[serde(default)]
    pub refresh_token_lifetime_secs: Option<u32>,
    /// OpenID Connect Back-Channel Logout 1.0: where AskOnce posts a logout token when the
    /// person signs out of AskOnce.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// How its ID tokens are signed: `RS256` unless set, or `EdDSA` (Ed25519). Access tokens
    /// are RS256 whatever it says. (OpenID Connect Dynamic Client Registration's name.)
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
}

fn yes() -> bool {
    true
}

/// A `PATCH`: the [`ApplicationSettings`] fields to change; absent (or null) ones stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Accepted only when it is the application's own: a kind never changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<AppType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_logout_urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_fields: Option<Vec<String>>,
    /// `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "first_party")]
    pub is_first_party: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_lifetime_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime_secs: Option<u32>,
    /// `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
}

impl ApplicationSettings {
    /// These settings with `changes` made.
    pub fn with(mut self, changes: ApplicationChanges) -> ApplicationSettings {
        let ApplicationChanges {
            name,
            app_type,
            callbacks,
            allowed_logout_urls,
            web_origins,
            scopes,
            released_fields,
            logo_uri,
            is_first_party,
            access_token_lifetime_secs,
            id_token_lifetime_secs,
            refresh_token_lifetime_secs,
            backchannel_logout_uri,
            id_token_signed_response_alg,
        } = changes;
        self.name = name.unwrap_or(self.name);
        self.app_type = app_type.unwrap_or(self.app_type);
        self.callbacks = callbacks.unwrap_or(self.callbacks);
        self.allowed_logout_urls = allowed_logout_urls.unwrap_or(self.allowed_logout_urls);
        self.web_origins = web_origins.unwrap_or(self.web_origins);
        self.scopes = scopes.or(self.scopes);
        self.released_fields = released_fields.unwrap_or(self.released_fields);
        // An empty address removes it (null, like an absent field, keeps it).
        self.logo_uri = logo_uri.map_or(self.logo_uri, |v| (!v.is_empty()).then_some(v));
        self.is_first_party = is_first_party.unwrap_or(self.is_first_party);
        self.access_token_lifetime_secs = access_token_lifetime_secs.or(self.access_token_lifetime_secs);
        self.id_token_lifetime_secs = id_token_lifetime_secs.or(self.id_token_lifetime_secs);
        self.refresh_token_lifetime_secs = refresh_token_lifetime_secs.or(self.refresh_token_lifetime_secs);
        self.backchannel_logout_uri = backchannel_logout_uri.map_or(self.backchannel_logout_uri, |v| (!v.is_empty()).then_some(v));
        self.id_token_signed_response_alg = id_token_signed_response_alg.or(self.id_token_signed_response_alg);
        self
    }
}

/// Where an application's settings live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationSource {
    /// `[clients.<id>]` in `askonce.toml`, rewritten at each start: change it there.
    Config,
    /// Made in the console or over the API.
    Console,
}

impl ApplicationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationSource::Config => "config",
            ApplicationSource::Console => "console",
        }
    }
}

/// One of an application's secrets, without the secret: when it was made and, for the old
/// one of a rotation, when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretInfo {
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A registered application, as the console and the API show it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub client_id: String,
    pub name: String,
    pub app_type: AppType,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    /// What it may use at the token endpoint, following from its type and scopes.
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub released_fields: Vec<String>,
    pub logo_uri: Option<String>,
    pub is_first_party: bool,
    pub access_token_lifetime_secs: u32,
    pub id_token_lifetime_secs: u32,
    pub refresh_token_lifetime_secs: u32,
    pub backchannel_logout_uri: Option<String>,
    /// `RS256` or `EdDSA`.
    pub id_token_signed_response_alg: String,
    pub source: ApplicationSource,
    /// The secrets that work now (two while one is being rotated); none for a public client.
    pub secrets: Vec<SecretInfo>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Application {
    /// The settings it was saved with: what a `PATCH` starts from.
    pub fn settings(&self) -> ApplicationSettings {
        ApplicationSettings {
            name: self.name.clone(),
            app_type: self.app_type,
            callbacks: self.callbacks.clone(),
            allowed_logout_urls: self.allowed_logout_urls.clone(),
            web_origins: self.web_origins.clone(),
            scopes: Some(self.scopes.clone()),
            released_fields: self.released_fields.clone(),
            logo_uri: self.logo_uri.clone(),
            is_first_party: self.is_first_party,
            access_token_lifetime_secs: Some(self.access_token_lifetime_secs),
            id_token_lifetime_secs: Some(self.id_token_lifetime_secs),
            refresh_token_lifetime_secs: Some(self.refresh_token_lifetime_secs),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            id_token_signed_response_alg: Some(self.id_token_signed_response_alg.clone()),
        }
    }
}

/// An application with a secret just made: the answer to its creation or to a rotation,
/// the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationWithSecret {
    #[serde(flatten)]
    pub application: Application,
    /// Present for a confidential application; keep it now, it is not shown again.
    pub client_secret: Option<String>,
}

/// A rotation's choice: how long the old secret keeps working beside the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateSecret {
    /// Seconds, 0 (stops at once) to 30 days; 24 hours unless set.
    #[serde(default = "one_day")]
    pub previous_secret_expires_in_secs: u32,
}

impl Default for RotateSecret {
    fn default() -> Self {
        RotateSecret { previous_secret_expires_in_secs: one_day() }
    }
}

fn one_day() -> u32 {
    86_400
}

/// The longest a rotated-out secret keeps working.
pub const MAX_SECRET_OVERLAP_SECS: u32 = 30 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth0s_is_first_party_and_the_files_first_party_both_read() {
        let a: ApplicationSettings = serde_json::from_str(r#"{"name":"Shop","app_type":"regular_web","first_party":false}"#).unwrap();
        let b: ApplicationSettings = serde_json::from_str(r#"{"name":"Shop","app_type":"regular_web","is_first_party":false}"#).unwrap();
        assert_eq!(a, b);
        assert!(!a.is_first_party);
        let unknown = serde_json::from_str::<ApplicationSettings>(r#"{"name":"Shop","app_type":"spa","client_secret":"x"}"#);
        assert!(unknown.is_err(), "a secret is never chosen by the caller");
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name_and_an_empty_address_removes_one() {
        let before = ApplicationSettings {
            name: "Shop".into(),
            app_type: AppType::RegularWeb,
            callbacks: vec!["https://shop.example/cb".into()],
            allowed_logout_urls: vec![],
            web_origins: vec![],
            scopes: None,
            released_fields: vec!["job_title".into()],
            logo_uri: Some("https://shop.example/logo.png".into()),
            is_first_party: true,
            access_token_lifetime_secs: None,
            id_token_lifetime_secs: None,
            refresh_token_lifetime_secs: None,
            backchannel_logout_uri: Some("https://shop.example/bc".into()),
            id_token_signed_response_alg: Some("EdDSA".into()),
        };
        let renamed = before.clone().with(ApplicationChanges { name: Some("The shop".into()), ..Default::default() });
        assert_eq!(renamed.name, "The shop");
        assert_eq!(renamed.released_fields, before.released_fields);
        assert_eq!(renamed.backchannel_logout_uri, before.backchannel_logout_uri);
        assert_eq!(renamed.id_token_signed_response_alg.as_deref(), Some("EdDSA"), "kept when not named");
        let rs256 = renamed.with(ApplicationChanges { id_token_signed_response_alg: Some("RS256".into()), ..Default::default() });
        assert_eq!(rs256.id_token_signed_response_alg.as_deref(), Some("RS256"));
        let cleared = before.with(ApplicationChanges {
            backchannel_logout_uri: Some(String::new()),
            logo_uri: Some(String::new()),
            ..Default::default()
        });
        assert_eq!((cleared.backchannel_logout_uri, cleared.logo_uri), (None, None));
    }
}
