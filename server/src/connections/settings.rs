//! `[connections.<name>]` blocks of askonce.toml: one per identity provider a site owner
//! enables. Secrets come from the environment: `ASKONCE_CONNECTIONS__GOOGLE__CLIENT_SECRET`.
//!
//! A block is parsed by its `kind` into the settings that kind needs, and nothing else: an
//! OpenID Connect provider always has an issuer (preset, derived from `tenant`, or given),
//! GitHub always has a client secret and its three endpoints, local accounts have only
//! `enabled`. A key another kind uses (`tenant` on GitHub, `client_id` on `password`) is
//! refused at start-up, naming the block and the key, like any unknown key.

use std::{borrow::Borrow, fmt, time::Duration};

use domain::identity::{ProviderKind, SyncPolicy};
use figment::value::Value;
use secrecy::SecretString;
use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use url::Url;

/// The longest a JWKS is trusted without refetching, whatever its `Cache-Control` says.
pub const JWKS_MAX_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// A connection's key in the config, which is also its URL segment (`/auth/<name>/start`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionName(String);

impl ConnectionName {
    pub fn parse(name: &str) -> Result<Self, String> {
        let slug_ok =
            !name.is_empty() && name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if slug_ok {
            Ok(Self(name.to_string()))
        } else {
            Err(format!("`{name}`: a connection name must be 1–32 characters of a-z, 0-9 and -"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Looks a connection up by the name in a URL.
impl Borrow<str> for ConnectionName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ConnectionName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ConnectionName::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// One `[connections.<name>]` block, by kind.
#[derive(Debug, Clone)]
pub enum ConnectionSettings {
    /// Any OpenID Connect provider: a preset (google, microsoft, gitlab, linkedin) or `oidc`.
    Oidc(OidcSettings),
    /// GitHub: OAuth2 and its REST API (it has no ID token).
    Github(GithubSettings),
    /// Facebook Login: OAuth2 and the Graph API (no ID token).
    Facebook(FacebookSettings),
    /// Local email + password accounts.
    Password(PasswordSettings),
}

impl ConnectionSettings {
    pub fn kind(&self) -> ProviderKind {
        match self {
            ConnectionSettings::Oidc(s) => s.kind.provider_kind(),
            ConnectionSettings::Github(_) => ProviderKind::Github,
            ConnectionSettings::Facebook(_) => ProviderKind::Facebook,
            ConnectionSettings::Password(_) => ProviderKind::Password,
        }
    }

    pub fn enabled(&self) -> bool {
        match self {
            ConnectionSettings::Oidc(s) => s.client.enabled,
            ConnectionSettings::Github(s) => s.client.enabled,
            ConnectionSettings::Facebook(s) => s.client.enabled,
            ConnectionSettings::Password(s) => s.enabled,
        }
    }
}

/// What every provider people are sent to has.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The button text ("Continue with …"); defaults to the provider's name.
    pub display_name: Option<String>,
    pub enabled: bool,
    /// Never empty.
    pub client_id: String,
    /// Scopes to request, when not the kind's default; `openid` is always sent for OIDC.
    pub scopes: Option<Vec<String>>,
    pub sync_root_attributes: SyncPolicy,
}

impl ClientSettings {
    pub fn display_name(&self, kind: ProviderKind) -> String {
        self.display_name.clone().unwrap_or_else(|| default_display_name(kind).to_string())
    }
}

fn default_display_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Google => "Google",
        ProviderKind::Microsoft => "Microsoft",
        ProviderKind::Github => "GitHub",
        ProviderKind::Gitlab => "GitLab",
        ProviderKind::Linkedin => "LinkedIn",
        ProviderKind::Facebook => "Facebook",
        ProviderKind::Apple => "Apple",
        ProviderKind::Oidc => "Single sign-on",
        ProviderKind::Password => "Email and password",
    }
}

/// The OpenID Connect kinds: presets differ in their default issuer and in how their claims
/// are read (`domain::identity::normalize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcKind {
    /// `kind = "oidc"`: any standards-following issuer (Okta, Auth0, Keycloak…).
    Generic,
    Google,
    Microsoft,
    Gitlab,
    Linkedin,
    /// Sign in with Apple: the answer is form-posted, the client secret is a JWT signed with
    /// the site's `.p8` key (`AppleSigning`).
    Apple,
}

impl OidcKind {
    pub(crate) fn provider_kind(self) -> ProviderKind {
        match self {
            OidcKind::Generic => ProviderKind::Oidc,
            OidcKind::Google => ProviderKind::Google,
            OidcKind::Microsoft => ProviderKind::Microsoft,
            OidcKind::Gitlab => ProviderKind::Gitlab,
            OidcKind::Linkedin => ProviderKind::Linkedin,
            OidcKind::Apple => ProviderKind::Apple,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub kind: OidcKind,
    pub client: ClientSettings,
    pub client_secret: Option<SecretString>,
    /// The issuer this connection must see in discovery and in every ID token.
    pub issuer: Url,
    /// On sign-out, also end the session at the provider (OIDC RP-initiated logout) when it
    /// offers an `end_session_endpoint`.
    pub rp_initiated_logout: bool,
    /// How the client secret is sent to the token endpoint.
    pub client_auth: ClientAuth,
    /// The shortest time a fetched JWKS is trusted before it is fetched again, whatever the
    /// provider's `Cache-Control` says (at most a day): a `no-cache` or tiny `max-age` must
    /// not turn every sign-in into a JWKS request.
    pub jwks_min_lifetime: Duration,
    /// Apple only: what its client secret JWT is signed with.
    pub apple: Option<AppleSigning>,
}

/// Sign in with Apple's client secret: an ES256 JWT the site signs with the private key Apple
/// issued (the `.p8` file), naming the team and the key.
#[derive(Debug, Clone)]
pub struct AppleSigning {
    /// The Apple Developer team id (the JWT's `iss`).
    pub team_id: String,
    /// The key's id (the JWT header's `kid`).
    pub key_id: String,
    /// The `.p8` file's contents (PKCS#8 PEM): `ASKONCE_CONNECTIONS__<NAME>__PRIVATE_KEY`.
    pub private_key: SecretString,
}

impl OidcSettings {
    pub fn display_name(&self) -> String {
        self.client.display_name(self.kind.provider_kind())
    }

    pub fn scopes(&self) -> Vec<String> {
        let default = match self.kind {
            // Apple has no `profile` scope; `name` is the name sent on the first sign-in.
            OidcKind::Apple => vec!["openid".into(), "name".into(), "email".into()],
            _ => vec!["openid".into(), "email".into(), "profile".into()],
        };
        self.client.scopes.clone().unwrap_or(default)
    }
}

#[derive(Debug, Clone)]
pub struct GithubSettings {
    pub client: ClientSettings,
    /// GitHub's OAuth apps always need one.
    pub client_secret: SecretString,
    /// github.com's endpoints unless set (GitHub Enterprise Server).
    pub authorize_url: Url,
    pub token_url: Url,
    pub api_url: Url,
}

impl GithubSettings {
    pub fn scopes(&self) -> Vec<String> {
        self.client.scopes.clone().unwrap_or_else(|| vec!["read:user".into(), "user:email".into()])
    }
}

#[derive(Debug, Clone)]
pub struct FacebookSettings {
    pub client: ClientSettings,
    /// The app secret: Facebook apps always have one.
    pub client_secret: SecretString,
    /// facebook.com's endpoints unless set (tests, a pinned Graph API version).
    pub authorize_url: Url,
    pub token_url: Url,
    /// The Graph API's base, with its version: `https://graph.facebook.com/v19.0/`.
    pub graph_url: Url,
}

impl FacebookSettings {
    pub fn scopes(&self) -> Vec<String> {
        self.client.scopes.clone().unwrap_or_else(|| vec!["public_profile".into(), "email".into()])
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    /// Local accounts are offered unless a `password` block turns them off.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

fn enabled_by_default() -> bool {
    true
}

fn default_jwks_min_lifetime_secs() -> u64 {
    60
}

// ---------------------------------------------------------------------------------------
// Parsing: the block as written, then the settings of its kind.

/// The keys an OIDC block may have. Kept apart from [`OidcSettings`]: `issuer` and `tenant`
/// become one issuer, and which of them a kind needs is decided by [`OidcBlock::settings`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcBlock {
    display_name: Option<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    client_id: String,
    client_secret: Option<SecretString>,
    /// Required for `oidc`; preset for google, gitlab (override for self-hosted) and
    /// linkedin; derived from `tenant` for microsoft.
    issuer: Option<Url>,
    /// Microsoft Entra tenant id (or domain).
    tenant: Option<String>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    sync_root_attributes: SyncPolicy,
    #[serde(default)]
    rp_initiated_logout: bool,
    #[serde(default)]
    client_auth: ClientAuth,
    #[serde(default = "default_jwks_min_lifetime_secs")]
    jwks_min_lifetime_secs: u64,
    /// Apple: the team id, the key id and the `.p8` private key.
    team_id: Option<String>,
    key_id: Option<String>,
    private_key: Option<SecretString>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GithubBlock {
    display_name: Option<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    client_id: String,
    /// Optional here only so that its absence gets a message saying where to set it.
    client_secret: Option<SecretString>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    sync_root_attributes: SyncPolicy,
    authorize_url: Option<Url>,
    token_url: Option<Url>,
    api_url: Option<Url>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FacebookBlock {
    display_name: Option<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    client_id: String,
    client_secret: Option<SecretString>,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    sync_root_attributes: SyncPolicy,
    authorize_url: Option<Url>,
    token_url: Option<Url>,
    graph_url: Option<Url>,
}

impl FacebookBlock {
    fn settings(self) -> Result<FacebookSettings, String> {
        let client_secret =
            self.client_secret.ok_or("needs `client_secret` (set ASKONCE_CONNECTIONS__<NAME>__CLIENT_SECRET)".to_string())?;
        let endpoint = |configured: Option<Url>, default: &str| configured.map_or_else(|| preset(default), Ok);
        let graph_url = endpoint(self.graph_url, "https://graph.facebook.com/v19.0/")?;
        if !graph_url.path().ends_with('/') {
            return Err("`graph_url` must end with / (https://graph.facebook.com/v19.0/)".into());
        }
        Ok(FacebookSettings {
            client: client(self.display_name, self.enabled, self.client_id, self.scopes, self.sync_root_attributes)?,
            client_secret,
            authorize_url: endpoint(self.authorize_url, "https://www.facebook.com/v19.0/dialog/oauth")?,
            token_url: endpoint(self.token_url, "https://graph.facebook.com/v19.0/oauth/access_token")?,
            graph_url,
        })
    }
}

fn client(
    display_name: Option<String>,
    enabled: bool,
    client_id: String,
    scopes: Option<Vec<String>>,
    sync_root_attributes: SyncPolicy,
) -> Result<ClientSettings, String> {
    if client_id.trim().is_empty() {
        return Err("`client_id` must not be empty".into());
    }
    Ok(ClientSettings { display_name, enabled, client_id, scopes, sync_root_attributes })
}

fn preset(url: &str) -> Result<Url, String> {
    Url::parse(url).map_err(|e| format!("preset issuer {url}: {e}"))
}

impl OidcBlock {
    fn settings(self, kind: OidcKind) -> Result<OidcSettings, String> {
        if self.tenant.is_some() && kind != OidcKind::Microsoft {
            return Err("`tenant` applies to kind = \"microsoft\" only".into());
        }
        let apple =
            match (kind, self.team_id, self.key_id, self.private_key) {
                (OidcKind::Apple, Some(team_id), Some(key_id), Some(private_key)) => {
                    if self.client_secret.is_some() {
                        return Err("Apple's client secret is made from `private_key`: leave `client_secret` out".into());
                    }
                    Some(AppleSigning { team_id, key_id, private_key })
                }
                (OidcKind::Apple, ..) => return Err(
                    "needs `team_id`, `key_id` and `private_key` (the .p8 file's contents; set ASKONCE_CONNECTIONS__<NAME>__PRIVATE_KEY)"
                        .into(),
                ),
                (_, None, None, None) => None,
                _ => return Err("`team_id`, `key_id` and `private_key` apply to kind = \"apple\" only".into()),
            };
        // A configured issuer always wins (self-hosted GitLab, a sovereign Microsoft cloud).
        let issuer = match (kind, self.issuer, self.tenant) {
            (_, Some(issuer), _) => issuer,
            (OidcKind::Google, None, _) => preset("https://accounts.google.com")?,
            (OidcKind::Gitlab, None, _) => preset("https://gitlab.com")?,
            (OidcKind::Linkedin, None, _) => preset("https://www.linkedin.com/oauth")?,
            (OidcKind::Apple, None, _) => preset("https://appleid.apple.com")?,
            (OidcKind::Microsoft, None, Some(tenant)) => preset(&format!("https://login.microsoftonline.com/{tenant}/v2.0"))?,
            (OidcKind::Microsoft, None, None) => return Err("needs `tenant` (your Entra tenant id) or `issuer`".into()),
            (OidcKind::Generic, None, _) => return Err("needs `issuer`".into()),
        };
        if self.jwks_min_lifetime_secs > JWKS_MAX_LIFETIME_SECS {
            return Err(format!("`jwks_min_lifetime_secs` must be at most {JWKS_MAX_LIFETIME_SECS} (a day)"));
        }
        Ok(OidcSettings {
            kind,
            client: client(self.display_name, self.enabled, self.client_id, self.scopes, self.sync_root_attributes)?,
            client_secret: self.client_secret,
            issuer,
            rp_initiated_logout: self.rp_initiated_logout,
            // Apple takes the client secret in the body only.
            client_auth: if kind == OidcKind::Apple { ClientAuth::ClientSecretPost } else { self.client_auth },
            jwks_min_lifetime: Duration::from_secs(self.jwks_min_lifetime_secs),
            apple,
        })
    }
}

impl GithubBlock {
    fn settings(self) -> Result<GithubSettings, String> {
        let client_secret =
            self.client_secret.ok_or("needs `client_secret` (set ASKONCE_CONNECTIONS__<NAME>__CLIENT_SECRET)".to_string())?;
        let endpoint = |configured: Option<Url>, default: &str| configured.map_or_else(|| preset(default), Ok);
        Ok(GithubSettings {
            client: client(self.display_name, self.enabled, self.client_id, self.scopes, self.sync_root_attributes)?,
            client_secret,
            authorize_url: endpoint(self.authorize_url, "https://github.com/login/oauth/authorize")?,
            token_url: endpoint(self.token_url, "https://github.com/login/oauth/access_token")?,
            api_url: endpoint(self.api_url, "https://api.github.com/")?,
        })
    }
}

/// Deserializes the rest of a block (without `kind`). An error inside it keeps the key it
/// is about (`issuer`, `client_auth`…) in the message: figment then adds the block's own key.
fn keys_of<T: DeserializeOwned>(rest: &Value) -> Result<T, String> {
    rest.deserialize().map_err(|e| if e.path.is_empty() { e.kind.to_string() } else { format!("`{}`: {}", e.path.join("."), e.kind) })
}

impl ConnectionSettings {
    /// Parses one block: its `kind` decides which keys it may and must have.
    fn from_block(block: Value) -> Result<Self, String> {
        let Value::Dict(tag, mut keys) = block else {
            return Err("a connection is a table of keys: [connections.<name>]".into());
        };
        let kind: ProviderKind = match keys.remove("kind") {
            Some(kind) => keys_of(&kind).map_err(|e| format!("`kind`: {e}"))?,
            None => {
                return Err("missing field `kind` (google, microsoft, github, gitlab, linkedin, facebook, apple, oidc or password)".into())
            }
        };
        let rest = Value::Dict(tag, keys);
        let oidc = |kind: OidcKind| keys_of::<OidcBlock>(&rest)?.settings(kind).map(ConnectionSettings::Oidc);
        match kind {
            ProviderKind::Oidc => oidc(OidcKind::Generic),
            ProviderKind::Google => oidc(OidcKind::Google),
            ProviderKind::Microsoft => oidc(OidcKind::Microsoft),
            ProviderKind::Gitlab => oidc(OidcKind::Gitlab),
            ProviderKind::Linkedin => oidc(OidcKind::Linkedin),
            ProviderKind::Github => keys_of::<GithubBlock>(&rest)?.settings().map(ConnectionSettings::Github),
            ProviderKind::Facebook => keys_of::<FacebookBlock>(&rest)?.settings().map(ConnectionSettings::Facebook),
            ProviderKind::Apple => oidc(OidcKind::Apple),
            ProviderKind::Password => keys_of::<PasswordSettings>(&rest).map(ConnectionSettings::Password),
        }
    }
}

impl<'de> Deserialize<'de> for ConnectionSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Buffered as figment's own value tree: `kind` may come after the keys it governs.
        ConnectionSettings::from_block(<Value as Deserialize>::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::{providers::Format, Figment};
    use secrecy::ExposeSecret;

    fn block(toml: &str) -> Result<ConnectionSettings, String> {
        Figment::new().merge(figment::providers::Toml::string(toml)).extract::<ConnectionSettings>().map_err(|e| e.to_string())
    }

    #[test]
    fn presets_resolve_their_issuer_and_a_configured_one_wins() {
        let ConnectionSettings::Oidc(google) = block("kind = \"google\"\nclient_id = \"x\"").unwrap() else { panic!() };
        assert_eq!(google.issuer.as_str(), "https://accounts.google.com/");
        assert_eq!(google.display_name(), "Google");
        let ConnectionSettings::Oidc(ms) = block("kind = \"microsoft\"\ntenant = \"t-1\"\nclient_id = \"x\"").unwrap() else { panic!() };
        assert_eq!(ms.issuer.as_str(), "https://login.microsoftonline.com/t-1/v2.0");
        let ConnectionSettings::Oidc(gl) = block("kind = \"gitlab\"\nissuer = \"https://git.example.com\"\nclient_id = \"x\"").unwrap()
        else {
            panic!()
        };
        assert_eq!(gl.issuer.as_str(), "https://git.example.com/");
        assert_eq!(gl.scopes(), ["openid", "email", "profile"]);
    }

    #[test]
    fn apple_needs_its_key_not_a_client_secret() {
        let key = "kind = \"apple\"\nclient_id = \"com.example\"\nteam_id = \"T\"\nkey_id = \"K\"\nprivate_key = \"pem\"";
        let ConnectionSettings::Oidc(apple) = block(key).unwrap() else { panic!() };
        assert_eq!(apple.issuer.as_str(), "https://appleid.apple.com/");
        assert_eq!(apple.scopes(), ["openid", "name", "email"]);
        assert_eq!(apple.client_auth, ClientAuth::ClientSecretPost);
        assert_eq!(apple.display_name(), "Apple");
        assert!(block("kind = \"apple\"\nclient_id = \"x\"").unwrap_err().contains("team_id"));
        assert!(block(&format!("{key}\nclient_secret = \"s\"")).unwrap_err().contains("client_secret"));
        assert!(block("kind = \"google\"\nclient_id = \"x\"\nteam_id = \"T\"").unwrap_err().contains("apple"));
    }

    #[test]
    fn facebook_gets_the_graph_endpoints_and_needs_a_secret() {
        let ConnectionSettings::Facebook(fb) = block("kind = \"facebook\"\nclient_id = \"x\"\nclient_secret = \"s\"").unwrap() else {
            panic!()
        };
        assert_eq!(fb.graph_url.as_str(), "https://graph.facebook.com/v19.0/");
        assert_eq!(fb.authorize_url.as_str(), "https://www.facebook.com/v19.0/dialog/oauth");
        assert_eq!(fb.scopes(), ["public_profile", "email"]);
        assert!(block("kind = \"facebook\"\nclient_id = \"x\"").unwrap_err().contains("client_secret"));
        assert!(block("kind = \"facebook\"\nclient_id = \"x\"\nclient_secret = \"s\"\ntenant = \"t\"").is_err(), "no OIDC keys");
    }

    #[test]
    fn github_gets_its_endpoints_and_needs_a_secret() {
        let ConnectionSettings::Github(gh) = block("kind = \"github\"\nclient_id = \"x\"\nclient_secret = \"s\"").unwrap() else {
            panic!()
        };
        assert_eq!(gh.api_url.as_str(), "https://api.github.com/");
        assert_eq!(gh.client_secret.expose_secret(), "s");
        assert_eq!(gh.scopes(), ["read:user", "user:email"]);
        let err = block("kind = \"github\"\nclient_id = \"x\"").unwrap_err();
        assert!(err.contains("client_secret") && err.contains("ASKONCE_CONNECTIONS__"), "{err}");
    }

    #[test]
    fn an_unknown_or_missing_kind_is_named() {
        let err = block("kind = \"okta\"\nclient_id = \"x\"").unwrap_err();
        assert!(err.contains("`kind`") && err.contains("okta") && err.contains("oidc"), "{err}");
        let err = block("client_id = \"x\"").unwrap_err();
        assert!(err.contains("missing field `kind`"), "{err}");
    }

    #[test]
    fn a_key_of_another_kind_is_refused() {
        let err = block("kind = \"github\"\nclient_id = \"x\"\nclient_secret = \"s\"\ntenant = \"t\"").unwrap_err();
        assert!(err.contains("tenant"), "{err}");
        let err = block("kind = \"google\"\nclient_id = \"x\"\ntenant = \"t\"").unwrap_err();
        assert!(err.contains("`tenant` applies to kind = \"microsoft\" only"), "{err}");
        let err = block("kind = \"password\"\nclient_id = \"x\"").unwrap_err();
        assert!(err.contains("client_id"), "{err}");
        let err = block("kind = \"github\"\nclient_id = \"x\"\nclient_secret = \"s\"\nrp_initiated_logout = true").unwrap_err();
        assert!(err.contains("rp_initiated_logout"), "{err}");
    }

    #[test]
    fn a_missing_or_bad_key_is_named() {
        assert!(block("kind = \"oidc\"\nclient_id = \"x\"").unwrap_err().contains("needs `issuer`"));
        assert!(block("kind = \"microsoft\"\nclient_id = \"x\"").unwrap_err().contains("tenant"));
        assert!(block("kind = \"google\"").unwrap_err().contains("missing field `client_id`"));
        assert!(block("kind = \"google\"\nclient_id = \"  \"").unwrap_err().contains("client_id"));
        let err = block("kind = \"oidc\"\nclient_id = \"x\"\nissuer = \"not a url\"").unwrap_err();
        assert!(err.contains("`issuer`"), "{err}");
        let err = block("kind = \"oidc\"\nclient_id = \"x\"\nissuer = \"https://i\"\njwks_min_lifetime_secs = 86401").unwrap_err();
        assert!(err.contains("jwks_min_lifetime_secs"), "{err}");
    }

    #[test]
    fn password_has_only_enabled() {
        let ConnectionSettings::Password(p) = block("kind = \"password\"\nenabled = false").unwrap() else { panic!() };
        assert!(!p.enabled);
        let on = block("kind = \"password\"").unwrap();
        assert!(on.enabled() && on.kind() == ProviderKind::Password);
    }

    #[test]
    fn connection_names_are_url_slugs() {
        assert!(ConnectionName::parse("corp-sso2").is_ok());
        let too_long = "x".repeat(33);
        for bad in ["", "Bad_Name", "a/b", too_long.as_str()] {
            assert!(ConnectionName::parse(bad).unwrap_err().contains("a-z"), "{bad}");
        }
    }
}
