//! Outgoing email end to end: a message queued in the outbox is delivered by the server's
//! worker to a real SMTP server (maildev), as plain text and HTML; a relay that is down leaves
//! the message queued with the reason, for a later attempt.

use std::time::Duration;

use leptos::server_fn::ServerFn;
use sea_orm::EntityTrait;
use services::{email::outbox, email::outbox::NewMessage, entities::email_outbox};

use crate::harness::{maildev::MailDev, spawn_app_on, Backend};

fn welcome(to: &str) -> NewMessage {
    NewMessage {
        kind: "verify_email".into(),
        dedupe_key: format!("verify:{to}"),
        recipient: to.into(),
        subject: "Confirm your email address".into(),
        body_text: "Open http://askonce.test/verify?token=abc to confirm.".into(),
        body_html: "<p><a href=\"http://askonce.test/verify?token=abc\">Confirm your address</a></p>".into(),
    }
}

async fn a_queued_message_reaches_the_smtp_server_once(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    assert!(outbox::enqueue(&app.db, welcome("ada@example.com"), chrono::Utc::now()).await.unwrap());
    assert!(!outbox::enqueue(&app.db, welcome("ada@example.com"), chrono::Utc::now()).await.unwrap(), "one per event");

    let mail = maildev.wait_for("ada@example.com").await;
    assert_eq!(mail["subject"], "Confirm your email address");
    assert_eq!(mail["from"][0]["address"], "no-reply@askonce.test");
    assert!(mail["text"].as_str().unwrap().contains("http://askonce.test/verify?token=abc"), "{mail}");
    assert!(mail["html"].as_str().unwrap().contains("<a href=\"http://askonce.test/verify?token=abc\">"), "{mail}");

    // Recorded as sent, and sent once: a later round does not send it again.
    let sent = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let rows = email_outbox::Entity::find().all(&app.db).await.unwrap();
            if rows.iter().all(|m| m.status == "sent") {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the outbox records the delivery");
    assert_eq!((sent.len(), sent[0].attempts), (1, 1));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(maildev.messages().await.len(), 1);

    // The console's outbox shows it, to admins.
    app.sign_up_admin(&app.client, "owner@example.com").await;
    let res = app.call(&app.client, app::admin::outbox_page::OutboxMessages::PATH, &[]).await;
    let listed: Vec<app::admin::outbox_page::OutboxMessage> = res.json().await.unwrap();
    let ada: Vec<_> = listed.iter().filter(|m| m.recipient == "ada@example.com").map(|m| m.status.as_str()).collect();
    assert_eq!(ada, ["sent"], "(the admin's own sign-up queued its verification message too)");
    let page = app.client.get(app.url("/admin/email")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Confirm your email address") && page.contains("http://askonce.test/verify?token=abc"), "{page}");
}
crate::on_both_databases!(a_queued_message_reaches_the_smtp_server_once);

async fn a_relay_that_is_down_leaves_the_message_queued_with_the_reason(backend: Backend) {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let config = format!("[email]\nsmtp_url = \"smtp://127.0.0.1:{closed}\"\npoll_interval_secs = 1\ntimeout_secs = 2\n");
    let app = spawn_app_on(backend, &config).await;
    outbox::enqueue(&app.db, welcome("grace@example.com"), chrono::Utc::now()).await.unwrap();
    let failed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let row = email_outbox::Entity::find().one(&app.db).await.unwrap().unwrap();
            if row.attempts > 0 {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the worker tries the relay");
    assert_eq!(failed.status, "queued", "tried again later");
    assert!(failed.next_attempt_at > chrono::Utc::now(), "after the backoff");
    assert!(failed.last_error.as_deref().is_some_and(|e| !e.is_empty()), "the reason, for the console");
}
crate::on_both_databases!(a_relay_that_is_down_leaves_the_message_queued_with_the_reason);
