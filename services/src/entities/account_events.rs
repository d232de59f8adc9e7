use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: String,
    pub at: DateTimeUtc,
    /// What happened: `sign_in`, `password_changed`, `email_verified`, … (`activity::EventKind`).
    pub kind: String,
    /// `false` for a refused attempt (a wrong password).
    pub success: bool,
    /// Who did it: `user`, `admin`, `api`, `cli` or `system`.
    pub actor: String,
    /// The sign-in connection, for sign-ins and identity links.
    pub connection: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Kind-specific facts (the address verified, the fields an admin changed…).
    pub details: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
