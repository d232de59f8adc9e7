use sea_orm::entity::prelude::*;

/// One round trip to an external form and back (see `crate::external_form::round_trips`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_round_trips")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub stage_key: String,
    pub user_id: String,
    /// SHA-256 of the round trip's `state` (never the state itself).
    pub state_hash: Option<String>,
    /// Always set by this release (nullable for returns outside a round trip, which it no
    /// longer records).
    pub started_at: Option<DateTimeUtc>,
    pub returned_at: Option<DateTimeUtc>,
    /// `started`, `stored`, `refused` or `failed`.
    pub outcome: String,
    /// The `FormProblem` code of the last refusal.
    pub reason: Option<String>,
    /// How many times the browser came back on this round trip.
    pub returns: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
