//! A careful browser for HTTP tests: keeps cookies, follows no redirects (the test looks at
//! each), and walks the provider round trips the way a person's browser would.

use std::net::IpAddr;

use reqwest::{header, Client};

use super::{expect, TestApp};

/// A fresh browser: its own cookie jar, redirects left to the test.
pub fn browser() -> Client {
    builder().build().expect("a browser")
}

/// A browser whose connections come from `local`, a loopback address (all of 127/8 is
/// loopback on Linux): a client on another network, as far as the app can tell.
pub fn browser_from(local: &str) -> Client {
    let local: IpAddr = local.parse().unwrap_or_else(|e| panic!("{local}: {e}"));
    builder().local_address(local).build().expect("a browser")
}

fn builder() -> reqwest::ClientBuilder {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none())
}

/// Where a redirect sends the browser (empty when it is not a redirect).
pub fn location(res: &reqwest::Response) -> String {
    res.headers().get(header::LOCATION).map(|v| v.to_str().expect("an ASCII location").to_string()).unwrap_or_default()
}

/// The session id a response set, if any.
pub fn session_id(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all(header::SET_COOKIE).iter().find_map(|v| {
        let pair = v.to_str().ok()?.split(';').next()?;
        pair.strip_prefix("askonce_session=").map(str::to_string)
    })
}

/// From a response that sends the browser to the provider, through the provider (which answers
/// at once) and the callback: where AskOnce sent the browser in the end. A `start` that does
/// not send it to a provider (one that is down, a refusal) is where it ends.
pub async fn through_provider(client: &Client, start: reqwest::Response) -> String {
    let to_provider = location(&start);
    if !to_provider.starts_with("http") {
        return to_provider;
    }
    let at_provider = expect::send(client.get(&to_provider), "the provider's authorization endpoint").await;
    let done = expect::send(client.get(location(&at_provider)), "the callback").await;
    location(&done)
}

impl TestApp {
    /// Opens `start_path` (`/auth/{connection}/start?…`) in `client` and goes through the
    /// provider and the callback; where the browser ended.
    pub async fn provider_flow(&self, client: &Client, start_path: &str) -> String {
        let start = expect::send(client.get(self.url(start_path)), start_path).await;
        through_provider(client, start).await
    }

    /// Signs `client` in at `connection`, which must succeed; where it ended (the welcome
    /// page). Tests of refused sign-ins use [`TestApp::provider_flow`].
    pub async fn sign_in_with_provider(&self, client: &Client, connection: &str) -> String {
        let ended = self.provider_flow(client, &format!("/auth/{connection}/start")).await;
        assert!(ended.starts_with("/welcome"), "signing in at {connection} ended at {ended:?}, not the welcome page");
        ended
    }

    /// Links `connection` to the account `client` is signed in to, as the profile page's
    /// button does; where it ended (the test checks: linking may be refused).
    pub async fn link(&self, client: &Client, connection: &str) -> String {
        let start = client
            .post(self.url(&format!("/auth/{connection}/start")))
            .header("sec-fetch-site", "same-origin")
            .form(&[("link", "1"), ("return_to", "/profile")]);
        let start = expect::send(start, "starting a link").await;
        through_provider(client, start).await
    }
}
