use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_fields")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    pub kind: String,
    pub target: String,
    pub validation: Json,
    pub claims: Json,
    pub user_editable: bool,
    pub consent: Option<Json>,
    /// A hidden field's source (`query:ref`, `tags`, `connection`).
    pub hidden_from: Option<String>,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
