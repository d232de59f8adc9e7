//! A real OpenID Provider process (panva/oidc-provider from npm, `end2end/oidc/provider.mjs`)
//! and signing in on its login page the way a person would.

use std::process::Stdio;

use reqwest::Client;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
};

use super::{browser::location, expect, Backend, TestApp};

pub struct RealProvider {
    pub issuer: String,
    _child: Child,
}

pub const CLIENT_ID: &str = "askonce";
pub const CLIENT_SECRET: &str = "askonce-test-secret";

impl RealProvider {
    /// Starts the provider with `redirect` registered for the AskOnce client.
    pub async fn start(redirect: &str) -> RealProvider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc/provider.mjs");
        let mut child = Command::new("node")
            .args([script, "--port", "0", "--redirect", redirect])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node (and `npm ci` in end2end/) is needed for the real-provider tests");
        let stdout = child.stdout.take().expect("the provider's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let issuer = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("the provider's output") {
                if let Some(issuer) = line.strip_prefix("READY ") {
                    return issuer.to_string();
                }
            }
            panic!("oidc-provider exited before it was ready (is `npm ci` done in end2end/?)");
        })
        .await
        .expect("oidc-provider did not start within 20 s");
        // Keep draining its output: a closed pipe would kill it at its next log line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RealProvider { issuer, _child: child }
    }

    /// The askonce.toml block for this provider as connection `name`.
    pub fn connection(&self, name: &str) -> String {
        format!(
            "[connections.{name}]\nkind = \"oidc\"\ndisplay_name = \"Demo IdP\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n",
            self.issuer
        )
    }
}

/// The app on `backend` with a real provider as connection `demo`, whose table also gets
/// `connection_toml`. The provider must know the redirect URI before the app starts: the app
/// serves on a port bound first.
pub async fn app_with_real_provider(backend: Backend, connection_toml: &str) -> (TestApp, RealProvider) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port for the app");
    let addr = listener.local_addr().expect("the app's address");
    let provider = RealProvider::start(&format!("http://{addr}/auth/demo/callback")).await;
    let config = format!("{}{connection_toml}", provider.connection("demo"));
    let app = TestApp::on(backend).config(&config).listener(listener).start().await;
    (app, provider)
}

impl TestApp {
    /// Opens `start_path` in the app's browser, signs in at the real provider as `login` and
    /// goes through the callback; where AskOnce sent the browser in the end.
    pub async fn sign_in_at_real_provider(&self, start_path: &str, login: &str) -> String {
        let start = expect::send(self.client.get(self.url(start_path)), start_path).await;
        let to_provider = location(&start);
        assert!(to_provider.starts_with("http"), "{start_path} did not send the browser to the provider: {to_provider:?}");
        let callback = sign_in_at_provider(&self.client, &to_provider, login, &self.address).await;
        let done = expect::send(self.client.get(&callback), "the callback").await;
        location(&done)
    }
}

/// Follows redirects from `url` through the provider's login form (as `login`) until a
/// redirect points back at `app_base`; returns that URL (our callback).
async fn sign_in_at_provider(client: &Client, url: &str, login: &str, app_base: &str) -> String {
    let mut next = url.to_string();
    for _ in 0..20 {
        if next.starts_with(app_base) {
            return next;
        }
        let res = expect::send(client.get(&next), "the provider").await;
        let base = res.url().clone();
        if res.status().is_redirection() {
            next = base.join(&location(&res)).expect("a redirect URL").to_string();
            continue;
        }
        let html = res.text().await.expect("the provider's page");
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form on the provider page: {html}"));
        let post = client.post(base.join(action).expect("a form action")).form(&[
            ("prompt", "login"),
            ("login", login),
            ("password", "any password"),
        ]);
        let post = expect::send(post, "the provider's login form").await;
        assert!(post.status().is_redirection(), "login form answered {}", post.status());
        next = base.join(&location(&post)).expect("a redirect URL").to_string();
    }
    panic!("too many redirects at the provider");
}
