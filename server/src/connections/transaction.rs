//! One sign-in attempt at a provider, remembered in the browser's session between the
//! redirect out (`/auth/{c}/start`) and the way back (`/auth/{c}/callback`).
//!
//! Keyed by its `state`, so several tabs can sign in at once; removed when the callback reads
//! it, so a replayed callback finds nothing; and it expires, so an abandoned attempt cannot
//! be completed hours later.

use chrono::Utc;
use serde::{Deserialize, Serialize};

/// How long a sign-in at the provider may take.
pub const MAX_AGE_SECS: i64 = 15 * 60;

#[derive(Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub connection: String,
    pub nonce: Option<String>,
    pub pkce_verifier: String,
    pub return_to: String,
    /// Set when a signed-in user is linking another account to their profile.
    pub link_user: Option<String>,
    pub created_at: i64,
}

// Hand-written: the nonce and PKCE verifier must not reach logs.
impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("connection", &self.connection)
            .field("return_to", &self.return_to)
            .field("link_user", &self.link_user)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl Transaction {
    pub(crate) fn session_key(state: &str) -> String {
        format!("oidc.tx.{state}")
    }

    pub(crate) fn is_expired(&self) -> bool {
        Utc::now().timestamp() - self.created_at > MAX_AGE_SECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(created_at: i64) -> Transaction {
        Transaction {
            connection: "google".into(),
            nonce: Some("n-secret".into()),
            pkce_verifier: "v-secret".into(),
            return_to: "/".into(),
            link_user: None,
            created_at,
        }
    }

    #[test]
    fn debug_output_hides_the_nonce_and_verifier() {
        let text = format!("{:?}", tx(0));
        assert!(!text.contains("n-secret") && !text.contains("v-secret"), "{text}");
    }

    #[test]
    fn transactions_expire_after_fifteen_minutes() {
        let now = Utc::now().timestamp();
        assert!(!tx(now - 60).is_expired());
        assert!(tx(now - MAX_AGE_SECS - 1).is_expired());
    }
}
