use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: String,
    pub app_type: String,
    pub secret_hashes: Json,
    pub callbacks: Json,
    pub allowed_logout_urls: Json,
    pub web_origins: Json,
    pub grant_types: Json,
    pub scopes: Json,
    pub released_fields: Json,
    pub skip_consent: bool,
    pub logo_uri: Option<String>,
    pub access_token_secs: i32,
    pub id_token_secs: i32,
    pub refresh_token_secs: i32,
    pub backchannel_logout_uri: Option<String>,
    /// `RS256` or `EdDSA`; NULL (a row from before the setting) is RS256.
    pub id_token_signed_response_alg: Option<String>,
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
