//! RP-initiated logout: signing out of AskOnce also ends the session at a provider that
//! offers `end_session_endpoint`, when the connection enables it.

mod common;

use common::{
    oidc_provider::{sign_in_at_provider, RealProvider},
    spawn_app_on_listener, Backend, TestApp,
};
use leptos::server_fn::ServerFn;

async fn setup(rp_logout: bool) -> (TestApp, RealProvider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let provider = RealProvider::start(&format!("http://{addr}/auth/demo/callback")).await;
    let config = format!("{}rp_initiated_logout = {rp_logout}\n", provider.connection("demo"));
    let app = spawn_app_on_listener(Backend::Sqlite, listener, &config).await;
    let start = app.client.get(app.url("/auth/demo/start")).send().await.unwrap();
    let callback = sign_in_at_provider(&app.client, start.headers()["location"].to_str().unwrap(), "grace", &app.address).await;
    app.client.get(&callback).send().await.unwrap();
    (app, provider)
}

async fn logout(app: &TestApp) -> String {
    let res = app.client.post(app.url(app::auth::Logout::PATH)).send().await.unwrap();
    res.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
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
