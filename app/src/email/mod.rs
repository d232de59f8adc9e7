//! Email: the messages AskOnce sends (verify an address, reset a password, notices) and how
//! they leave. Every message goes into the outbox first (`outbox`, in the database, in the
//! transaction of the event that causes it); a background worker in the server delivers due
//! messages over SMTP, retrying with backoff. With no SMTP server configured the outbox is the
//! embedded default: the console shows it, so a fresh `scripts/run.sh` works without a mail
//! server.

#[cfg(feature = "ssr")]
pub mod outbox;
pub mod retry;
