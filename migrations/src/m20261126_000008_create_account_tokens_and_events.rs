//! Two tables for the account's life by email:
//!
//! - `account_tokens`: the links AskOnce emails (verify an address, reset a password, confirm a
//!   new address). Only a hash of each link's random token is stored, with what it is for, the
//!   address it was sent to, when it expires and when it was used: a link works once, until
//!   it expires, and a database leak hands out no working links.
//! - `account_events`: what happened to an account, for the person (/profile "Recent
//!   activity"), the site owner (console, `GET /api/v2/users/{id}/logs`) and "Download my
//!   data". Both go with the account (cascade).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(ColumnDef::new(AccountTokens::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(AccountTokens::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(AccountTokens::Purpose).string_len(32).not_null())
                    .col(ColumnDef::new(AccountTokens::TokenHash).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(AccountTokens::Email).string_len(320).not_null())
                    .col(ColumnDef::new(AccountTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AccountTokens::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AccountTokens::UsedAt).timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_tokens_user")
                            .from(AccountTokens::Table, AccountTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "How many links of this kind did this account get lately?" (the per-address throttle).
        manager
            .create_index(
                Index::create()
                    .name("idx_account_tokens_user_purpose")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::UserId)
                    .col(AccountTokens::Purpose)
                    .col(AccountTokens::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountEvents::Table)
                    .col(ColumnDef::new(AccountEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(AccountEvents::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(AccountEvents::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AccountEvents::Kind).string_len(48).not_null())
                    .col(ColumnDef::new(AccountEvents::Success).boolean().not_null())
                    .col(ColumnDef::new(AccountEvents::Actor).string_len(16).not_null())
                    .col(ColumnDef::new(AccountEvents::Connection).string_len(64).null())
                    .col(ColumnDef::new(AccountEvents::Ip).string_len(64).null())
                    .col(ColumnDef::new(AccountEvents::UserAgent).string_len(512).null())
                    .col(ColumnDef::new(AccountEvents::Details).json_binary().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_events_user")
                            .from(AccountEvents::Table, AccountEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Newest first per account (the pages and the API); `at` alone for the retention sweep.
        manager
            .create_index(
                Index::create()
                    .name("idx_account_events_user_at")
                    .table(AccountEvents::Table)
                    .col(AccountEvents::UserId)
                    .col(AccountEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_account_events_at").table(AccountEvents::Table).col(AccountEvents::At).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AccountEvents::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(AccountTokens::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    Email,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AccountEvents {
    Table,
    Id,
    UserId,
    At,
    Kind,
    Success,
    Actor,
    Connection,
    Ip,
    UserAgent,
    Details,
}
