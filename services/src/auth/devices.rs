//! Where a person is signed in: one row per signed-in browser session (device, IP, last
//! seen), so they can end sessions on other devices. A row is keyed by a random handle kept
//! in the session; a session whose row is gone is ended at its next request.

use domain::user_id::UserId;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::user_sessions;

/// Records a new signed-in session; returns its handle.
pub async fn register(db: &DatabaseConnection, user_id: &UserId, user_agent: Option<String>, ip: Option<String>) -> Result<String, DbErr> {
    let handle = uuid::Uuid::new_v4().simple().to_string();
    let now = Utc::now();
    user_sessions::ActiveModel {
        handle: Set(handle.clone()),
        user_id: Set(user_id.to_string()),
        user_agent: Set(user_agent.map(|ua| ua.chars().take(512).collect())),
        ip: Set(ip),
        created_at: Set(now),
        last_seen: Set(now),
    }
    .insert(db)
    .await?;
    Ok(handle)
}

/// Whether the session with `handle` may go on; refreshes its "last seen" (at most once a
/// minute, to keep requests cheap).
pub async fn still_valid(db: &DatabaseConnection, handle: &str) -> Result<bool, DbErr> {
    let Some(row) = user_sessions::Entity::find_by_id(handle.to_string()).one(db).await? else {
        return Ok(false);
    };
    let now = Utc::now();
    if now - row.last_seen > Duration::seconds(60) {
        user_sessions::Entity::update_many()
            .col_expr(user_sessions::Column::LastSeen, Expr::value(now))
            .filter(user_sessions::Column::Handle.eq(handle))
            .exec(db)
            .await?;
    }
    Ok(true)
}

pub async fn list(db: &DatabaseConnection, user_id: &UserId) -> Result<Vec<user_sessions::Model>, DbErr> {
    user_sessions::Entity::find()
        .filter(user_sessions::Column::UserId.eq(user_id.as_str()))
        .order_by_desc(user_sessions::Column::LastSeen)
        .all(db)
        .await
}

/// Ends one of `user_id`'s sessions (never someone else's).
pub async fn end(db: &DatabaseConnection, user_id: &UserId, handle: &str) -> Result<bool, DbErr> {
    let r = user_sessions::Entity::delete_many()
        .filter(user_sessions::Column::UserId.eq(user_id.as_str()))
        .filter(user_sessions::Column::Handle.eq(handle))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Forgets the row of a session that is ending here (sign-out, absolute limit, its person
/// blocked or deleted): a signed-out browser must not stay listed as signed in.
pub async fn forget(db: &DatabaseConnection, handle: &str) -> Result<(), DbErr> {
    user_sessions::Entity::delete_by_id(handle.to_string()).exec(db).await?;
    Ok(())
}

/// Ends every session of `user_id` but `keep`.
pub async fn end_others(db: &DatabaseConnection, user_id: &UserId, keep: &str) -> Result<u64, DbErr> {
    let r = user_sessions::Entity::delete_many()
        .filter(user_sessions::Column::UserId.eq(user_id.as_str()))
        .filter(user_sessions::Column::Handle.ne(keep))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Rows of sessions idle longer than `idle`: they are over anyway.
pub async fn forget_idle(db: &DatabaseConnection, idle: Duration) -> Result<u64, DbErr> {
    let cutoff: DateTime<Utc> = Utc::now() - idle;
    Ok(user_sessions::Entity::delete_many().filter(user_sessions::Column::LastSeen.lt(cutoff)).exec(db).await?.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{auth::accounts::sign_up_with_password, profile::Email};

    crate::db_test!(sessions_are_listed_and_ended_only_by_their_owner, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let phone = register(db, &ada.user_id(), Some("Phone".into()), Some("10.0.0.2".into())).await.unwrap();
        let laptop = register(db, &ada.user_id(), Some("Laptop".into()), None).await.unwrap();
        assert_eq!(list(db, &ada.user_id()).await.unwrap().len(), 2);
        assert!(!end(db, &UserId::from_stored("someone-else"), &phone).await.unwrap());
        assert!(still_valid(db, &phone).await.unwrap());
        assert!(end(db, &ada.user_id(), &phone).await.unwrap());
        assert!(!still_valid(db, &phone).await.unwrap());
        register(db, &ada.user_id(), None, None).await.unwrap();
        assert_eq!(end_others(db, &ada.user_id(), &laptop).await.unwrap(), 1);
        assert_eq!(list(db, &ada.user_id()).await.unwrap().len(), 1);
    });
}
