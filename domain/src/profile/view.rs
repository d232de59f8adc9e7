//! The profile as it leaves AskOnce, in Auth0's normalized shape (`user_id`, root
//! attributes, `identities[]`, `user_metadata`, `app_metadata`, login statistics), plus
//! `provenance`: where each value came from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Provenance;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub user_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_ip: Option<String>,
    pub logins_count: i32,
    pub blocked: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub user_metadata: Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub app_metadata: Value,
    pub identities: Vec<IdentityView>,
    pub provenance: BTreeMap<String, Provenance>,
}

impl UserProfile {
    /// A root attribute's value as text (`email_verified`: `true` / `false`).
    pub fn root_text(&self, attr: super::RootAttribute) -> Option<String> {
        use super::RootAttribute as A;
        match attr {
            A::Email => self.email.clone(),
            A::EmailVerified => Some(self.email_verified.to_string()),
            A::Name => self.name.clone(),
            A::GivenName => self.given_name.clone(),
            A::FamilyName => self.family_name.clone(),
            A::Nickname => self.nickname.clone(),
            A::Picture => self.picture.clone(),
            A::Locale => self.locale.clone(),
        }
    }
}

/// One linked provider account. Never carries tokens.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityView {
    pub connection: String,
    pub provider: String,
    /// The account's id at the provider (`sub`).
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
    #[serde(rename = "profileData")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub profile_data: Value,
    /// The primary identity: its claims are the profile's root attributes. Others only fill
    /// attributes the profile lacks.
    #[serde(default)]
    pub primary: bool,
}
