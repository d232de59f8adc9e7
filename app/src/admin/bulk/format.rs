//! Auth0's bulk user format, read and checked: a JSON array (or NDJSON) of users with root
//! attributes, `user_metadata`, `app_metadata`, `identities`, and optionally
//! `password_hash` (bcrypt) or `custom_password_hash` (argon2, bcrypt, pbkdf2, md5, sha1,
//! sha256, sha512, ldap: `auth::imported_hash`). Pure: `bulk` imports and exports it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::BulkError;
use domain::profile::{validate_metadata, Email, MetadataLimits};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkIdentity {
    pub connection: String,
    #[serde(default)]
    pub provider: Option<String>,
    pub user_id: String,
    #[serde(rename = "isSocial", default)]
    pub is_social: bool,
    #[serde(rename = "profileData", default, skip_serializing_if = "Option::is_none")]
    pub profile_data: Option<Value>,
}

pub use services::auth::imported_hash::CustomPasswordHash;

/// One user in Auth0's bulk format. Unknown keys are ignored (Auth0 exports carry more).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    #[serde(default)]
    pub identities: Vec<BulkIdentity>,
    /// Auth0's bcrypt hash of the password (`$2a$…`, `$2b$…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// A hash made elsewhere, with how it was made (exclusive with `password_hash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_password_hash: Option<CustomPasswordHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logins_count: Option<i32>,
}

impl BulkUser {
    pub(crate) fn has_password(&self) -> bool {
        self.password_hash.is_some() || self.custom_password_hash.is_some()
    }

    /// The password hash to store (`password_credentials.password_hash`), if the user brings
    /// one; what is wrong with it otherwise.
    pub(crate) fn stored_password_hash(&self) -> Result<Option<String>, services::auth::imported_hash::HashProblem> {
        use services::auth::imported_hash::{from_bcrypt, from_custom};
        match (&self.password_hash, &self.custom_password_hash) {
            (Some(bcrypt), _) => from_bcrypt(bcrypt).map(Some),
            (None, Some(custom)) => from_custom(custom).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// Parses a file: a JSON array, or one JSON object per line (Auth0's export jobs write
/// NDJSON).
pub fn parse(text: &str) -> Result<Vec<BulkUser>, BulkError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| BulkError::Format(e.to_string()));
    }
    trimmed
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| BulkError::Format(format!("line {}: {e}", i + 1))))
        .collect()
}

/// Every problem in `users`, each naming the user by its position (and email).
pub fn problems(users: &[BulkUser]) -> Vec<String> {
    let limits = MetadataLimits::default();
    let mut out = Vec::new();
    let mut emails = BTreeSet::new();
    let mut accounts = BTreeSet::new();
    for (i, u) in users.iter().enumerate() {
        let who = format!("user {i} ({})", u.email.as_deref().unwrap_or("no email"));
        if let Some(email) = &u.email {
            match Email::parse(email) {
                Ok(e) if !emails.insert(e.normalized()) && u.has_password() => {
                    out.push(format!("{who}: a second password account with this email"))
                }
                Ok(_) => {}
                Err(e) => out.push(format!("{who}: {e}")),
            }
        }
        // The rule every console and API path reads an id by: an id imported outside it could
        // sign in but never be managed.
        if let Some(id) = &u.user_id {
            if domain::user_id::UserId::parse(id).is_none() {
                out.push(format!("{who}: user_id must be 1–64 bytes without control characters"));
            }
        }
        for (which, value) in [("user_metadata", &u.user_metadata), ("app_metadata", &u.app_metadata)] {
            if let Err(e) = validate_metadata(&Value::Object(value.clone()), &limits) {
                out.push(format!("{who}: {which}: {e}"));
            }
        }
        for identity in &u.identities {
            if identity.connection.trim().is_empty() || identity.user_id.trim().is_empty() {
                out.push(format!("{who}: every identity needs a connection and a user_id"));
            } else if !accounts.insert((identity.connection.clone(), identity.user_id.clone())) {
                out.push(format!("{who}: identity {}|{} appears twice", identity.connection, identity.user_id));
            }
        }
        if u.password_hash.is_some() && u.custom_password_hash.is_some() {
            out.push(format!("{who}: password_hash and custom_password_hash cannot both be given"));
        } else if let Err(e) = u.stored_password_hash() {
            out.push(format!("{who}: {e}"));
        }
        if u.has_password() && u.email.is_none() {
            out.push(format!("{who}: a password account needs an email"));
        }
        if u.email.is_none() && u.identities.is_empty() {
            out.push(format!("{who}: needs an email or an identity to sign in with"));
        }
    }
    out
}
