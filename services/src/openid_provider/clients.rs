//! The applications that sign people in through AskOnce (or, for machine clients, call its
//! API as themselves): registered in `askonce.toml` (`[clients.<client_id>]`, rewritten at each
//! start) and in the console and over `/api/v2/clients` ([`super::applications`]).
//!
//! A confidential client's secret is kept as a SHA-256 hash; several may be valid at once
//! while one is rotated. A public client (a single-page or native app) has none and must use
//! PKCE.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use domain::openid_provider::application::{Application, ApplicationSettings, ApplicationSource, SecretInfo};

use super::{
    keys::SigningAlg,
    scope::{CLIENT_SCOPES, OFFLINE_ACCESS, PROMPT, TOKEN_EXCHANGE},
    secret, AppType,
};
use crate::entities::oauth_clients;

/// The shortest secret accepted from a configuration file: 256 bits of base64.
pub const MIN_SECRET_LEN: usize = 32;

/// Claims a released `user_metadata` key may not be named after (they would read as the
/// registered claim of that name in an application that flattens the namespaced claim).
const REGISTERED_CLAIMS: [&str; 32] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
    "scope",
    "client_id",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "locale",
    "updated_at",
];

/// An application as a site owner describes it (in `askonce.toml`; the console's form later).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub name: String,
    pub app_type: AppType,
    /// A confidential client's secret (at least 32 characters). Prefer the environment:
    /// `ASKONCE_CLIENTS__<ID>__CLIENT_SECRET`.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Where AskOnce may send people back (exact addresses; no wildcards).
    #[serde(default)]
    pub callbacks: Vec<String>,
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// Scopes it may ask for; `openid profile email` unless set.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// `user_metadata` keys it receives, under the namespaced claim; nothing else leaves.
    #[serde(default)]
    pub released_fields: Vec<String>,
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// The site's own application (the default): people are not asked to consent. A partner's
    /// app (`false`) shows the consent screen the first time and whenever it asks for more.
    #[serde(default = "first_party", alias = "is_first_party")]
    pub first_party: bool,
    #[serde(default = "default_access_token_secs")]
    pub access_token_lifetime_secs: u32,
    #[serde(default = "default_id_token_secs")]
    pub id_token_lifetime_secs: u32,
    #[serde(default = "default_refresh_token_secs")]
    pub refresh_token_lifetime_secs: u32,
    /// Where a logout token is posted when the person signs out of AskOnce (OpenID Connect
    /// Back-Channel Logout 1.0).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// How its ID tokens are signed: `RS256` (the default) or `EdDSA` (Ed25519). The name is
    /// OpenID Connect Dynamic Client Registration's.
    #[serde(default = "default_id_token_alg")]
    pub id_token_signed_response_alg: String,
}

impl ClientSettings {
    /// The settings the console or the API sent, with the secret AskOnce made for them.
    pub fn from_application(app: ApplicationSettings, client_secret: Option<String>) -> ClientSettings {
        let scopes = app.scopes.unwrap_or_else(|| if app.app_type.signs_people_in() { default_scopes() } else { Vec::new() });
        ClientSettings {
            name: app.name,
            app_type: app.app_type,
            client_secret,
            callbacks: app.callbacks,
            allowed_logout_urls: app.allowed_logout_urls,
            web_origins: app.web_origins,
            scopes,
            released_fields: app.released_fields,
            logo_uri: app.logo_uri,
            first_party: app.is_first_party,
            access_token_lifetime_secs: app.access_token_lifetime_secs.unwrap_or_else(default_access_token_secs),
            id_token_lifetime_secs: app.id_token_lifetime_secs.unwrap_or_else(default_id_token_secs),
            refresh_token_lifetime_secs: app.refresh_token_lifetime_secs.unwrap_or_else(default_refresh_token_secs),
            backchannel_logout_uri: app.backchannel_logout_uri,
            id_token_signed_response_alg: app.id_token_signed_response_alg.unwrap_or_else(default_id_token_alg),
        }
    }
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("name", &self.name)
            .field("app_type", &self.app_type)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[redacted]"))
            .field("callbacks", &self.callbacks)
            .field("scopes", &self.scopes)
            .field("released_fields", &self.released_fields)
            .finish_non_exhaustive()
    }
}

fn first_party() -> bool {
    true
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}
fn default_access_token_secs() -> u32 {
    600
}
fn default_id_token_secs() -> u32 {
    3600
}
fn default_refresh_token_secs() -> u32 {
    30 * 24 * 3600
}
fn default_id_token_alg() -> String {
    SigningAlg::default().as_str().to_string()
}

/// One of a client's secrets, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretHash {
    pub hash: String,
    pub created_at: DateTime<Utc>,
    /// After this the secret no longer works (the old one of a rotation).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A registered application, as the endpoints read it.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub app_type: AppType,
    pub secrets: Vec<SecretHash>,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub released_fields: Vec<String>,
    pub skip_consent: bool,
    pub logo_uri: Option<String>,
    pub access_token_secs: i64,
    pub id_token_secs: i64,
    pub refresh_token_secs: i64,
    pub backchannel_logout_uri: Option<String>,
    /// How its ID tokens are signed (access and logout tokens are RS256 whatever it says).
    pub id_token_signed_response_alg: SigningAlg,
}

impl Client {
    /// Whether `secret` is one of this client's current secrets.
    pub fn secret_matches(&self, secret: &str, now: DateTime<Utc>) -> bool {
        let hash = secret::hash(secret);
        // Every secret is compared, so the time taken does not tell which one matched.
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|e| e > now)).fold(false, |found, s| found | secret::equal(&s.hash, &hash))
    }

    pub fn may_use_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    pub fn policy(&self) -> super::authorization::ClientPolicy<'_> {
        super::authorization::ClientPolicy { app_type: self.app_type, callbacks: &self.callbacks, scopes: &self.scopes }
    }
}

/// Why a client's settings were refused, in words for the site owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("application {client_id}: {problem}")]
pub struct InvalidClient {
    pub client_id: String,
    pub problem: String,
}

/// The grant types an application of `app_type` uses.
pub fn grant_types_for(app_type: AppType, scopes: &[String]) -> Vec<String> {
    if !app_type.signs_people_in() {
        return vec!["client_credentials".to_string()];
    }
    let mut grants = vec!["authorization_code".to_string()];
    if scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        grants.push("refresh_token".to_string());
    }
    if scopes.iter().any(|s| s == PROMPT) {
        grants.push(TOKEN_EXCHANGE.to_string());
    }
    grants
}

/// Checks `settings` for client `client_id`.
pub fn validate(client_id: &str, settings: &ClientSettings) -> Result<(), InvalidClient> {
    let refuse = |problem: String| Err(InvalidClient { client_id: client_id.to_string(), problem });
    if client_id.is_empty()
        || client_id.len() > 128
        || !client_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return refuse("a client_id is 1–128 letters, digits, '-', '_' or '.'".into());
    }
    if settings.name.trim().is_empty() || settings.name.chars().count() > 128 {
        return refuse("name must be 1–128 characters".into());
    }
    match (&settings.client_secret, settings.app_type.is_public()) {
        (Some(_), true) => {
            return refuse(format!("a {} application cannot keep a secret: remove client_secret", settings.app_type.as_str()))
        }
        (None, false) => return refuse("a confidential application needs a client_secret".into()),
        (Some(s), false) if s.len() < MIN_SECRET_LEN => {
            return refuse(format!("client_secret must be at least {MIN_SECRET_LEN} characters"))
        }
        // The documentation's examples once said "change-me": a copied example is a
        // published secret.
        (Some(s), false) if s.to_ascii_lowercase().contains("change-me") || s.to_ascii_lowercase().contains("changeme") => {
            return refuse("client_secret is an example's placeholder: make one with `openssl rand -base64 32`".into())
        }
        _ => {}
    }
    if settings.app_type.signs_people_in() && settings.callbacks.is_empty() {
        return refuse("callbacks must list at least one address to return to".into());
    }
    for callback in &settings.callbacks {
        if let Err(problem) = check_redirect_address(callback, settings.app_type) {
            return refuse(format!("callback {callback:?}: {problem}"));
        }
    }
    for url in &settings.allowed_logout_urls {
        if let Err(problem) = check_redirect_address(url, settings.app_type) {
            return refuse(format!("allowed_logout_urls {url:?}: {problem}"));
        }
    }
    for origin in &settings.web_origins {
        if let Err(problem) = check_origin(origin) {
            return refuse(format!("web_origins {origin:?}: {problem}"));
        }
    }
    if settings.app_type.signs_people_in() {
        if let Some(scope) = settings.scopes.iter().find(|s| !CLIENT_SCOPES.contains(&s.as_str())) {
            return refuse(format!("unknown scope {scope:?} (supported: {})", CLIENT_SCOPES.join(", ")));
        }
        if !settings.scopes.iter().any(|s| s == "openid") {
            return refuse("scopes must include openid".into());
        }
        // Prompt tokens write answers into people's profiles, and nobody is asked to allow
        // them: only the site's own applications may have them.
        if !settings.first_party && settings.scopes.iter().any(|s| s == PROMPT) {
            return refuse("the prompt scope is for the site's own (first-party) applications only".into());
        }
    } else {
        // A machine signs nobody in: it is granted management API scopes, and nothing else.
        if !settings.callbacks.is_empty() || !settings.allowed_logout_urls.is_empty() || settings.backchannel_logout_uri.is_some() {
            return refuse("a machine application (non_interactive) signs nobody in: remove its callbacks and logout addresses".into());
        }
        if settings.scopes.is_empty() {
            return refuse("a machine application needs scopes: the API scopes it may be granted, like read:users".into());
        }
        if let Some(Err(unknown)) = settings.scopes.iter().map(|s| s.parse::<domain::api_scope::Scope>()).find(Result::is_err) {
            return refuse(unknown.to_string());
        }
        if !settings.released_fields.is_empty() {
            return refuse("a machine application receives no profile fields: remove released_fields".into());
        }
        if !settings.web_origins.is_empty() {
            return refuse("a machine application runs on a server, not in a browser: remove web_origins".into());
        }
        // The audit log names the machine by its id (64 characters at most there).
        if client_id.len() > 64 {
            return refuse("a machine application's client_id is at most 64 characters".into());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = settings.scopes.iter().find(|s| !seen.insert(s.as_str())) {
        return refuse(format!("scope {twice:?} is listed twice"));
    }
    for key in &settings.released_fields {
        if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return refuse(format!("released field {key:?}: a user_metadata key is letters, digits and '_'"));
        }
        if REGISTERED_CLAIMS.contains(&key.as_str()) {
            return refuse(format!("released field {key:?} has the name of a registered claim"));
        }
    }
    if let Some(logo) = &settings.logo_uri {
        if !logo.starts_with("https://") {
            return refuse("logo_uri must be an https:// address".into());
        }
    }
    if settings.access_token_lifetime_secs == 0 || settings.access_token_lifetime_secs > 86_400 {
        return refuse("access_token_lifetime_secs must be 1–86400".into());
    }
    if settings.id_token_lifetime_secs == 0 || settings.id_token_lifetime_secs > 86_400 {
        return refuse("id_token_lifetime_secs must be 1–86400".into());
    }
    if settings.refresh_token_lifetime_secs == 0 || settings.refresh_token_lifetime_secs > 366 * 86_400 {
        return refuse("refresh_token_lifetime_secs must be 1–31622400 (a year)".into());
    }
    if let Some(uri) = &settings.backchannel_logout_uri {
        // Posted to by the server, never a browser: no private-use scheme, and (Back-Channel
        // Logout 1.0 §2.2) no fragment.
        if let Err(problem) = check_redirect_address(uri, AppType::RegularWeb) {
            return refuse(format!("backchannel_logout_uri {uri:?}: {problem}"));
        }
    }
    if SigningAlg::parse(&settings.id_token_signed_response_alg).is_none() {
        let supported: Vec<&str> = SigningAlg::ALL.iter().map(|alg| alg.as_str()).collect();
        return refuse(format!(
            "id_token_signed_response_alg {:?} is not one AskOnce signs with ({})",
            settings.id_token_signed_response_alg.chars().take(40).collect::<String>(),
            supported.join(" or ")
        ));
    }
    let addresses = settings.callbacks.iter().chain(&settings.allowed_logout_urls).chain(&settings.web_origins);
    if let Some(long) = addresses.chain(&settings.logo_uri).chain(&settings.backchannel_logout_uri).find(|a| a.len() > 2048) {
        return refuse(format!("{}…: an address is at most 2048 characters", long.chars().take(40).collect::<String>()));
    }
    let lists = [
        ("callbacks", &settings.callbacks),
        ("allowed_logout_urls", &settings.allowed_logout_urls),
        ("web_origins", &settings.web_origins),
        ("released_fields", &settings.released_fields),
    ];
    if let Some((name, _)) = lists.iter().find(|(_, list)| list.len() > 50) {
        return refuse(format!("{name} lists more than 50 entries"));
    }
    Ok(())
}

/// A callback or logout address: absolute, no fragment, no credentials, no wildcard; https,
/// or http on the loopback interface (RFC 8252 §7.3), or a native app's private-use scheme
/// (RFC 8252 §7.1: reverse domain name, so it contains a dot).
fn check_redirect_address(address: &str, app_type: AppType) -> Result<(), &'static str> {
    if address.contains('*') {
        return Err("wildcards are not allowed: list each address");
    }
    let url = url::Url::parse(address).map_err(|_| "not an absolute address")?;
    if url.fragment().is_some() {
        return Err("an address to return to cannot have a #fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("an address cannot carry a user name or password");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err("http:// is only allowed for 127.0.0.1, [::1] and localhost; use https://"),
        scheme if app_type == AppType::Native && scheme.contains('.') => Ok(()),
        _ => Err("use https:// (a native app may use its reverse-domain scheme, like com.example.app:/cb)"),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// A web origin: scheme, host and port only.
fn check_origin(origin: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(origin).map_err(|_| "not an origin like https://app.example")?;
    if url.origin().ascii_serialization() != origin {
        return Err("an origin is scheme://host[:port], with no path or trailing slash");
    }
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
        return Err("an origin must be https:// (or http:// on the loopback interface)");
    }
    Ok(())
}

fn json_list(value: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

impl From<oauth_clients::Model> for Client {
    fn from(m: oauth_clients::Model) -> Client {
        Client {
            app_type: AppType::parse(&m.app_type).unwrap_or(AppType::RegularWeb),
            secrets: serde_json::from_value(m.secret_hashes.clone()).unwrap_or_default(),
            callbacks: json_list(&m.callbacks),
            allowed_logout_urls: json_list(&m.allowed_logout_urls),
            web_origins: json_list(&m.web_origins),
            grant_types: json_list(&m.grant_types),
            scopes: json_list(&m.scopes),
            released_fields: json_list(&m.released_fields),
            client_id: m.client_id,
            name: m.name,
            skip_consent: m.skip_consent,
            logo_uri: m.logo_uri,
            access_token_secs: i64::from(m.access_token_secs),
            id_token_secs: i64::from(m.id_token_secs),
            refresh_token_secs: i64::from(m.refresh_token_secs),
            backchannel_logout_uri: m.backchannel_logout_uri,
            id_token_signed_response_alg: id_token_alg(m.id_token_signed_response_alg.as_deref()),
        }
    }
}

/// A stored `id_token_signed_response_alg`: NULL (a row from before the setting) is RS256,
/// as is anything unknown (written by hand: validation lets nothing else in).
fn id_token_alg(stored: Option<&str>) -> SigningAlg {
    stored.and_then(SigningAlg::parse).unwrap_or_default()
}

/// How the console and the API show a stored application (no secret, only its dates).
pub fn application(m: oauth_clients::Model, now: DateTime<Utc>) -> Application {
    let secrets: Vec<SecretHash> = serde_json::from_value(m.secret_hashes.clone()).unwrap_or_default();
    let lifetime = |secs: i32| u32::try_from(secs).unwrap_or(0);
    Application {
        app_type: AppType::parse(&m.app_type).unwrap_or(AppType::RegularWeb),
        callbacks: json_list(&m.callbacks),
        allowed_logout_urls: json_list(&m.allowed_logout_urls),
        web_origins: json_list(&m.web_origins),
        grant_types: json_list(&m.grant_types),
        scopes: json_list(&m.scopes),
        released_fields: json_list(&m.released_fields),
        is_first_party: m.skip_consent,
        access_token_lifetime_secs: lifetime(m.access_token_secs),
        id_token_lifetime_secs: lifetime(m.id_token_secs),
        refresh_token_lifetime_secs: lifetime(m.refresh_token_secs),
        source: if m.source == "config" { ApplicationSource::Config } else { ApplicationSource::Console },
        secrets: secrets
            .into_iter()
            .filter(|s| s.expires_at.is_none_or(|e| e > now))
            .map(|s| SecretInfo { created_at: s.created_at, expires_at: s.expires_at })
            .collect(),
        client_id: m.client_id,
        name: m.name,
        logo_uri: m.logo_uri,
        backchannel_logout_uri: m.backchannel_logout_uri,
        id_token_signed_response_alg: id_token_alg(m.id_token_signed_response_alg.as_deref()).as_str().to_string(),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// The row for `settings`, with `secrets` as kept.
pub(super) fn row(
    client_id: &str,
    s: &ClientSettings,
    secrets: &[SecretHash],
    source: ApplicationSource,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> oauth_clients::ActiveModel {
    oauth_clients::ActiveModel {
        client_id: Set(client_id.to_string()),
        name: Set(s.name.trim().to_string()),
        app_type: Set(s.app_type.as_str().to_string()),
        secret_hashes: Set(serde_json::to_value(secrets).unwrap_or_default()),
        callbacks: Set(serde_json::json!(s.callbacks)),
        allowed_logout_urls: Set(serde_json::json!(s.allowed_logout_urls)),
        web_origins: Set(serde_json::json!(s.web_origins)),
        grant_types: Set(serde_json::json!(grant_types_for(s.app_type, &s.scopes))),
        scopes: Set(serde_json::json!(s.scopes)),
        released_fields: Set(serde_json::json!(s.released_fields)),
        skip_consent: Set(s.first_party),
        logo_uri: Set(s.logo_uri.clone()),
        access_token_secs: Set(i32::try_from(s.access_token_lifetime_secs).unwrap_or(600)),
        id_token_secs: Set(i32::try_from(s.id_token_lifetime_secs).unwrap_or(3600)),
        refresh_token_secs: Set(i32::try_from(s.refresh_token_lifetime_secs).unwrap_or(i32::MAX)),
        backchannel_logout_uri: Set(s.backchannel_logout_uri.clone()),
        // Validated: always one of the names AskOnce signs with.
        id_token_signed_response_alg: Set(Some(id_token_alg(Some(&s.id_token_signed_response_alg)).as_str().to_string())),
        source: Set(source.as_str().to_string()),
        created_at: Set(created_at),
        updated_at: Set(now),
    }
}

/// Where a client could return to, or what kind of client it is, changed: codes and
/// authorizations issued under the old settings (a code without PKCE for what is now a
/// public client) are void.
pub(super) async fn void_pending_if_moved(
    db: &impl ConnectionTrait,
    before: &oauth_clients::Model,
    after: &ClientSettings,
) -> Result<(), DbErr> {
    if before.callbacks == serde_json::json!(after.callbacks) && before.app_type == after.app_type.as_str() {
        return Ok(());
    }
    crate::entities::oauth_codes::Entity::delete_many()
        .filter(crate::entities::oauth_codes::Column::ClientId.eq(before.client_id.as_str()))
        .exec(db)
        .await?;
    crate::entities::oauth_authorizations::Entity::delete_many()
        .filter(crate::entities::oauth_authorizations::Column::ClientId.eq(before.client_id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// The client with this id, if one is registered.
pub async fn find(db: &impl ConnectionTrait, client_id: &str) -> Result<Option<Client>, DbErr> {
    Ok(oauth_clients::Entity::find_by_id(client_id).one(db).await?.map(Client::from))
}

/// Makes the database's configured clients those of the configuration file: each is
/// written as the file says, and a configured client the file no longer lists is removed
/// (with its codes and tokens). Clients made in the console are left alone; a file's client
/// with the same id takes it over. Checks every client first and changes nothing if one is
/// invalid.
#[tracing::instrument(skip_all, fields(clients = configured.len()))]
pub async fn sync_configured(
    db: &sea_orm::DatabaseConnection,
    configured: &std::collections::BTreeMap<String, ClientSettings>,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    for (id, settings) in configured {
        validate(id, settings)?;
    }
    // A write transaction from the start: on SQLite, one that reads first and writes later
    // fails ("database is locked") when another connection wrote in between.
    let txn = crate::db::begin_write(db).await?;
    let existing = oauth_clients::Entity::find().filter(oauth_clients::Column::Source.eq("config")).all(&txn).await?;
    for gone in existing.iter().filter(|c| !configured.contains_key(&c.client_id)) {
        oauth_clients::Entity::delete_by_id(gone.client_id.clone()).exec(&txn).await?;
        tracing::info!(client_id = %gone.client_id, "removed an application no longer in the configuration");
    }
    for (id, s) in configured {
        let previous = oauth_clients::Entity::find_by_id(id.clone()).one(&txn).await?;
        let secrets: Vec<SecretHash> = match &s.client_secret {
            None => Vec::new(),
            Some(secret) => {
                let hash = secret::hash(secret);
                // Keep the date a secret was first seen, so restarts do not look like rotations.
                let kept = previous
                    .as_ref()
                    .and_then(|p| serde_json::from_value::<Vec<SecretHash>>(p.secret_hashes.clone()).ok())
                    .and_then(|old| old.into_iter().find(|h| h.hash == hash));
                vec![kept.unwrap_or(SecretHash { hash, created_at: now, expires_at: None })]
            }
        };
        let model = row(id, s, &secrets, ApplicationSource::Config, previous.as_ref().map_or(now, |p| p.created_at), now);
        match &previous {
            Some(before) => {
                void_pending_if_moved(&txn, before, s).await?;
                model.update(&txn).await?;
            }
            None => {
                model.insert(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Invalid(#[from] InvalidClient),
    #[error("could not store the applications: {0}")]
    Db(#[from] DbErr),
}

/// Whether `origin` is one of any application's `web_origins`: the browsers' cross-origin
/// calls (a single-page app at the token endpoint) are let read the answer only then.
pub async fn is_web_origin(db: &impl ConnectionTrait, origin: &str) -> Result<bool, DbErr> {
    use sea_orm::QuerySelect;
    let lists: Vec<serde_json::Value> =
        oauth_clients::Entity::find().select_only().column(oauth_clients::Column::WebOrigins).into_tuple().all(db).await?;
    Ok(lists.iter().any(|list| json_list(list).iter().any(|o| o == origin)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> ClientSettings {
        ClientSettings {
            name: "Shop".into(),
            app_type: AppType::RegularWeb,
            client_secret: Some("s".repeat(40)),
            callbacks: vec!["https://shop.example/cb".into()],
            allowed_logout_urls: vec![],
            web_origins: vec![],
            scopes: default_scopes(),
            released_fields: vec!["job_title".into()],
            logo_uri: None,
            first_party: true,
            access_token_lifetime_secs: 600,
            id_token_lifetime_secs: 3600,
            refresh_token_lifetime_secs: 86_400,
            backchannel_logout_uri: None,
            id_token_signed_response_alg: "RS256".into(),
        }
    }

    fn problem(id: &str, s: &ClientSettings) -> String {
        validate(id, s).unwrap_err().problem
    }

    #[test]
    fn a_well_formed_client_passes() {
        validate("shop", &web()).unwrap();
        let mut spa = web();
        spa.app_type = AppType::Spa;
        spa.client_secret = None;
        spa.callbacks = vec!["http://127.0.0.1:5173/cb".into(), "http://localhost/cb".into()];
        spa.web_origins = vec!["http://127.0.0.1:5173".into()];
        validate("spa", &spa).unwrap();
        let mut native = spa.clone();
        native.app_type = AppType::Native;
        native.callbacks = vec!["com.example.app:/oauth".into()];
        validate("app", &native).unwrap();
    }

    #[test]
    fn secrets_follow_the_kind_of_client() {
        let mut s = web();
        s.client_secret = None;
        assert!(problem("shop", &s).contains("needs a client_secret"));
        s.client_secret = Some("short".into());
        assert!(problem("shop", &s).contains("at least 32"));
        s.client_secret = Some("example-app-secret-change-me-0123456789".into());
        assert!(problem("shop", &s).contains("placeholder"));
        let mut spa = web();
        spa.app_type = AppType::Spa;
        assert!(problem("spa", &spa).contains("cannot keep a secret"));
    }

    #[test]
    fn callbacks_are_exact_safe_addresses() {
        for bad in [
            "https://*.shop.example/cb",
            "https://shop.example/cb#x",
            "http://shop.example/cb",
            "https://user:pw@shop.example/cb",
            "/cb",
            "javascript:alert(1)",
            "com.example.app:/cb",
        ] {
            let mut s = web();
            s.callbacks = vec![bad.into()];
            assert!(validate("shop", &s).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn released_fields_never_shadow_registered_claims() {
        let mut s = web();
        s.released_fields = vec!["email".into()];
        assert!(problem("shop", &s).contains("registered claim"));
        s.released_fields = vec!["job-title".into()];
        assert!(validate("shop", &s).is_err());
    }

    #[test]
    fn origins_are_bare() {
        let mut s = web();
        s.web_origins = vec!["https://shop.example/".into()];
        assert!(validate("shop", &s).is_err());
        s.web_origins = vec!["https://shop.example".into()];
        validate("shop", &s).unwrap();
    }

    #[test]
    fn only_a_current_secret_authenticates() {
        let now = Utc::now();
        let client = Client {
            client_id: "shop".into(),
            name: "Shop".into(),
            app_type: AppType::RegularWeb,
            secrets: vec![
                SecretHash { hash: secret::hash("old-secret"), created_at: now, expires_at: Some(now - chrono::Duration::seconds(1)) },
                SecretHash { hash: secret::hash("new-secret"), created_at: now, expires_at: None },
            ],
            callbacks: vec![],
            allowed_logout_urls: vec![],
            web_origins: vec![],
            grant_types: vec![],
            scopes: vec![],
            released_fields: vec![],
            skip_consent: true,
            logo_uri: None,
            access_token_secs: 600,
            id_token_secs: 3600,
            refresh_token_secs: 0,
            backchannel_logout_uri: None,
            id_token_signed_response_alg: SigningAlg::Rs256,
        };
        assert!(client.secret_matches("new-secret", now));
        assert!(!client.secret_matches("old-secret", now));
        assert!(!client.secret_matches("", now));
    }

    #[test]
    fn a_machine_is_granted_api_scopes_only() {
        let mut m = web();
        m.app_type = AppType::NonInteractive;
        m.callbacks = vec![];
        m.released_fields = vec![];
        m.scopes = vec!["read:users".into(), "update:clients".into()];
        validate("sync-job", &m).unwrap();
        m.scopes = vec!["openid".into()];
        assert!(problem("sync-job", &m).contains("not a scope"));
        m.scopes = vec![];
        assert!(problem("sync-job", &m).contains("needs scopes"));
        m.scopes = vec!["read:users".into()];
        m.callbacks = vec!["https://shop.example/cb".into()];
        assert!(problem("sync-job", &m).contains("signs nobody in"));
    }

    #[test]
    fn id_tokens_are_signed_rs256_or_eddsa() {
        let mut s = web();
        s.id_token_signed_response_alg = "EdDSA".into();
        validate("shop", &s).unwrap();
        for bad in ["HS256", "none", "eddsa", "ES256", ""] {
            s.id_token_signed_response_alg = bad.into();
            assert!(problem("shop", &s).contains("id_token_signed_response_alg"), "{bad} must be refused");
        }
        // Unset in the file: RS256.
        let parsed: ClientSettings = serde_json::from_value(serde_json::json!({
            "name": "Shop", "app_type": "regular_web", "callbacks": ["https://shop.example/cb"]
        }))
        .unwrap();
        assert_eq!(parsed.id_token_signed_response_alg, "RS256");
        assert_eq!(id_token_alg(None), SigningAlg::Rs256, "a row from before the setting");
        assert_eq!(id_token_alg(Some("EdDSA")), SigningAlg::EdDsa);
    }

    #[test]
    fn a_back_channel_logout_address_is_https_without_fragment() {
        let mut s = web();
        s.backchannel_logout_uri = Some("https://shop.example/logout#x".into());
        assert!(problem("shop", &s).contains("fragment"));
        s.backchannel_logout_uri = Some("http://shop.example/logout".into());
        assert!(validate("shop", &s).is_err());
        s.backchannel_logout_uri = Some("https://shop.example/backchannel".into());
        validate("shop", &s).unwrap();
    }
}
