//! The account's life by email, end to end through a real SMTP server (maildev): verify an
//! address, reset a forgotten password, change the password, change the email — each link
//! read from the message that arrived, followed, and its outcome checked; expired, reused and
//! tampered links refused with a clear page. And the account activity those leave behind.

use app::{
    account::activity::MyActivity, account::page::DeleteMyAccount, account::security::ChangeMyEmail, account::security::ChangeMyPassword,
    account::sessions::EndSessions, admin::api_tokens::Scope, auth::email_link_page::UseEmailLink,
    sign_in::recovery_page::RequestPasswordReset, sign_in::recovery_page::ResetPassword,
};
use domain::{activity::ActivityEntry, activity::EventKind};
use leptos::server_fn::ServerFn;
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use services::{entities::account_tokens, entities::email_outbox};

use crate::harness::{
    browser,
    browser::location,
    expect,
    maildev::{link_in, MailDev},
    spawn_app_on, Backend, TestApp, PASSWORD,
};

/// Opens an emailed link as a browser does and presses its button: the link's page changes
/// nothing (mail scanners open links too) and offers the button when the link works; the
/// button's form post uses the link and redirects to the page that says what happened.
/// Returns the opened page's status, then that last page's address, status and text.
async fn use_link(app: &TestApp, client: &Client, link: &str) -> (StatusCode, (String, StatusCode, String)) {
    assert!(link.starts_with(&app.address), "links are absolute, to the public URL: {link}");
    let opened = expect::send(client.get(link), "opening a link").await;
    let opened_status = opened.status();
    let opened_text = opened.text().await.unwrap();
    if opened_status == StatusCode::OK {
        let main = opened_text.find("<main").map_or(opened_text.as_str(), |i| &opened_text[i..]);
        assert!(main.contains("type=\"submit\""), "a working link's page has its button: {main}");
    }
    let purpose = if link.contains("/email/confirm-change?") { "change_email" } else { "verify_email" };
    let token = link.split("token=").nth(1).unwrap_or_default();
    let used = app.post_form(client, UseEmailLink::PATH, &[("purpose", purpose), ("token", token)]).await;
    let target = location(&used);
    assert!(target.starts_with("/email-link?"), "{} {target}", used.status());
    let page = expect::send(client.get(app.url(&target)), "the link's outcome").await;
    let status = page.status();
    (opened_status, (target, status, page.text().await.unwrap()))
}

async fn activity_of(app: &TestApp, client: &Client) -> Vec<ActivityEntry> {
    expect::json(app.call(client, MyActivity::PATH, &[]).await, "MyActivity").await
}

async fn signing_up_emails_a_link_that_verifies_exactly_that_address(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    assert_eq!(app.me(&app.client).await["email_verified"], false);

    let mail = maildev.wait_for_subject("ada@example.com", "Confirm your email address").await;
    assert!(mail["html"].as_str().unwrap().contains("Confirm my email address"), "{mail}");
    let link = link_in(&mail, "/email/verify");
    // Only opening the page (a mail scanner) verifies nothing.
    let peek = expect::send(browser().get(&link), "a scanner opening the link").await;
    assert_eq!(peek.status(), StatusCode::OK);
    assert!(peek.text().await.unwrap().contains("ada@example.com"), "the page says which address");
    assert_eq!(app.me(&app.client).await["email_verified"], false);
    // Opened in another browser (a phone's mail app): the link alone is enough.
    let (_, (page, status, text)) = use_link(&app, &browser(), &link).await;
    assert_eq!((page.as_str(), status), ("/email-link?done=verified", StatusCode::OK), "{text}");
    assert!(text.contains("Your email address is verified"), "{text}");
    let me = app.me(&app.client).await;
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["provenance"]["email_verified"]["source"], "link");

    // Used: the same link again is refused, and says why, on its page and after its button.
    let (opened, (page, status, text)) = use_link(&app, &browser(), &link).await;
    assert_eq!(opened, StatusCode::BAD_REQUEST);
    assert_eq!((page.as_str(), status), ("/email-link?refused=used", StatusCode::BAD_REQUEST));
    assert!(text.contains("already used"), "{text}");
    let kinds: Vec<EventKind> = activity_of(&app, &app.client).await.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::EmailVerified) && kinds.contains(&EventKind::SignUp), "{kinds:?}");
}
crate::on_both_databases!(signing_up_emails_a_link_that_verifies_exactly_that_address);

async fn expired_and_tampered_links_are_refused_with_a_clear_page(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    let link = link_in(&maildev.wait_for("ada@example.com").await, "/email/verify");

    let last = link.chars().last().unwrap();
    let tampered = format!("{}{}", &link[..link.len() - 1], if last == '0' { '1' } else { '0' });
    let (opened, (page, status, text)) = use_link(&app, &browser(), &tampered).await;
    assert_eq!(opened, StatusCode::BAD_REQUEST);
    assert_eq!((page.as_str(), status), ("/email-link?refused=invalid", StatusCode::BAD_REQUEST));
    assert!(text.contains("This link is not valid"), "{text}");
    let (opened, (page, ..)) = use_link(&app, &browser(), &app.url("/email/verify")).await;
    assert_eq!((opened, page.as_str()), (StatusCode::BAD_REQUEST, "/email-link?refused=invalid"), "no token at all");

    // The link's day has passed.
    account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::ExpiresAt, sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .exec(&app.db)
        .await
        .unwrap();
    let (opened, (page, status, text)) = use_link(&app, &browser(), &link).await;
    assert_eq!(opened, StatusCode::BAD_REQUEST);
    assert_eq!((page.as_str(), status), ("/email-link?refused=expired", StatusCode::BAD_REQUEST));
    assert!(text.contains("This link has expired"), "{text}");
    assert_eq!(app.me(&app.client).await["email_verified"], false);
}
crate::on_both_databases!(expired_and_tampered_links_are_refused_with_a_clear_page);

async fn a_forgotten_password_is_reset_through_the_emailed_link(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    let phone = browser();
    app.sign_in(&phone, "ada@example.com").await;

    // Asking: the same answer for an account and for nobody.
    let stranger = browser();
    let known = app.post_form(&stranger, RequestPasswordReset::PATH, &[("email", "ADA@example.com")]).await;
    let unknown = app.post_form(&stranger, RequestPasswordReset::PATH, &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status(), location(&known)), (unknown.status(), location(&unknown)));
    assert_eq!(location(&known), "/forgot-password?sent=1");

    let mail = maildev.wait_for_subject("ada@example.com", "Reset your AskOnce password").await;
    let link = link_in(&mail, "/reset-password");
    let form_page = expect::send(stranger.get(&link), "the reset page").await;
    assert_eq!(form_page.status(), StatusCode::OK);
    assert!(form_page.text().await.unwrap().contains("name=\"password\""), "the page shows the form");
    let token = link.split("token=").nth(1).unwrap().to_string();

    // The sign-up policy applies; a weak password leaves the link working.
    let weak = app.call(&stranger, ResetPassword::PATH, &[("token", &token), ("password", "short")]).await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let done = app.post_form(&stranger, ResetPassword::PATH, &[("token", &token), ("password", "a brand new passphrase")]).await;
    assert_eq!(location(&done), "/profile?saved=password_reset");

    // Signed in here; signed out everywhere else; only the new password works.
    assert_eq!(app.whoami(&stranger).await.map(|u| u.email), Some(Some("ada@example.com".to_string())));
    assert!(app.whoami(&app.client).await.is_none(), "the laptop's session ended");
    assert!(app.whoami(&phone).await.is_none(), "the phone's session ended");
    assert_eq!(app.try_sign_in(&browser(), "ada@example.com", PASSWORD).await.status(), StatusCode::BAD_REQUEST);
    app.try_sign_in(&browser(), "ada@example.com", "a brand new passphrase").await.error_for_status().unwrap();
    maildev.wait_for_subject("ada@example.com", "Your AskOnce password was changed").await;

    // The link worked once.
    let again = app.call(&browser(), ResetPassword::PATH, &[("token", &token), ("password", "yet another passphrase")]).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("already used"));
    let reused = expect::send(browser().get(&link), "the used reset page").await.text().await.unwrap();
    assert!(reused.contains("already used"), "{reused}");
    assert!(maildev.messages().await.iter().all(|m| m["to"][0]["address"] != "nobody@example.com"), "nothing for nobody");
}
crate::on_both_databases!(a_forgotten_password_is_reset_through_the_emailed_link);

async fn reset_links_are_limited_per_address_and_per_client(backend: Backend) {
    let app = spawn_app_on(backend, "[rate_limit]\nauth_per_minute = 1\nauth_burst = 6\n").await;
    app.sign_up(&app.client, "ada@example.com").await;
    let stranger = browser();
    for _ in 0..5 {
        let res = app.post_form(&stranger, RequestPasswordReset::PATH, &[("email", "ada@example.com")]).await;
        assert_eq!(location(&res), "/forgot-password?sent=1", "the same answer when limited");
    }
    // The requests are answered before their work is done (same timing for every address):
    // wait for it, then make sure no fourth link follows.
    let count =
        || async { email_outbox::Entity::find().filter(email_outbox::Column::Kind.eq("reset_password")).all(&app.db).await.unwrap().len() };
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while count().await < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("three reset links");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(count().await, 3, "three links an hour per account");
    // The client is past its burst (one sign-up + five requests): refused outright.
    let limited = app.post_form(&stranger, RequestPasswordReset::PATH, &[("email", "ada@example.com")]).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
}
crate::on_both_databases!(reset_links_are_limited_per_address_and_per_client);

async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    let phone = browser();
    app.sign_in(&phone, "ada@example.com").await;

    let wrong =
        app.call(&app.client, ChangeMyPassword::PATH, &[("current_password", "not it"), ("new_password", "a brand new passphrase")]).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let weak = app.call(&app.client, ChangeMyPassword::PATH, &[("current_password", PASSWORD), ("new_password", "short")]).await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let done = app
        .post_form(&app.client, ChangeMyPassword::PATH, &[("current_password", PASSWORD), ("new_password", "a brand new passphrase")])
        .await;
    assert_eq!(location(&done), "/profile?saved=password");

    assert!(app.whoami(&app.client).await.is_some(), "this session goes on");
    assert!(app.whoami(&phone).await.is_none(), "the other one ended");
    app.try_sign_in(&browser(), "ada@example.com", "a brand new passphrase").await.error_for_status().unwrap();
    maildev.wait_for_subject("ada@example.com", "password was changed").await;
    let kinds: Vec<EventKind> = activity_of(&app, &app.client).await.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::PasswordChanged).count(), 1, "{kinds:?}");
}
crate::on_both_databases!(changing_the_password_needs_the_current_one_and_ends_the_other_sessions);

async fn a_new_email_replaces_the_old_once_its_link_is_opened_and_the_old_address_is_told(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    app.sign_up(&browser(), "bob@example.com").await;

    let taken = app.call(&app.client, ChangeMyEmail::PATH, &[("email", "BOB@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let wrong = app.call(&app.client, ChangeMyEmail::PATH, &[("email", "ada@new.example"), ("password", "not it")]).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let asked = app.post_form(&app.client, ChangeMyEmail::PATH, &[("email", "ada@new.example"), ("password", PASSWORD)]).await;
    assert_eq!(location(&asked), "/profile?saved=email_link");
    assert_eq!(app.me(&app.client).await["email"], "ada@example.com", "nothing changes before the link is opened");

    let link = link_in(&maildev.wait_for_subject("ada@new.example", "Confirm your new email address").await, "/email/confirm-change");
    let (_, (page, status, _)) = use_link(&app, &browser(), &link).await;
    assert_eq!((page.as_str(), status), ("/email-link?done=email_changed", StatusCode::OK));
    let me = app.me(&app.client).await;
    assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some("ada@new.example"), Some(true)));
    let notice = maildev.wait_for_subject("ada@example.com", "email address was changed").await;
    assert!(notice["text"].as_str().unwrap().contains("ada@new.example"), "{notice}");
    app.try_sign_in(&browser(), "ada@new.example", PASSWORD).await.error_for_status().unwrap();
    assert_eq!(app.try_sign_in(&browser(), "ada@example.com", PASSWORD).await.status(), StatusCode::BAD_REQUEST);
}

async fn a_password_reset_retires_a_change_of_email_someone_else_asked_for(backend: Backend) {
    let maildev = MailDev::start().await;
    let app = spawn_app_on(backend, &maildev.email_config()).await;
    app.sign_up(&app.client, "ada@example.com").await;
    // Someone with Ada's password asks to move the account to their address...
    let thief = browser();
    app.sign_in(&thief, "ada@example.com").await;
    app.post_form(&thief, ChangeMyEmail::PATH, &[("email", "thief@evil.example"), ("password", PASSWORD)]).await;
    let stolen = link_in(&maildev.wait_for_subject("thief@evil.example", "Confirm your new email address").await, "/email/confirm-change");
    // ...Ada resets her password...
    app.post_form(&browser(), RequestPasswordReset::PATH, &[("email", "ada@example.com")]).await;
    let reset = link_in(&maildev.wait_for_subject("ada@example.com", "Reset your AskOnce password").await, "/reset-password");
    let token = reset.split("token=").nth(1).unwrap();
    app.post_form(&browser(), ResetPassword::PATH, &[("token", token), ("password", "a brand new passphrase")]).await;
    // ...and the thief's link no longer works.
    let (_, (page, ..)) = use_link(&app, &thief, &stolen).await;
    assert_eq!(page, "/email-link?refused=used");
    assert_eq!(app.me(&browser_signed_in(&app, "ada@example.com", "a brand new passphrase").await).await["email"], "ada@example.com");
}
crate::on_both_databases!(a_password_reset_retires_a_change_of_email_someone_else_asked_for);

async fn browser_signed_in(app: &TestApp, email: &str, password: &str) -> Client {
    let client = browser();
    expect::accepted(app.try_sign_in(&client, email, password).await, "signing in").await;
    client
}
crate::on_both_databases!(a_new_email_replaces_the_old_once_its_link_is_opened_and_the_old_address_is_told);

async fn activity_is_kept_for_the_person_the_console_and_the_api_and_goes_with_the_account(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    app.sign_up(&app.client, "ada@example.com").await;
    let user_id = app.me(&app.client).await["user_id"].as_str().unwrap().to_string();
    let attacker = browser();
    assert_eq!(app.try_sign_in(&attacker, "ada@example.com", "guess").await.status(), StatusCode::BAD_REQUEST);
    // The refusal is recorded off the response path (a real account answers as fast as an
    // unknown address): wait for it before the next sign-in.
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !activity_of(&app, &app.client).await.iter().any(|e| !e.success) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the refused sign-in is recorded");
    let phone = browser();
    app.sign_in(&phone, "ada@example.com").await;
    // Ada signs the phone out from here.
    expect::accepted(app.call(&app.client, EndSessions::PATH, &[]).await, "EndSessions").await;

    let mine = activity_of(&app, &app.client).await;
    let kinds: Vec<(EventKind, bool)> = mine.iter().map(|e| (e.kind, e.success)).collect();
    assert_eq!(
        kinds[..4],
        [(EventKind::SessionsEnded, true), (EventKind::SignIn, true), (EventKind::SignIn, false), (EventKind::SignUp, true)],
        "{kinds:?}"
    );
    assert_eq!(mine[0].description, "Signed out of 1 session on other devices");
    assert_eq!(mine[2].description, "Sign-in failed with email and password: wrong password");
    assert!(mine[1].ip.is_some(), "where it came from");

    // The management API, Auth0's name for it, with filters.
    let token = app.api_token(&[Scope::ReadUsers]).await;
    let (status, all) = app.api("GET", &format!("/api/v2/users/{user_id}/logs"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), mine.len());
    let (_, refused) = app.api("GET", &format!("/api/v2/users/{user_id}/logs?type=sign_in&success=false"), Some(&token), None).await;
    assert_eq!(refused.as_array().unwrap().len(), 1, "{refused}");
    let (status, _) = app.api("GET", &format!("/api/v2/users/{user_id}/logs?type=nonsense"), Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.api("GET", "/api/v2/users/nobody/logs", Some(&token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // What the site does to the account shows in it, as the site's doing.
    let editor = app.api_token(&[Scope::UpdateUsers]).await;
    let path = format!("/api/v2/users/{user_id}");
    app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "user_metadata": { "plan": "pro" }, "blocked": true }))).await;
    app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "blocked": false }))).await;
    let (_, by_site) =
        app.api("GET", &format!("/api/v2/users/{user_id}/logs?type=profile_edited,blocked,unblocked"), Some(&token), None).await;
    let described: Vec<&str> = by_site.as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap()).collect();
    assert_eq!(described, ["Account unblocked by the site", "Account blocked by the site", "Profile edited by the site: user_metadata"]);
    assert!(by_site.as_array().unwrap().iter().all(|e| e["actor"] == "api"));
    // Blocked, the right password is refused, and that shows too.
    app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "blocked": true }))).await;
    assert_eq!(app.try_sign_in(&browser(), "ada@example.com", PASSWORD).await.status(), StatusCode::FORBIDDEN);
    let (_, refused) = app.api("GET", &format!("/api/v2/users/{user_id}/logs?success=false&per_page=1"), Some(&token), None).await;
    assert_eq!(refused[0]["description"], "Sign-in refused with email and password: the account is blocked");
    app.api("PATCH", &path, Some(&editor), Some(serde_json::json!({ "blocked": false }))).await;
    app.sign_in(&app.client, "ada@example.com").await;

    // The console's user page, filtered to refused attempts.
    let owner = browser();
    app.sign_up_admin(&owner, "owner@example.com").await;
    let page = expect::send(owner.get(app.url(&format!("/admin/users/{user_id}?activity_outcome=refused"))), "the user page").await;
    let page = page.text().await.unwrap();
    assert!(page.contains("Sign-in failed with email and password"), "{page}");
    assert!(!page.contains("Account created with"), "filtered: {page}");

    // Part of "Download my data"; gone with the account.
    let export = app.me(&app.client).await;
    assert!(export.get("user_id").is_some());
    let data: serde_json::Value = expect::json(expect::send(app.client.get(app.url("/api/me/export")), "export").await, "export").await;
    let everything = activity_of(&app, &app.client).await.len();
    assert!(everything > mine.len());
    assert_eq!(data["activity"].as_array().map(Vec::len), Some(everything));
    let deleted = app.call(&app.client, DeleteMyAccount::PATH, &[("confirm", "yes"), ("password", PASSWORD)]).await;
    assert!(deleted.status().is_success() || deleted.status().is_redirection(), "{}", deleted.status());
    let left = services::entities::account_events::Entity::find()
        .filter(services::entities::account_events::Column::UserId.eq(&user_id))
        .all(&app.db)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
crate::on_both_databases!(activity_is_kept_for_the_person_the_console_and_the_api_and_goes_with_the_account);

async fn with_require_verified_an_unverified_account_is_asked_to_verify_first(backend: Backend) {
    // The outbox default (no SMTP server): the link is read where a newcomer reads it.
    let app = spawn_app_on(backend, "[email]\nrequire_verified = true\npoll_interval_secs = 1\n").await;
    let res = app.sign_up(&app.client, "ada@example.com").await;
    assert!(location(&res).starts_with("/verify-email"), "{}", location(&res));
    let refused = app.call(&app.client, MyActivity::PATH, &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("verify your email address first"));
    let page = expect::send(app.client.get(app.url("/verify-email")), "/verify-email").await.text().await.unwrap();
    assert!(page.contains("ada@example.com") && page.contains("Email me a verification link"), "{page}");

    // The profile page says so, with the way out (the address, a new link, a fix).
    let profile = expect::send(app.client.get(app.url("/profile")), "/profile").await.text().await.unwrap();
    assert!(profile.contains("verify your email address first") && profile.contains("Change email address"), "{profile}");

    // The console's outbox (no SMTP relay: the outbox is the destination) shows the message
    // with a working link, once the worker has handed it over.
    let owner = browser();
    app.sign_up_admin(&owner, "owner@example.com").await;
    let queued =
        email_outbox::Entity::find().filter(email_outbox::Column::Recipient.eq("ada@example.com")).one(&app.db).await.unwrap().unwrap();
    let link = link_in(&serde_json::json!({ "text": queued.body_text }), "/email/verify");
    let outbox = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let page = expect::send(owner.get(app.url("/admin/email")), "/admin/email").await.text().await.unwrap();
            if page.contains(&link) {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the console shows the link itself");
    assert!(outbox.contains("Confirm your email address"), "{outbox}");
    let (_, (page, ..)) = use_link(&app, &app.client, &link).await;
    assert_eq!(page, "/email-link?done=verified");
    expect::json::<Vec<ActivityEntry>>(app.call(&app.client, MyActivity::PATH, &[]).await, "MyActivity after verifying").await;
}
crate::on_both_databases!(with_require_verified_an_unverified_account_is_asked_to_verify_first);

async fn a_sign_in_from_a_new_device_is_emailed_when_the_site_asks(backend: Backend) {
    let maildev = MailDev::start().await;
    let config = format!("{}notify_new_device = true\n", maildev.email_config());
    let app = spawn_app_on(backend, &config).await;
    let with_agent = |agent: &str| {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).user_agent(agent).build().unwrap()
    };
    let laptop = with_agent("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0");
    app.sign_up(&laptop, "ada@example.com").await;
    app.sign_in(&with_agent("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"), "ada@example.com").await;
    let elsewhere = with_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1");
    app.sign_in(&elsewhere, "ada@example.com").await;
    let notice = maildev.wait_for_subject("ada@example.com", "New sign-in").await;
    assert!(notice["text"].as_str().unwrap().contains("Safari on iOS"), "{notice}");
    let new_device =
        maildev.messages().await.into_iter().filter(|m| m["subject"].as_str().is_some_and(|s| s.contains("New sign-in"))).count();
    assert_eq!(new_device, 1, "the known browser's sign-in was no news");
}
crate::on_both_databases!(a_sign_in_from_a_new_device_is_emailed_when_the_site_asks);

async fn a_stranger_who_signed_up_with_the_owners_address_gets_no_console_when_the_owner_opens_the_link(backend: Backend) {
    let app = spawn_app_on(backend, "admins = [\"owner@example.com\"]\n").await;
    let stranger = browser();
    app.sign_up(&stranger, "owner@example.com").await;
    // The owner opens the verification message they never asked for.
    let queued =
        email_outbox::Entity::find().filter(email_outbox::Column::Recipient.eq("owner@example.com")).one(&app.db).await.unwrap().unwrap();
    let link = link_in(&serde_json::json!({ "text": queued.body_text }), "/email/verify");
    let (_, (page, ..)) = use_link(&app, &browser(), &link).await;
    assert_eq!(page, "/email-link?done=verified");
    assert_eq!(app.me(&stranger).await["email_verified"], true);
    // Verified by a link, not vouched for by a provider: the stranger holds the password.
    assert_eq!(app.whoami(&stranger).await.map(|u| u.is_admin), Some(false));
    assert_eq!(expect::send(stranger.get(app.url("/admin")), "/admin").await.status(), StatusCode::FORBIDDEN);
}
crate::on_both_databases!(a_stranger_who_signed_up_with_the_owners_address_gets_no_console_when_the_owner_opens_the_link);
