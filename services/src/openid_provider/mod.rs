//! The OpenID Provider: AskOnce signing people in to the site owner's own applications.
//!
//! - [`clients`]: the registered applications (from `askonce.toml`, the console and
//!   `/api/v2/clients`), their secrets (kept hashed) and what they may receive;
//!   [`applications`] registers, changes and rotates them;
//! - [`keys`]: the signing keys, kept in the database with private parts encrypted by the
//!   key-encryption key;
//! - [`authorizations`]: a request in flight while the person signs in and answers, bound to
//!   their browser session;
//! - [`codes`]: authorization codes (one use, 60 seconds, PKCE);
//! - [`tokens`]: ID tokens and JWT access tokens (RFC 9068), and the record that lets them be
//!   revoked;
//! - [`backchannel`]: logout tokens to applications when a session ends;
//! - [`claims`]: what a person's profile says to an application, by scope and released fields.
//!
//! The rules with no I/O (checking a request, scopes, app types, error codes) are
//! `domain::openid_provider`, re-exported here. The HTTP endpoints are
//! `server::routes::openid_provider`.

pub use domain::openid_provider::*;

pub mod applications;
pub mod authorizations;
pub mod backchannel;
pub mod claims;
pub mod clients;
pub mod codes;
pub mod discovery;
pub mod exchange;
pub mod grants;
pub mod keys;
pub mod logout;
pub mod refresh;
pub mod tokens;
pub mod userinfo;

mod secret;

/// The account `user_id`, read straight from its table: the provider depends on no other
/// service (the sign-in, the profile store and identity call it, to revoke tokens).
pub(crate) async fn load_user(
    db: &impl sea_orm::ConnectionTrait,
    user_id: &domain::user_id::UserId,
) -> Result<Option<crate::entities::users::Model>, sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    crate::entities::users::Entity::find_by_id(user_id.as_str()).one(db).await
}

/// How the person signed in on the session an authorization comes from.
#[derive(Debug, Clone, Copy)]
pub struct SignedIn<'a> {
    /// When (Unix seconds): `auth_time`.
    pub at: i64,
    /// The session's handle (`sid` is derived from it).
    pub handle: &'a str,
    /// The connection that vouched, when the session says.
    pub method: Option<&'a str>,
}

/// Everything an endpoint needs of the provider: the issuer, the clients and keys' store.
#[derive(Clone)]
pub struct Provider {
    /// `public_url` without a trailing slash: the `iss` of every token (RFC 9207 compares it
    /// exactly).
    pub issuer: String,
    pub keys: keys::Keys,
}

impl Provider {
    pub fn new(issuer: &str, keys: keys::Keys) -> Provider {
        Provider { issuer: issuer.trim_end_matches('/').to_string(), keys }
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The namespaced claim under which released `user_metadata` keys go.
    pub fn user_metadata_claim(&self) -> String {
        let host = url::Url::parse(&self.issuer)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .unwrap_or_else(|| "askonce".to_string());
        format!("https://{host}/user_metadata")
    }
}
