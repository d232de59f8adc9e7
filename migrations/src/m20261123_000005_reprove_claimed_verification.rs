//! Before verification was bound to an address, linking a provider copied its
//! `email_verified = true` next to whatever email the profile had — the look-alike takeover.
//! Those flags cannot be told apart from honest ones in SQL, so every flag that rests on a
//! provider claim is cleared: the next sign-in through that provider re-derives it from the
//! address the provider actually vouches for (`identity::ssr`). Flags from an import and from
//! a link stay. Until then an affected configured admin signs in again with their provider.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "UPDATE users SET email_verified = false \
                 WHERE email_verified AND (provenance -> 'email_verified' ->> 'source') LIKE 'claim:%'"
            }
            _ => {
                "UPDATE users SET email_verified = 0 \
                 WHERE email_verified AND json_extract(provenance, '$.email_verified.source') LIKE 'claim:%'"
            }
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Nothing to restore: the cleared flags were never proof.
        Ok(())
    }
}
