//! Account linking over HTTP: link a provider account to a signed-in user, refuse one that
//! belongs to someone else, unlink any but the last.

use leptos::server_fn::ServerFn;
use serde_json::json;

use crate::harness::{browser, browser::through_provider, idp::FakeIdp, spawn_app_on, Backend, TestApp, PASSWORD};

/// The app with a provider as connection `test`, and Ada signed up with a password in
/// `app.client`.
async fn setup(backend: Backend) -> (TestApp, FakeIdp) {
    let idp = FakeIdp::start(json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada", "picture": "https://example.com/ada.png"})).await;
    let app = spawn_app_on(backend, &idp.oidc_connection("test")).await;
    app.sign_up(&app.client, "ada@example.com").await;
    (app, idp)
}

async fn a_signed_in_user_links_a_provider_account_and_can_unlink_all_but_the_last(backend: Backend) {
    let (app, _idp) = setup(backend).await;
    let before = app.me(&app.client).await;
    assert_eq!(app.link(&app.client, "test").await, "/profile");
    let after = app.me(&app.client).await;
    assert_eq!(after["user_id"], before["user_id"], "same person, same session");
    assert_eq!(after["identities"].as_array().unwrap().len(), 2);
    // Linking fills gaps only: the picture was missing, the email was not.
    assert_eq!(after["picture"], "https://example.com/ada.png");
    assert_eq!(after["provenance"]["email"]["source"], "claim:Username-Password-Authentication:email");

    let unlink = |connection: &'static str, subject: String| {
        app.client
            .post(app.url(app::account::page::UnlinkAccount::PATH))
            .form(&[("connection", connection.to_string()), ("subject", subject)])
            .send()
    };
    let user_id = before["user_id"].as_str().unwrap().to_string();
    let res = unlink("Username-Password-Authentication", user_id.clone()).await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(app.me(&app.client).await["identities"].as_array().unwrap().len(), 1);
    let last = unlink("test", "ada-1".into()).await.unwrap();
    assert_eq!(last.status(), reqwest::StatusCode::CONFLICT);
    assert!(last.text().await.unwrap().contains("only way to sign in"));
    // The password is gone with its identity.
    app.sign_out(&app.client).await;
    let res = app.try_sign_in(&app.client, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
}
crate::on_both_databases!(a_signed_in_user_links_a_provider_account_and_can_unlink_all_but_the_last);

async fn linking_an_account_that_belongs_to_someone_else_is_refused_and_nothing_is_merged(backend: Backend) {
    let (app, _idp) = setup(backend).await;
    // Someone else signs in with the provider account first.
    app.sign_in_with_provider(&browser(), "test").await;

    assert_eq!(app.link(&app.client, "test").await, "/profile?error=linked_elsewhere");
    assert_eq!(app.me(&app.client).await["identities"].as_array().unwrap().len(), 1);
}
crate::on_both_databases!(linking_an_account_that_belongs_to_someone_else_is_refused_and_nothing_is_merged);

async fn a_get_request_never_links(backend: Backend) {
    let (app, _idp) = setup(backend).await;
    let start = app.client.get(app.url("/auth/test/start?link=1&return_to=/profile")).send().await.unwrap();
    through_provider(&app.client, start).await;
    // That was a plain sign-in: a new person, not a link.
    let now = app.me(&app.client).await;
    assert_eq!(now["identities"].as_array().unwrap().len(), 1);
    assert_eq!(now["identities"][0]["connection"], "test");
}
crate::on_both_databases!(a_get_request_never_links);
