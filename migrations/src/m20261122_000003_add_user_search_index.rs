//! Fast admin search on PostgreSQL: a trigram index over the text the user directory
//! searches (email, name, metadata), so `LIKE '%term%'` stays an index lookup at a million
//! users. SQLite has no trigram indexes; it scans, which is fine at its sizes.
//!
//! The indexed expression must stay identical to `admin::users::ssr::search_text`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_users_search ON users USING gin \
             ((lower(coalesce(email, '') || ' ' || coalesce(name, '') || ' ' || user_metadata::text || ' ' || app_metadata::text)) gin_trgm_ops)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP INDEX IF EXISTS idx_users_search").await?;
        }
        Ok(())
    }
}
