//! A required (unskippable, login-time) stage holds the person at /welcome: every page,
//! server function, API and auth route answers with a redirect there or 403 until it is
//! answered — tested against the app's own lists of routes, so a route added later is
//! covered without anyone remembering to.

use app::{auth::Logout, prompt::AnswerPrompt, prompt::LoginPrompt};
use domain::{profiling::ProfilingConfig, profiling::ValidConfig};
use leptos::server_fn::ServerFn;
use reqwest::{Method, StatusCode};
use services::{profiling::load_versioned, profiling::replace_config, profiling::BasedOn};

use crate::harness::{
    browser::{browser, location},
    spawn_app_on, Backend, TestApp,
};

/// The shipped questions with the signup stage ("name") made required.
pub(crate) async fn require_names(app: &TestApp) {
    let mut config = ProfilingConfig::defaults();
    config.stages.iter_mut().filter(|s| s.key.as_str() == "name").for_each(|s| s.skippable = false);
    let config = ValidConfig::check(config).expect("a valid configuration");
    let current = load_versioned(&app.db).await.expect("the configuration");
    replace_config(&app.db, &config, BasedOn::Version(current.version), None).await.expect("saving the configuration");
}

/// Every route the app serves, with placeholders filled: the pages leptos lists, the server
/// functions registered, the documented API and the routes outside both.
async fn every_route(app: &TestApp) -> Vec<(Method, String)> {
    let fill = |path: &str| {
        path.split('/')
            .map(|seg| if seg.starts_with(':') || seg.starts_with('{') || seg.starts_with('*') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut routes: Vec<(Method, String)> = server::http::route_list().iter().map(|r| (Method::GET, fill(r.path()))).collect();
    routes.extend(leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (method, path.to_string())));
    let doc: serde_json::Value = browser().get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, ops) in doc["paths"].as_object().expect("documented paths") {
        for method in ops.as_object().expect("operations").keys() {
            routes.push((method.to_uppercase().parse().expect("a method"), fill(path)));
        }
    }
    for path in [
        "/api/me",
        "/api/me/export",
        "/admin/analytics.csv",
        "/api/docs",
        "/auth/password/start",
        "/auth/x/callback",
        "/authorize",
        "/authorize/continue",
        "/userinfo",
        "/oidc/logout",
        "/.well-known/jwks.json",
    ] {
        routes.push((Method::GET, path.to_string()));
    }
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes.dedup();
    routes
}

/// The loop below makes hundreds of requests, some to sign-in routes.
const LIMITS: &str = "[rate_limit]\nauth_per_minute = 100000\nauth_burst = 100000\n";

async fn no_route_leaks_while_a_required_stage_is_due(backend: Backend) {
    let app = spawn_app_on(backend, LIMITS).await;
    require_names(&app).await;
    let client = browser();
    let signed_up = app.sign_up(&client, "held@example.com").await;
    assert!(location(&signed_up).starts_with("/welcome"), "sign-up goes to its questions");

    let routes = every_route(&app).await;
    assert!(routes.len() > 60, "the lists are read ({} routes)", routes.len());
    // The OpenID Provider's authorization endpoint judges its request itself (`prompt=none`
    // must not show the stage; anything else goes to /welcome from there), and signing out of
    // an application must work.
    let passing = ["/welcome", "/healthz", LoginPrompt::PATH, AnswerPrompt::PATH, Logout::PATH, "/authorize", "/oidc/logout"];
    let mut leaks = Vec::new();
    for (method, path) in &routes {
        if passing.contains(&path.as_str()) {
            continue;
        }
        // As a browser navigates (HTML wanted) and as a script calls (JSON wanted).
        let page = client.request(method.clone(), app.url(path)).header("accept", "text/html").send().await.unwrap();
        let to = location(&page);
        if !(page.status() == StatusCode::SEE_OTHER && to.starts_with("/welcome?return_to=")) {
            leaks.push(format!("{method} {path} as a page: {} {to}", page.status()));
        }
        let call = client.request(method.clone(), app.url(path)).header("accept", "application/json").send().await.unwrap();
        if call.status() != StatusCode::FORBIDDEN {
            leaks.push(format!("{method} {path} as a call: {}", call.status()));
        }
    }
    assert!(leaks.is_empty(), "held, yet reached:\n{}", leaks.join("\n"));

    // A page view comes back to itself after the stage.
    let held = client.get(app.url("/articles?tag=rust")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&held), "/welcome?return_to=/articles%3Ftag%3Drust");
    // The stage itself, its prompt and sign-out work.
    let welcome = client.get(app.url("/welcome")).send().await.unwrap();
    assert_eq!(welcome.status(), StatusCode::OK);
    assert!(welcome.text().await.unwrap().contains("What should we call you?"));
    let skip = app.call(&client, app::prompt::SkipPrompt::PATH, &[("stage", "name")]).await;
    assert_eq!(skip.status(), StatusCode::FORBIDDEN, "no skipping a required stage");

    let answer = [("stage", "name"), ("answers[given_name]", "Held"), ("answers[family_name]", "Back")];
    let answered = app.call(&client, AnswerPrompt::PATH, &answer).await;
    assert_eq!(answered.status(), StatusCode::OK, "{}", answered.text().await.unwrap_or_default());
    let me = app.me(&client).await;
    assert_eq!(me["name"], "Held Back", "answered, the person is let through");
    let profile = client.get(app.url("/profile")).send().await.unwrap();
    assert_eq!(profile.status(), StatusCode::OK);
}
crate::on_both_databases!(no_route_leaks_while_a_required_stage_is_due);

async fn a_required_stage_holds_at_every_sign_in_until_answered(backend: Backend) {
    let app = spawn_app_on(backend, LIMITS).await;
    require_names(&app).await;
    let held = browser();
    app.sign_up(&held, "held@example.com").await;
    app.sign_out(&held).await;
    app.sign_in(&held, "held@example.com").await;
    let res = held.get(app.url("/profile")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/welcome?return_to=/profile", "still held at the next sign-in");

    // Someone let through on this browser, then a held person signing in on it without
    // signing out first: the new sign-in is checked for itself.
    let client = browser();
    app.sign_up(&client, "free@example.com").await;
    let answer = [("stage", "name"), ("answers[given_name]", "Free"), ("answers[family_name]", "Person")];
    assert_eq!(app.call(&client, AnswerPrompt::PATH, &answer).await.status(), StatusCode::OK);
    assert_eq!(client.get(app.url("/profile")).send().await.unwrap().status(), StatusCode::OK);
    app.sign_in(&client, "held@example.com").await;
    let res = client.get(app.url("/profile")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/welcome?return_to=/profile", "the other person's pass is not inherited");
}
crate::on_both_databases!(a_required_stage_holds_at_every_sign_in_until_answered);
