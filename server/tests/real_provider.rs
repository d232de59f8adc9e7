//! The full code flow against a real, certified OpenID Provider process.

mod common;

use common::{
    oidc_provider::{sign_in_at_provider, RealProvider},
    spawn_app_on_listener, Backend, TestApp,
};
use leptos::server_fn::ServerFn;
use sea_orm::EntityTrait;

async fn setup(backend: Backend) -> (TestApp, RealProvider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let provider = RealProvider::start(&format!("http://{addr}/auth/demo/callback")).await;
    let app = spawn_app_on_listener(backend, listener, &provider.connection("demo")).await;
    (app, provider)
}

async fn sign_in(app: &TestApp, login: &str) -> String {
    let start = app.client.get(app.url("/auth/demo/start?return_to=/status")).send().await.unwrap();
    let to_provider = start.headers()["location"].to_str().unwrap().to_string();
    let callback = sign_in_at_provider(&app.client, &to_provider, login, &app.address).await;
    let done = app.client.get(&callback).send().await.unwrap();
    done.headers()["location"].to_str().unwrap().to_string()
}

async fn whoami(app: &TestApp) -> Option<app::auth::SessionUser> {
    app.client.post(app.url(app::auth::CurrentUser::PATH)).send().await.unwrap().json().await.unwrap()
}

async fn signs_in_keeps_raw_claims_and_counts_logins(backend: Backend) {
    let (app, _provider) = setup(backend).await;
    assert_eq!(sign_in(&app, "grace").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = whoami(&app).await.expect("signed in");
    assert_eq!(me.display_name, "Grace Hopper");
    assert_eq!(me.logins_count, 1);

    // The raw userinfo stays on the identity, custom claims included.
    let identities = app::entities::identities::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "grace");
    assert_eq!(identities[0].profile_data["job_title"], "Rear Admiral");
    assert!(identities[0].profile_data.get("nonce").is_none(), "protocol claims are not profile data");

    app.client.post(app.url(app::auth::Logout::PATH)).send().await.unwrap();
    assert!(whoami(&app).await.is_none());
    assert_eq!(sign_in(&app, "grace").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    assert_eq!(whoami(&app).await.unwrap().logins_count, 2);

    let profile: serde_json::Value = app.client.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(profile["logins_count"], 2);
    assert_eq!(profile["given_name"], "Grace");
    assert_eq!(profile["provenance"]["given_name"]["source"], "claim:demo:given_name");
    assert_eq!(profile["identities"][0]["connection"], "demo");
    assert_eq!(profile["identities"][0]["profileData"]["job_title"], "Rear Admiral");
    app.client.post(app.url(app::auth::Logout::PATH)).send().await.unwrap();
    let anonymous = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

#[tokio::test]
async fn a_real_provider_signs_in_keeps_raw_claims_and_counts_logins() {
    signs_in_keeps_raw_claims_and_counts_logins(Backend::Sqlite).await;
}

mod real_provider_sign_in {
    use super::*;

    #[tokio::test]
    async fn on_postgres() {
        signs_in_keeps_raw_claims_and_counts_logins(Backend::Postgres).await;
    }
}
