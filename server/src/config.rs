//! Typed settings, read from one TOML file (`askonce.toml` by default) and overridden by
//! `ASKONCE_*` environment variables (`ASKONCE_DATABASE__URL` sets `database.url`).
//!
//! Every key has a default, so the app runs with no file at all. Unknown keys are errors, so
//! a typo never silently falls back to a default. Secrets are `SecretString`: their `Debug`
//! prints `[REDACTED]`.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    num::NonZeroU32,
    path::{Path, PathBuf},
    time::Duration,
};

use domain::profile::Email;
use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

/// The file read when no `--config` / `ASKONCE_CONFIG` is given (and it exists).
pub const DEFAULT_CONFIG_FILE: &str = "askonce.toml";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub log: LogSettings,
    pub rate_limit: RateLimitSettings,
    /// Identity providers, one block per connection: `[connections.google]`, each parsed by
    /// its `kind` into what that kind needs.
    pub connections: BTreeMap<crate::connections::ConnectionName, crate::connections::ConnectionSettings>,
    /// Site owners by email: they may use the console once a provider has verified that
    /// email. Removing an email here revokes it (at the next restart).
    #[serde(deserialize_with = "email_list")]
    pub admins: Vec<Email>,
    pub email: EmailSettings,
    pub activity: ActivitySettings,
    pub hooks: HooksSettings,
    /// The site's own applications that sign people in through AskOnce: `[clients.shop]`, the
    /// table's name being the `client_id` (see `services::openid_provider::clients`).
    pub clients: BTreeMap<String, services::openid_provider::clients::ClientSettings>,
    pub openid_provider: OpenIdProviderSettings,
    /// External form stages whose secret (and issuer) the file sets: `[external_forms.work]`
    /// with `secret` (32–128 bytes; better from the environment,
    /// ASKONCE_EXTERNAL_FORMS__WORK__SECRET) and optionally `issuer`.
    pub external_forms: BTreeMap<String, services::external_form::ConfiguredForm>,
}

/// AskOnce as an OpenID Provider: where the key that encrypts its signing keys comes from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenIdProviderSettings {
    /// 32 bytes in base64 (`openssl rand -base64 32`). Prefer the environment:
    /// ASKONCE_OPENID_PROVIDER__KEY_ENCRYPTION_KEY. Unset: read from (or made at first start
    /// in) `key_encryption_key_file`.
    pub key_encryption_key: Option<SecretString>,
    /// Made with mode 0600 when absent. Back it up with the database: without it the signing
    /// keys cannot be opened (new ones are made; applications re-read the keys).
    pub key_encryption_key_file: PathBuf,
    /// The signing key is replaced when it is this many days old (checked hourly); the old one
    /// stays published until the tokens it signed have expired. `0`: only `askonce keys rotate`.
    pub rotate_keys_after_days: u32,
}

impl Default for OpenIdProviderSettings {
    fn default() -> Self {
        Self { key_encryption_key: None, key_encryption_key_file: PathBuf::from("data/askonce.kek"), rotate_keys_after_days: 90 }
    }
}

impl OpenIdProviderSettings {
    /// The key-encryption key, from the setting or the file.
    pub fn key_encryption_key(
        &self,
    ) -> Result<services::openid_provider::keys::KeyEncryptionKey, services::openid_provider::keys::KeyError> {
        match &self.key_encryption_key {
            Some(key) => services::openid_provider::keys::KeyEncryptionKey::from_base64(key.expose_secret()),
            None => services::openid_provider::keys::KeyEncryptionKey::load_or_create(&self.key_encryption_key_file),
        }
    }
}

/// Calls to the site owner's hooks.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HooksSettings {
    /// Ranges of the server's own network that hooks may call: `["10.0.0.0/8"]`. Empty (the
    /// default): loopback, private, link-local, metadata and other inside addresses are
    /// refused when a hook is saved and at every connection. Read from here or the
    /// environment only, never from the API or the console.
    pub allow_private: Vec<ipnet::IpNet>,
    /// More addresses that are this server, which hooks may not call: what the server cannot
    /// see on its own interfaces — in a container, the host's public address; behind NAT, the
    /// public one; a floating IP. (Its interfaces and what `server.public_url` resolves to at
    /// start-up are refused without being listed.)
    pub own_addresses: Vec<std::net::IpAddr>,
}

impl HooksSettings {
    /// The policy, with the server's own addresses: `own_addresses` and those of `public_url`.
    pub(crate) async fn outbound_policy(&self, public_url: &Url) -> services::outbound::OutboundPolicy {
        let mut own = self.own_addresses.clone();
        own.extend(addresses_of(public_url).await);
        services::outbound::OutboundPolicy::new(self.allow_private.clone()).with_own_addresses(own)
    }
}

/// What `url`'s host is or resolves to now (a few seconds at most; none, with a warning, when
/// it does not resolve: the interfaces and `own_addresses` still hold).
async fn addresses_of(url: &Url) -> Vec<std::net::IpAddr> {
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        Some(url::Host::Ipv4(v4)) => vec![v4.into()],
        Some(url::Host::Ipv6(v6)) => vec![v6.into()],
        Some(url::Host::Domain(name)) => match tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((name, port))).await {
            Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
            _ => {
                tracing::warn!(
                    host = name,
                    "server.public_url does not resolve now: hooks refuse its address only if it is listed in hooks.own_addresses"
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    }
}

/// Outgoing email. Every message is queued in the database's outbox first; with no
/// `smtp_url` it stays there (shown in the console, logged on one line), so a fresh install
/// works without a mail server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// The relay: `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://user:password@host:465`
    /// (TLS), `smtp://127.0.0.1:1025` (plain, a local catcher only). Unset: outbox only.
    pub smtp_url: Option<SecretString>,
    /// The sender, as people see it: `AskOnce <no-reply@example.com>`.
    pub from: String,
    /// The longest one delivery may take before it is retried later.
    pub timeout_secs: u64,
    /// How often the delivery worker looks for due messages.
    pub poll_interval_secs: u64,
    /// Password accounts must open the verification link before they use the site.
    pub require_verified: bool,
    /// Email people when their account signs in from a device it never signed in from.
    pub notify_new_device: bool,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "AskOnce <no-reply@askonce.invalid>".into(),
            timeout_secs: 10,
            poll_interval_secs: 5,
            require_verified: false,
            notify_new_device: false,
        }
    }
}

impl EmailSettings {
    pub fn policy(&self) -> services::email::EmailPolicy {
        services::email::EmailPolicy { require_verified: self.require_verified, notify_new_device: self.notify_new_device }
    }
}

/// The account activity log (sign-ins, password and email changes…).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActivitySettings {
    /// Entries older than this many days are deleted. 0 keeps them for as long as the account.
    pub retention_days: u32,
}

impl Default for ActivitySettings {
    fn default() -> Self {
        Self { retention_days: 90 }
    }
}

/// A list of addresses; one that is not an address is refused, quoting it.
fn email_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Email>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| Email::parse(text).map_err(|err| serde::de::Error::custom(format!("`{text}`: {err}"))))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Sign-in attempts (password checks, provider starts and callbacks) per client IP and
    /// minute, sustained.
    pub auth_per_minute: NonZeroU32,
    /// Attempts allowed in a quick burst before the per-minute rate applies.
    pub auth_burst: NonZeroU32,
    /// Wrong passwords for one account from one client network (an IPv4 address or an IPv6
    /// /64) that lock that network out of that account until the window ends.
    pub password_failures_per_network: NonZeroU32,
    /// Wrong passwords for one account from all networks together that lock the account
    /// until the window ends.
    pub password_failures_per_account: NonZeroU32,
    /// The window, in minutes, counted from the first failure; every lock ends with it.
    pub password_failure_window_minutes: NonZeroU32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        let n = |v: u32| NonZeroU32::MIN.saturating_add(v - 1);
        Self {
            auth_per_minute: n(10),
            auth_burst: n(20),
            password_failures_per_network: n(5),
            password_failures_per_account: n(50),
            password_failure_window_minutes: n(15),
        }
    }
}

impl RateLimitSettings {
    pub(crate) fn password_failure_limits(&self) -> services::auth::throttle::FailureLimits {
        services::auth::throttle::FailureLimits {
            per_network: self.password_failures_per_network.get(),
            per_account: self.password_failures_per_account.get(),
            window: Duration::from_secs(u64::from(self.password_failure_window_minutes.get()) * 60),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The URL people use to reach AskOnce. `https://` turns on Secure, `__Host-` cookies.
    /// Emailed links start with it.
    pub public_url: Url,
    /// The site's name, as emails and page titles say it.
    pub site_name: String,
    /// The built site (wasm, js, css, assets). Defaults to `LEPTOS_SITE_ROOT` or `target/site`.
    pub site_root: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// A request still running after this many seconds is answered 408.
    pub request_timeout_secs: u64,
    /// A client must send its request headers within this many seconds (slow clients that
    /// trickle them would otherwise hold a connection open indefinitely).
    pub header_read_timeout_secs: u64,
    /// Page renders in flight at once; more wait for a slot (bounds memory under load).
    pub max_concurrent_renders: usize,
    /// Reverse proxies (CIDR blocks or addresses) whose `forwarded_header` names the client.
    /// Empty: the TCP peer is the client and forwarding headers are ignored.
    pub trusted_proxies: Vec<crate::middleware::client_ip::TrustedProxy>,
    /// The header those proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    pub forwarded_header: crate::middleware::client_ip::ForwardedHeader,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            #[allow(clippy::expect_used)] // a constant that parses
            public_url: Url::parse("http://127.0.0.1:3000").expect("constant URL"),
            site_name: "AskOnce".into(),
            site_root: None,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_concurrent_renders: 64,
            trusted_proxies: Vec::new(),
            forwarded_header: crate::middleware::client_ip::ForwardedHeader::XForwardedFor,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db?mode=rwc` or `postgres://user:password@host/db`.
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: SecretString::from("sqlite://data/askonce.db?mode=rwc"), max_connections: 10, connect_timeout_secs: 10 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// A session unused for this long ends (sliding expiry).
    pub idle_timeout_minutes: u32,
    /// A signed-in session ends this long after the sign-in, however active it is.
    pub absolute_timeout_minutes: u32,
    /// How often expired sessions are deleted from the database.
    pub cleanup_interval_secs: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        // Three days of inactivity, as Auth0's default: long enough that readers who come back
        // every few days stay signed in, short enough that an abandoned device logs out.
        // Absolute: 30 days, Auth0's default too; then people sign in again.
        Self { idle_timeout_minutes: 3 * 24 * 60, absolute_timeout_minutes: 30 * 24 * 60, cleanup_interval_secs: 60 }
    }
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter: `info`, `askonce=debug,info`, … (`RUST_LOG` wins when set).
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: LogFormat::Pretty, level: "info".into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    /// figment names the key and the file (or environment variable) it came from.
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("invalid configuration: `{key}`: {message}")]
    Value { key: &'static str, message: String },
}

impl Settings {
    /// Loads settings from `path` (which must exist), or from `askonce.toml` when it exists,
    /// or from defaults; then applies `ASKONCE_*` environment variables and validates.
    pub fn load(path: Option<&Path>) -> Result<(Settings, Option<PathBuf>), ConfigError> {
        let file = match path {
            Some(p) if !p.exists() => return Err(ConfigError::MissingFile(p.to_path_buf())),
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let mut figment = Figment::new();
        if let Some(file) = &file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let settings = Self::from_figment(figment.merge(env_provider()))?;
        Ok((settings, file))
    }

    /// Parses and validates settings from any figment (tests use in-memory TOML).
    pub fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match self.server.public_url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(ConfigError::Value {
                    key: "server.public_url",
                    message: format!("must be an http:// or https:// URL, not {other}://"),
                })
            }
        }
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::Value { key: "server.max_body_bytes", message: "must be at least 1024".into() });
        }
        if self.server.max_concurrent_renders == 0 {
            return Err(ConfigError::Value { key: "server.max_concurrent_renders", message: "must be at least 1".into() });
        }
        if self.server.request_timeout_secs == 0 {
            return Err(ConfigError::Value { key: "server.request_timeout_secs", message: "must be at least 1".into() });
        }
        if self.server.header_read_timeout_secs == 0 {
            return Err(ConfigError::Value { key: "server.header_read_timeout_secs", message: "must be at least 1".into() });
        }
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::Value { key: "database.url", message: "must start with sqlite: or postgres://".into() });
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Value { key: "database.max_connections", message: "must be at least 1".into() });
        }
        if self.session.absolute_timeout_minutes == 0 {
            return Err(ConfigError::Value { key: "session.absolute_timeout_minutes", message: "must be at least 1".into() });
        }
        if self.session.idle_timeout_minutes == 0 {
            return Err(ConfigError::Value { key: "session.idle_timeout_minutes", message: "must be at least 1".into() });
        }
        if let Err(err) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(ConfigError::Value { key: "log.level", message: err.to_string() });
        }
        Ok(())
    }

    /// Whether AskOnce is served over https (cookies become Secure and `__Host-` prefixed).
    pub(crate) fn is_https(&self) -> bool {
        self.server.public_url.scheme() == "https"
    }

    /// `scheme://host[:port]` of the public URL: what browsers send as `Origin`.
    pub(crate) fn public_origin(&self) -> String {
        self.server.public_url.origin().ascii_serialization()
    }

    pub(crate) fn db_config(&self) -> services::db::DbConfig {
        services::db::DbConfig {
            url: self.database.url.expose_secret().to_string(),
            max_connections: self.database.max_connections,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_secs),
        }
    }
}

/// `ASKONCE_SERVER__BIND=0.0.0.0:8080` sets `server.bind`. `ASKONCE_CONFIG` names the file
/// and is not a setting.
fn env_provider() -> Env {
    Env::prefixed("ASKONCE_").split("__").ignore(&["config"])
}

#[cfg(test)]
// figment::Jail's closures return figment::Error, whose size is figment's choice.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::providers::Toml;

    fn parse(toml: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(Figment::new().merge(Toml::string(toml)))
    }

    #[test]
    fn an_empty_file_gives_working_defaults() {
        let s = parse("").unwrap();
        assert_eq!(s.server.bind.port(), 3000);
        assert!(!s.is_https());
        assert_eq!(s.public_origin(), "http://127.0.0.1:3000");
    }

    #[test]
    fn the_shipped_example_file_is_valid() {
        let example = include_str!("../../askonce.example.toml");
        parse(example).unwrap();
    }

    /// A containerised server's host address, and the public URL's, are the server itself
    /// (the attack: a hook to the host's public IP reached the host's services past the
    /// cloud firewall, unseen on the container's interfaces).
    #[tokio::test]
    async fn hooks_refuse_the_listed_own_addresses_and_the_public_urls() {
        let s = parse("[server]\npublic_url = \"http://[2a01:4f8::7]:8080\"\n[hooks]\nown_addresses = [\"203.0.114.7\"]\nallow_private = [\"10.0.0.0/8\"]\n").unwrap();
        let policy = s.hooks.outbound_policy(&s.server.public_url).await;
        for own in ["203.0.114.7", "2a01:4f8::7"] {
            assert!(policy.check_ip(own.parse().unwrap()).is_err(), "{own}");
        }
        assert!(policy.check_ip("203.0.114.8".parse().unwrap()).is_ok());
        assert!(policy.check_ip("10.1.2.3".parse().unwrap()).is_ok(), "the allowed range");
    }

    #[test]
    fn the_smtp_password_never_shows_in_debug_output() {
        let s = parse("[email]\nsmtp_url = \"smtps://mailer:hunter2@relay.example.com:465\"\n").unwrap();
        assert!(s.email.smtp_url.is_some());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn a_misspelled_key_is_refused_and_named() {
        let err = parse("[server]\nbnd = \"127.0.0.1:80\"\n").unwrap_err().to_string();
        assert!(err.contains("bnd"), "{err}");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = parse("[server]\nbind = \"not an address\"\n").unwrap_err().to_string();
        assert!(err.contains("server.bind"), "{err}");
    }

    #[test]
    fn a_non_http_public_url_is_refused() {
        let err = parse("[server]\npublic_url = \"ftp://example.com\"\n").unwrap_err().to_string();
        assert!(err.contains("server.public_url"), "{err}");
    }

    #[test]
    fn an_invalid_log_filter_is_refused() {
        let err = parse("[log]\nlevel = \"=[\"\n").unwrap_err().to_string();
        assert!(err.contains("log.level"), "{err}");
    }

    #[test]
    fn the_database_password_never_appears_in_debug_output() {
        let s = parse("[database]\nurl = \"postgres://askonce:hunter2@db/askonce\"\n").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn https_public_urls_have_an_https_origin() {
        let s = parse("[server]\npublic_url = \"https://login.example.com/\"\n").unwrap();
        assert!(s.is_https());
        assert_eq!(s.public_origin(), "https://login.example.com");
    }

    #[test]
    fn environment_variables_override_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("askonce.toml", "[server]\nbind = \"127.0.0.1:4000\"\n")?;
            jail.set_env("ASKONCE_SERVER__BIND", "127.0.0.1:5000");
            jail.set_env("ASKONCE_CONFIG", "ignored-here.toml");
            let (s, file) = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.bind.port(), 5000);
            assert_eq!(file.as_deref(), Some(Path::new("askonce.toml")));
            Ok(())
        });
    }

    #[test]
    fn connections_are_read_per_provider_with_secrets_hidden() {
        let s = parse(
            "[connections.google]\nkind = \"google\"\nclient_id = \"abc.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-secret\"\n\
             [connections.corp]\nkind = \"oidc\"\nissuer = \"https://corp.okta.com\"\nclient_id = \"x\"\nsync_root_attributes = \"on_first_login\"\n",
        )
        .unwrap();
        assert_eq!(s.connections.len(), 2);
        let crate::connections::ConnectionSettings::Oidc(corp) = &s.connections["corp"] else { panic!("{s:?}") };
        assert_eq!(corp.client.sync_root_attributes, domain::identity::SyncPolicy::OnFirstLogin);
        assert_eq!(corp.issuer.as_str(), "https://corp.okta.com/");
        assert!(!format!("{s:?}").contains("GOCSPX-secret"));
    }

    #[test]
    fn a_connection_missing_what_its_kind_needs_is_named() {
        let err = parse("[connections.corp]\nkind = \"oidc\"\nclient_id = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("connections.corp") && err.contains("issuer"), "{err}");
        let err = parse("[connections.ms]\nkind = \"microsoft\"\nclient_id = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("tenant"), "{err}");
        let err = parse("[connections.Bad_Name]\nkind = \"google\"\nclient_id = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("a-z") && err.contains("Bad_Name"), "{err}");
    }

    #[test]
    fn a_connection_of_an_unknown_kind_or_with_a_key_of_another_kind_is_named() {
        let err = parse("[connections.corp]\nkind = \"saml\"\nclient_id = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("connections.corp") && err.contains("saml"), "{err}");
        let err = parse("[connections.gh]\nkind = \"github\"\nclient_id = \"x\"\nclient_secret = \"s\"\nissuer = \"https://github.com\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("connections.gh") && err.contains("issuer"), "{err}");
    }

    #[test]
    fn a_secret_from_the_environment_completes_a_connection_block() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("askonce.toml", "[connections.github]\nkind = \"github\"\nclient_id = \"Iv1.x\"\n")?;
            jail.set_env("ASKONCE_CONNECTIONS__GITHUB__CLIENT_SECRET", "from-env");
            let (s, _) = Settings::load(None).map_err(|e| e.to_string())?;
            assert!(matches!(&s.connections["github"], crate::connections::ConnectionSettings::Github(_)));
            Ok(())
        });
    }

    #[test]
    fn admins_must_be_email_addresses() {
        let admins = parse("admins = [\" Owner@Example.com \"]\n").unwrap().admins;
        assert_eq!(admins.iter().map(Email::normalized).collect::<Vec<_>>(), ["owner@example.com"]);
        let err = parse("admins = [\"owner@example.com\", \"owner\"]\n").unwrap_err().to_string();
        assert!(err.contains("admins") && err.contains("`owner`") && err.contains("email address"), "{err}");
    }

    #[test]
    fn a_malformed_admin_address_from_the_environment_is_refused_at_start_up() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ASKONCE_ADMINS", "[\"not-an-address\"]");
            let err = Settings::load(None).unwrap_err().to_string();
            // figment names it as the variable's key: `"ADMINS" in `ASKONCE_` environment variable(s)`.
            assert!(err.contains("\"ADMINS\"") && err.contains("ASKONCE_"), "{err}");
            assert!(err.contains("not-an-address"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_cidr_blocks_and_a_bad_one_is_named() {
        let s = parse("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"2001:db8::1\"]\nforwarded_header = \"forwarded\"\n").unwrap();
        let listed: Vec<String> = s.server.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(listed, ["10.0.0.0/8", "2001:db8::1/128"]);
        assert_eq!(s.server.forwarded_header, crate::middleware::client_ip::ForwardedHeader::Forwarded);
        assert!(parse("").unwrap().server.trusted_proxies.is_empty(), "no proxy is trusted by default");
        let err = parse("[server]\ntrusted_proxies = [\"10.0.0.0/40\"]\n").unwrap_err().to_string();
        assert!(err.contains("trusted_proxies") && err.contains("10.0.0.0/40"), "{err}");
    }

    #[test]
    fn password_failure_limits_default_to_5_per_network_50_per_account_per_15_minutes() {
        let limits = parse("").unwrap().rate_limit.password_failure_limits();
        assert_eq!((limits.per_network, limits.per_account, limits.window.as_secs()), (5, 50, 900));
        let err = parse("[rate_limit]\npassword_failures_per_network = 0\n").unwrap_err().to_string();
        assert!(err.contains("password_failures_per_network"), "{err}");
    }

    #[test]
    fn a_named_but_missing_file_is_an_error() {
        let err = Settings::load(Some(Path::new("/nonexistent/askonce.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::MissingFile(_)));
    }
}
