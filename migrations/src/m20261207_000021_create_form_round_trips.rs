//! The round trips of external forms, for the console's "Executions" view of a stage (seed
//! 002's Arengu shows its flow's executions): started, came back, refused with the reason,
//! stored. The `state` of a round trip is kept only as its hash. Expand only: a new table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FormRoundTrips::Table)
                    .col(ColumnDef::new(FormRoundTrips::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(FormRoundTrips::StageKey).string_len(64).not_null())
                    .col(ColumnDef::new(FormRoundTrips::UserId).string().not_null())
                    .col(ColumnDef::new(FormRoundTrips::StateHash).string_len(64).null())
                    .col(ColumnDef::new(FormRoundTrips::StartedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(FormRoundTrips::ReturnedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(FormRoundTrips::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(FormRoundTrips::Reason).string_len(32).null())
                    .col(ColumnDef::new(FormRoundTrips::Returns).integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_form_round_trips_stage_state")
                    .table(FormRoundTrips::Table)
                    .col(FormRoundTrips::StageKey)
                    .col(FormRoundTrips::StateHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FormRoundTrips::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum FormRoundTrips {
    Table,
    Id,
    StageKey,
    UserId,
    StateHash,
    StartedAt,
    ReturnedAt,
    Outcome,
    Reason,
    Returns,
}
