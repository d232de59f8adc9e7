//! A careful browser for HTTP tests: keeps cookies, follows no redirects, and walks the
//! provider round trips the way a person's browser would.
#![allow(dead_code)]

use reqwest::{header, Client};

use super::TestApp;

/// A fresh browser: its own cookie jar, redirects left to the test.
pub fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Where a redirect sends the browser (empty when it is not a redirect).
pub fn location(res: &reqwest::Response) -> String {
    res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// The session id a response set, if any.
pub fn session_id(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all(header::SET_COOKIE).iter().find_map(|v| {
        let pair = v.to_str().ok()?.split(';').next()?;
        pair.strip_prefix("askonce_session=").map(str::to_string)
    })
}

/// From a response that sends the browser to the provider, through the provider (which answers
/// at once) and the callback; where AskOnce sent the browser in the end.
pub async fn through_provider(client: &Client, start: reqwest::Response) -> String {
    let at_provider = client.get(location(&start)).send().await.unwrap();
    let done = client.get(location(&at_provider)).send().await.unwrap();
    location(&done)
}

/// Signs `client` in at `connection`; where it ended.
pub async fn provider_sign_in(app: &TestApp, client: &Client, connection: &str) -> String {
    let start = client.get(app.url(&format!("/auth/{connection}/start"))).send().await.unwrap();
    through_provider(client, start).await
}

/// Links `connection` to the account `client` is signed in to, as the profile page's button
/// does; where it ended.
pub async fn link(app: &TestApp, client: &Client, connection: &str) -> String {
    let start = client
        .post(app.url(&format!("/auth/{connection}/start")))
        .header("sec-fetch-site", "same-origin")
        .form(&[("link", "1"), ("return_to", "/profile")])
        .send()
        .await
        .unwrap();
    through_provider(client, start).await
}
