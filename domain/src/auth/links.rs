//! The links AskOnce emails — verify an address, reset a password, confirm a new address — as
//! single-use, expiring tokens. What a link is for and why one is refused are shared with the
//! pages; the table behind them is the services crate's `auth::links`.
//!
//! A token is 32 random bytes, written into the link as hex; the database keeps only its
//! SHA-256 (`account_tokens.token_hash`), so a leaked database or backup opens no account. A
//! link works once ([`redeem`] marks it used in the same statement that checks it was not),
//! until it expires, and only for what it was made for. Issuing a new link of one kind
//! retires the person's earlier ones of that kind: only the newest message works.

use chrono::{DateTime, Duration, Utc};

/// What a link does when opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Proves the account's address (sent at sign-up and on request).
    VerifyEmail,
    /// Lets the owner of the address choose a new password.
    ResetPassword,
    /// Proves a new address before it replaces the old one.
    ChangeEmail,
    /// Lets a person a site owner created an account for choose its first password.
    Invite,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::Invite => "invite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Purpose::VerifyEmail, Purpose::ResetPassword, Purpose::ChangeEmail, Purpose::Invite].into_iter().find(|p| p.as_str() == s)
    }

    /// How long a link works. A reset link opens the account, so it is short-lived; the
    /// others only prove an address and may wait until the person reads their mail.
    pub fn valid_for(self) -> Duration {
        match self {
            Purpose::ResetPassword => Duration::hours(1),
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::hours(24),
            // An invitation waits for someone who was not expecting it; it opens an account
            // with no password yet, nothing more.
            Purpose::Invite => Duration::days(7),
        }
    }

    /// The page the link opens.
    pub fn path(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "/email/verify",
            Purpose::ResetPassword | Purpose::Invite => "/reset-password",
            Purpose::ChangeEmail => "/email/confirm-change",
        }
    }

    /// Links of this kind one account may be sent per hour (the per-address throttle: asking
    /// again and again must not flood someone's mailbox).
    pub const PER_HOUR: u64 = 3;
}

/// A link just made: its token (only ever in the message) and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub id: i64,
    pub token: String,
    /// `/reset-password?token=…`: made absolute with the site's public URL.
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a link does not work. Each has its own page: people need to know whether to ask for a
/// new link or to look for a newer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    /// No such token: mistyped, cut short by the mail client, or tampered with.
    #[error("This link is not valid. Check that you copied all of it, or ask for a new one.")]
    Invalid,
    #[error("This link has expired. Ask for a new one.")]
    Expired,
    /// Opened before, or retired by a newer link.
    #[error("This link was already used, or a newer one was sent since. Use the newest message, or ask for a new link.")]
    Used,
}

impl LinkRefused {
    /// The word in `/email-link?refused=…`.
    pub fn code(self) -> &'static str {
        match self {
            LinkRefused::Invalid => "invalid",
            LinkRefused::Expired => "expired",
            LinkRefused::Used => "used",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "invalid" => Some(LinkRefused::Invalid),
            "expired" => Some(LinkRefused::Expired),
            "used" => Some(LinkRefused::Used),
            _ => None,
        }
    }
}
