use sea_orm::entity::prelude::*;

/// One call of a hook: its outcome, HTTP status and duration.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hook_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hook_id: String,
    pub user_id: Option<String>,
    pub at: DateTimeUtc,
    pub outcome: String,
    pub http_status: Option<i32>,
    pub duration_ms: i32,
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
