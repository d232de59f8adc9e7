//! A random identity for the database, on the profiling revision row: with its `version` it
//! names one state of the profiling configuration in every database there is, so a process
//! may keep the configuration it read and, next time, read only that row
//! (`services::profiling::config_store`). Expand only: one nullable column, filled here for
//! the existing row. A release without this column keeps working (it never reads it); a
//! row without a value is simply never cached.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProfilingRevision::Table)
                    .add_column(ColumnDef::new(ProfilingRevision::DatabaseId).string().null())
                    .to_owned(),
            )
            .await?;
        // 128 random bits from the database itself (no other source is at hand here).
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "UPDATE profiling_revision SET database_id = md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text) \
                 WHERE database_id IS NULL"
            }
            _ => "UPDATE profiling_revision SET database_id = lower(hex(randomblob(16))) WHERE database_id IS NULL",
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ProfilingRevision::Table).drop_column(ProfilingRevision::DatabaseId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfilingRevision {
    Table,
    DatabaseId,
}
