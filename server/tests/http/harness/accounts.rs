//! Requests a test makes as a person (sign up, sign in, sign out, read their profile) or as
//! an operator (grant admin, make an API token, call the management API). Those that set a
//! case up check the app accepted them ([`super::expect`]).

use app::{
    account::sessions::MySessions, account::sessions::SignedInSession, admin::api_tokens::ssr::create, admin::api_tokens::Scope,
    auth::CurrentUser, auth::Logout, auth::SessionUser, sign_in::PasswordSignIn, sign_in::PasswordSignUp,
};
use leptos::server_fn::ServerFn;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use services::{auth::roles::ssr as roles, auth::roles::AccountRef};

use super::{expect, TestApp};

/// The password of every account a test signs up, unless it says otherwise.
pub const PASSWORD: &str = "a long passphrase";

impl TestApp {
    /// `client`'s password form (email and password) posted to `path`, the sign-up or the
    /// sign-in server function, for a test to add headers to before sending it.
    pub fn password_form(&self, client: &Client, path: &str, email: &str, password: &str) -> RequestBuilder {
        client.post(self.url(path)).form(&[("email", email), ("password", password)])
    }

    /// Signs `client` up as `email` with [`PASSWORD`]; it is signed in afterwards.
    pub async fn sign_up(&self, client: &Client, email: &str) -> Response {
        self.sign_up_with(client, email, PASSWORD).await
    }

    /// Signs `client` up as `email` with `password`.
    pub async fn sign_up_with(&self, client: &Client, email: &str, password: &str) -> Response {
        let what = format!("signing up {email}");
        let res = expect::send(self.password_form(client, PasswordSignUp::PATH, email, password), &what).await;
        expect::accepted(res, &what).await
    }

    /// Signs `client` in as `email` with [`PASSWORD`].
    pub async fn sign_in(&self, client: &Client, email: &str) -> Response {
        let what = format!("signing in {email}");
        expect::accepted(self.try_sign_in(client, email, PASSWORD).await, &what).await
    }

    /// A sign-in whose answer the test checks itself (a wrong password, a rate limit, …).
    pub async fn try_sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        expect::send(self.password_form(client, PasswordSignIn::PATH, email, password), "a sign-in").await
    }

    /// Signs `client` out; the answer tells where the browser goes next.
    pub async fn sign_out(&self, client: &Client) -> Response {
        let res = expect::send(client.post(self.url(Logout::PATH)), "signing out").await;
        expect::accepted(res, "signing out").await
    }

    /// `client`'s own profile (`/api/me`), which needs it signed in.
    pub async fn me(&self, client: &Client) -> Value {
        expect::json(expect::send(client.get(self.url("/api/me")), "/api/me").await, "/api/me").await
    }

    /// Who `client` is signed in as, as the pages ask the server; `None` when signed out.
    pub async fn whoami(&self, client: &Client) -> Option<SessionUser> {
        let res = expect::send(client.post(self.url(CurrentUser::PATH)), "CurrentUser").await;
        expect::json(res, "CurrentUser").await
    }

    /// The devices `client`'s account is signed in on ("Where you are signed in").
    pub async fn my_sessions(&self, client: &Client) -> Vec<SignedInSession> {
        expect::json(expect::send(client.post(self.url(MySessions::PATH)), "MySessions").await, "MySessions").await
    }

    /// Posts `form` to the server function at `path` as the hydrated page does: it asks for
    /// JSON, so an error keeps its status instead of redirecting back to a form.
    pub async fn call(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        let request = client.post(self.url(path)).header("accept", "application/json").form(form);
        expect::send(request, path).await
    }

    /// Posts `form` to `path` as a same-origin browser form does.
    pub async fn post_form(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        let request = client.post(self.url(path)).header("sec-fetch-site", "same-origin").form(form);
        expect::send(request, path).await
    }

    /// Signs `client` up as `email` and makes that account an admin, the way
    /// `askonce admin grant --user` does.
    pub async fn sign_up_admin(&self, client: &Client, email: &str) {
        self.sign_up(client, email).await;
        // From the database: with `[email] require_verified` the account may not read its own
        // profile until it is an admin.
        let accounts = roles::accounts_with_email(&self.db, email).await.unwrap_or_else(|e| panic!("finding {email}: {e}"));
        let user_id = accounts.first().unwrap_or_else(|| panic!("no account for {email}")).user_id.clone();
        roles::grant(&self.db, &AccountRef::UserId(user_id), services::audit::Actor::Cli)
            .await
            .unwrap_or_else(|e| panic!("granting admin to {email}: {e}"));
    }

    /// A management API token with `scopes`, made on the server (`askonce token create`).
    pub async fn api_token(&self, scopes: &[Scope]) -> String {
        create(&self.db, "test", scopes, services::audit::Actor::Cli, None).await.expect("create an API token").1
    }

    /// Calls the management API: `method path` with `token` as bearer and `body` as JSON; the
    /// status and the body (JSON, or the text as a JSON string).
    pub async fn api(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Client::new().request(method.parse().expect("an HTTP method"), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let what = format!("{method} {path}");
        let res = expect::send(request, &what).await;
        let status = res.status();
        let text = res.text().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}
