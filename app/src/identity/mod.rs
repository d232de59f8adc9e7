//! Identity providers ("connections"), how their claims become profile attributes, and the
//! login-time upsert of identities keyed by (connection, sub).

pub mod local;
pub mod normalize;
pub mod primary;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod sync;

use serde::{Deserialize, Serialize};

pub use local::PASSWORD_CONNECTION;
pub use normalize::{normalize, source_claim, NormalizedAttributes, ProviderKind};
pub use sync::SyncPolicy;

/// The evidence an identity's latest claims give that one address is verified: the
/// provider asserted that address *and* said it is verified.
pub fn email_evidence(
    connection: &str,
    kind: ProviderKind,
    profile_data: &serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<crate::profile::EmailEvidence> {
    let attrs = normalize(kind, profile_data);
    let email = attrs.email.filter(|_| attrs.email_verified == Some(true))?;
    let claim = source_claim(kind, crate::profile::RootAttribute::EmailVerified).to_string();
    Some(crate::profile::EmailEvidence::new(&email, crate::profile::Source::Claim { connection: connection.to_string(), claim }, at))
}

/// What the login page shows for one enabled connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSummary {
    /// URL slug: `/auth/{name}/start`.
    pub name: String,
    pub display_name: String,
    pub kind: ProviderKind,
    /// Why the connection cannot be used right now (provider unreachable, misconfigured).
    pub unavailable: Option<String>,
}

/// Lists the configured connections; implemented by the server's provider registry.
pub trait ConnectionDirectory: Send + Sync {
    fn summaries(&self) -> Vec<ConnectionSummary>;
    /// Whether local email + password accounts are offered.
    fn password_enabled(&self) -> bool;
    /// The provider URL that ends the person's session there too (RP-initiated logout), when
    /// the connection enables it and the provider offers it.
    fn end_session_url(&self, _connection: &str, _id_token: &str) -> Option<String> {
        None
    }
    /// The connection's "sync root attributes" policy (`None`: unknown or local accounts).
    fn sync_policy(&self, _connection: &str) -> Option<SyncPolicy> {
        None
    }
}
