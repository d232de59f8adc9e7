use sea_orm::entity::prelude::*;

/// A post-login hook (see `crate::hooks`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub trigger: String,
    pub url: String,
    pub enabled: bool,
    pub timeout_ms: i32,
    pub on_failure: String,
    /// Signs each call; never served after the hook is made.
    pub secret: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
