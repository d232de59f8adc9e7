//! The first schema: people and their profiles, federated identities, local passwords, the
//! progressive-profiling configuration and its event history, demo articles, API tokens and
//! the audit log.
//!
//! Design notes (why, not what):
//! - `users.id` is a text UUID so ids look the same on SQLite and PostgreSQL and can be
//!   exposed in URLs without revealing counts.
//! - Identities are unique on (connection, subject): a provider account is matched by the
//!   provider's `sub`, never by email.
//! - `users.provenance` maps an attribute path (`given_name`, `user_metadata.company`) to where
//!   its value came from and when; it lives beside the values so one row write keeps both
//!   consistent.
//! - `users.version` is bumped on every profile write: writers compare-and-swap on it so two
//!   concurrent writes never silently lose one another.
//! - `prompt_events.stage_key` is not a foreign key: analytics must survive a stage's deletion.
//! - The audit log keeps `subject_hash`, never personal data, so it can outlive an erased user.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_users(manager).await?;
        create_identities(manager).await?;
        create_password_credentials(manager).await?;
        create_profile_fields(manager).await?;
        create_profile_stages(manager).await?;
        create_profile_stage_fields(manager).await?;
        create_prompt_events(manager).await?;
        create_articles(manager).await?;
        create_api_tokens(manager).await?;
        create_audit_log(manager).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse order of creation, so foreign keys never point at a dropped table.
        let tables: [DynIden; 10] = [
            AuditLog::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Articles::Table.into_iden(),
            PromptEvents::Table.into_iden(),
            ProfileStageFields::Table.into_iden(),
            ProfileStages::Table.into_iden(),
            ProfileFields::Table.into_iden(),
            PasswordCredentials::Table.into_iden(),
            Identities::Table.into_iden(),
            Users::Table.into_iden(),
        ];
        for table in tables {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

fn created_at<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().default(Expr::current_timestamp()).to_owned()
}

async fn create_users(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Users::Table)
            .col(ColumnDef::new(Users::Id).string_len(64).not_null().primary_key())
            .col(ColumnDef::new(Users::Email).string_len(320).null())
            // Lower-cased copy for case-insensitive search; not unique (two federated
            // accounts of different people may claim one address).
            .col(ColumnDef::new(Users::EmailNormalized).string_len(320).null())
            .col(ColumnDef::new(Users::EmailVerified).boolean().not_null().default(false))
            .col(ColumnDef::new(Users::Name).string_len(512).null())
            .col(ColumnDef::new(Users::GivenName).string_len(256).null())
            .col(ColumnDef::new(Users::FamilyName).string_len(256).null())
            .col(ColumnDef::new(Users::Nickname).string_len(256).null())
            .col(ColumnDef::new(Users::Picture).string_len(2048).null())
            .col(ColumnDef::new(Users::Locale).string_len(35).null())
            .col(ColumnDef::new(Users::UserMetadata).json_binary().not_null())
            .col(ColumnDef::new(Users::AppMetadata).json_binary().not_null())
            .col(ColumnDef::new(Users::Provenance).json_binary().not_null())
            .col(ColumnDef::new(Users::LoginsCount).integer().not_null().default(0))
            .col(ColumnDef::new(Users::LastLogin).timestamp_with_time_zone().null())
            .col(ColumnDef::new(Users::LastIp).string_len(64).null())
            .col(ColumnDef::new(Users::Blocked).boolean().not_null().default(false))
            .col(ColumnDef::new(Users::IsAdmin).boolean().not_null().default(false))
            .col(ColumnDef::new(Users::Version).big_integer().not_null().default(0))
            .col(created_at(Users::CreatedAt))
            .col(created_at(Users::UpdatedAt))
            .to_owned(),
    )
    .await?;
    m.create_index(Index::create().name("idx_users_email_normalized").table(Users::Table).col(Users::EmailNormalized).to_owned()).await?;
    // Keyset pagination of the admin user list orders by (created_at, id).
    m.create_index(Index::create().name("idx_users_created_at_id").table(Users::Table).col(Users::CreatedAt).col(Users::Id).to_owned())
        .await
}

async fn create_identities(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Identities::Table)
            .col(ColumnDef::new(Identities::Id).big_integer().not_null().auto_increment().primary_key())
            .col(ColumnDef::new(Identities::UserId).string_len(64).not_null())
            .col(ColumnDef::new(Identities::Connection).string_len(64).not_null())
            .col(ColumnDef::new(Identities::Provider).string_len(64).not_null())
            .col(ColumnDef::new(Identities::Subject).string_len(255).not_null())
            .col(ColumnDef::new(Identities::IsSocial).boolean().not_null().default(false))
            .col(ColumnDef::new(Identities::ProfileData).json_binary().not_null())
            .col(ColumnDef::new(Identities::LastLogin).timestamp_with_time_zone().null())
            .col(created_at(Identities::CreatedAt))
            .col(created_at(Identities::UpdatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_identities_user")
                    .from(Identities::Table, Identities::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("uq_identities_connection_subject")
            .table(Identities::Table)
            .col(Identities::Connection)
            .col(Identities::Subject)
            .unique()
            .to_owned(),
    )
    .await?;
    m.create_index(Index::create().name("idx_identities_user").table(Identities::Table).col(Identities::UserId).to_owned()).await
}

async fn create_password_credentials(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(PasswordCredentials::Table)
            .col(ColumnDef::new(PasswordCredentials::UserId).string_len(64).not_null().primary_key())
            // The sign-in key of the local connection: unique, lower-cased.
            .col(ColumnDef::new(PasswordCredentials::EmailNormalized).string_len(320).not_null().unique_key())
            .col(ColumnDef::new(PasswordCredentials::PasswordHash).string_len(512).not_null())
            .col(created_at(PasswordCredentials::CreatedAt))
            .col(created_at(PasswordCredentials::UpdatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_password_credentials_user")
                    .from(PasswordCredentials::Table, PasswordCredentials::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await
}

async fn create_profile_fields(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(ProfileFields::Table)
            .col(ColumnDef::new(ProfileFields::Key).string_len(64).not_null().primary_key())
            .col(ColumnDef::new(ProfileFields::Label).string_len(256).not_null())
            .col(ColumnDef::new(ProfileFields::Help).text().null())
            .col(ColumnDef::new(ProfileFields::Kind).string_len(32).not_null())
            // `given_name` or `user_metadata.<key>`; never app_metadata (checked in code).
            .col(ColumnDef::new(ProfileFields::Target).string_len(128).not_null())
            .col(ColumnDef::new(ProfileFields::Validation).json_binary().not_null())
            .col(ColumnDef::new(ProfileFields::Claims).json_binary().not_null())
            .col(ColumnDef::new(ProfileFields::UserEditable).boolean().not_null().default(true))
            .col(ColumnDef::new(ProfileFields::Position).integer().not_null().default(0))
            .col(created_at(ProfileFields::CreatedAt))
            .col(created_at(ProfileFields::UpdatedAt))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create().name("uq_profile_fields_target").table(ProfileFields::Table).col(ProfileFields::Target).unique().to_owned(),
    )
    .await
}

async fn create_profile_stages(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(ProfileStages::Table)
            .col(ColumnDef::new(ProfileStages::Key).string_len(64).not_null().primary_key())
            .col(ColumnDef::new(ProfileStages::Title).string_len(256).not_null())
            .col(ColumnDef::new(ProfileStages::Intro).text().null())
            .col(ColumnDef::new(ProfileStages::Position).integer().not_null().default(0))
            // signup | login | context
            .col(ColumnDef::new(ProfileStages::TriggerKind).string_len(16).not_null())
            .col(ColumnDef::new(ProfileStages::MinLogins).integer().null())
            .col(ColumnDef::new(ProfileStages::ContextName).string_len(64).null())
            .col(ColumnDef::new(ProfileStages::ContextTags).json_binary().not_null())
            // The optional `when` condition on the profile, as JSON.
            .col(ColumnDef::new(ProfileStages::Condition).json_binary().null())
            .col(ColumnDef::new(ProfileStages::Skippable).boolean().not_null().default(true))
            .col(ColumnDef::new(ProfileStages::CooldownDays).integer().null())
            .col(ColumnDef::new(ProfileStages::CooldownLogins).integer().null())
            .col(ColumnDef::new(ProfileStages::Enabled).boolean().not_null().default(true))
            .col(created_at(ProfileStages::CreatedAt))
            .col(created_at(ProfileStages::UpdatedAt))
            .to_owned(),
    )
    .await
}

async fn create_profile_stage_fields(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(ProfileStageFields::Table)
            .col(ColumnDef::new(ProfileStageFields::StageKey).string_len(64).not_null())
            .col(ColumnDef::new(ProfileStageFields::FieldKey).string_len(64).not_null())
            .col(ColumnDef::new(ProfileStageFields::Position).integer().not_null().default(0))
            .primary_key(Index::create().col(ProfileStageFields::StageKey).col(ProfileStageFields::FieldKey))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_stage_fields_stage")
                    .from(ProfileStageFields::Table, ProfileStageFields::StageKey)
                    .to(ProfileStages::Table, ProfileStages::Key)
                    .on_delete(ForeignKeyAction::Cascade)
                    .on_update(ForeignKeyAction::Cascade),
            )
            // A field still used by a stage cannot be deleted: the admin must remove it from
            // the stage first, so no stage silently loses a question.
            .foreign_key(
                ForeignKey::create()
                    .name("fk_stage_fields_field")
                    .from(ProfileStageFields::Table, ProfileStageFields::FieldKey)
                    .to(ProfileFields::Table, ProfileFields::Key)
                    .on_delete(ForeignKeyAction::Restrict)
                    .on_update(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await
}

async fn create_prompt_events(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(PromptEvents::Table)
            .col(ColumnDef::new(PromptEvents::Id).big_integer().not_null().auto_increment().primary_key())
            .col(ColumnDef::new(PromptEvents::UserId).string_len(64).not_null())
            .col(ColumnDef::new(PromptEvents::StageKey).string_len(64).not_null())
            // shown | answered | skipped | abandoned
            .col(ColumnDef::new(PromptEvents::Kind).string_len(16).not_null())
            // signup | login | context
            .col(ColumnDef::new(PromptEvents::TriggerKind).string_len(16).not_null())
            .col(ColumnDef::new(PromptEvents::ContextName).string_len(64).null())
            .col(ColumnDef::new(PromptEvents::Fields).json_binary().not_null())
            // logins_count when the event happened: cooldowns measured in logins use it.
            .col(ColumnDef::new(PromptEvents::LoginNumber).integer().not_null().default(0))
            .col(created_at(PromptEvents::CreatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_prompt_events_user")
                    .from(PromptEvents::Table, PromptEvents::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("idx_prompt_events_user_stage")
            .table(PromptEvents::Table)
            .col(PromptEvents::UserId)
            .col(PromptEvents::StageKey)
            .col(PromptEvents::CreatedAt)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("idx_prompt_events_stage_time")
            .table(PromptEvents::Table)
            .col(PromptEvents::StageKey)
            .col(PromptEvents::CreatedAt)
            .to_owned(),
    )
    .await
}

async fn create_articles(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Articles::Table)
            .col(ColumnDef::new(Articles::Id).big_integer().not_null().auto_increment().primary_key())
            .col(ColumnDef::new(Articles::Slug).string_len(128).not_null().unique_key())
            .col(ColumnDef::new(Articles::Title).string_len(256).not_null())
            .col(ColumnDef::new(Articles::Summary).text().not_null())
            .col(ColumnDef::new(Articles::Body).text().not_null())
            .col(ColumnDef::new(Articles::Tags).json_binary().not_null())
            .col(created_at(Articles::PublishedAt))
            .to_owned(),
    )
    .await
}

async fn create_api_tokens(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(ApiTokens::Table)
            .col(ColumnDef::new(ApiTokens::Id).string_len(64).not_null().primary_key())
            .col(ColumnDef::new(ApiTokens::Name).string_len(128).not_null())
            // SHA-256 of the token: the token itself is shown once and never stored.
            .col(ColumnDef::new(ApiTokens::TokenHash).string_len(128).not_null().unique_key())
            // First characters, so an owner can recognise a token in a list.
            .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
            .col(ColumnDef::new(ApiTokens::Scopes).json_binary().not_null())
            .col(ColumnDef::new(ApiTokens::CreatedBy).string_len(64).null())
            .col(created_at(ApiTokens::CreatedAt))
            .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone().null())
            .col(ColumnDef::new(ApiTokens::ExpiresAt).timestamp_with_time_zone().null())
            .col(ColumnDef::new(ApiTokens::RevokedAt).timestamp_with_time_zone().null())
            .to_owned(),
    )
    .await
}

async fn create_audit_log(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(AuditLog::Table)
            .col(ColumnDef::new(AuditLog::Id).big_integer().not_null().auto_increment().primary_key())
            .col(created_at(AuditLog::At))
            // `user`, `admin`, `api_token`, `system`
            .col(ColumnDef::new(AuditLog::ActorKind).string_len(16).not_null())
            .col(ColumnDef::new(AuditLog::ActorId).string_len(64).null())
            .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
            // A keyed hash of the affected user's id, not the id: entries outlive erasure
            // without pointing back at a person.
            .col(ColumnDef::new(AuditLog::SubjectHash).string_len(128).null())
            .col(ColumnDef::new(AuditLog::Details).json_binary().not_null())
            .to_owned(),
    )
    .await?;
    m.create_index(Index::create().name("idx_audit_log_at").table(AuditLog::Table).col(AuditLog::At).to_owned()).await
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailNormalized,
    EmailVerified,
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Picture,
    Locale,
    UserMetadata,
    AppMetadata,
    Provenance,
    LoginsCount,
    LastLogin,
    LastIp,
    Blocked,
    IsAdmin,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Identities {
    Table,
    Id,
    UserId,
    Connection,
    Provider,
    Subject,
    IsSocial,
    ProfileData,
    LastLogin,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PasswordCredentials {
    Table,
    UserId,
    EmailNormalized,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProfileFields {
    Table,
    Key,
    Label,
    Help,
    Kind,
    Target,
    Validation,
    Claims,
    UserEditable,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProfileStages {
    Table,
    Key,
    Title,
    Intro,
    Position,
    TriggerKind,
    MinLogins,
    ContextName,
    ContextTags,
    Condition,
    Skippable,
    CooldownDays,
    CooldownLogins,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProfileStageFields {
    Table,
    StageKey,
    FieldKey,
    Position,
}

#[derive(DeriveIden)]
enum PromptEvents {
    Table,
    Id,
    UserId,
    StageKey,
    Kind,
    TriggerKind,
    ContextName,
    Fields,
    LoginNumber,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Slug,
    Title,
    Summary,
    Body,
    Tags,
    PublishedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    TokenHash,
    Prefix,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorKind,
    ActorId,
    Action,
    SubjectHash,
    Details,
}
