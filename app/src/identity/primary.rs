//! Which linked identity is the profile's *primary* one, and what a sign-in through an
//! identity may write. As in Auth0's account linking: the root attributes come from the
//! primary identity (the first one, unless the person chose another on /profile); a linked
//! (secondary) identity keeps its claims in `identities[].profileData` and only fills
//! attributes the profile lacks — whatever its connection's sync policy, which applies to the
//! primary identity alone. Pure: the identity service applies the result.

use super::SyncPolicy;

/// The primary identity's id among `linked` (ids of the profile's identities): the chosen one
/// while it is still linked, else the first linked (lowest id).
pub fn primary_of(chosen: Option<i64>, linked: &[i64]) -> Option<i64> {
    chosen.filter(|c| linked.contains(c)).or_else(|| linked.iter().copied().min())
}

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
    fn the_first_identity_is_primary_until_another_is_chosen() {
        assert_eq!(primary_of(None, &[7, 3, 9]), Some(3));
        assert_eq!(primary_of(Some(9), &[7, 3, 9]), Some(9));
        assert_eq!(primary_of(None, &[]), None);
    }

    #[test]
    fn an_unlinked_choice_falls_back_to_the_first_identity_left() {
        assert_eq!(primary_of(Some(4), &[7, 9]), Some(7));
    }

    #[test]
    fn only_the_primary_identity_uses_its_connections_policy() {
        assert_eq!(effective_policy(3, Some(3), SyncPolicy::OnEachLogin), SyncPolicy::OnEachLogin);
        assert_eq!(effective_policy(9, Some(3), SyncPolicy::OnEachLogin), SyncPolicy::Never);
        assert_eq!(effective_policy(9, Some(3), SyncPolicy::OnFirstLogin), SyncPolicy::Never);
    }
}
