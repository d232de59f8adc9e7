//! The outbox: messages queued in the database and handed to a delivery worker.
//!
//! - [`enqueue`] is called inside the transaction of the event that causes the message, so a
//!   message exists exactly when its event does; its `dedupe_key` (unique) makes a second
//!   enqueue for the same event a no-op — never two messages for one event.
//! - [`claim_due`] gives a worker the messages due now and leases them (`locked_until`) with a
//!   compare-and-swap per row, so two workers (two instances on one PostgreSQL) never take the
//!   same message, and a worker that dies mid-send frees it when the lease runs out.
//! - [`mark_sent`] / [`mark_failed`] record the outcome; a failure waits out
//!   [`super::retry::backoff`], and after the last attempt the message is `failed`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::retry::{backoff, gives_up};
use crate::entities::email_outbox;

/// A message about to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// What it is for (`verify_email`, `password_reset`, …): the console groups by it.
    pub kind: String,
    /// The event it belongs to; one message per key, ever.
    pub dedupe_key: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sent,
    /// Given up after the last attempt.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }
}

/// Queues `message`. `false`: a message for this event was queued before, nothing is added.
#[tracing::instrument(skip(db, message), fields(kind = %message.kind))]
pub async fn enqueue(db: &impl ConnectionTrait, message: NewMessage, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let NewMessage { kind, dedupe_key, recipient, subject, body_text, body_html } = message;
    let row = email_outbox::ActiveModel {
        kind: Set(kind),
        dedupe_key: Set(dedupe_key),
        recipient: Set(recipient),
        subject: Set(subject),
        body_text: Set(body_text),
        body_html: Set(body_html),
        status: Set(Status::Queued.as_str().to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    };
    // One statement, atomic on both databases: a concurrent enqueue of the same event neither
    // doubles the message nor fails (and so never aborts the caller's transaction).
    let inserted = email_outbox::Entity::insert(row)
        .on_conflict(OnConflict::column(email_outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Up to `limit` messages due at `now`, each leased to the caller for `lease` (no other worker
/// takes it meanwhile). Oldest first.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<email_outbox::Model>, DbErr> {
    let free = Condition::any().add(email_outbox::Column::LockedUntil.is_null()).add(email_outbox::Column::LockedUntil.lte(now));
    let due = email_outbox::Entity::find()
        .filter(email_outbox::Column::Status.eq(Status::Queued.as_str()))
        .filter(email_outbox::Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(email_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for message in due {
        // Taken only if still free: another worker that read the same row loses this race.
        let taken = email_outbox::Entity::update_many()
            .col_expr(email_outbox::Column::LockedUntil, Expr::value(now + lease))
            .filter(email_outbox::Column::Id.eq(message.id))
            .filter(email_outbox::Column::Status.eq(Status::Queued.as_str()))
            .filter(free.clone())
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            claimed.push(email_outbox::Model { locked_until: Some(now + lease), ..message });
        }
    }
    Ok(claimed)
}

/// Records a delivery. `redact`: the message left for a mailbox, so the outbox keeps it
/// without the tokens of its links (a database backup, or an admin reading the console,
/// must not hold a working reset link). Kept whole when the outbox is the only destination
/// (no SMTP relay): there the console is where people read their links.
pub async fn mark_sent(db: &impl ConnectionTrait, message: &email_outbox::Model, redact: bool, now: DateTime<Utc>) -> Result<(), DbErr> {
    let mut update = email_outbox::Entity::update_many();
    if redact {
        update = update
            .col_expr(email_outbox::Column::BodyText, Expr::value(redact_links(&message.body_text)))
            .col_expr(email_outbox::Column::BodyHtml, Expr::value(redact_links(&message.body_html)));
    }
    update
        .col_expr(email_outbox::Column::Status, Expr::value(Status::Sent.as_str()))
        .col_expr(email_outbox::Column::Attempts, Expr::col(email_outbox::Column::Attempts).add(1))
        .col_expr(email_outbox::Column::SentAt, Expr::value(now))
        .col_expr(email_outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(email_outbox::Column::LastError, Expr::value(Option::<String>::None))
        .filter(email_outbox::Column::Id.eq(message.id))
        .exec(db)
        .await?;
    Ok(())
}

/// `text` with every link token (`token=` and 64 hex digits, see `auth::links`) replaced.
pub fn redact_links(text: &str) -> String {
    static TOKEN: std::sync::OnceLock<Option<regex_lite::Regex>> = std::sync::OnceLock::new();
    match TOKEN.get_or_init(|| regex_lite::Regex::new("token=[0-9a-f]{64}").ok()) {
        Some(token) => token.replace_all(text, "token=[removed]").into_owned(),
        // A constant pattern that compiles; were it not to, nothing would be shown at all.
        None => String::from("[removed]"),
    }
}

/// Records a failed attempt of `message` (as claimed): tried again after the backoff, or
/// `failed` after the last attempt. `error` is shown to admins in the console.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    message: &email_outbox::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<Status, DbErr> {
    let attempts = message.attempts + 1;
    let status = if gives_up(attempts) { Status::Failed } else { Status::Queued };
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::Status, Expr::value(status.as_str()))
        .col_expr(email_outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
        .col_expr(email_outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(email_outbox::Column::LastError, Expr::value(error.chars().take(1000).collect::<String>()))
        .filter(email_outbox::Column::Id.eq(message.id))
        .exec(db)
        .await?;
    Ok(status)
}

/// The newest messages, for the console.
pub async fn recent(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<email_outbox::Model>, DbErr> {
    email_outbox::Entity::find().order_by_desc(email_outbox::Column::Id).limit(limit).all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(key: &str) -> NewMessage {
        NewMessage {
            kind: "verify_email".into(),
            dedupe_key: key.into(),
            recipient: "ada@example.com".into(),
            subject: "Confirm your email address".into(),
            body_text: "Open https://askonce.example/verify?token=x".into(),
            body_html: "<p><a href=\"https://askonce.example/verify?token=x\">Confirm</a></p>".into(),
        }
    }

    crate::db_test!(one_event_queues_one_message, |db| {
        let now = Utc::now();
        assert!(enqueue(db, message("verify:1"), now).await.unwrap());
        assert!(!enqueue(db, message("verify:1"), now).await.unwrap(), "the same event again");
        assert!(enqueue(db, message("verify:2"), now).await.unwrap());
        assert_eq!(recent(db, 10).await.unwrap().len(), 2);
    });

    crate::db_test!(a_claimed_message_is_nobody_elses_until_its_lease_runs_out, |db| {
        let now = Utc::now();
        enqueue(db, message("verify:1"), now).await.unwrap();
        let lease = Duration::seconds(60);
        let first = claim_due(db, now, lease, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(claim_due(db, now, lease, 10).await.unwrap().is_empty(), "leased to the first worker");
        // The first worker died: after the lease, another takes it.
        let later = claim_due(db, now + Duration::seconds(61), lease, 10).await.unwrap();
        assert_eq!(later.iter().map(|m| m.id).collect::<Vec<_>>(), vec![first[0].id]);
    });

    crate::db_test!(a_failed_attempt_waits_out_the_backoff_and_a_sent_message_is_done, |db| {
        let now = Utc::now();
        enqueue(db, message("verify:1"), now).await.unwrap();
        let claimed = claim_due(db, now, Duration::seconds(60), 10).await.unwrap();
        assert_eq!(mark_failed(db, &claimed[0], "connection refused", now).await.unwrap(), Status::Queued);
        assert!(claim_due(db, now + Duration::seconds(29), Duration::seconds(60), 10).await.unwrap().is_empty(), "backing off");
        let retry = claim_due(db, now + Duration::seconds(30), Duration::seconds(60), 10).await.unwrap();
        assert_eq!((retry.len(), retry[0].attempts, retry[0].last_error.as_deref()), (1, 1, Some("connection refused")));
        mark_sent(db, &retry[0], true, now).await.unwrap();
        let done = &recent(db, 1).await.unwrap()[0];
        assert_eq!((done.status.as_str(), done.attempts, done.last_error.as_deref()), ("sent", 2, None));
        assert!(claim_due(db, now + Duration::days(1), Duration::seconds(60), 10).await.unwrap().is_empty());
    });

    #[test]
    fn tokens_are_removed_from_links_and_nothing_else() {
        let token = "ab".repeat(32);
        let text = format!("Open https://x.example/reset-password?token={token} (token=short stays)");
        assert_eq!(redact_links(&text), "Open https://x.example/reset-password?token=[removed] (token=short stays)");
    }

    crate::db_test!(a_delivered_message_keeps_no_working_link_unless_the_outbox_is_its_destination, |db| {
        let now = Utc::now();
        let token = "0f".repeat(32);
        let mut with_link = message("reset:1");
        with_link.body_text = format!("https://x.example/reset-password?token={token}");
        with_link.body_html = format!("<a href=\"https://x.example/reset-password?token={token}\">Reset</a>");
        enqueue(db, with_link.clone(), now).await.unwrap();
        enqueue(db, NewMessage { dedupe_key: "reset:2".into(), ..with_link }, now).await.unwrap();
        let claimed = claim_due(db, now, Duration::seconds(60), 10).await.unwrap();
        mark_sent(db, &claimed[0], true, now).await.unwrap();
        mark_sent(db, &claimed[1], false, now).await.unwrap();
        let rows = recent(db, 10).await.unwrap();
        let by_key = |k: &str| rows.iter().find(|m| m.dedupe_key == k).unwrap().clone();
        assert!(!by_key("reset:1").body_text.contains(&token) && !by_key("reset:1").body_html.contains(&token));
        assert!(by_key("reset:2").body_text.contains(&token), "the outbox alone: the console is where the link is read");
    });

    crate::db_test!(a_message_is_given_up_after_the_last_attempt, |db| {
        let now = Utc::now();
        enqueue(db, message("verify:1"), now).await.unwrap();
        let mut claimed = claim_due(db, now, Duration::seconds(60), 10).await.unwrap().remove(0);
        claimed.attempts = crate::email::retry::MAX_ATTEMPTS - 1;
        assert_eq!(mark_failed(db, &claimed, "mailbox unavailable", now).await.unwrap(), Status::Failed);
        assert!(claim_due(db, now + Duration::days(30), Duration::seconds(60), 10).await.unwrap().is_empty());
        assert_eq!(recent(db, 1).await.unwrap()[0].status, "failed");
    });
}
