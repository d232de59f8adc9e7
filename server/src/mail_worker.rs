//! The delivery worker: takes due messages from the outbox (`services::email::outbox`) and sends
//! them over SMTP with `lettre`, recording each outcome there (a failure is retried with
//! backoff, and shown in the console). Without an SMTP relay configured, a message is kept in
//! the outbox and logged on one line, so a newcomer can open its link.

use std::time::Duration;

use chrono::Utc;
use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use services::{email::outbox, entities::email_outbox};

use crate::config::EmailSettings;

/// How long a worker holds a message it took: longer than one delivery may take.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// Messages taken per round.
const BATCH: u64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("email.from is not a mailbox (`Name <address>` or `address`)")]
    From(#[source] lettre::address::AddressError),
    #[error("email.smtp_url is not a usable SMTP URL")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
}

/// Where messages go.
enum Delivery {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No relay configured: the outbox is the destination.
    OutboxOnly,
}

pub struct MailWorker {
    db: DatabaseConnection,
    from: Mailbox,
    delivery: Delivery,
    every: Duration,
}

impl MailWorker {
    pub fn new(db: DatabaseConnection, settings: &EmailSettings) -> Result<Self, MailSetupError> {
        let from: Mailbox = settings.from.parse().map_err(MailSetupError::From)?;
        let delivery = match &settings.smtp_url {
            Some(url) => Delivery::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(MailSetupError::SmtpUrl)?
                    .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))))
                    .build(),
            ),
            None => Delivery::OutboxOnly,
        };
        Ok(Self { db, from, delivery, every: Duration::from_secs(settings.poll_interval_secs.max(1)) })
    }

    /// Runs until the process ends; a failed round is logged and the next one tries again.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(self.every);
        loop {
            tick.tick().await;
            if let Err(err) = self.deliver_due().await {
                tracing::warn!(error = %services::error::cause_chain(&err), "email delivery round failed");
            }
        }
    }

    /// One round: every due message, delivered or rescheduled. The number delivered.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn deliver_due(&self) -> Result<usize, sea_orm::DbErr> {
        let mut delivered = 0;
        for message in outbox::claim_due(&self.db, Utc::now(), LEASE, BATCH).await? {
            match self.deliver(&message).await {
                Ok(()) => {
                    // Delivered to a mailbox: the outbox keeps no working link.
                    let redact = matches!(self.delivery, Delivery::Smtp(_));
                    outbox::mark_sent(&self.db, &message, redact, Utc::now()).await?;
                    delivered += 1;
                }
                Err(reason) => {
                    let status = outbox::mark_failed(&self.db, &message, &reason, Utc::now()).await?;
                    tracing::warn!(id = message.id, kind = %message.kind, status = status.as_str(), %reason, "email not delivered");
                }
            }
        }
        Ok(delivered)
    }

    async fn deliver(&self, message: &email_outbox::Model) -> Result<(), String> {
        match &self.delivery {
            Delivery::Smtp(transport) => {
                let email = self.build(message)?;
                transport.send(email).await.map(|_| ()).map_err(|e| services::error::cause_chain(&e))
            }
            Delivery::OutboxOnly => {
                // One line a developer can act on: who, what, and the text with its link.
                tracing::info!(to = %message.recipient, subject = %message.subject, text = %message.body_text.replace('\n', " "), "email kept in the outbox (no SMTP relay configured)");
                Ok(())
            }
        }
    }

    fn build(&self, message: &email_outbox::Model) -> Result<Message, String> {
        let to: Mailbox = message.recipient.parse().map_err(|e| format!("recipient `{}`: {e}", message.recipient))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(message.body_text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(message.body_html.clone())),
            )
            .map_err(|e| format!("building the message: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(from: &str, smtp_url: Option<&str>) -> EmailSettings {
        EmailSettings { from: from.into(), smtp_url: smtp_url.map(secrecy::SecretString::from), ..EmailSettings::default() }
    }

    #[tokio::test]
    async fn a_bad_sender_or_relay_url_is_refused_at_start_up() {
        let db = sea_orm::DatabaseConnection::Disconnected;
        assert!(MailWorker::new(db.clone(), &EmailSettings::default()).is_ok(), "the defaults: outbox only");
        assert!(matches!(MailWorker::new(db.clone(), &settings("not an address", None)), Err(MailSetupError::From(_))));
        assert!(matches!(MailWorker::new(db.clone(), &settings("a@b.test", Some("gopher://x"))), Err(MailSetupError::SmtpUrl(_))));
        assert!(MailWorker::new(db, &settings("AskOnce <a@b.test>", Some("smtp://127.0.0.1:2525"))).is_ok());
    }
}
