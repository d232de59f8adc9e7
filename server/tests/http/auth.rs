//! Local accounts over HTTP: sign up, sign in, session cookie rules, logout.

use leptos::server_fn::ServerFn;
use reqwest::{header, StatusCode};

use crate::harness::{browser::session_id, spawn_app, spawn_app_on, Backend, TestApp, PASSWORD};

#[tokio::test]
async fn sign_up_signs_in_with_a_safe_cookie_and_counts_the_login() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            &app.client,
            app::sign_in::PasswordSignUp::PATH,
            &[("email", "ada@example.com"), ("password", "a long passphrase"), ("return_to", "/status")],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()[header::LOCATION], app::auth::ReturnTo::or_home(Some("/status")).via_welcome().as_str());
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("askonce_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");

    let me = app.whoami(&app.client).await.expect("signed in");
    assert_eq!(me.email.as_deref(), Some("ada@example.com"));
    assert_eq!(me.logins_count, 1);
}

#[tokio::test]
async fn an_unsafe_return_to_is_replaced_by_the_home_page() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            &app.client,
            app::sign_in::PasswordSignUp::PATH,
            &[("email", "ada@example.com"), ("password", "a long passphrase"), ("return_to", "//evil.example/")],
        )
        .await;
    assert_eq!(res.headers()[header::LOCATION], app::auth::ReturnTo::or_home(Some("/")).via_welcome().as_str());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.sign_up(&app.client, "ada@example.com").await;
    let fresh = reqwest::Client::new();
    let wrong = app.try_sign_in(&fresh, "ada@example.com", "not the passphrase").await;
    let unknown = app.try_sign_in(&fresh, "nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

#[tokio::test]
async fn signing_in_replaces_a_planted_session_id() {
    let app = spawn_app().await;
    app.sign_up(&app.client, "ada@example.com").await;
    let planted = "askonce_session=plantedbyanattacker0000";
    let res = app
        .password_form(&reqwest::Client::new(), app::sign_in::PasswordSignIn::PATH, "ada@example.com", PASSWORD)
        .header(header::COOKIE, planted)
        .send()
        .await
        .unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("plantedbyanattacker"), "{cookie}");
}

#[tokio::test]
async fn logout_deletes_the_session_on_the_server() {
    let app = spawn_app().await;
    let res = app.sign_up(&app.client, "ada@example.com").await;
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    app.sign_out(&app.client).await;
    assert!(app.whoami(&app.client).await.is_none());
    // Replaying the old cookie does not bring the session back.
    let replay: Option<app::auth::SessionUser> = reqwest::Client::new()
        .post(app.url(app::auth::CurrentUser::PATH))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(replay.is_none());
}

#[tokio::test]
async fn the_login_page_works_without_javascript() {
    let app = spawn_app().await;
    let html = app.client.get(app.url("/login?return_to=/status")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Sign in to AskOnce"));
    assert!(html.contains(&format!("action=\"{}\"", app::sign_in::PasswordSignIn::PATH)), "{html}");
    assert!(html.contains("<label for=\"signin-email\""));
}

/// The stored record of session `id`, through the app's own session store.
async fn stored(app: &TestApp, id: &str) -> tower_sessions::session::Record {
    use tower_sessions::SessionStore;
    let store = server::sessions::AppSessionStore::for_database(&app.db).await.unwrap();
    store.load(&id.parse().unwrap()).await.unwrap().expect("the session is stored")
}

async fn store_record(app: &TestApp, record: &tower_sessions::session::Record) {
    use tower_sessions::SessionStore;
    let store = server::sessions::AppSessionStore::for_database(&app.db).await.unwrap();
    store.save(record).await.unwrap();
}

/// Signs up on a one-minute idle limit; the session id.
async fn signed_up_with_a_one_minute_idle_limit(backend: Backend) -> (TestApp, String) {
    let app = spawn_app_on(backend, "[session]\nidle_timeout_minutes = 1\n").await;
    let res = app.sign_up(&app.client, "ada@example.com").await;
    let id = session_id(&res).expect("signed in");
    (app, id)
}

/// "A session unused this long ends": one in use must not. tower-sessions saves a session only
/// when it changed, so an idle deadline set at sign-in never moved, and an active person was
/// signed out `idle_timeout_minutes` after signing in. Here the session was last recorded as
/// used 55 s ago (5 s before its one-minute deadline); a request moves the deadline a minute
/// ahead of now.
async fn a_session_in_use_outlives_its_idle_limit(backend: Backend) {
    let (app, id) = signed_up_with_a_one_minute_idle_limit(backend).await;
    let now = time::OffsetDateTime::now_utc();
    let mut record = stored(&app, &id).await;
    record.data.insert("auth.touched".into(), serde_json::json!(now.unix_timestamp() - 55));
    record.expiry_date = now + time::Duration::seconds(5);
    store_record(&app, &record).await;

    assert_eq!(app.client.get(app.url("/api/me")).send().await.unwrap().status(), StatusCode::OK);
    let after = stored(&app, &id).await;
    assert!(after.expiry_date > now + time::Duration::seconds(50), "the deadline moved: {} → {}", record.expiry_date, after.expiry_date);
}
crate::on_both_databases!(a_session_in_use_outlives_its_idle_limit);

/// Page views do not write the session: a session recorded as used a moment ago is left as it
/// is (no store write, no new cookie), however many requests follow.
async fn page_views_do_not_write_the_session(backend: Backend) {
    let (app, id) = signed_up_with_a_one_minute_idle_limit(backend).await;
    // A deadline the app would never write itself, to see whether anything rewrites it.
    let mut record = stored(&app, &id).await;
    record.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::seconds(40);
    store_record(&app, &record).await;
    let marked = stored(&app, &id).await.expiry_date;

    for path in ["/api/me", "/profile", "/", "/api/me"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get(header::SET_COOKIE).is_none(), "{path} set a cookie: {:?}", res.headers().get(header::SET_COOKIE));
    }
    assert_eq!(stored(&app, &id).await.expiry_date, marked, "a page view wrote the session");
}
crate::on_both_databases!(page_views_do_not_write_the_session);

/// A request still running when another one ended its session (sign-out, signing in as
/// someone else) saves its copy of the record at the end: that must not bring the session —
/// and its sign-in — back. The upstream stores upsert; ours only updates.
async fn a_session_ended_meanwhile_is_not_written_back(backend: Backend) {
    use tower_sessions::SessionStore;
    let (app, id) = signed_up_with_a_one_minute_idle_limit(backend).await;
    let record = stored(&app, &id).await;
    let store = server::sessions::AppSessionStore::for_database(&app.db).await.unwrap();
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none(), "the ended session came back");
}
crate::on_both_databases!(a_session_ended_meanwhile_is_not_written_back);
