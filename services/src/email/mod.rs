//! Email: the messages AskOnce sends (verify an address, reset a password, notices) and how
//! they leave. Every message goes into the outbox first (`outbox`, in the database, in the
//! transaction of the event that causes it); a background worker in the server delivers due
//! messages over SMTP, retrying with backoff. With no SMTP server configured the outbox is the
//! embedded default: the console shows it, so a fresh `scripts/run.sh` works without a mail
//! server.

pub mod outbox;
pub mod retry;
pub mod templates;

/// What the site's settings say about account email (`[email]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailPolicy {
    /// Password accounts must verify their address before using the site.
    pub require_verified: bool,
    /// Email the person after a sign-in from a device not seen before.
    pub notify_new_device: bool,
}

/// What a message is about: it groups messages in the console (the outbox's `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A link that proves an address.
    VerifyEmail,
    /// A link that sets a new password.
    ResetPassword,
    /// A link that confirms a new address.
    ChangeEmail,
    /// A link that invites someone to an account made for them.
    Invite,
    /// The old address is told of a new one.
    EmailChanged,
    /// The password was changed.
    PasswordChanged,
    /// A sign-in from a device not seen before.
    NewDevice,
}

impl Kind {
    /// The outbox's `kind` column (names shipped releases wrote, kept as they are).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify_email",
            Kind::ResetPassword => "reset_password",
            Kind::ChangeEmail => "change_email",
            Kind::Invite => "invite",
            Kind::EmailChanged => "email_changed",
            Kind::PasswordChanged => "password_changed",
            Kind::NewDevice => "new_device",
        }
    }
}

/// Queues `message` for `recipient` (see [`outbox::enqueue`]): `kind` groups it in the
/// console, `dedupe_key` names the event it belongs to.
pub async fn queue(
    db: &impl sea_orm::ConnectionTrait,
    kind: Kind,
    dedupe_key: String,
    recipient: &str,
    message: templates::Rendered,
) -> Result<bool, sea_orm::DbErr> {
    let templates::Rendered { subject, text, html } = message;
    outbox::enqueue(
        db,
        outbox::NewMessage {
            kind: kind.as_str().to_string(),
            dedupe_key,
            recipient: recipient.to_string(),
            subject,
            body_text: text,
            body_html: html,
        },
        chrono::Utc::now(),
    )
    .await
}
