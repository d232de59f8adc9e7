use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_stages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub title: String,
    pub intro: Option<String>,
    pub position: i32,
    pub trigger_kind: String,
    pub min_logins: Option<i32>,
    /// The last login a login stage is asked at (null: every later one).
    pub max_logins: Option<i32>,
    pub context_name: Option<String>,
    pub context_tags: Json,
    pub condition: Option<Json>,
    pub skippable: bool,
    pub cooldown_days: Option<i32>,
    pub cooldown_logins: Option<i32>,
    pub enabled: bool,
    /// `crate::profiling::ExternalForm` as JSON; null for a stage asked here.
    pub external_form: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
