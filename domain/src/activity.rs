//! Account activity: what happened to an account and who did it — sign-ins (and refused
//! ones), password and email changes, linked accounts, ended sessions, blocks, edits by the
//! site. The person sees it on /profile ("Recent activity"), the site owner in the console
//! and at `GET /api/v2/users/{id}/logs`; it is part of "Download my data", goes with the
//! account, and is kept for `[activity] retention_days`.
//!
//! Unlike the audit log (which names nobody: the services crate's `audit`), these records belong to
//! the person they are about. The records are stored by the services crate's `activity`.

use serde::{Deserialize, Serialize};

/// What happened. The string form (`sign_in`, …) is what is stored, filtered on and sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SignUp,
    SignIn,
    SignOut,
    PasswordChanged,
    PasswordReset,
    PasswordResetRequested,
    VerificationSent,
    EmailVerified,
    EmailChangeRequested,
    EmailChanged,
    IdentityLinked,
    IdentityUnlinked,
    SessionsEnded,
    Blocked,
    Unblocked,
    ProfileEdited,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        EventKind::SignUp,
        EventKind::SignIn,
        EventKind::SignOut,
        EventKind::PasswordChanged,
        EventKind::PasswordReset,
        EventKind::PasswordResetRequested,
        EventKind::VerificationSent,
        EventKind::EmailVerified,
        EventKind::EmailChangeRequested,
        EventKind::EmailChanged,
        EventKind::IdentityLinked,
        EventKind::IdentityUnlinked,
        EventKind::SessionsEnded,
        EventKind::Blocked,
        EventKind::Unblocked,
        EventKind::ProfileEdited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignUp => "sign_up",
            EventKind::SignIn => "sign_in",
            EventKind::SignOut => "sign_out",
            EventKind::PasswordChanged => "password_changed",
            EventKind::PasswordReset => "password_reset",
            EventKind::PasswordResetRequested => "password_reset_requested",
            EventKind::VerificationSent => "verification_sent",
            EventKind::EmailVerified => "email_verified",
            EventKind::EmailChangeRequested => "email_change_requested",
            EventKind::EmailChanged => "email_changed",
            EventKind::IdentityLinked => "identity_linked",
            EventKind::IdentityUnlinked => "identity_unlinked",
            EventKind::SessionsEnded => "sessions_ended",
            EventKind::Blocked => "blocked",
            EventKind::Unblocked => "unblocked",
            EventKind::ProfileEdited => "profile_edited",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The console's filter label.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::SignUp => "Account created",
            EventKind::SignIn => "Sign-ins",
            EventKind::SignOut => "Sign-outs",
            EventKind::PasswordChanged => "Password changed",
            EventKind::PasswordReset => "Password reset",
            EventKind::PasswordResetRequested => "Password reset asked for",
            EventKind::VerificationSent => "Verification link sent",
            EventKind::EmailVerified => "Email verified",
            EventKind::EmailChangeRequested => "Email change asked for",
            EventKind::EmailChanged => "Email changed",
            EventKind::IdentityLinked => "Account linked",
            EventKind::IdentityUnlinked => "Account unlinked",
            EventKind::SessionsEnded => "Sessions ended",
            EventKind::Blocked => "Blocked",
            EventKind::Unblocked => "Unblocked",
            EventKind::ProfileEdited => "Edited by the site",
        }
    }
}

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The person themselves.
    User,
    /// A site owner in the console.
    Admin,
    /// The management API.
    Api,
    /// `askonce` on the command line.
    Cli,
    /// AskOnce on its own (a link expiring, a provider's sync).
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Admin => "admin",
            Actor::Api => "api",
            Actor::Cli => "cli",
            Actor::System => "system",
        }
    }
}

/// Whose doing an audited action is, as the person's own activity says it.
/// One entry as the pages and the API show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `sign_in`, `password_changed`, … (see the filter list of the console).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: EventKind,
    /// `false`: a refused attempt (a wrong password, a blocked account).
    pub success: bool,
    /// `user`, `admin`, `api`, `cli` or `system`.
    pub actor: String,
    /// The sign-in method or linked connection, where there is one.
    pub connection: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Kind-specific facts: the address verified, the fields the site edited…
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// The entry in plain words: "Signed in with google", "Wrong password entered".
    pub description: String,
}

/// Plain words for one entry, as /profile lists them.
pub fn describe(kind: EventKind, success: bool, actor: &str, connection: Option<&str>, details: &serde_json::Value) -> String {
    let via = connection.map(|c| format!(" with {}", connection_name(c))).unwrap_or_default();
    let detail = |key: &str| details.get(key).and_then(serde_json::Value::as_str).map(str::to_string);
    let by_site = matches!(actor, "admin" | "api" | "cli");
    match (kind, success) {
        (EventKind::SignIn, true) => format!("Signed in{via}"),
        (EventKind::SignIn, false) => match detail("reason").as_deref() {
            Some("blocked") => format!("Sign-in refused{via}: the account is blocked"),
            _ => format!("Sign-in failed{via}: wrong password"),
        },
        (EventKind::SignUp, _) => format!("Account created{via}"),
        (EventKind::SignOut, _) => "Signed out".into(),
        (EventKind::PasswordChanged, _) if by_site => "Password set by the site".into(),
        (EventKind::PasswordChanged, _) => "Password changed".into(),
        (EventKind::PasswordReset, _) => "Password reset with an emailed link".into(),
        (EventKind::PasswordResetRequested, _) => "Password reset link emailed".into(),
        (EventKind::VerificationSent, _) => match detail("address") {
            Some(a) => format!("Verification link emailed to {a}"),
            None => "Verification link emailed".into(),
        },
        (EventKind::EmailVerified, _) => match detail("address") {
            Some(a) => format!("Email address {a} verified"),
            None => "Email address verified".into(),
        },
        (EventKind::EmailChangeRequested, _) => match detail("to") {
            Some(a) => format!("Asked to change the email address to {a}: a link was emailed there"),
            None => "Asked to change the email address".into(),
        },
        (EventKind::EmailChanged, _) => match (detail("from"), detail("to")) {
            (Some(f), Some(t)) => format!("Email address changed from {f} to {t}"),
            _ => "Email address changed".into(),
        },
        (EventKind::IdentityLinked, _) => format!("Linked an account{via}"),
        (EventKind::IdentityUnlinked, _) => format!("Unlinked an account{via}"),
        (EventKind::SessionsEnded, _) => {
            let n = details.get("count").and_then(serde_json::Value::as_u64).unwrap_or(1);
            let what = if n == 1 { "1 session".to_string() } else { format!("{n} sessions") };
            if by_site {
                format!("Signed out of {what} by the site")
            } else {
                format!("Signed out of {what} on other devices")
            }
        }
        (EventKind::Blocked, _) => "Account blocked by the site".into(),
        (EventKind::Unblocked, _) => "Account unblocked by the site".into(),
        (EventKind::ProfileEdited, _) => {
            let fields: Vec<&str> = details
                .get("fields")
                .and_then(serde_json::Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            if fields.is_empty() {
                "Profile edited by the site".into()
            } else {
                format!("Profile edited by the site: {}", fields.join(", "))
            }
        }
    }
}

/// "Chrome on Linux" from a User-Agent, roughly; enough to recognise one's devices.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else { return "Unknown device".into() };
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "an unknown system"
    };
    format!("{browser} on {os}")
}

/// Connection names are the site owner's words (`google`, `okta`); the built-in password
/// connection's internal name is replaced by what people call it.
fn connection_name(connection: &str) -> &str {
    if connection == crate::identity::PASSWORD_CONNECTION {
        "email and password"
    } else {
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_round_trips_through_its_string_and_serde() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(EventKind::parse("nonsense"), None);
    }

    #[test]
    fn entries_read_as_plain_words() {
        let pw = crate::identity::PASSWORD_CONNECTION;
        assert_eq!(describe(EventKind::SignIn, true, "user", Some("google"), &json!({})), "Signed in with google");
        assert_eq!(
            describe(EventKind::SignIn, false, "user", Some(pw), &json!({})),
            "Sign-in failed with email and password: wrong password"
        );
        assert_eq!(
            describe(EventKind::EmailChanged, true, "user", None, &json!({"from": "a@x.co", "to": "b@x.co"})),
            "Email address changed from a@x.co to b@x.co"
        );
        assert_eq!(
            describe(EventKind::SessionsEnded, true, "user", None, &json!({"count": 2})),
            "Signed out of 2 sessions on other devices"
        );
        assert_eq!(
            describe(EventKind::ProfileEdited, true, "admin", None, &json!({"fields": ["name", "blocked"]})),
            "Profile edited by the site: name, blocked"
        );
    }

    #[test]
    fn every_kind_has_a_description_and_a_label() {
        for kind in EventKind::ALL {
            assert!(!describe(kind, true, "user", None, &json!({})).is_empty());
            assert!(!kind.label().is_empty());
        }
    }
}
