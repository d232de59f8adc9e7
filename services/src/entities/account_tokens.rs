use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: String,
    /// `verify_email`, `reset_password` or `change_email`.
    pub purpose: String,
    /// SHA-256 of the link's token, hex: the token itself is only ever in the email.
    pub token_hash: String,
    /// The address the link was sent to (for `change_email`, the new address).
    pub email: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when the link is used: it never works again.
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
