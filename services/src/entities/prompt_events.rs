use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prompt_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: String,
    pub stage_key: String,
    /// shown | answered | skipped | abandoned
    pub kind: String,
    /// signup | login | context
    pub trigger_kind: String,
    pub context_name: Option<String>,
    /// For `answered`: `{"answered": [...], "declined": [...]}` field keys.
    pub fields: Json,
    pub login_number: i32,
    /// The application whose page asked (the prompt API); `None` on AskOnce's own pages.
    pub client_id: Option<String>,
    /// The page of that application (a path or an address on one of its web origins).
    pub page: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
