//! How an application's ID tokens are signed (`oauth_clients.id_token_signed_response_alg`:
//! `RS256` or `EdDSA`). Added only, nullable: NULL is RS256, so rows written before, and an
//! instance still running the previous version, go on as they were.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .add_column(ColumnDef::new(OauthClients::IdTokenSignedResponseAlg).string_len(16).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(OauthClients::Table).drop_column(OauthClients::IdTokenSignedResponseAlg).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    IdTokenSignedResponseAlg,
}
