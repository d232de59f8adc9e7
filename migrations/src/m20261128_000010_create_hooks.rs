//! Post-login hooks ("Actions"): endpoints of the site owner's that AskOnce calls after a
//! sign-up or sign-in, and the record of their recent calls (what the console shows: status,
//! time, why it failed). The signing secret is kept to sign each call; it is shown once,
//! when the hook is made, and never served again.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Hooks::Table)
                    .col(ColumnDef::new(Hooks::Id).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Hooks::Name).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Hooks::Trigger).string_len(32).not_null())
                    .col(ColumnDef::new(Hooks::Url).string_len(2048).not_null())
                    .col(ColumnDef::new(Hooks::Enabled).boolean().not_null())
                    .col(ColumnDef::new(Hooks::TimeoutMs).integer().not_null())
                    .col(ColumnDef::new(Hooks::OnFailure).string_len(16).not_null())
                    .col(ColumnDef::new(Hooks::Secret).string_len(128).not_null())
                    .col(ColumnDef::new(Hooks::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HookCalls::Table)
                    .col(ColumnDef::new(HookCalls::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(HookCalls::HookId).string_len(64).not_null())
                    .col(ColumnDef::new(HookCalls::UserId).string_len(64).null())
                    .col(ColumnDef::new(HookCalls::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(HookCalls::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(HookCalls::HttpStatus).integer().null())
                    .col(ColumnDef::new(HookCalls::DurationMs).integer().not_null())
                    .col(ColumnDef::new(HookCalls::Detail).string_len(512).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_hook_calls_hook")
                            .from(HookCalls::Table, HookCalls::HookId)
                            .to(Hooks::Table, Hooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "The last calls of this hook", newest first.
        manager
            .create_index(
                Index::create().name("idx_hook_calls_hook_at").table(HookCalls::Table).col(HookCalls::HookId).col(HookCalls::At).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(HookCalls::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(Hooks::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Hooks {
    Table,
    Id,
    Name,
    Trigger,
    Url,
    Enabled,
    TimeoutMs,
    OnFailure,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HookCalls {
    Table,
    Id,
    HookId,
    UserId,
    At,
    Outcome,
    HttpStatus,
    DurationMs,
    Detail,
}
