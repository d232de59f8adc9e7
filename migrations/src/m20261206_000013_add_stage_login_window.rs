//! Exact-login triggers: a login stage may be asked up to a login number as well as from
//! one (`max_logins`, null: every later login); "at login 3 only" is min = max = 3.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ProfileStages::Table).add_column(ColumnDef::new(ProfileStages::MaxLogins).integer().null()).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ProfileStages::Table).drop_column(ProfileStages::MaxLogins).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfileStages {
    Table,
    MaxLogins,
}
