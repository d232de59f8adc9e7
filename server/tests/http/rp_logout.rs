//! RP-initiated logout: signing out of AskOnce also ends the session at a provider that
//! offers `end_session_endpoint`, when the connection enables it.

use crate::harness::{
    browser::location,
    oidc_provider::{app_with_real_provider, RealProvider},
    Backend, TestApp,
};

/// The app with a real provider whose connection has RP-initiated logout on or off, and
/// Grace signed in there.
async fn setup(rp_logout: bool) -> (TestApp, RealProvider) {
    let (app, provider) = app_with_real_provider(Backend::Sqlite, &format!("rp_initiated_logout = {rp_logout}\n")).await;
    let ended = app.sign_in_at_real_provider("/auth/demo/start", "grace").await;
    assert!(ended.starts_with("/welcome"), "signing in at the provider ended at {ended:?}");
    (app, provider)
}

/// Signs the app's browser out; where it is sent next.
async fn logout(app: &TestApp) -> String {
    location(&app.sign_out(&app.client).await)
}

#[tokio::test]
async fn logout_continues_at_the_providers_end_session_endpoint_when_enabled() {
    let (app, provider) = setup(true).await;
    let target = logout(&app).await;
    let url = url::Url::parse(&target).unwrap_or_else(|_| panic!("not a provider URL: {target}"));
    assert!(target.starts_with(&format!("{}/session/end", provider.issuer)), "{target}");
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert!(params.contains_key("id_token_hint"));
    assert_eq!(params["post_logout_redirect_uri"], format!("{}/", app.address));
    // Our session is gone whatever the provider does next.
    let me = app.client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::UNAUTHORIZED);
    // The provider accepts the request (it shows its "sign out?" confirmation).
    let at_provider = app.client.get(&target).send().await.unwrap();
    assert!(at_provider.status().is_success(), "{}", at_provider.status());
}

#[tokio::test]
async fn logout_stays_local_when_the_connection_does_not_enable_it() {
    let (app, _provider) = setup(false).await;
    assert_eq!(logout(&app).await, "/");
}
