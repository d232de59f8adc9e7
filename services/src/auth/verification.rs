//! Verifying an address by email: a link sent at password sign-up and on
//! request from /profile; opening it records evidence ("verified by link") for exactly the
//! address it was sent to, so `email_verified` becomes true for that address and no other.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::{
    accounts::AccountError,
    links::{self, LinkRefused, Purpose},
};
use crate::{
    activity::{record, Actor, Client, Event, EventKind},
    email::{self, templates},
    entities::users,
    profile::{
        store::{self, ProfileWrite},
        verification::{normalize_address, EmailEvidence},
        Source,
    },
};

/// What asking for a verification link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Queued,
    /// Nothing to verify: the address already is.
    AlreadyVerified,
    /// The account has no address to send to.
    NoEmail,
}

/// Queues a verification link to `user`'s current address (at most [`Purpose::PER_HOUR`] an
/// hour: [`AccountError::TooManyEmails`] beyond).
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn send(db: &DatabaseConnection, site: &templates::Site, user: &users::Model, client: Client) -> Result<Sent, AccountError> {
    let Some(address) = user.email.clone() else {
        return Ok(Sent::NoEmail);
    };
    if user.email_verified {
        return Ok(Sent::AlreadyVerified);
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    if !links::may_send(&txn, &user.user_id(), Purpose::VerifyEmail, now).await? {
        return Err(AccountError::TooManyEmails);
    }
    let link = links::issue(&txn, &user.user_id(), Purpose::VerifyEmail, &address, now).await?;
    let message = templates::verify_email(site, &address, &site.url(&link.path), Purpose::VerifyEmail.valid_for());
    email::queue(&txn, Purpose::VerifyEmail.into(), format!("link:{}", link.id), &address, message).await?;
    record(
        &txn,
        &user.user_id(),
        Event::new(EventKind::VerificationSent, Actor::User).client(client).details(json!({ "address": address })),
    )
    .await?;
    txn.commit().await?;
    Ok(Sent::Queued)
}

/// Opens a verification link: the address it was sent to is verified, if it is still the
/// account's address. Returns the account's id.
#[tracing::instrument(skip_all)]
pub async fn confirm(db: &DatabaseConnection, token: &str, client: Client) -> Result<String, AccountError> {
    let now = Utc::now();
    store::retry(|| try_confirm(db, token, client.clone(), now)).await
}

async fn try_confirm(db: &DatabaseConnection, token: &str, client: Client, now: DateTime<Utc>) -> Result<String, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let link = links::redeem(&txn, Purpose::VerifyEmail, token, now).await??;
    let user = store::load(&txn, &domain::user_id::UserId::from_stored(link.user_id.clone())).await?.ok_or(LinkRefused::Invalid)?;
    // The person changed their address since the link was sent: it proves nothing about the
    // current one.
    if user.email_normalized.as_deref() != Some(normalize_address(&link.email).as_str()) {
        return Err(LinkRefused::Used.into());
    }
    if !user.email_verified {
        ProfileWrite::new(&user, now).email_evidence(Some(EmailEvidence::new(&link.email, Source::Link, now))).commit(&txn).await?;
        record(
            &txn,
            &user.user_id(),
            Event::new(EventKind::EmailVerified, Actor::User).client(client).details(json!({ "address": link.email })),
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
    use crate::{auth::accounts::sign_up_with_password, entities::email_outbox, profile::Email};
    use sea_orm::EntityTrait;

    crate::db_test!(the_link_verifies_exactly_the_address_it_was_sent_to, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        assert_eq!(send(db, &site(), &ada, Client::default()).await.unwrap(), Sent::Queued);
        let queued = email_outbox::Entity::find().all(db).await.unwrap();
        assert_eq!((queued.len(), queued[0].recipient.as_str(), queued[0].kind.as_str()), (1, "ada@example.com", "verify_email"));
        assert!(queued[0].body_text.contains("https://login.example.com/email/verify?token="), "{}", queued[0].body_text);
        let token = token_in_last_message(db).await;
        assert_eq!(confirm(db, &token, Client::default()).await.unwrap(), ada.id);
        let after = store::load(db, &ada.user_id()).await.unwrap().unwrap();
        assert!(after.email_verified);
        assert_eq!(after.provenance["email_verified"]["source"], "link");
        assert_eq!(after.provenance["email_verified"]["address"], "ada@example.com");
        assert!(matches!(confirm(db, &token, Client::default()).await, Err(AccountError::Link(LinkRefused::Used))));
        assert_eq!(send(db, &site(), &after, Client::default()).await.unwrap(), Sent::AlreadyVerified);
    });

    crate::db_test!(a_link_for_a_former_address_verifies_nothing, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        send(db, &site(), &ada, Client::default()).await.unwrap();
        let token = token_in_last_message(db).await;
        ProfileWrite::new(&ada, Utc::now()).set_email("other@example.com".into(), &Source::Admin, None).commit(db).await.unwrap();
        assert!(matches!(confirm(db, &token, Client::default()).await, Err(AccountError::Link(LinkRefused::Used))));
        assert!(!store::load(db, &ada.user_id()).await.unwrap().unwrap().email_verified);
    });

    crate::db_test!(asking_again_and_again_is_limited, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        for _ in 0..Purpose::PER_HOUR {
            send(db, &site(), &ada, Client::default()).await.unwrap();
        }
        assert!(matches!(send(db, &site(), &ada, Client::default()).await, Err(AccountError::TooManyEmails)));
        assert_eq!(email_outbox::Entity::find().all(db).await.unwrap().len() as u64, Purpose::PER_HOUR);
    });
}
