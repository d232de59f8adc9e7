//! The display name (`name`) and the first and last names it is made from. One rule for the
//! claim normalizers (a provider that sends only the parts) and the profile store (a person
//! or an admin editing a part).

/// The display name made from first and last names, as Auth0 derives it: both joined by a
/// space, or whichever one there is.
pub(crate) fn derived_name(given: Option<&str>, family: Option<&str>) -> Option<String> {
    match (given, family) {
        (Some(g), Some(f)) => Some(format!("{g} {f}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
        (None, None) => None,
    }
}

/// The parts of a name before and after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameParts<'a> {
    pub given: Option<&'a str>,
    pub family: Option<&'a str>,
}

/// The display name after the first or last name changed from `before` to `after`, when it
/// should follow them: when there was none, or when it was exactly what the old parts made
/// (so nobody chose it on its own); `Some(None)` when both parts were cleared. `None`: leave
/// `name` as it is — a name someone chose ("Countess of Lovelace") is never overwritten by an
/// edit of a part.
pub fn name_following_parts(name: Option<&str>, before: NameParts<'_>, after: NameParts<'_>) -> Option<Option<String>> {
    if before == after {
        return None;
    }
    let made_from_parts = match name {
        None => true,
        Some(current) => derived_name(before.given, before.family).as_deref() == Some(current),
    };
    let next = derived_name(after.given, after.family);
    (made_from_parts && name != next.as_deref()).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(given: Option<&'a str>, family: Option<&'a str>) -> NameParts<'a> {
        NameParts { given, family }
    }

    #[test]
    fn both_parts_are_joined_and_one_part_stands_alone() {
        assert_eq!(derived_name(Some("Ada"), Some("Lovelace")).as_deref(), Some("Ada Lovelace"));
        assert_eq!(derived_name(Some("Ada"), None).as_deref(), Some("Ada"));
        assert_eq!(derived_name(None, Some("Lovelace")).as_deref(), Some("Lovelace"));
        assert_eq!(derived_name(None, None), None);
    }

    #[test]
    fn a_name_made_from_the_parts_follows_an_edit_of_either() {
        let before = parts(Some("Ada"), Some("Lovelace"));
        let renamed = name_following_parts(Some("Ada Lovelace"), before, parts(Some("Augusta"), Some("Lovelace")));
        assert_eq!(renamed, Some(Some("Augusta Lovelace".into())));
        let married = name_following_parts(Some("Ada Lovelace"), before, parts(Some("Ada"), Some("King")));
        assert_eq!(married, Some(Some("Ada King".into())));
    }

    #[test]
    fn a_missing_name_is_made_from_the_parts() {
        let made = name_following_parts(None, parts(None, None), parts(Some("Ada"), Some("Lovelace")));
        assert_eq!(made, Some(Some("Ada Lovelace".into())));
    }

    #[test]
    fn a_name_chosen_on_its_own_is_kept() {
        let kept = name_following_parts(Some("Countess of Lovelace"), parts(Some("Ada"), Some("Lovelace")), parts(Some("Augusta"), None));
        assert_eq!(kept, None);
    }

    #[test]
    fn nothing_changes_when_the_parts_do_not() {
        let same = parts(Some("Ada"), Some("Lovelace"));
        assert_eq!(name_following_parts(Some("Ada Lovelace"), same, same), None);
    }

    #[test]
    fn clearing_both_parts_clears_the_name_made_from_them_only() {
        let both = parts(Some("Ada"), Some("Lovelace"));
        assert_eq!(name_following_parts(Some("Ada Lovelace"), both, parts(None, None)), Some(None));
        assert_eq!(name_following_parts(Some("Countess"), both, parts(None, None)), None);
    }
}
