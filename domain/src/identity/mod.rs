//! Identity providers ("connections"), how their claims become profile attributes, and the
//! login-time upsert of identities keyed by (connection, sub).

pub mod local;
pub mod normalize;
pub mod primary;
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

/// A connection as people know it: "Email and password" for local accounts, the configured
/// display name ("Google") for a provider, the bare name when it is no longer configured.
pub fn connection_label(name: &str, known: &[ConnectionSummary]) -> String {
    if name == PASSWORD_CONNECTION {
        return "Email and password".into();
    }
    known.iter().find(|c| c.name == name).map(|c| c.display_name.clone()).unwrap_or_else(|| name.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_read_as_people_know_them() {
        let known =
            [ConnectionSummary { name: "google".into(), display_name: "Google".into(), kind: ProviderKind::Oidc, unavailable: None }];
        assert_eq!(connection_label(PASSWORD_CONNECTION, &known), "Email and password");
        assert_eq!(connection_label("google", &known), "Google");
        assert_eq!(connection_label("retired", &known), "retired");
    }
}
