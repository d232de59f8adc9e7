//! Reading a whole profile (root attributes, identities, provenance) from the database.

use domain::user_id::UserId;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use std::collections::BTreeMap;

use serde_json::Value;

use super::{IdentityView, UserProfile};
use crate::entities::{identities, users};

/// The whole profile of `user_id`, or `None` when there is no such user.
#[tracing::instrument(skip(db))]
pub async fn load_user_profile(db: &DatabaseConnection, user_id: &UserId) -> Result<Option<UserProfile>, DbErr> {
    let Some(user) = users::Entity::find_by_id(user_id.to_string()).one(db).await? else {
        return Ok(None);
    };
    let rows = identities::Entity::find()
        .filter(identities::Column::UserId.eq(user_id.as_str()))
        .order_by_asc(identities::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let primary = crate::profile::primary_of(user.primary_identity_id, &ids);
    let identities = rows
        .into_iter()
        .map(|i| IdentityView {
            primary: primary == Some(i.id),
            connection: i.connection,
            provider: i.provider,
            user_id: i.subject,
            is_social: i.is_social,
            profile_data: i.profile_data,
        })
        .collect();
    // Entries that do not parse (written by a newer version?) are left out, not fatal.
    let provenance = match &user.provenance {
        Value::Object(map) => map.iter().filter_map(|(k, v)| serde_json::from_value(v.clone()).ok().map(|p| (k.clone(), p))).collect(),
        _ => BTreeMap::new(),
    };
    Ok(Some(UserProfile {
        user_id: user.id,
        email: user.email,
        email_verified: user.email_verified,
        name: user.name,
        given_name: user.given_name,
        family_name: user.family_name,
        nickname: user.nickname,
        picture: user.picture,
        locale: user.locale,
        created_at: user.created_at,
        updated_at: user.updated_at,
        last_login: user.last_login,
        last_ip: user.last_ip,
        logins_count: user.logins_count,
        blocked: user.blocked,
        user_metadata: user.user_metadata,
        app_metadata: user.app_metadata,
        identities,
        provenance,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        identity::{upsert_login, ConnectionRef, ProviderKind, SyncPolicy},
        profile::Source,
    };
    use serde_json::json;

    crate::db_test!(the_profile_has_auth0_shape_identities_and_provenance, |db| {
        let google = ConnectionRef { name: "google".into(), kind: ProviderKind::Google, sync: SyncPolicy::OnEachLogin };
        let login = upsert_login(
            db,
            &google,
            "g-1",
            json!({"sub": "g-1", "given_name": "Ada", "email": "ada@example.com", "email_verified": true}),
            None,
        )
        .await
        .unwrap();
        let profile = load_user_profile(db, &login.user.user_id()).await.unwrap().unwrap();
        assert_eq!(profile.identities.len(), 1);
        assert_eq!(profile.identities[0].user_id, "g-1");
        assert_eq!(profile.identities[0].provider, "google-oauth2");
        assert_eq!(profile.provenance["given_name"].source, Source::Claim { connection: "google".into(), claim: "given_name".into() });
        let json = serde_json::to_value(&profile).unwrap();
        for key in ["user_id", "email", "email_verified", "identities", "user_metadata", "app_metadata", "logins_count", "created_at"] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        assert!(json["identities"][0].get("isSocial").is_some());
        assert!(load_user_profile(db, &UserId::from_stored("nobody")).await.unwrap().is_none());
    });
}
