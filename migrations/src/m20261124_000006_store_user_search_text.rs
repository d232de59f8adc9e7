//! Admin search at a million users, PostgreSQL: the searched text is stored in a generated
//! column, `users.search_text`, and the trigram index moves from the expression onto it.
//!
//! Computing `lower(email ‖ name ‖ user_metadata::text ‖ app_metadata::text)` was most of what
//! a search cost — about 3 µs a row (two jsonb→text conversions and a locale-aware `lower`),
//! paid for every row a search walks and every candidate the index returns. Stored, a row costs
//! one `LIKE`. The index keeps a small pending list (`gin_pending_list_limit`, 256 kB instead of
//! 4 MB): every search scans the whole list, which at 4 MB added up to ~10 ms to each.
//!
//! Adding a stored generated column rewrites the table under an exclusive lock: ~10 s at a
//! million users, plus ~25 s to build the index (measured on the 2-core machine). `ANALYZE`
//! at the end gives the search its sample of the column (`pg_stats`) at once.
//!
//! SQLite has neither: it keeps scanning the expression, which is fine at its sizes. The
//! column's expression must stay identical to `admin::users::ssr::search_text` (SQLite's),
//! so both backends search the same text.

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
        db.execute_unprepared(
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS search_text text GENERATED ALWAYS AS \
             (lower(coalesce(email, '') || ' ' || coalesce(name, '') || ' ' || user_metadata::text || ' ' || app_metadata::text)) STORED",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_users_search_text ON users USING gin (search_text gin_trgm_ops) \
             WITH (gin_pending_list_limit = 256)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_search").await?;
        db.execute_unprepared("ANALYZE users").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // Back to m20261122_000003's index, then without the column.
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_users_search ON users USING gin \
             ((lower(coalesce(email, '') || ' ' || coalesce(name, '') || ' ' || user_metadata::text || ' ' || app_metadata::text)) gin_trgm_ops)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_search_text").await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN IF EXISTS search_text").await?;
        Ok(())
    }
}
