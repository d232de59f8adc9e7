//! The console and the management API over HTTP: who may do what (an authorization matrix
//! over every admin page, server function and API route), every API endpoint with and
//! without its scope, Auth0's PATCH semantics, and the analytics CSV.

use app::admin::api_tokens::Scope;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{browser, spawn_app, spawn_app_on, Backend, TestApp, PASSWORD};

const ADMIN_PAGES: [&str; 10] = [
    "/admin",
    "/admin/questions",
    "/admin/questions/fields/company",
    "/admin/questions/stages/work",
    "/admin/simulator",
    "/admin/users",
    "/admin/users/some-id",
    "/admin/analytics",
    "/admin/tokens",
    "/admin/email",
];

fn admin_server_fns() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    use app::admin::{analytics_page as a, console, questions_page as q, simulator_page as s, tokens_page as t, users_page as u};
    vec![
        (console::AdminMe::PATH, vec![]),
        (console::AdminOverview::PATH, vec![]),
        (q::QuestionsConfig::PATH, vec![]),
        (q::SaveField::PATH, vec![("form[key]", "x"), ("form[label]", "X"), ("form[kind]", "text"), ("form[target]", "user_metadata.x")]),
        (q::SaveStage::PATH, vec![("form[key]", "x"), ("form[title]", "X"), ("form[trigger]", "signup"), ("form[fields]", "company")]),
        (q::QuestionAction::PATH, vec![("kind", "stage"), ("key", "work"), ("action", "delete")]),
        (s::Simulate::PATH, vec![("user", "a@example.com"), ("event", "signup")]),
        (u::SearchUsers::PATH, vec![("q", "")]),
        (u::AdminUser::PATH, vec![("id", "x")]),
        (u::SaveUserMetadata::PATH, vec![("id", "x"), ("user_metadata", "{}"), ("app_metadata", "{}")]),
        (u::SetUserBlocked::PATH, vec![("id", "x"), ("blocked", "true")]),
        (u::DeleteUser::PATH, vec![("id", "x"), ("confirm", "x")]),
        (a::AnalyticsReport::PATH, vec![("from", ""), ("to", "")]),
        (t::ListTokens::PATH, vec![]),
        (t::CreateToken::PATH, vec![("name", "x"), ("scopes[read:users]", "on")]),
        (t::RevokeToken::PATH, vec![("id", "x")]),
        (app::admin::outbox_page::OutboxMessages::PATH, vec![]),
    ]
}

fn api_routes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GET", "/api/v2/users"),
        ("GET", "/api/v2/users/x"),
        ("PATCH", "/api/v2/users/x"),
        ("DELETE", "/api/v2/users/x"),
        ("GET", "/api/v2/users/x/identities"),
        ("GET", "/api/v2/users/x/prompt"),
        ("POST", "/api/v2/users/x/prompt/answers"),
        ("GET", "/api/v2/fields"),
        ("POST", "/api/v2/fields"),
        ("GET", "/api/v2/fields/company"),
        ("PUT", "/api/v2/fields/company"),
        ("DELETE", "/api/v2/fields/company"),
        ("GET", "/api/v2/stages"),
        ("POST", "/api/v2/stages"),
        ("GET", "/api/v2/stages/work"),
        ("PUT", "/api/v2/stages/work"),
        ("DELETE", "/api/v2/stages/work"),
        ("GET", "/api/v2/profiling-config"),
        ("PUT", "/api/v2/profiling-config"),
        ("GET", "/api/v2/clients"),
        ("POST", "/api/v2/clients"),
        ("GET", "/api/v2/clients/x"),
        ("PATCH", "/api/v2/clients/x"),
        ("DELETE", "/api/v2/clients/x"),
        ("POST", "/api/v2/clients/x/rotate-secret"),
    ]
}

/// The app with a signed-in admin (`app.client`), granted the way `askonce admin grant` does.
async fn with_admin(app: &TestApp) {
    app.sign_up_admin(&app.client, "owner@example.com").await;
}

async fn a_signed_in_non_admin_is_refused_everywhere_in_the_console_and_api(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    with_admin(&app).await;
    let reader = browser();
    app.sign_up(&reader, "reader@example.com").await;
    let anonymous = browser();

    for page in ADMIN_PAGES {
        let res = reader.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{page} as a non-admin");
        let body = res.text().await.unwrap();
        assert!(body.contains("You do not have access to this."), "{page}");
        assert!(!body.contains("data-testid=\"stage-list\""), "{page} leaked content");
        assert_eq!(anonymous.get(app.url(page)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{page} signed out");
        let expected = if page.ends_with("some-id") { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(app.client.get(app.url(page)).send().await.unwrap().status(), expected, "{page} as the admin");
    }
    for (path, form) in admin_server_fns() {
        let res = app.call(&reader, path, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} as a non-admin");
        let res = app.call(&anonymous, path, &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path} signed out");
    }
    // Nothing changed: the stage the forms tried to delete is still there.
    let config = services::profiling::load_config(&app.db).await.unwrap();
    assert!(config.stages.iter().any(|s| s.key.as_str() == "work"));
    assert!(config.fields.iter().all(|f| f.key.as_str() != "x"));

    // A session is not an API credential, an admin's included.
    for (method, path) in api_routes() {
        let res = app.client.request(method.parse().unwrap(), app.url(path)).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} with a session");
    }
    assert_eq!(reader.get(app.url("/admin/analytics.csv")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(anonymous.get(app.url("/admin/analytics.csv")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(a_signed_in_non_admin_is_refused_everywhere_in_the_console_and_api);

async fn every_api_route_needs_a_token_and_its_scope(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    // A token with every scope but the one a route needs is still refused.
    let needs = |method: &str, path: &str| -> Vec<Scope> {
        if path.contains("/prompt") {
            return vec![Scope::PromptUsers];
        }
        let users = path.starts_with("/api/v2/users");
        if path.starts_with("/api/v2/clients") {
            return match method {
                "GET" => vec![Scope::ReadClients],
                "POST" if path == "/api/v2/clients" => vec![Scope::CreateClients],
                "DELETE" => vec![Scope::DeleteClients],
                _ => vec![Scope::UpdateClients],
            };
        }
        match (method, users) {
            ("GET", true) => vec![Scope::ReadUsers],
            ("PATCH", true) => vec![Scope::UpdateUsers],
            ("DELETE", true) => vec![Scope::DeleteUsers],
            ("GET", false) => vec![Scope::ReadStages],
            (_, false) => vec![Scope::UpdateStages],
            _ => unreachable!(),
        }
    };
    for (method, path) in api_routes() {
        let (status, body) = app.api(method, path, None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["statusCode"], 401);
        assert_eq!(body["error"], "Unauthorized");
        let (status, _) = app.api(method, path, Some("askonce_not-a-real-token"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with a bad token");

        let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| !needs(method, path).contains(s)).collect();
        let t = app.api_token(&others).await;
        let (status, body) = app.api(method, path, Some(&t), Some(json!({"user_metadata": {}}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} without its scope: {body}");
        assert!(body["message"].as_str().unwrap().contains("scope"), "{body}");
    }
    // Revoked tokens stop working at once.
    let t = app.api_token(&[Scope::ReadUsers]).await;
    assert_eq!(app.api("GET", "/api/v2/users", Some(&t), None).await.0, StatusCode::OK);
    let id = app::admin::api_tokens::ssr::list(&app.db).await.unwrap().into_iter().find(|i| i.scopes == vec![Scope::ReadUsers]).unwrap().id;
    app::admin::api_tokens::ssr::revoke(&app.db, &id, services::audit::Actor::Cli).await.unwrap();
    assert_eq!(app.api("GET", "/api/v2/users", Some(&t), None).await.0, StatusCode::UNAUTHORIZED);
}
crate::on_both_databases!(every_api_route_needs_a_token_and_its_scope);

/// "Is this token live?" has one answer: an expired token is refused by the API and shows as
/// expired (not live, and without a Revoke button) in the console's list and overview.
async fn an_expired_token_is_refused_by_the_api_and_shown_as_expired_in_the_console(backend: Backend) {
    use app::admin::api_tokens::{TokenInfo, TokenState};
    use app::admin::{console, tokens_page};
    let app = spawn_app_on(backend, "").await;
    with_admin(&app).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let (expired, secret) =
        app::admin::api_tokens::ssr::create(&app.db, "old sync", &[Scope::ReadUsers], services::audit::Actor::Cli, Some(past))
            .await
            .unwrap();
    let live = app.api_token(&[Scope::ReadUsers]).await;

    assert_eq!(app.api("GET", "/api/v2/users", Some(&secret), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.api("GET", "/api/v2/users", Some(&live), None).await.0, StatusCode::OK);

    let list = app.client.post(app.url(tokens_page::ListTokens::PATH)).header("accept", "application/json").send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let list: Vec<TokenInfo> = list.json().await.unwrap();
    let listed = list.iter().find(|t| t.id == expired.id).unwrap();
    assert_eq!(listed.state, TokenState::Expired);
    let overview = app.client.post(app.url(console::AdminOverview::PATH)).header("accept", "application/json").send().await.unwrap();
    assert_eq!(overview.json::<console::Overview>().await.unwrap().live_tokens, 1, "the expired token is not counted as live");

    let page = app.client.get(app.url("/admin/tokens")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("expired "), "the tokens page names the expired token's state");
    assert!(!page.contains("aria-label=\"Revoke old sync\""), "an expired token offers no Revoke button");
}
crate::on_both_databases!(an_expired_token_is_refused_by_the_api_and_shown_as_expired_in_the_console);

async fn users_endpoints(app: &TestApp) {
    let reader = browser();
    app.sign_up(&reader, "ada@example.com").await;
    app.sign_up(&reader, "grace@example.com").await;
    let all = app.api_token(&Scope::ALL).await;
    let read = app.api_token(&[Scope::ReadUsers]).await;
    let update = app.api_token(&[Scope::UpdateUsers]).await;

    let (status, page) = app.api("GET", "/api/v2/users?q=ADA@&per_page=10", Some(&read), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    let id = page["users"][0]["user_id"].as_str().unwrap().to_string();
    let (_, first) = app.api("GET", "/api/v2/users?per_page=1", Some(&read), None).await;
    let next = first["next"].as_str().unwrap().to_string();
    let (_, second) = app.api("GET", &format!("/api/v2/users?per_page=1&from={next}"), Some(&read), None).await;
    assert_ne!(first["users"][0]["user_id"], second["users"][0]["user_id"]);
    assert_eq!(app.api("GET", "/api/v2/users?per_page=0", Some(&read), None).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.api("GET", "/api/v2/users?from=garbage", Some(&read), None).await.0, StatusCode::BAD_REQUEST);

    let (status, user) = app.api("GET", &format!("/api/v2/users/{id}"), Some(&read), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], "ada@example.com");
    let (_, identities) = app.api("GET", &format!("/api/v2/users/{id}/identities"), Some(&read), None).await;
    assert_eq!(identities[0]["connection"], "Username-Password-Authentication");
    assert_eq!(app.api("GET", "/api/v2/users/nobody", Some(&read), None).await.0, StatusCode::NOT_FOUND);

    // Auth0's PATCH rules, case by case.
    let path = format!("/api/v2/users/{id}");
    let patch = |body: Value| {
        let path = path.clone();
        let update = update.clone();
        async move { app.api("PATCH", &path, Some(&update), Some(body)).await }
    };
    let (status, after) = patch(json!({"user_metadata": {"a": 1, "prefs": {"x": 1, "y": 2}}})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["user_metadata"], json!({"a": 1, "prefs": {"x": 1, "y": 2}}));
    let (_, after) = patch(json!({"user_metadata": {"b": 2}})).await;
    assert_eq!(after["user_metadata"], json!({"a": 1, "b": 2, "prefs": {"x": 1, "y": 2}}), "top-level keys merge");
    let (_, after) = patch(json!({"user_metadata": {"prefs": {"z": 3}}})).await;
    assert_eq!(after["user_metadata"]["prefs"], json!({"z": 3}), "a nested object is replaced whole");
    let (_, after) = patch(json!({"user_metadata": {"a": null}})).await;
    assert!(after["user_metadata"].get("a").is_none(), "null deletes");
    assert_eq!(after["provenance"]["user_metadata.b"]["source"], "api");
    let deep = json!({"user_metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}});
    let (status, body) = patch(deep).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("deeper"), "{body}");
    let (status, body) = patch(json!({"user_metadata": {"a": 1}, "unknown": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["statusCode"], 400);
    // app_metadata needs its own scope.
    assert_eq!(patch(json!({"app_metadata": {"plan": "pro"}})).await.0, StatusCode::FORBIDDEN);
    let (status, after) = app.api("PATCH", &path, Some(&all), Some(json!({"app_metadata": {"plan": "pro"}}))).await;
    assert_eq!((status, &after["app_metadata"]), (StatusCode::OK, &json!({"plan": "pro"})));

    // Blocking signs the person out: their session stops working at once.
    let (status, after) = patch(json!({"blocked": true})).await;
    assert_eq!((status, &after["blocked"]), (StatusCode::OK, &json!(true)));
    let res = app.try_sign_in(&browser(), "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a blocked user cannot sign in");

    let delete = app.api_token(&[Scope::DeleteUsers]).await;
    assert_eq!(app.api("DELETE", &path, Some(&delete), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.api("GET", &path, Some(&read), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.api("DELETE", &path, Some(&delete), None).await.0, StatusCode::NOT_FOUND);
}

async fn the_users_endpoints_search_page_patch_block_and_delete(backend: Backend) {
    let app = spawn_app_on(backend, "").await;
    users_endpoints(&app).await;
}
crate::on_both_databases!(the_users_endpoints_search_page_patch_block_and_delete);

#[tokio::test]
async fn fields_stages_and_the_whole_configuration_through_the_api() {
    let app = spawn_app().await;
    let read = app.api_token(&[Scope::ReadStages]).await;
    let write = app.api_token(&[Scope::UpdateStages]).await;

    let (status, fields) = app.api("GET", "/api/v2/fields", Some(&read), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fields.as_array().unwrap().iter().any(|f| f["key"] == "company"));
    let field = json!({"key": "team_size", "label": "How big is your team?", "kind": "number", "target": "user_metadata.team_size", "validation": {"min": 1.0}});
    let (status, created) = app.api("POST", "/api/v2/fields", Some(&write), Some(field.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(app.api("POST", "/api/v2/fields", Some(&write), Some(field.clone())).await.0, StatusCode::BAD_REQUEST, "duplicate key");
    let (status, got) = app.api("GET", "/api/v2/fields/team_size", Some(&read), None).await;
    assert_eq!((status, &got["label"]), (StatusCode::OK, &json!("How big is your team?")));

    // Refusals list every problem with where it is, and change nothing.
    let bad = json!({"key": "team_size", "label": "", "kind": "text", "target": "user_metadata.company", "validation": {"pattern": "("}});
    let (status, body) = app.api("PUT", "/api/v2/fields/team_size", Some(&write), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let locations: Vec<&str> = body["problems"].as_array().unwrap().iter().map(|p| p["location"].as_str().unwrap()).collect();
    assert!(locations.contains(&"fields.team_size.validation.pattern") && locations.contains(&"fields.team_size.label"), "{locations:?}");
    let app_target = json!({"key": "plan", "label": "Plan", "kind": "text", "target": "app_metadata.plan"});
    assert_eq!(app.api("POST", "/api/v2/fields", Some(&write), Some(app_target)).await.0, StatusCode::BAD_REQUEST);

    let stage = json!({"key": "team", "title": "About your team", "trigger": {"on": "login", "min_logins": 3}, "fields": ["team_size"]});
    let (status, body) = app.api("POST", "/api/v2/stages", Some(&write), Some(stage)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, got) = app.api("GET", "/api/v2/stages/team", Some(&read), None).await;
    assert_eq!(got["trigger"], json!({"on": "login", "min_logins": 3}));
    assert_eq!(got["skippable"], true, "defaults are filled in");
    let renamed = json!({"key": "headcount", "label": "Team size", "kind": "number", "target": "user_metadata.team_size"});
    assert_eq!(app.api("PUT", "/api/v2/fields/team_size", Some(&write), Some(renamed)).await.0, StatusCode::OK);
    let (_, got) = app.api("GET", "/api/v2/stages/team", Some(&read), None).await;
    assert_eq!(got["fields"], json!(["headcount"]), "a rename follows into stages");
    let (status, body) = app.api("DELETE", "/api/v2/fields/headcount", Some(&write), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the stage would be empty: {body}");
    assert_eq!(app.api("DELETE", "/api/v2/stages/team", Some(&write), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.api("DELETE", "/api/v2/fields/headcount", Some(&write), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.api("GET", "/api/v2/stages/team", Some(&read), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.api("GET", "/api/v2/fields/Not-A-Key", Some(&read), None).await.0, StatusCode::NOT_FOUND);

    // Export, then import it back: the same document.
    let (_, exported) = app.api("GET", "/api/v2/profiling-config", Some(&read), None).await;
    let (status, imported) = app.api("PUT", "/api/v2/profiling-config", Some(&write), Some(exported.clone())).await;
    assert_eq!((status, &imported), (StatusCode::OK, &exported));
    let (status, body) = app
        .api(
            "PUT",
            "/api/v2/profiling-config",
            Some(&write),
            Some(json!({"fields": [], "stages": [{"key": "s", "title": "S", "trigger": {"on": "signup"}, "fields": ["nope"]}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, still) = app.api("GET", "/api/v2/profiling-config", Some(&read), None).await;
    assert_eq!(still, exported, "a refused import changes nothing");
    let (status, body) = app.api("PUT", "/api/v2/profiling-config", Some(&write), Some(json!("not a config"))).await;
    assert_eq!((status, &body["statusCode"]), (StatusCode::BAD_REQUEST, &json!(400)));
}

#[tokio::test]
async fn the_console_edits_questions_with_errors_per_input_and_exports_analytics() {
    let app = spawn_app().await;
    with_admin(&app).await;
    let save_field =
        |form: &'static [(&'static str, &'static str)]| app.call(&app.client, app::admin::questions_page::SaveField::PATH, form);
    let bad = save_field(&[
        ("form[key]", "plan"),
        ("form[label]", "Plan"),
        ("form[kind]", "text"),
        ("form[target]", "app_metadata.plan"),
        ("form[pattern]", "("),
    ])
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let err: Value = bad.json().await.unwrap();
    assert!(err["Invalid"]["target"].as_str().unwrap().contains("app_metadata"), "{err}");
    let ok = save_field(&[
        ("form[key]", "team_size"),
        ("form[label]", "Team size"),
        ("form[kind]", "number"),
        ("form[target]", "user_metadata.team_size"),
        ("form[user_editable]", "on"),
    ])
    .await;
    assert!(ok.status().is_success() || ok.status().is_redirection(), "{}", ok.status());
    let config = services::profiling::load_config(&app.db).await.unwrap();
    assert!(config.fields.iter().any(|f| f.key.as_str() == "team_size" && f.user_editable));

    let res = app.client.get(app.url("/admin/analytics.csv?from=2026-01-01&to=2026-12-31")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("kind,key,label,shown,answered"), "{csv}");
    assert!(csv.contains("field,\"team_size\""), "{csv}");
    assert_eq!(
        app.client.get(app.url("/admin/analytics.csv?from=2026-12-31&to=2026-01-01")).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_openapi_document_and_its_docs_page_are_served() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let page = reqwest::get(app.url("/api/docs")).await.unwrap().text().await.unwrap();
    assert!(page.contains("PATCH /api/v2/users/{id}") && page.contains("update:users_app_metadata"), "{page}");
}

/// The self-service functions that take an identifier (a linked account, a signed-in
/// session) act only within the caller's own account; no page or endpoint shows another
/// person's data.
async fn no_user_can_read_or_change_another_users_data(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
    use services::entities::{identities, user_sessions, users};

    let app = spawn_app_on(backend, "").await;
    let mallory = browser();
    app.sign_up(&mallory, "mallory@example.com").await;
    let victim = browser();
    app.sign_up(&victim, "victim@example.com").await;
    let victim_id =
        users::Entity::find().filter(users::Column::EmailNormalized.eq("victim@example.com")).one(&app.db).await.unwrap().unwrap().id;
    // A second identity, so that unlinking it would be allowed to its owner.
    let now = chrono::Utc::now();
    identities::ActiveModel {
        user_id: Set(victim_id.clone()),
        connection: Set("google".into()),
        provider: Set("google-oauth2".into()),
        subject: Set("victim-sub".into()),
        is_social: Set(true),
        profile_data: Set(json!({})),
        last_login: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let victim_session =
        user_sessions::Entity::find().filter(user_sessions::Column::UserId.eq(&victim_id)).one(&app.db).await.unwrap().unwrap().handle;

    let res = app.call(&mallory, app::account::page::UnlinkAccount::PATH, &[("connection", "google"), ("subject", "victim-sub")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "someone else's linked account is not one of mine");
    let res = app.call(&mallory, app::account::sessions::EndSessions::PATH, &[("handle", &victim_session)]).await;
    assert!(res.status().is_success(), "{}", res.status());

    let victims_identities = identities::Entity::find().filter(identities::Column::UserId.eq(&victim_id)).count(&app.db).await.unwrap();
    assert_eq!(victims_identities, 2, "the victim's identities are untouched");
    assert!(user_sessions::Entity::find_by_id(victim_session).one(&app.db).await.unwrap().is_some(), "the victim's session still exists");
    let victim_me = app.me(&victim).await;
    assert_eq!(victim_me["email"], "victim@example.com", "the victim is still signed in");

    // Every read is of the caller's own account.
    let mine = app.me(&mallory).await;
    assert_eq!(mine["email"], "mallory@example.com");
    let export = mallory.get(app.url("/api/me/export")).send().await.unwrap().text().await.unwrap();
    assert!(!export.contains("victim"), "the export holds only the caller's data");
    let profile = mallory.get(app.url("/profile")).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("mallory@example.com") && !profile.contains("victim"));
    assert_eq!(mallory.get(app.url(&format!("/admin/users/{victim_id}"))).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
crate::on_both_databases!(no_user_can_read_or_change_another_users_data);
