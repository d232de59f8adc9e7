//! What a person let each application have: the scopes granted on the consent screen (or,
//! for the site's own first-party apps, by signing in), and when it last signed them in. The
//! consent screen is asked again when an app asks for more; `/profile` lists the apps ("Apps
//! you signed in to") and removes one, which revokes every token it holds for the person.

use chrono::{DateTime, Utc};
use domain::user_id::UserId;
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{clients, Scopes};
use crate::entities::{oauth_clients, oauth_codes, oauth_grants, oauth_tokens};

/// An application on the person's list.
#[derive(Debug, Clone)]
pub struct AppGrant {
    pub client_id: String,
    pub name: String,
    pub logo_uri: Option<String>,
    pub scope: Scopes,
    pub first_used: DateTime<Utc>,
    pub last_used: DateTime<Utc>,
}

/// Whether `user_id` already granted `client_id` every scope of `scope`.
pub async fn covers(db: &impl ConnectionTrait, user_id: &UserId, client_id: &str, scope: &Scopes) -> Result<bool, DbErr> {
    let grant = oauth_grants::Entity::find_by_id((user_id.to_string(), client_id.to_string())).one(db).await?;
    Ok(grant.is_some_and(|g| scope.is_subset(&Scopes::parse(&g.scope))))
}

/// How stale "last used" may get: a sign-in within this of the one recorded writes nothing
/// (the list shows the minute), as an API token's and a session's last use are kept.
const LAST_USE_PRECISION: chrono::Duration = chrono::Duration::seconds(60);

/// Records that `client_id` signed `user_id` in with `scope` now: the scopes join those
/// granted before.
pub async fn record(db: &impl ConnectionTrait, user_id: &UserId, client_id: &str, scope: &Scopes, now: DateTime<Utc>) -> Result<(), DbErr> {
    match oauth_grants::Entity::find_by_id((user_id.to_string(), client_id.to_string())).one(db).await? {
        Some(grant) if now - grant.last_used_at < LAST_USE_PRECISION && scope.is_subset(&Scopes::parse(&grant.scope)) => {}
        Some(grant) => {
            let joined = Scopes::parse(&format!("{} {scope}", grant.scope));
            oauth_grants::Entity::update_many()
                .col_expr(oauth_grants::Column::Scope, Expr::value(joined.to_string()))
                .col_expr(oauth_grants::Column::LastUsedAt, Expr::value(now))
                .filter(oauth_grants::Column::UserId.eq(user_id.as_str()))
                .filter(oauth_grants::Column::ClientId.eq(client_id))
                .exec(db)
                .await?;
        }
        None => {
            oauth_grants::ActiveModel {
                user_id: Set(user_id.to_string()),
                client_id: Set(client_id.to_string()),
                scope: Set(scope.to_string()),
                created_at: Set(now),
                last_used_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The applications `user_id` signed in to, most recent first.
pub async fn list(db: &impl ConnectionTrait, user_id: &UserId) -> Result<Vec<AppGrant>, DbErr> {
    let rows = oauth_grants::Entity::find()
        .filter(oauth_grants::Column::UserId.eq(user_id.as_str()))
        .order_by_desc(oauth_grants::Column::LastUsedAt)
        .all(db)
        .await?;
    let mut apps = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(client) = oauth_clients::Entity::find_by_id(row.client_id.clone()).one(db).await?.map(clients::Client::from) else {
            continue;
        };
        apps.push(AppGrant {
            client_id: row.client_id,
            name: client.name,
            logo_uri: client.logo_uri,
            scope: Scopes::parse(&row.scope),
            first_used: row.created_at,
            last_used: row.last_used_at,
        });
    }
    Ok(apps)
}

/// Removes `client_id` from `user_id`'s apps: the grant goes (the consent screen asks again)
/// and every token the app holds for them is revoked, with the codes it has not exchanged
/// yet (one issued a moment before must not mint tokens after). Whether there was one.
pub async fn remove(db: &impl ConnectionTrait, user_id: &UserId, client_id: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    oauth_codes::Entity::update_many()
        .col_expr(oauth_codes::Column::UsedAt, Expr::value(now))
        .filter(oauth_codes::Column::UserId.eq(user_id.as_str()))
        .filter(oauth_codes::Column::ClientId.eq(client_id))
        .filter(oauth_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let removed = oauth_grants::Entity::delete_many()
        .filter(oauth_grants::Column::UserId.eq(user_id.as_str()))
        .filter(oauth_grants::Column::ClientId.eq(client_id))
        .exec(db)
        .await?
        .rows_affected;
    oauth_tokens::Entity::update_many()
        .col_expr(oauth_tokens::Column::RevokedAt, Expr::value(now))
        .filter(oauth_tokens::Column::UserId.eq(user_id.as_str()))
        .filter(oauth_tokens::Column::ClientId.eq(client_id))
        .filter(oauth_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(removed > 0)
}
