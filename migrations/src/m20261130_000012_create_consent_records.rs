//! Consent records: each answer to a consent field, with the purpose text and its version as
//! the person saw them, kept append-only (a withdrawal is a new record, not an edit).
//!
//! - `profile_fields.consent`: a consent field's purpose, version and whether to ask again
//!   after a new version (JSON), null for other fields.
//! - `consent_records`: one row per agreement or refusal; removed with the account.

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
                    .add_column(ColumnDef::new(ProfileFields::Consent).json_binary().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentRecords::Table)
                    .col(ColumnDef::new(ConsentRecords::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(ConsentRecords::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(ConsentRecords::FieldKey).string_len(64).not_null())
                    .col(ColumnDef::new(ConsentRecords::Version).integer().not_null())
                    .col(ColumnDef::new(ConsentRecords::Purpose).text().not_null())
                    .col(ColumnDef::new(ConsentRecords::Granted).boolean().not_null())
                    .col(ColumnDef::new(ConsentRecords::Source).string_len(128).not_null())
                    .col(ColumnDef::new(ConsentRecords::RecordedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_consent_records_user")
                            .from(ConsentRecords::Table, ConsentRecords::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A person's records in order: the latest per field is what the engine reads.
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_records_user")
                    .table(ConsentRecords::Table)
                    .col(ConsentRecords::UserId)
                    .col(ConsentRecords::Id)
                    .to_owned(),
            )
            .await?;
        // The highest version recorded for a field: a field made again never reuses it.
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_records_field_version")
                    .table(ConsentRecords::Table)
                    .col(ConsentRecords::FieldKey)
                    .col(ConsentRecords::Version)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConsentRecords::Table).if_exists().to_owned()).await?;
        manager.alter_table(Table::alter().table(ProfileFields::Table).drop_column(ProfileFields::Consent).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfileFields {
    Table,
    Consent,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ConsentRecords {
    Table,
    Id,
    UserId,
    FieldKey,
    Version,
    Purpose,
    Granted,
    Source,
    RecordedAt,
}
