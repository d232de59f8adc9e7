use sea_orm::entity::prelude::*;

/// The one row (`id = 1`) whose `version` every change to the profiling configuration bumps.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profiling_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub version: i64,
    pub changed_at: Option<DateTimeUtc>,
    /// Random, made once per database: with `version` it names one configuration anywhere
    /// (what the configuration cache is keyed by). `None` on a row no migration filled.
    pub database_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
