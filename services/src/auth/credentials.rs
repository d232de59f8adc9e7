//! Changing your own password or email address. Both need the current password
//! first (the caller checks it under the sign-in failure limit); both tell the owner by email.
//!
//! A new address replaces the old one only once a link sent *to it* is opened — proving it is
//! theirs — and then the old address is told, so a hijacked account does not change hands
//! silently. An address that a provider overwrites at each sign-in is not changed here.

use domain::user_id::UserId;

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::{
    accounts::AccountError,
    links::{self, LinkRefused, Purpose},
    password::{self as hashing, check_new_password},
};
use crate::{
    activity::{record, Actor, Client, Event, EventKind},
    email::{self, templates},
    entities::{password_credentials, user_sessions, users},
    identity::{ConnectionDirectory, SyncPolicy},
    profile::{
        store::{self, ProfileWrite},
        verification::EmailEvidence,
        Email, Source,
    },
};

/// Sets a new password for `user_id` (whose current one the caller checked), ends their
/// other sessions (all but `keep`, the one asking) and tells them by email.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn change_password(
    db: &DatabaseConnection,
    site: &templates::Site,
    user_id: &UserId,
    new_password: String,
    keep: Option<&str>,
    client: Client,
) -> Result<(), AccountError> {
    let user = store::load(db, user_id).await?.ok_or(AccountError::InvalidCredentials)?;
    check_new_password(&new_password, user.email.as_deref().unwrap_or_default())?;
    let hash = hashing::hash_password(new_password).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let updated = password_credentials::Entity::update_many()
        .col_expr(password_credentials::Column::PasswordHash, Expr::value(hash))
        .col_expr(password_credentials::Column::UpdatedAt, Expr::value(now))
        .filter(password_credentials::Column::UserId.eq(user_id.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AccountError::InvalidCredentials);
    }
    let mut others = user_sessions::Entity::delete_many().filter(user_sessions::Column::UserId.eq(user_id.as_str()));
    if let Some(keep) = keep {
        others = others.filter(user_sessions::Column::Handle.ne(keep));
    }
    let ended = others.exec(&txn).await?.rows_affected;
    // Links asked for with the old password (a change of email) stop working with it.
    links::retire_all(&txn, user_id, now).await?;
    // So do the applications' tokens: whoever had the old password may have signed in with it.
    crate::openid_provider::refresh::revoke_all_for_user(&txn, user_id, now).await?;
    record(&txn, user_id, Event::new(EventKind::PasswordChanged, Actor::User).client(client).details(json!({ "sessions_ended": ended })))
        .await?;
    if let Some(address) = user.email.as_deref() {
        let key = format!("password_changed:{}", uuid::Uuid::new_v4());
        email::queue(&txn, email::Kind::PasswordChanged, key, address, templates::password_changed(site)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Why the email cannot be changed on /profile, if it cannot: it comes from a provider that
/// overwrites it at each sign-in.
pub fn email_lock(user: &users::Model, connections: &dyn ConnectionDirectory) -> Option<String> {
    let source: Source = user.provenance.get("email")?.get("source")?.as_str()?.parse().ok()?;
    match source {
        Source::Claim { connection, .. } if connections.sync_policy(&connection) == Some(SyncPolicy::OnEachLogin) => Some(format!(
            "Your email address comes from {connection}, which updates it each time you sign in with it. Change it at {connection}."
        )),
        _ => None,
    }
}

/// Another account already signs in with or is reached at `address`.
async fn taken_by_another(db: &impl sea_orm::ConnectionTrait, user_id: &UserId, normalized: &str) -> Result<bool, sea_orm::DbErr> {
    let users = users::Entity::find()
        .filter(users::Column::EmailNormalized.eq(normalized))
        .filter(users::Column::Id.ne(user_id.as_str()))
        .count(db)
        .await?;
    let credentials = password_credentials::Entity::find()
        .filter(password_credentials::Column::EmailNormalized.eq(normalized))
        .filter(password_credentials::Column::UserId.ne(user_id.as_str()))
        .count(db)
        .await?;
    Ok(users + credentials > 0)
}

/// Emails a confirmation link to `new_address`; nothing changes until it is opened.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn request_email_change(
    db: &DatabaseConnection,
    site: &templates::Site,
    connections: &dyn ConnectionDirectory,
    user: &users::Model,
    new_address: &Email,
    client: Client,
) -> Result<(), AccountError> {
    if let Some(reason) = email_lock(user, connections) {
        return Err(AccountError::EmailLocked(reason));
    }
    let normalized = new_address.normalized();
    if user.email_normalized.as_deref() == Some(normalized.as_str()) {
        return Err(AccountError::SameEmail);
    }
    if taken_by_another(db, &user.user_id(), &normalized).await? {
        return Err(AccountError::EmailTaken);
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    if !links::may_send(&txn, &user.user_id(), Purpose::ChangeEmail, now).await? {
        return Err(AccountError::TooManyEmails);
    }
    let address = new_address.as_str();
    let link = links::issue(&txn, &user.user_id(), Purpose::ChangeEmail, address, now).await?;
    let message = templates::confirm_new_email(site, address, &site.url(&link.path), Purpose::ChangeEmail.valid_for());
    email::queue(&txn, Purpose::ChangeEmail.into(), format!("link:{}", link.id), address, message).await?;
    record(
        &txn,
        &user.user_id(),
        Event::new(EventKind::EmailChangeRequested, Actor::User).client(client).details(json!({ "to": address })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Opens a confirmation link: the new address replaces the old one (verified: the link
/// proved it), sign-in with a password uses it from now on, and the old address is told.
/// Returns the account's id.
#[tracing::instrument(skip_all)]
pub async fn confirm_email_change(
    db: &DatabaseConnection,
    site: &templates::Site,
    token: &str,
    client: Client,
) -> Result<String, AccountError> {
    let now = Utc::now();
    store::retry(|| try_confirm_email_change(db, site, token, client.clone(), now)).await
}

async fn try_confirm_email_change(
    db: &DatabaseConnection,
    site: &templates::Site,
    token: &str,
    client: Client,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let link = links::redeem(&txn, Purpose::ChangeEmail, token, now).await??;
    let user = store::load(&txn, &domain::user_id::UserId::from_stored(link.user_id.clone())).await?.ok_or(LinkRefused::Invalid)?;
    let new_address = Email::parse(&link.email).map_err(|_| LinkRefused::Invalid)?;
    let normalized = new_address.normalized();
    // Someone else took the address while the link waited.
    if taken_by_another(&txn, &user.user_id(), &normalized).await? {
        return Err(AccountError::EmailTaken);
    }
    let old = user.email.clone();
    ProfileWrite::new(&user, now)
        .set_email(link.email.clone(), &Source::User, Some(EmailEvidence::new(&link.email, Source::Link, now)))
        .commit(&txn)
        .await?;
    let moved = password_credentials::Entity::update_many()
        .col_expr(password_credentials::Column::EmailNormalized, Expr::value(normalized))
        .col_expr(password_credentials::Column::UpdatedAt, Expr::value(now))
        .filter(password_credentials::Column::UserId.eq(&user.id))
        .exec(&txn)
        .await;
    if let Err(err) = moved {
        return Err(match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AccountError::EmailTaken,
            _ => err.into(),
        });
    }
    // Links sent to the old address (a reset, a verification) must not work for it any more.
    links::retire_all(&txn, &user.user_id(), now).await?;
    record(
        &txn,
        &user.user_id(),
        Event::new(EventKind::EmailChanged, Actor::User).client(client).details(json!({ "from": old, "to": link.email })),
    )
    .await?;
    if let Some(old) = old.as_deref() {
        email::queue(
            &txn,
            email::Kind::EmailChanged,
            format!("email_changed:link:{}", link.id),
            old,
            templates::email_changed(site, &link.email),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::links::test_links::{site, token_in_last_message};
    use crate::auth::{accounts::sign_in_with_password, accounts::sign_up_with_password, devices};

    struct NoConnections;
    impl ConnectionDirectory for NoConnections {
        fn summaries(&self) -> Vec<crate::identity::ConnectionSummary> {
            Vec::new()
        }
        fn password_enabled(&self) -> bool {
            true
        }
        fn sync_policy(&self, connection: &str) -> Option<SyncPolicy> {
            (connection == "google").then_some(SyncPolicy::OnEachLogin)
        }
    }

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    crate::db_test!(a_new_password_ends_the_other_sessions_and_tells_the_owner, |db| {
        let ada = sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        let here = devices::register(db, &ada.user_id(), Some("Laptop".into()), None).await.unwrap();
        devices::register(db, &ada.user_id(), Some("Phone".into()), None).await.unwrap();
        change_password(db, &site(), &ada.user_id(), "a brand new passphrase".into(), Some(&here), Client::default()).await.unwrap();
        assert!(sign_in_with_password(db, "ada@example.com", "a brand new passphrase".into()).await.is_ok());
        assert_eq!(devices::list(db, &ada.user_id()).await.unwrap().iter().map(|s| s.handle.clone()).collect::<Vec<_>>(), [here]);
        assert_eq!(email::outbox::recent(db, 1).await.unwrap()[0].kind, "password_changed");
    });

    crate::db_test!(a_new_address_replaces_the_old_only_when_its_link_is_opened, |db| {
        let ada = sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        request_email_change(db, &site(), &NoConnections, &ada, &email("Ada@New.example"), Client::default()).await.unwrap();
        let confirm = email::outbox::recent(db, 1).await.unwrap().remove(0);
        assert_eq!((confirm.kind.as_str(), confirm.recipient.as_str()), ("change_email", "Ada@New.example"));
        assert_eq!(store::load(db, &ada.user_id()).await.unwrap().unwrap().email.as_deref(), Some("ada@example.com"), "not yet");
        let token = token_in_last_message(db).await;
        confirm_email_change(db, &site(), &token, Client::default()).await.unwrap();
        let after = store::load(db, &ada.user_id()).await.unwrap().unwrap();
        assert_eq!((after.email.as_deref(), after.email_verified), (Some("Ada@New.example"), true));
        assert!(sign_in_with_password(db, "ada@new.example", "a long passphrase".into()).await.is_ok());
        assert!(sign_in_with_password(db, "ada@example.com", "a long passphrase".into()).await.is_err());
        let notice = email::outbox::recent(db, 1).await.unwrap().remove(0);
        assert_eq!((notice.kind.as_str(), notice.recipient.as_str()), ("email_changed", "ada@example.com"));
        assert!(matches!(confirm_email_change(db, &site(), &token, Client::default()).await, Err(AccountError::Link(LinkRefused::Used))));
    });

    crate::db_test!(an_address_of_another_account_or_from_a_syncing_provider_is_refused, |db| {
        let ada = sign_up_with_password(db, &email("ada@example.com"), "a long passphrase".into()).await.unwrap();
        sign_up_with_password(db, &email("bob@example.com"), "a long passphrase".into()).await.unwrap();
        let taken = request_email_change(db, &site(), &NoConnections, &ada, &email("BOB@example.com"), Client::default()).await;
        assert!(matches!(taken, Err(AccountError::EmailTaken)));
        let same = request_email_change(db, &site(), &NoConnections, &ada, &email("ada@example.com"), Client::default()).await;
        assert!(matches!(same, Err(AccountError::SameEmail)));
        let google = Source::Claim { connection: "google".into(), claim: "email".into() };
        let synced = ProfileWrite::new(&ada, Utc::now()).set_email("ada@gmail.example".into(), &google, None).commit(db).await.unwrap();
        let locked = request_email_change(db, &site(), &NoConnections, &synced, &email("ada@new.example"), Client::default()).await;
        assert!(matches!(locked, Err(AccountError::EmailLocked(reason)) if reason.contains("google")));
    });
}
