//! AskOnce as an OpenID Provider: a real relying app (examples/relying-app: Express and
//! openid-client, as a Node process), registered clients, and the browser's way through an
//! authorization (sign up or in, answer what is due, back to the application).

use std::process::Stdio;

use app::{prompt::AnswerPrompt, sign_in::PasswordSignUp};
use leptos::server_fn::ServerFn;
use reqwest::Client;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
};

use super::{browser::location, expect, Backend, TestApp, PASSWORD};

/// The confidential client's secret in the tests.
pub const SECRET: &str = "test-client-secret-0123456789abcdefghij";

/// The example relying app, started with `node`.
pub struct RelyingApp {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    _child: Child,
}

impl RelyingApp {
    /// Starts the example app as `client_id` of the AskOnce at `issuer` (which may start
    /// later: the app discovers on first use). `secret`: None for a public client.
    pub async fn start(issuer: &str, client_id: &str, secret: Option<&str>, scope: &str) -> RelyingApp {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/relying-app/app.mjs");
        let mut command = Command::new("node");
        command
            .arg(script)
            .env("ISSUER", issuer)
            .env("CLIENT_ID", client_id)
            .env("SCOPE", scope)
            .env("PORT", "0")
            .env("APP_NAME", client_id)
            .env("RP_TEST_ENDPOINTS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(secret) = secret {
            command.env("CLIENT_SECRET", secret);
        }
        let mut child = command.spawn().expect("node (and `npm ci` in examples/relying-app/) is needed for the OpenID Provider tests");
        let stdout = child.stdout.take().expect("the app's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("the app's output") {
                if let Some(url) = line.strip_prefix("READY ") {
                    return url.to_string();
                }
            }
            panic!("the relying app exited before it was ready (is `npm ci` done in examples/relying-app/?)");
        })
        .await
        .expect("the relying app did not start within 20 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RelyingApp { url, _child: child }
    }
}

/// An askonce.toml block registering `client_id`, returning to `callback`.
pub fn client_toml(client_id: &str, app_type: &str, callback: &str, extra: &str) -> String {
    let secret = if matches!(app_type, "spa" | "native") { String::new() } else { format!("client_secret = \"{SECRET}\"\n") };
    format!("[clients.{client_id}]\nname = \"{client_id}\"\napp_type = \"{app_type}\"\n{secret}callbacks = [\"{callback}\"]\n{extra}\n")
}

/// AskOnce on `backend` with the example app registered as `shop` (confidential, released
/// field `job_title`, refresh tokens, signing out back to its home page, back-channel logout
/// to the app — delivered only where `extra_toml` lets outbound calls reach 127.0.0.1), plus
/// `extra_toml`.
pub async fn app_with_relying_app(backend: Backend, extra_toml: &str) -> (TestApp, RelyingApp) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port for the app");
    let issuer = format!("http://{}", listener.local_addr().expect("the app's address"));
    let rp = RelyingApp::start(&issuer, "shop", Some(SECRET), "openid profile email offline_access").await;
    let shop = format!(
        "released_fields = [\"job_title\"]\nscopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]\nallowed_logout_urls = [\"{}/\"]\nbackchannel_logout_uri = \"{}/backchannel-logout\"",
        rp.url, rp.url
    );
    let config = format!("{}{extra_toml}", client_toml("shop", "regular_web", &format!("{}/callback", rp.url), &shop));
    let app = TestApp::on(backend).config(&config).listener(listener).start().await;
    (app, rp)
}

/// The `return_to` of a redirect to `/login?return_to=…`, decoded.
pub fn return_to_of(login: &str) -> String {
    let query = login.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no return_to in {login}"))
}

impl TestApp {
    /// From `authorize` (an `/authorize` address) in `browser`, which is signed out: signs
    /// up as `email`, answers the sign-up's name stage (`given`, `family`), and follows
    /// `/authorize/continue`. Where AskOnce sends the browser: the application's callback.
    pub async fn authorize_signing_up(&self, browser: &Client, authorize: &str, email: &str, given: &str, family: &str) -> String {
        let start = expect::send(browser.get(authorize), "the authorization request").await;
        let login = location(&start);
        assert!(
            login.starts_with("/login?return_to="),
            "a signed-out authorization goes to the login page, not {login:?} ({})",
            start.status()
        );
        self.sign_up_and_continue(browser, &return_to_of(&login), email, given, family).await
    }

    /// In `browser`, signed out, whose authorization waits at `continue_to`
    /// (`/authorize/continue?id=…`): signs up as `email`, answers the sign-up's name stage
    /// (`given`, `family`), and follows `continue_to`. Where AskOnce sends the browser.
    pub async fn sign_up_and_continue(&self, browser: &Client, continue_to: &str, email: &str, given: &str, family: &str) -> String {
        let form = [("email", email), ("password", PASSWORD), ("return_to", continue_to)];
        let signed_up =
            expect::send(browser.post(self.url(PasswordSignUp::PATH)).header("sec-fetch-site", "same-origin").form(&form), "sign-up").await;
        let next = location(&expect::accepted(signed_up, "sign-up").await);
        assert!(next.starts_with("/welcome?return_to="), "the sign-up continues through its questions: {next:?}");
        let answer = [("stage", "name"), ("answers[given_name]", given), ("answers[family_name]", family)];
        let answered = self.call(browser, AnswerPrompt::PATH, &answer).await;
        assert!(answered.status().is_success(), "answering the name stage: {}", answered.status());
        self.continue_authorization(browser, continue_to).await
    }

    /// Follows `/authorize/continue?id=…`; where it sends the browser.
    pub async fn continue_authorization(&self, browser: &Client, continue_to: &str) -> String {
        let done = expect::send(browser.get(self.url(continue_to)), "continuing the authorization").await;
        assert_eq!(done.status(), reqwest::StatusCode::SEE_OTHER, "continuing the authorization: {}", location(&done));
        location(&done)
    }
}
