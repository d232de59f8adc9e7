//! `/userinfo` (OpenID Connect Core §5.3): the claims an access token's scopes release, and
//! the client's released `user_metadata`. Filtered by scope and released fields, unlike the
//! legacy unfiltered `/userinfo` of seed 003 (a deliberate difference).

use chrono::{DateTime, Utc};
use openidconnect::{core::CoreGenderClaim, UserInfoClaims};
use sea_orm::DatabaseConnection;

use super::{
    claims::{self, AskOnceClaims},
    clients,
    tokens::{self, TokenRefused},
    Provider,
};

pub type UserInfo = UserInfoClaims<AskOnceClaims, CoreGenderClaim>;

/// The claims for the bearer of `access_token`.
pub async fn claims_for(
    db: &DatabaseConnection,
    provider: &Provider,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<UserInfo, TokenRefused> {
    let grant = tokens::verify_access(db, provider, access_token, now).await?;
    let Some(user) = super::load_user(db, &grant.user_id).await?.filter(|u| !u.blocked) else {
        return Err(TokenRefused::Revoked);
    };
    let Some(client) = clients::find(db, &grant.client_id).await? else {
        return Err(TokenRefused::Revoked);
    };
    let mut additional = claims::additional(&user, &client, &provider.user_metadata_claim(), None);
    additional.sid = None;
    Ok(UserInfo::new(claims::standard(&user, &grant.scope), additional))
}
