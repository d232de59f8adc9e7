//! The site as a whole: health, server-rendered pages, static assets, security headers and
//! the refusal of cross-site and oversize posts.

use leptos::server_fn::ServerFn;
use reqwest::StatusCode;

use crate::harness::{spawn_app, spawn_app_on, Backend};

#[tokio::test]
async fn healthz_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.close_by_ref().await.unwrap();
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_the_status_and_hydration_scripts() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign in once. Never be asked twice."), "{html}");
    // The status resource resolves during SSR, so the page is useful without JavaScript.
    assert!(html.contains("All systems normal."), "{html}");
    assert!(html.contains("/pkg/askonce.js"), "hydration script missing");
    assert!(html.contains("<title>AskOnce</title>"), "{html}");
}

#[tokio::test]
async fn an_unknown_page_answers_404_with_a_helpful_page() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("href=\"/\""));
}

#[tokio::test]
async fn the_status_server_function_reports_the_database() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url(app::status::CheckStatus::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let status: app::status::ServiceStatus = res.json().await.unwrap();
    assert_eq!(status.database, "SQLite");
    assert!(status.is_healthy());
}

async fn cross_site_posts_are_refused_before_reaching_server_functions(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    let res = app
        .client
        .post(app.url(app::status::CheckStatus::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res =
        app.client.post(app.url(app::status::CheckStatus::PATH)).header("origin", "https://evil.example").body("").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "Origin is checked when fetch metadata is absent");
}
crate::on_both_databases!(cross_site_posts_are_refused_before_reaching_server_functions);

#[tokio::test]
async fn oversize_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let big = "x".repeat(65536 + 1);
    let res = app
        .client
        .post(app.url(app::status::CheckStatus::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    let h = res.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
}

#[tokio::test]
async fn pkg_assets_are_served_compressed_and_revalidated() {
    let app = spawn_app().await;
    std::fs::write(app.site_root.path().join("pkg/askonce.css"), "body{color:red}".repeat(200)).unwrap();
    let res = app.client.get(app.url("/pkg/askonce.css")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let last_modified = res.headers()["last-modified"].clone();
    let again = app.client.get(app.url("/pkg/askonce.css")).header("if-modified-since", last_modified).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let missing = app.client.get(app.url("/pkg/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn static_assets_outside_pkg_are_served_from_the_site_root() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

mod pages_and_status {
    use super::*;

    #[tokio::test]
    async fn on_postgres() {
        let app = spawn_app_on(Backend::Postgres, "").await;
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        let html = app.client.get(app.url("/status")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("PostgreSQL"), "{html}");
        assert!(html.contains("All systems normal."), "{html}");
    }
}
