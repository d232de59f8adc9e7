//! Which application and page asked: a prompt shown, answered or skipped through the prompt
//! API (an application's own pages) names the application (`client_id`) and the page it was
//! on; AskOnce's own pages leave both empty. Expand only: two nullable columns, an index for
//! the console's funnel filtered by application.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter().table(PromptEvents::Table).add_column(ColumnDef::new(PromptEvents::ClientId).string().null()).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(PromptEvents::Table).add_column(ColumnDef::new(PromptEvents::Page).string().null()).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_prompt_events_client_created")
                    .table(PromptEvents::Table)
                    .col(PromptEvents::ClientId)
                    .col(PromptEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_prompt_events_client_created").table(PromptEvents::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(PromptEvents::Table).drop_column(PromptEvents::Page).to_owned()).await?;
        manager.alter_table(Table::alter().table(PromptEvents::Table).drop_column(PromptEvents::ClientId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PromptEvents {
    Table,
    ClientId,
    Page,
    CreatedAt,
}
