//! Hidden fields: a field of kind `hidden` names where its value comes from
//! (`profile_fields.hidden_from`: `query:<param>`, `tags` or `connection`); null for the
//! fields people are asked.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProfileFields::Table)
                    .add_column(ColumnDef::new(ProfileFields::HiddenFrom).string_len(80).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ProfileFields::Table).drop_column(ProfileFields::HiddenFrom).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfileFields {
    Table,
    HiddenFrom,
}
