use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "profile_stage_fields")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub stage_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub field_key: String,
    pub position: i32,
    /// The step (page) of a multi-step stage the field is on; 0 for the first.
    pub step: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
