//! What a sign-in through a linked identity may write. As in Auth0's account linking: the
//! root attributes come from the primary identity (`profile::primary_of`: the first one,
//! unless the person chose another on /profile); a linked
//! (secondary) identity keeps its claims in `identities[].profileData` and only fills
//! attributes the profile lacks — whatever its connection's sync policy, which applies to the
//! primary identity alone. Pure: the identity service applies the result.

use super::SyncPolicy;

/// The policy a sign-in through identity `id` writes the profile with.
pub fn effective_policy(id: i64, primary: Option<i64>, connection_policy: SyncPolicy) -> SyncPolicy {
    if primary == Some(id) {
        connection_policy
    } else {
        SyncPolicy::Never
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_primary_identity_uses_its_connections_policy() {
        assert_eq!(effective_policy(3, Some(3), SyncPolicy::OnEachLogin), SyncPolicy::OnEachLogin);
        assert_eq!(effective_policy(9, Some(3), SyncPolicy::OnEachLogin), SyncPolicy::Never);
        assert_eq!(effective_policy(9, Some(3), SyncPolicy::OnFirstLogin), SyncPolicy::Never);
    }
}
