//! What every sign-in leaves behind besides the session: an entry in the
//! account's activity, and — when the site turns it on — an email about a sign-in from a
//! device the account has not signed in from before.

use domain::user_id::UserId;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr};

use crate::{
    activity::{record, seen_device, Actor, Client, Event, EventKind},
    email::{self, templates, EmailPolicy},
    entities::users,
};

/// Records a successful sign-in (`kind`: [`EventKind::SignIn`], or [`EventKind::SignUp`] for
/// the first one) through `connection`, and sends the new-device notice if the policy asks.
#[tracing::instrument(skip_all, fields(user_id = %user.id, connection))]
pub async fn signed_in(
    db: &impl ConnectionTrait,
    site: &templates::Site,
    policy: EmailPolicy,
    user: &users::Model,
    kind: EventKind,
    connection: &str,
    client: Client,
) -> Result<(), DbErr> {
    let user_agent = client.user_agent.clone();
    let ip = client.ip.clone();
    let id = record(db, &user.user_id(), Event::new(kind, Actor::User).connection(connection).client(client)).await?;
    // A new account has no earlier device to compare with: only later sign-ins are news.
    if !policy.notify_new_device || kind != EventKind::SignIn {
        return Ok(());
    }
    let Some(address) = user.email.as_deref() else {
        return Ok(());
    };
    if seen_device(db, &user.user_id(), user_agent.as_deref(), id).await? {
        return Ok(());
    }
    let device = crate::activity::describe_device(user_agent.as_deref());
    let when = Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let message = templates::new_device(site, &device, ip.as_deref().unwrap_or("an unknown address"), &when);
    email::queue(db, email::Kind::NewDevice, format!("new_device:{id}"), address, message).await?;
    Ok(())
}

/// Records a refused sign-in of a known account (`reason`: `wrong_password`, `blocked`).
pub async fn refused(db: &impl ConnectionTrait, user_id: &UserId, connection: &str, reason: &str, client: Client) -> Result<(), DbErr> {
    let event = Event::new(EventKind::SignIn, Actor::User).failed().connection(connection).client(client);
    record(db, user_id, event.details(serde_json::json!({ "reason": reason }))).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::links::test_links::site;
    use crate::{auth::accounts::sign_up_with_password, entities::email_outbox, profile::Email};
    use sea_orm::EntityTrait;

    fn from(ua: &str) -> Client {
        Client { ip: Some("192.0.2.7".into()), user_agent: Some(ua.into()) }
    }

    crate::db_test!(a_sign_in_from_a_new_device_is_emailed_once_when_the_site_asks, |db| {
        let ada = sign_up_with_password(db, &Email::parse("ada@example.com").unwrap(), "a long passphrase".into()).await.unwrap();
        let on = EmailPolicy { notify_new_device: true, ..EmailPolicy::default() };
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        signed_in(db, &site(), on, &ada, EventKind::SignUp, "password", from(firefox)).await.unwrap();
        signed_in(db, &site(), on, &ada, EventKind::SignIn, "password", from(firefox)).await.unwrap();
        assert!(email_outbox::Entity::find().all(db).await.unwrap().is_empty(), "a known device");
        signed_in(db, &site(), on, &ada, EventKind::SignIn, "password", from("curl/8.0")).await.unwrap();
        let sent = email_outbox::Entity::find().all(db).await.unwrap();
        assert_eq!((sent.len(), sent[0].kind.as_str()), (1, "new_device"));
        assert!(sent[0].body_text.contains("192.0.2.7"), "{}", sent[0].body_text);
        signed_in(db, &site(), EmailPolicy::default(), &ada, EventKind::SignIn, "password", from("wget")).await.unwrap();
        assert_eq!(email_outbox::Entity::find().all(db).await.unwrap().len(), 1, "off by default");
    });
}
