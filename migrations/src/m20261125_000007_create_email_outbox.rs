//! The email outbox: every message AskOnce sends is a row here first, written in the same
//! transaction as the event that causes it, and delivered by a background worker with retries.
//! A request never waits for (or fails on) a mail server, a message is never sent twice for one
//! event (`dedupe_key` is unique), and with no SMTP server configured the outbox is where a
//! newcomer reads the messages.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailOutbox::Table)
                    .col(ColumnDef::new(EmailOutbox::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(EmailOutbox::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(EmailOutbox::DedupeKey).string_len(255).not_null().unique_key())
                    .col(ColumnDef::new(EmailOutbox::Recipient).string_len(320).not_null())
                    .col(ColumnDef::new(EmailOutbox::Subject).string_len(255).not_null())
                    .col(ColumnDef::new(EmailOutbox::BodyText).text().not_null())
                    .col(ColumnDef::new(EmailOutbox::BodyHtml).text().not_null())
                    .col(ColumnDef::new(EmailOutbox::Status).string_len(16).not_null())
                    .col(ColumnDef::new(EmailOutbox::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(EmailOutbox::NextAttemptAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(EmailOutbox::LockedUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(EmailOutbox::LastError).text().null())
                    .col(ColumnDef::new(EmailOutbox::SentAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(EmailOutbox::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // The worker's question: which queued messages are due?
        manager
            .create_index(
                Index::create()
                    .name("idx_email_outbox_due")
                    .table(EmailOutbox::Table)
                    .col(EmailOutbox::Status)
                    .col(EmailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(EmailOutbox::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Id,
    Kind,
    DedupeKey,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    SentAt,
    CreatedAt,
}
