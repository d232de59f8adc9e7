//! The OpenID Provider: the site owner's applications (clients), the keys that sign ID and
//! access tokens, authorizations in flight, authorization codes, and the tokens issued (kept
//! so they can be revoked and introspected; access tokens are JWTs, and only their `jti` is
//! kept). Codes and tokens are stored as SHA-256 hashes of what the client holds; a client's
//! secrets too (they are random and long, so a fast hash is enough). Private keys are stored
//! encrypted with the key-encryption key (`services::openid_provider::keys`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .col(ColumnDef::new(OauthClients::ClientId).string_len(128).not_null().primary_key())
                    .col(ColumnDef::new(OauthClients::Name).string_len(128).not_null())
                    .col(ColumnDef::new(OauthClients::AppType).string_len(32).not_null())
                    // [{ "hash": hex sha256, "created_at": …, "expires_at": … | null }]
                    .col(ColumnDef::new(OauthClients::SecretHashes).json().not_null())
                    .col(ColumnDef::new(OauthClients::Callbacks).json().not_null())
                    .col(ColumnDef::new(OauthClients::AllowedLogoutUrls).json().not_null())
                    .col(ColumnDef::new(OauthClients::WebOrigins).json().not_null())
                    .col(ColumnDef::new(OauthClients::GrantTypes).json().not_null())
                    .col(ColumnDef::new(OauthClients::Scopes).json().not_null())
                    .col(ColumnDef::new(OauthClients::ReleasedFields).json().not_null())
                    .col(ColumnDef::new(OauthClients::SkipConsent).boolean().not_null())
                    .col(ColumnDef::new(OauthClients::LogoUri).string_len(2048).null())
                    .col(ColumnDef::new(OauthClients::AccessTokenSecs).integer().not_null())
                    .col(ColumnDef::new(OauthClients::IdTokenSecs).integer().not_null())
                    .col(ColumnDef::new(OauthClients::RefreshTokenSecs).integer().not_null())
                    .col(ColumnDef::new(OauthClients::BackchannelLogoutUri).string_len(2048).null())
                    // `config` (askonce.toml, rewritten at each start) or `console`.
                    .col(ColumnDef::new(OauthClients::Source).string_len(16).not_null())
                    .col(ColumnDef::new(OauthClients::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthClients::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(ColumnDef::new(SigningKeys::Kid).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(SigningKeys::Alg).string_len(16).not_null())
                    .col(ColumnDef::new(SigningKeys::PublicJwk).json().not_null())
                    .col(ColumnDef::new(SigningKeys::PrivateKey).text().not_null())
                    .col(ColumnDef::new(SigningKeys::CreatedAt).timestamp_with_time_zone().not_null())
                    // Signs nothing from then on (a newer key does), still published.
                    .col(ColumnDef::new(SigningKeys::RetiredAt).timestamp_with_time_zone().null())
                    // Unpublished from then on: every token it signed has expired.
                    .col(ColumnDef::new(SigningKeys::ExpiresAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthAuthorizations::Table)
                    .col(ColumnDef::new(OauthAuthorizations::Id).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(OauthAuthorizations::ClientId).string_len(128).not_null())
                    // SHA-256 of the browser's binding cookie: only that browser continues it.
                    .col(ColumnDef::new(OauthAuthorizations::BrowserHash).string_len(64).not_null())
                    // The request's parameters as checked (`domain::openid_provider::AuthorizationRequest`).
                    .col(ColumnDef::new(OauthAuthorizations::Request).json().not_null())
                    // The person must have signed in at or after this time (prompt=login, max_age).
                    .col(ColumnDef::new(OauthAuthorizations::AuthenticateAfter).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(OauthAuthorizations::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthAuthorizations::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthAuthorizations::CompletedAt).timestamp_with_time_zone().null())
                    // The person's answer on the consent screen: `granted`, `denied`, or none yet.
                    .col(ColumnDef::new(OauthAuthorizations::Consent).string_len(16).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_authorizations_client")
                            .from(OauthAuthorizations::Table, OauthAuthorizations::ClientId)
                            .to(OauthClients::Table, OauthClients::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthCodes::Table)
                    .col(ColumnDef::new(OauthCodes::CodeHash).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(OauthCodes::ClientId).string_len(128).not_null())
                    .col(ColumnDef::new(OauthCodes::UserId).string_len(64).not_null())
                    // What the token endpoint needs: redirect_uri, scope, nonce, PKCE challenge, auth_time, sid, amr.
                    .col(ColumnDef::new(OauthCodes::Grant).json().not_null())
                    .col(ColumnDef::new(OauthCodes::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthCodes::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthCodes::UsedAt).timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_codes_user")
                            .from(OauthCodes::Table, OauthCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_codes_client")
                            .from(OauthCodes::Table, OauthCodes::ClientId)
                            .to(OauthClients::Table, OauthClients::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthTokens::Table)
                    // An access token's `jti`, or a refresh token's SHA-256.
                    .col(ColumnDef::new(OauthTokens::Id).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(OauthTokens::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(OauthTokens::ClientId).string_len(128).not_null())
                    // None for a machine client's own token (client_credentials).
                    .col(ColumnDef::new(OauthTokens::UserId).string_len(64).null())
                    .col(ColumnDef::new(OauthTokens::Scope).string_len(1024).not_null())
                    // The code that issued it: a second use of the code revokes these.
                    .col(ColumnDef::new(OauthTokens::CodeHash).string_len(64).null())
                    // A refresh token's family: reuse of a rotated token revokes all of it.
                    .col(ColumnDef::new(OauthTokens::FamilyId).string_len(64).null())
                    .col(ColumnDef::new(OauthTokens::Sid).string_len(64).null())
                    .col(ColumnDef::new(OauthTokens::Grant).json().null())
                    .col(ColumnDef::new(OauthTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthTokens::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthTokens::RotatedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(OauthTokens::RevokedAt).timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_tokens_user")
                            .from(OauthTokens::Table, OauthTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_tokens_client")
                            .from(OauthTokens::Table, OauthTokens::ClientId)
                            .to(OauthClients::Table, OauthClients::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // What a person let each application have ("Apps you signed in to" on /profile): the
        // scopes granted, and when it last signed them in.
        manager
            .create_table(
                Table::create()
                    .table(OauthGrants::Table)
                    .col(ColumnDef::new(OauthGrants::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(OauthGrants::ClientId).string_len(128).not_null())
                    .col(ColumnDef::new(OauthGrants::Scope).string_len(1024).not_null())
                    .col(ColumnDef::new(OauthGrants::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(OauthGrants::LastUsedAt).timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(OauthGrants::UserId).col(OauthGrants::ClientId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_grants_user")
                            .from(OauthGrants::Table, OauthGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_grants_client")
                            .from(OauthGrants::Table, OauthGrants::ClientId)
                            .to(OauthClients::Table, OauthClients::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_oauth_tokens_code").table(OauthTokens::Table).col(OauthTokens::CodeHash).to_owned())
            .await?;
        // The hourly purges of what has expired.
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_authorizations_expires")
                    .table(OauthAuthorizations::Table)
                    .col(OauthAuthorizations::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_oauth_codes_expires").table(OauthCodes::Table).col(OauthCodes::ExpiresAt).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("idx_oauth_tokens_expires").table(OauthTokens::Table).col(OauthTokens::ExpiresAt).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("idx_oauth_tokens_family").table(OauthTokens::Table).col(OauthTokens::FamilyId).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("idx_oauth_tokens_user").table(OauthTokens::Table).col(OauthTokens::UserId).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OauthGrants::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OauthTokens::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OauthCodes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OauthAuthorizations::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SigningKeys::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OauthClients::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    ClientId,
    Name,
    AppType,
    SecretHashes,
    Callbacks,
    AllowedLogoutUrls,
    WebOrigins,
    GrantTypes,
    Scopes,
    ReleasedFields,
    SkipConsent,
    LogoUri,
    AccessTokenSecs,
    IdTokenSecs,
    RefreshTokenSecs,
    BackchannelLogoutUri,
    Source,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    PublicJwk,
    PrivateKey,
    CreatedAt,
    RetiredAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OauthAuthorizations {
    Table,
    Id,
    ClientId,
    BrowserHash,
    Request,
    AuthenticateAfter,
    CreatedAt,
    ExpiresAt,
    CompletedAt,
    Consent,
}

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    UserId,
    ClientId,
    Scope,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    Grant,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OauthTokens {
    Table,
    Id,
    Kind,
    ClientId,
    UserId,
    Scope,
    CodeHash,
    FamilyId,
    Sid,
    Grant,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}
