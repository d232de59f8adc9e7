use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    /// One message per event: a second enqueue with the same key is not a second message.
    pub dedupe_key: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// `queued`, `sent` or `failed` (gave up after the last attempt).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the message until then; another may take it after (it crashed).
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
