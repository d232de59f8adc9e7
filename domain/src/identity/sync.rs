//! Which provider values are copied onto the profile at a login, per the connection's
//! "sync root attributes" policy. Pure: the identity service applies the result.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::profile::RootAttribute;

/// A connection's policy for copying the provider's values onto the profile's root.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPolicy {
    /// The provider is the source of truth: its values overwrite the profile at each login.
    #[default]
    OnEachLogin,
    /// Copied when the identity is first seen; the person may change them afterwards.
    OnFirstLogin,
    /// Only fill attributes the profile does not have yet.
    Never,
}

/// What this login should write: the provider's values for the attributes the policy lets
/// through. `current` says which attributes the profile has a value for.
pub fn attributes_to_write(
    policy: SyncPolicy,
    first_login_of_identity: bool,
    provided: &[(RootAttribute, Value)],
    has_value: impl Fn(RootAttribute) -> bool,
) -> Vec<(RootAttribute, Value)> {
    provided
        .iter()
        .filter(|(attr, _)| match policy {
            SyncPolicy::OnEachLogin => true,
            SyncPolicy::OnFirstLogin => first_login_of_identity || !has_value(*attr),
            SyncPolicy::Never => !has_value(*attr),
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn provided() -> Vec<(RootAttribute, Value)> {
        vec![(RootAttribute::GivenName, json!("Ada")), (RootAttribute::Picture, json!("https://x/p.png"))]
    }

    #[test]
    fn on_each_login_overwrites_everything_the_provider_sent() {
        let w = attributes_to_write(SyncPolicy::OnEachLogin, false, &provided(), |_| true);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn on_first_login_writes_all_once_then_only_fills_gaps() {
        assert_eq!(attributes_to_write(SyncPolicy::OnFirstLogin, true, &provided(), |_| true).len(), 2);
        let later = attributes_to_write(SyncPolicy::OnFirstLogin, false, &provided(), |a| a == RootAttribute::GivenName);
        assert_eq!(later, vec![(RootAttribute::Picture, json!("https://x/p.png"))]);
    }

    #[test]
    fn never_only_fills_missing_attributes_even_on_the_first_login() {
        let w = attributes_to_write(SyncPolicy::Never, true, &provided(), |a| a == RootAttribute::Picture);
        assert_eq!(w, vec![(RootAttribute::GivenName, json!("Ada"))]);
    }
}
