use sea_orm::entity::prelude::*;

/// The HS256 secret of an external form stage (see `crate::external_form`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stage_key: String,
    /// Signs and checks the form tokens; never served after it is made.
    pub secret: String,
    pub created_at: DateTimeUtc,
    /// The `iss` a returned token must name (seed 002's format); `None`: AskOnce's public URL,
    /// the `iss` of its own session tokens.
    pub issuer: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
