//! The profiling configuration's revision: one row whose `version` goes up by one with every
//! change to fields and stages, in the same transaction as the change. Editors (the console,
//! the management API) say which version they started from; a change based on an older one is
//! refused instead of silently undoing someone else's, and readers use it to know that the
//! fields and stages they read belong together.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProfilingRevision::Table)
                    .col(ColumnDef::new(ProfilingRevision::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(ProfilingRevision::Version).big_integer().not_null())
                    .col(ColumnDef::new(ProfilingRevision::ChangedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // The one row every change updates; version 1 is whatever is configured today.
        let mut insert = Query::insert();
        insert.into_table(ProfilingRevision::Table).columns([ProfilingRevision::Id, ProfilingRevision::Version]);
        insert.values([1.into(), 1i64.into()]).map_err(|e| DbErr::Custom(e.to_string()))?;
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProfilingRevision::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProfilingRevision {
    Table,
    Id,
    Version,
    ChangedAt,
}
