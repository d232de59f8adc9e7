//! The profile's primary identity: the linked account whose claims are the profile's root
//! attributes. Empty means "the first linked identity" (the lowest id), so existing profiles
//! keep the identity they were created with; a person may choose another on /profile.
//!
//! No foreign key: an identity and its user point at each other, and an unlinked primary
//! simply falls back to the first identity left (see `identity::primary`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    PrimaryIdentityId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::PrimaryIdentityId).big_integer().null()).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::PrimaryIdentityId).to_owned()).await
    }
}
