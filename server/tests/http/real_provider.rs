//! The full code flow against a real, certified OpenID Provider process.

use sea_orm::EntityTrait;

use crate::harness::{oidc_provider::app_with_real_provider, Backend, TestApp};

async fn sign_in(app: &TestApp, login: &str) -> String {
    app.sign_in_at_real_provider("/auth/demo/start?return_to=/status", login).await
}

async fn signs_in_keeps_raw_claims_and_counts_logins(backend: Backend) {
    let (app, _provider) = app_with_real_provider(backend, "").await;
    assert_eq!(sign_in(&app, "grace").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    let me = app.whoami(&app.client).await.expect("signed in");
    assert_eq!(me.display_name, "Grace Hopper");
    assert_eq!(me.logins_count, 1);

    // The raw userinfo stays on the identity, custom claims included.
    let identities = services::entities::identities::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "grace");
    assert_eq!(identities[0].profile_data["job_title"], "Rear Admiral");
    assert!(identities[0].profile_data.get("nonce").is_none(), "protocol claims are not profile data");

    app.sign_out(&app.client).await;
    assert!(app.whoami(&app.client).await.is_none());
    assert_eq!(sign_in(&app, "grace").await, app::auth::ReturnTo::or_home(Some("/status")).via_welcome());
    assert_eq!(app.whoami(&app.client).await.unwrap().logins_count, 2);

    let profile = app.me(&app.client).await;
    assert_eq!(profile["logins_count"], 2);
    assert_eq!(profile["given_name"], "Grace");
    assert_eq!(profile["provenance"]["given_name"]["source"], "claim:demo:given_name");
    assert_eq!(profile["identities"][0]["connection"], "demo");
    assert_eq!(profile["identities"][0]["profileData"]["job_title"], "Rear Admiral");
    app.sign_out(&app.client).await;
    let anonymous = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
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
