//! External forms (the Arengu / Auth0 redirect protocol): a stage may send the person to a
//! form on another site and take the answers back from a signed token.
//!
//! - `profile_stages.external_form`: the form's address and token lifetime (JSON), null for
//!   a stage of fields asked here.
//! - `form_secrets`: one HS256 secret per external stage, signing the token AskOnce sends and
//!   checking the one the form returns; shown once when made. Keyed by the stage key with no
//!   foreign key: a configuration save replaces the stage rows, the secret stays.
//! - `form_token_uses`: the `jti` of every form token accepted, until it expires, so a token
//!   is taken once only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProfileStages::Table)
                    .add_column(ColumnDef::new(ProfileStages::ExternalForm).json_binary().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FormSecrets::Table)
                    .col(ColumnDef::new(FormSecrets::StageKey).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(FormSecrets::Secret).string_len(128).not_null())
                    .col(ColumnDef::new(FormSecrets::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FormTokenUses::Table)
                    .col(ColumnDef::new(FormTokenUses::Jti).string_len(128).not_null().primary_key())
                    .col(ColumnDef::new(FormTokenUses::ExpiresAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // Expired uses are swept by expiry.
        manager
            .create_index(
                Index::create().name("idx_form_token_uses_expires_at").table(FormTokenUses::Table).col(FormTokenUses::ExpiresAt).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FormTokenUses::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(FormSecrets::Table).if_exists().to_owned()).await?;
        manager.alter_table(Table::alter().table(ProfileStages::Table).drop_column(ProfileStages::ExternalForm).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfileStages {
    Table,
    ExternalForm,
}

#[derive(DeriveIden)]
enum FormSecrets {
    Table,
    StageKey,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FormTokenUses {
    Table,
    Jti,
    ExpiresAt,
}
