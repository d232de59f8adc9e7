//! Multi-step stages: each field of a stage belongs to a step (a page of the form), 0 for the
//! first; a stage whose fields are all in step 0 is one page, as before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProfileStageFields::Table)
                    .add_column(ColumnDef::new(ProfileStageFields::Step).integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ProfileStageFields::Table).drop_column(ProfileStageFields::Step).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfileStageFields {
    Table,
    Step,
}
