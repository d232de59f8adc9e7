//! The issuer an external form's returned tokens name (seed 002's format carries `iss`, not
//! `aud`): set by the site owner beside the stage's secret. Expand only: one nullable
//! column; empty means AskOnce's public URL, which is what every earlier release expected.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(FormSecrets::Table).add_column(ColumnDef::new(FormSecrets::Issuer).string_len(128).null()).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(FormSecrets::Table).drop_column(FormSecrets::Issuer).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum FormSecrets {
    Table,
    Issuer,
}
