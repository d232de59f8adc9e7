use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
    pub user_metadata: Json,
    pub app_metadata: Json,
    pub provenance: Json,
    pub logins_count: i32,
    pub last_login: Option<DateTimeUtc>,
    pub last_ip: Option<String>,
    pub blocked: bool,
    pub is_admin: bool,
    /// The identity whose claims are the root attributes; `None`: the first linked one.
    pub primary_identity_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::identities::Entity")]
    Identities,
    #[sea_orm(has_one = "super::password_credentials::Entity")]
    PasswordCredential,
}

impl Related<super::identities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Identities.def()
    }
}

impl Related<super::password_credentials::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PasswordCredential.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// This row's id, typed.
    pub fn user_id(&self) -> domain::user_id::UserId {
        domain::user_id::UserId::from_stored(self.id.clone())
    }
}
