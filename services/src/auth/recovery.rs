//! "Forgot your password?": a reset link emailed to the account's address, and
//! the new password it lets the owner choose.
//!
//! Asking gives the same answer whether or not the address has an account (nobody learns who
//! has one), and sends at most [`Purpose::PER_HOUR`] links an hour to one account; the server
//! also limits requests per client. Setting the new password uses the link, signs every
//! session of the account out, and tells the owner by email.

use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
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
    profile::{store, Email},
};

/// Queues a reset link if `email` is a password account's (not blocked, not over the hourly
/// limit); otherwise does nothing. Either way the caller answers the same.
#[tracing::instrument(skip_all)]
pub async fn request_reset(db: &DatabaseConnection, site: &templates::Site, email: &str, client: Client) -> Result<(), AccountError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let credential =
        password_credentials::Entity::find().filter(password_credentials::Column::EmailNormalized.eq(email.normalized())).one(db).await?;
    let Some(credential) = credential else {
        return Ok(());
    };
    let Some(user) = users::Entity::find_by_id(credential.user_id.clone()).one(db).await? else {
        return Ok(());
    };
    if user.blocked {
        return Ok(());
    }
    // Sent to the account's address (the one the person signs in with), not to what was typed.
    let address = user.email.clone().unwrap_or_else(|| email.as_str().to_string());
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    if !links::may_send(&txn, &user.user_id(), Purpose::ResetPassword, now).await? {
        tracing::info!("reset link not sent: the hourly limit for this account is reached");
        return Ok(());
    }
    let link = links::issue(&txn, &user.user_id(), Purpose::ResetPassword, &address, now).await?;
    let message = templates::password_reset(site, &site.url(&link.path), Purpose::ResetPassword.valid_for());
    email::queue(&txn, Purpose::ResetPassword.into(), format!("link:{}", link.id), &address, message).await?;
    record(&txn, &user.user_id(), Event::new(EventKind::PasswordResetRequested, Actor::User).client(client)).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `token` is a working reset link (the page shows its form only then).
pub async fn check_reset(db: &DatabaseConnection, token: &str) -> Result<Result<(), LinkRefused>, AccountError> {
    let purpose = purpose_of(db, token).await?;
    Ok(links::check(db, purpose, token, Utc::now()).await?.map(|_| ()))
}

/// A password link is a reset link, or an invitation (`admin::new_user`): both open the same
/// page and set the password the same way.
async fn purpose_of(db: &DatabaseConnection, token: &str) -> Result<Purpose, AccountError> {
    Ok(match links::check(db, Purpose::Invite, token, Utc::now()).await? {
        Err(LinkRefused::Invalid) => Purpose::ResetPassword,
        _ => Purpose::Invite,
    })
}

/// Sets `password` through the reset link `token`: the link is used, every session of the
/// account ends, the owner is told. Returns the account's id (the caller signs it in).
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    db: &DatabaseConnection,
    site: &templates::Site,
    token: &str,
    password: String,
    client: Client,
) -> Result<domain::user_id::UserId, AccountError> {
    let now = Utc::now();
    let purpose = purpose_of(db, token).await?;
    let link = links::check(db, purpose, token, now).await??;
    // The policy first: a weak password leaves the link working for a second try.
    check_new_password(&password, &link.email)?;
    let hash = hashing::hash_password(password).await?;
    let txn = crate::db::begin_write(db).await?;
    let link = links::redeem(&txn, purpose, token, now).await??;
    let user = store::load(&txn, &domain::user_id::UserId::from_stored(link.user_id.clone())).await?.ok_or(LinkRefused::Invalid)?;
    if user.blocked {
        // The link is spent all the same: it must not work again if the account is unblocked.
        txn.commit().await?;
        return Err(AccountError::Blocked);
    }
    // Sent to an address the account no longer has: whoever reads that mailbox now has no
    // say over the account (`retire_all` at the change normally retired it already).
    if user.email_normalized.as_deref() != Some(crate::profile::verification::normalize_address(&link.email).as_str()) {
        return Err(LinkRefused::Used.into());
    }
    let updated = password_credentials::Entity::update_many()
        .col_expr(password_credentials::Column::PasswordHash, Expr::value(hash))
        .col_expr(password_credentials::Column::UpdatedAt, Expr::value(now))
        .filter(password_credentials::Column::UserId.eq(&user.id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        // The password was removed since the link was sent (the account went provider-only).
        return Err(LinkRefused::Invalid.into());
    }
    if purpose == Purpose::Invite {
        // The invitation reached this address and was used: the address is proven.
        let evidence = crate::profile::EmailEvidence::new(&link.email, crate::profile::Source::Link, now);
        store::ProfileWrite::new(&user, now).email_evidence(Some(evidence)).commit(&txn).await.map_err(AccountError::from)?;
    }
    // Whoever knew the old password is signed out everywhere, and loses any link they asked
    // for with it (a change of email waiting to be confirmed).
    let ended = user_sessions::Entity::delete_many().filter(user_sessions::Column::UserId.eq(&user.id)).exec(&txn).await?.rows_affected;
    links::retire_all(&txn, &user.user_id(), now).await?;
    crate::openid_provider::refresh::revoke_all_for_user(&txn, &user.user_id(), now).await?;
    record(
        &txn,
        &user.user_id(),
        Event::new(EventKind::PasswordReset, Actor::User).client(client).details(json!({ "sessions_ended": ended })),
    )
    .await?;
    if let Some(address) = user.email.as_deref() {
        email::queue(
            &txn,
            email::Kind::PasswordChanged,
            format!("password_changed:link:{}", link.id),
            address,
            templates::password_changed(site),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user.user_id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::links::test_links::{site, token_in_last_message};
    use crate::{
        auth::accounts::{sign_in_with_password, sign_up_with_password},
        auth::devices,
        entities::email_outbox,
    };

    crate::db_test!(a_reset_link_sets_a_new_password_signs_everyone_out_and_tells_the_owner, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        devices::register(db, &ada.user_id(), Some("Phone".into()), None).await.unwrap();
        request_reset(db, &site(), "ADA@example.com", Client::default()).await.unwrap();
        let token = token_in_last_message(db).await;
        assert!(matches!(reset_password(db, &site(), &token, "short".into(), Client::default()).await, Err(AccountError::WeakPassword(_))));
        assert_eq!(reset_password(db, &site(), &token, "a brand new passphrase".into(), Client::default()).await.unwrap(), ada.id);
        assert!(sign_in_with_password(db, "ada@example.com", "a brand new passphrase".into()).await.is_ok());
        assert!(sign_in_with_password(db, "ada@example.com", "a long passphrase".into()).await.is_err());
        assert!(devices::list(db, &ada.user_id()).await.unwrap().is_empty(), "every session ended");
        let notice = email::outbox::recent(db, 1).await.unwrap().remove(0);
        assert_eq!((notice.kind.as_str(), notice.recipient.as_str()), ("password_changed", "ada@example.com"));
        assert!(matches!(
            reset_password(db, &site(), &token, "yet another passphrase".into(), Client::default()).await,
            Err(AccountError::Link(LinkRefused::Used))
        ));
    });

    crate::db_test!(unknown_addresses_get_the_same_answer_and_no_message, |db| {
        request_reset(db, &site(), "nobody@example.com", Client::default()).await.unwrap();
        request_reset(db, &site(), "not an address", Client::default()).await.unwrap();
        assert!(email_outbox::Entity::find().all(db).await.unwrap().is_empty());
    });

    crate::db_test!(reset_links_are_limited_per_account_and_hour, |db| {
        sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        for _ in 0..Purpose::PER_HOUR + 2 {
            request_reset(db, &site(), "ada@example.com", Client::default()).await.unwrap();
        }
        assert_eq!(email_outbox::Entity::find().all(db).await.unwrap().len() as u64, Purpose::PER_HOUR);
    });
}
