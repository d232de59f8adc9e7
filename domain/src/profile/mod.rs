//! The unified profile: root attributes, `user_metadata` (the user may edit), `app_metadata`
//! (admins and the API only), linked identities, and where every value came from.
//!
//! The wire shape follows Auth0's normalized user profile so tools written for it read ours.

pub mod email;
pub mod metadata;
pub mod names;
pub mod provenance;
pub mod verification;
pub mod view;

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

pub use email::{Email, InvalidEmail};
pub use metadata::{merge_metadata, validate_metadata, MetadataError, MetadataLimits};
pub use provenance::{Provenance, Source};
pub use verification::EmailEvidence;
pub use view::{IdentityView, UserProfile};

/// The normalized attributes every profile has at its root. A closed set: provider claims
/// are mapped onto these by the identity normalizers, and stages may target them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootAttribute {
    Email,
    EmailVerified,
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Picture,
    Locale,
}

impl RootAttribute {
    pub const ALL: [RootAttribute; 8] = [
        RootAttribute::Email,
        RootAttribute::EmailVerified,
        RootAttribute::Name,
        RootAttribute::GivenName,
        RootAttribute::FamilyName,
        RootAttribute::Nickname,
        RootAttribute::Picture,
        RootAttribute::Locale,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RootAttribute::Email => "email",
            RootAttribute::EmailVerified => "email_verified",
            RootAttribute::Name => "name",
            RootAttribute::GivenName => "given_name",
            RootAttribute::FamilyName => "family_name",
            RootAttribute::Nickname => "nickname",
            RootAttribute::Picture => "picture",
            RootAttribute::Locale => "locale",
        }
    }

    /// Words for people ("First name"), used on the profile page.
    pub fn label(self) -> &'static str {
        match self {
            RootAttribute::Email => "Email",
            RootAttribute::EmailVerified => "Email verified",
            RootAttribute::Name => "Full name",
            RootAttribute::GivenName => "First name",
            RootAttribute::FamilyName => "Last name",
            RootAttribute::Nickname => "Nickname",
            RootAttribute::Picture => "Picture",
            RootAttribute::Locale => "Language",
        }
    }
}

impl fmt::Display for RootAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The profile's primary identity among `linked` (ids of its identities): the chosen one while
/// it is still linked, else the first linked (lowest id). Its claims are the root attributes
/// (see `identity::primary` for what a sign-in through each identity may write).
pub fn primary_of(chosen: Option<i64>, linked: &[i64]) -> Option<i64> {
    chosen.filter(|c| linked.contains(c)).or_else(|| linked.iter().copied().min())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a root attribute")]
pub struct UnknownAttribute(pub String);

impl FromStr for RootAttribute {
    type Err = UnknownAttribute;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RootAttribute::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| UnknownAttribute(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_attributes_round_trip_through_their_names() {
        for attr in RootAttribute::ALL {
            assert_eq!(attr.as_str().parse::<RootAttribute>(), Ok(attr));
            assert_eq!(serde_json::to_value(attr).unwrap(), serde_json::json!(attr.as_str()));
        }
        assert!("app_metadata".parse::<RootAttribute>().is_err());
    }

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
}
